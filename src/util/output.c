#include "util/output.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

struct kw_table {
	char *title;
	size_t ncols;
	char **cols;
	char ***rows; /* rows[r][c], NULL cells allowed */
	size_t nrows, cap;
};

/* The formats' names (the --output words), indexed by enum kw_output_format. */
static const char *const format_names[] = {
        [KW_OUTPUT_TEXT] = "text",   [KW_OUTPUT_TABLE] = "table",   [KW_OUTPUT_JSON] = "json",
        [KW_OUTPUT_SARIF] = "sarif", [KW_OUTPUT_GITHUB] = "github", [KW_OUTPUT_MARKDOWN] = "markdown",
};

int kw_output_parse(const char *word, enum kw_output_format *out, struct kw_error *err)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (!strcmp(word, format_names[i])) {
			*out = (enum kw_output_format)i;
			return 0;
		}
	}
	return kw_error_set(err, KW_ERR_USAGE, "--output",
	                    "unknown format '%s' (expected text, table, json, sarif, github or markdown)",
	                    word);
}

const char *kw_output_name(enum kw_output_format fmt)
{
	return (size_t)fmt < sizeof(format_names) / sizeof(format_names[0]) ? format_names[fmt] : "text";
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct kw_table *kw_table_new(const char *title, size_t ncols, const char *const *cols)
{
	struct kw_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->title = dup_or_null(title);
	t->cols = calloc(ncols ? ncols : 1, sizeof(char *));
	if (!t->cols || (title && !t->title))
		goto fail;
	for (size_t c = 0; c < ncols; c++)
		if (!(t->cols[c] = strdup(cols[c])))
			goto fail;
	return t;
fail:
	kw_table_free(t);
	return NULL;
}

int kw_table_add_row(struct kw_table *t, const char *const *cells)
{
	char **row;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char ***p = realloc(t->rows, cap * sizeof(*p));

		if (!p)
			return -1;
		t->rows = p;
		t->cap = cap;
	}
	row = calloc(t->ncols ? t->ncols : 1, sizeof(char *));
	if (!row)
		return -1;
	t->rows[t->nrows++] = row;
	for (size_t c = 0; c < t->ncols; c++)
		if (cells[c] && !(row[c] = strdup(cells[c])))
			return -1; /* the row stays, partly filled; kw_table_free releases it */
	return 0;
}

size_t kw_table_rows(const struct kw_table *t)
{
	return t->nrows;
}

size_t kw_display_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void pad(FILE *fp, size_t n)
{
	while (n--)
		fputc(' ', fp);
}

static void rule(FILE *fp, size_t width)
{
	fputc('+', fp);
	for (size_t i = 0; i < width; i++)
		fputc('-', fp);
	fputs("+\n", fp);
}

static int print_table(const struct kw_table *t, FILE *fp, bool color)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(size_t));
	size_t total = 0;

	if (!w)
		return -1;
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = kw_display_width(t->cols[c]);
		for (size_t r = 0; r < t->nrows; r++)
			if (t->rows[r][c] && kw_display_width(t->rows[r][c]) > w[c])
				w[c] = kw_display_width(t->rows[r][c]);
		total += w[c] + 3;
	}
	total = total ? total - 1 : 0;
	if (t->title && kw_display_width(t->title) + 2 > total) {
		size_t extra = kw_display_width(t->title) + 2 - total;
		if (t->ncols)
			w[t->ncols - 1] += extra;
		total += extra;
	}
	rule(fp, total);
	if (t->title) {
		size_t tw = kw_display_width(t->title), left = (total - tw) / 2;
		fputc('|', fp);
		pad(fp, left);
		fputs(t->title, fp);
		pad(fp, total - tw - left);
		fputs("|\n", fp);
		rule(fp, total);
	}
	fputc('|', fp);
	for (size_t c = 0; c < t->ncols; c++) {
		fprintf(fp, " %s%s%s", color ? "\033[1m" : "", t->cols[c], color ? "\033[0m" : "");
		pad(fp, w[c] - kw_display_width(t->cols[c]));
		fputs(" |", fp);
	}
	fputc('\n', fp);
	rule(fp, total);
	for (size_t r = 0; r < t->nrows; r++) {
		fputc('|', fp);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->rows[r][c] ? t->rows[r][c] : "";
			fprintf(fp, " %s", cell);
			pad(fp, w[c] - kw_display_width(cell));
			fputs(" |", fp);
		}
		fputc('\n', fp);
	}
	if (t->nrows)
		rule(fp, total);
	free(w);
	return ferror(fp) ? -1 : 0;
}

static int print_json(const struct kw_table *t, FILE *fp)
{
	json_t *arr = json_array();
	int rc = -1;

	if (!arr)
		return -1;
	for (size_t r = 0; r < t->nrows; r++) {
		json_t *obj = json_object();

		if (!obj || json_array_append_new(arr, obj))
			goto out;
		for (size_t c = 0; c < t->ncols; c++) {
			json_t *v = t->rows[r][c] ? json_string(t->rows[r][c]) : json_null();
			if (!v || json_object_set_new(obj, t->cols[c], v))
				goto out;
		}
	}
	rc = kw_json_print(arr, fp);
out:
	json_decref(arr);
	return rc;
}

int kw_table_print(const struct kw_table *t, enum kw_output_format fmt, FILE *fp, bool color)
{
	switch (fmt) {
	case KW_OUTPUT_JSON: return print_json(t, fp);
	case KW_OUTPUT_TABLE: return print_table(t, fp, color);
	case KW_OUTPUT_TEXT:
	case KW_OUTPUT_SARIF: /* tables are not review output: main refuses these formats first */
	case KW_OUTPUT_GITHUB:
	case KW_OUTPUT_MARKDOWN: break;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++)
			fprintf(fp, "%s%s", c ? "\t" : "", t->rows[r][c] ? t->rows[r][c] : "None");
		fputc('\n', fp);
	}
	return ferror(fp) ? -1 : 0;
}

void kw_table_free(struct kw_table *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	free(t->rows);
	if (t->cols)
		for (size_t c = 0; c < t->ncols; c++)
			free(t->cols[c]);
	free(t->cols);
	free(t->title);
	free(t);
}

int kw_json_print(const json_t *v, FILE *fp)
{
	if (json_dumpf(v, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
		return -1;
	fputc('\n', fp);
	return ferror(fp) ? -1 : 0;
}
