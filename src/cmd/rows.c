/*
 * rows.c - result rows printed in the accounts' order (rows.h).
 */
#include "cmd/rows.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/output.h"

struct kw_cmd_row {
	size_t index;
	char **cells; /* ncols, each owned or NULL */
};

static void free_cells(char **cells, size_t n)
{
	for (size_t c = 0; cells && c < n; c++)
		free(cells[c]);
	free(cells);
}

int kw_cmd_rows_add(struct kw_cmd_rows *r, size_t index, const char *const *cells)
{
	char **copy = calloc(r->ncols, sizeof(*copy));
	size_t at;

	for (size_t c = 0; copy && c < r->ncols; c++)
		if (cells[c] && !(copy[c] = strdup(cells[c]))) {
			free_cells(copy, r->ncols);
			return -1;
		}
	if (!copy || !kw_array_grow(&r->v, &r->n, sizeof(*r->v))) {
		free_cells(copy, r->ncols);
		return -1;
	}
	for (at = r->n - 1; at > 0 && r->v[at - 1].index > index; at--) /* after index's rows */
		r->v[at] = r->v[at - 1];
	r->v[at] = (struct kw_cmd_row){.index = index, .cells = copy};
	return 0;
}

int kw_cmd_rows_print(const struct kw_cmd_rows *r, const struct kw_ctx *ctx, FILE *fp, bool color)
{
	struct kw_table *t = kw_table_new(r->title, r->ncols, r->cols);
	int rc = t ? 0 : -1;

	for (size_t i = 0; !rc && i < r->n; i++)
		rc = kw_table_add_row(t, (const char *const *)r->v[i].cells);
	if (!rc)
		rc = kw_table_print(t, kw_cmd_output_format(ctx, fp), fp, color);
	kw_table_free(t);
	return rc;
}

void kw_cmd_rows_release(struct kw_cmd_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free_cells(r->v[i].cells, r->ncols);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
