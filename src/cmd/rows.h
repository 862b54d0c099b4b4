/*
 * rows.h - a command's result table whose rows come in as accounts end (rotate and destroy run
 * several accounts at once, so in any order) and are printed in the accounts' order: by the
 * account's index, and in the order they came for one index (the profiles of one rotate).
 * Not thread safe: the lifecycle's events come one call at a time.
 */
#ifndef KW_CMD_ROWS_H
#define KW_CMD_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cmd/cmd.h"

struct kw_cmd_row;

struct kw_cmd_rows {
	const char *title;       /* the table's title (borrowed, static) */
	const char *const *cols; /* its column names (borrowed, static), ncols of them */
	size_t ncols;
	struct kw_cmd_row *v; /* owned, in the accounts' order */
	size_t n;
};

/* KW_CMD_ROWS - an empty table of ncols columns (designated initializer). */
#define KW_CMD_ROWS(t, c, nc)                            \
	{                                                \
		.title = (t), .cols = (c), .ncols = (nc) \
	}

/*
 * kw_cmd_rows_add - a row of r->ncols cells (copied; NULL: util/output.h prints a null cell) for the account of
 * index, after the rows of the accounts before it and after the rows index already has.
 * Returns 0, or -1 when out of memory (the row is not added).
 */
int kw_cmd_rows_add(struct kw_cmd_rows *r, size_t index, const char *const *cells);

/*
 * kw_cmd_rows_print - the table on fp in the format for fp (cmd.h kw_cmd_output_format),
 * coloured when color. Returns 0, or -1 when out of memory or on a write failure.
 */
int kw_cmd_rows_print(const struct kw_cmd_rows *r, const struct kw_ctx *ctx, FILE *fp, bool color);

/* kw_cmd_rows_release - free every row; r becomes empty (its columns stay). */
void kw_cmd_rows_release(struct kw_cmd_rows *r);

#endif
