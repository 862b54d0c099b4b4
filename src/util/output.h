/*
 * output.h - results on stdout in the formats of the AWS CLI's -o/--output: text, table, json.
 *
 * A command builds a struct kw_table (title, column names, rows of strings) and prints it in
 * the chosen format: text is one tab-separated line per row (the AWS CLI's text output);
 * table is a boxed, aligned table with the title; json is an array of objects keyed by
 * column name (through jansson). Commands whose JSON has more structure print a json_t with
 * kw_json_print().
 */
#ifndef KW_UTIL_OUTPUT_H
#define KW_UTIL_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kw_error;

enum kw_output_format {
	KW_OUTPUT_TEXT,
	KW_OUTPUT_TABLE,
	KW_OUTPUT_JSON,
	/* review formats, for the commands that document them (validate, plan, policy lint, show) */
	KW_OUTPUT_SARIF,    /* SARIF 2.1.0 for code scanning */
	KW_OUTPUT_GITHUB,   /* GitHub Actions workflow commands (::error file=...::...) */
	KW_OUTPUT_MARKDOWN, /* a pull-request comment (plan, show) */
};

/*
 * kw_output_parse - "text", "table" or "json" (as the AWS CLI), or one of the review formats
 * "sarif", "github", "markdown", into *out.
 * Returns 0, or -1 with err set (KW_ERR_USAGE) for any other word.
 */
int kw_output_parse(const char *word, enum kw_output_format *out, struct kw_error *err);

/* kw_output_name - the word for a format, static storage. */
const char *kw_output_name(enum kw_output_format fmt);

struct kw_table;

/*
 * kw_table_new - new table with ncols columns named by cols (copied).
 * @title: shown above the table format, may be NULL (copied).
 * Returns the table (free with kw_table_free), or NULL when out of memory.
 */
struct kw_table *kw_table_new(const char *title, size_t ncols, const char *const *cols);

/*
 * kw_table_add_row - append a row of ncols cells (copied; NULL cells print empty / JSON null).
 * Returns 0, or -1 when out of memory.
 */
int kw_table_add_row(struct kw_table *t, const char *const *cells);

/* kw_table_rows - number of rows added. */
size_t kw_table_rows(const struct kw_table *t);

/*
 * kw_table_print - print t to fp in fmt; color adds bold headers in table format.
 * Returns 0, or -1 on a write or allocation failure.
 */
int kw_table_print(const struct kw_table *t, enum kw_output_format fmt, FILE *fp, bool color);

/* kw_table_free - free t and everything it holds; NULL is allowed. */
void kw_table_free(struct kw_table *t);

/*
 * kw_json_print - print v (borrowed) as indented JSON with keys in insertion order, then a
 * newline. Returns 0, or -1 on failure.
 */
int kw_json_print(const json_t *v, FILE *fp);

/*
 * kw_display_width - number of terminal columns a UTF-8 string takes (one per code point;
 * East Asian wide characters are not special-cased).
 */
size_t kw_display_width(const char *s);

#endif
