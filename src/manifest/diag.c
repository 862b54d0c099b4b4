/*
 * diag.c - the list of diagnostics a manifest load collects.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/utf8.h"

/* Longest message kept: values quoted from a manifest can be huge (a 900 KB name). */
#define DIAG_MESSAGE_MAX 600

int kw_diags_add(struct kw_diags *d, enum kw_severity sev, const char *code, const char *file, unsigned line,
                 unsigned col, const char *fmt, ...)
{
	struct kw_buf raw = KW_BUF_INIT, msg = KW_BUF_INIT;
	struct kw_diag *item;
	va_list ap;
	int r;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct kw_diag *p = realloc(d->items, cap * sizeof(*p));
		if (!p)
			return -1;
		d->items = p;
		d->cap = cap;
	}
	va_start(ap, fmt);
	r = kw_buf_vappendf(&raw, fmt, ap);
	va_end(ap);
	/* Messages quote the input: keep them valid UTF-8, free of terminal escapes, and short. */
	if (!r)
		r = kw_utf8_sanitize(&msg, raw.data, DIAG_MESSAGE_MAX);
	kw_buf_release(&raw);
	if (r) {
		kw_buf_release(&msg);
		return -1;
	}
	item = &d->items[d->n];
	memset(item, 0, sizeof(*item));
	item->severity = sev;
	item->code = code;
	item->line = line;
	item->col = col;
	item->file = strdup(file ? file : "");
	item->message = kw_buf_detach(&msg);
	if (!item->file || !item->message) {
		free(item->file);
		free(item->message);
		return -1;
	}
	d->n++;
	return 0;
}

void kw_diags_release(struct kw_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
		free(d->items[i].reason);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

char *kw_diag_format(const struct kw_diag *d)
{
	struct kw_buf b = KW_BUF_INIT;
	int r = kw_buf_appendf(&b, "%s: ", d->accepted ? "accepted" : kw_severity_name(d->severity));

	if (!r && d->file && d->file[0])
		r = d->line ? kw_buf_appendf(&b, "%s:%u:%u: ", d->file, d->line, d->col)
		            : kw_buf_appendf(&b, "%s: ", d->file);
	if (!r)
		r = kw_buf_puts(&b, d->message);
	if (!r && d->code)
		r = kw_buf_appendf(&b, " [%s]", d->code);
	if (!r && d->accepted && d->reason)
		r = kw_buf_appendf(&b, " (reason: %s)", d->reason);
	if (r) {
		kw_buf_release(&b);
		return NULL;
	}
	return kw_buf_detach(&b);
}
