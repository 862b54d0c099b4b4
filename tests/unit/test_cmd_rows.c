/* Unit tests for src/cmd/rows (result rows that come in any order, printed in the accounts' order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/rows.h"
#include "util/output.h"

static const char *const cols[] = {"Account", "Result"};

/* The text format (one tab-separated line per row) of r. */
static char *printed(const struct kw_cmd_rows *r)
{
	struct kw_ctx ctx = {.output = KW_OUTPUT_TEXT, .output_set = true};
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	ctx.out = ctx.err = fp;
	assert_int_equal(kw_cmd_rows_print(r, &ctx, fp, false), 0);
	fclose(fp);
	return text;
}

/* Rows of accounts that end in any order print by account, in the order they came for one account. */
static void rows_print_in_account_order(void **state)
{
	struct kw_cmd_rows r = KW_CMD_ROWS("Rotated keys", cols, 2);
	char cell[16];
	char *text;

	(void)state;
	strcpy(cell, "c");
	assert_int_equal(kw_cmd_rows_add(&r, 2, (const char *const[]){cell, "rotated"}), 0);
	strcpy(cell, "a1");
	assert_int_equal(kw_cmd_rows_add(&r, 0, (const char *const[]){cell, "failed"}), 0);
	strcpy(cell, "b");
	assert_int_equal(kw_cmd_rows_add(&r, 1, (const char *const[]){cell, NULL}), 0);
	strcpy(cell, "a2");
	assert_int_equal(kw_cmd_rows_add(&r, 0, (const char *const[]){cell, "rotated"}), 0);
	memset(cell, 0, sizeof(cell)); /* the cells were copied */
	assert_int_equal(r.n, 4);
	text = printed(&r);
	assert_string_equal(text, "a1\tfailed\na2\trotated\nb\tNone\nc\trotated\n");
	free(text);
	kw_cmd_rows_release(&r);
	assert_int_equal(r.n, 0);
	text = printed(&r); /* empty: nothing but what the format prints for no rows */
	assert_string_equal(text, "");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(rows_print_in_account_order),
	};
	return cmocka_run_group_tests_name("cmd_rows", tests, NULL, NULL);
}
