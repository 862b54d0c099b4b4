#include "lifecycle/report.h"

#include <stdlib.h>
#include <string.h>

#include "lifecycle/rotation.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"

#define MAX_FIELDS 64

/* One CSV record's fields (owned). */
struct record {
	char *f[MAX_FIELDS];
	size_t n;
};

static void record_release(struct record *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->f[i]);
	r->n = 0;
}

/*
 * Read one record from *p (up to end) into r. Returns 1 for a record, 0 at the end of the
 * text, -1 for a malformed record or no memory (with err set).
 */
static int next_record(const char **p, const char *end, unsigned line, struct record *r, struct kw_error *err)
{
	struct kw_buf field = KW_BUF_INIT;
	const char *s = *p;
	char where[32];

	snprintf(where, sizeof(where), "credential report:%u", line);
	if (s >= end)
		return 0;
	for (;;) {
		bool quoted = s < end && *s == '"';

		kw_buf_reset(&field);
		if (quoted) {
			for (s++;; s++) {
				if (s >= end) {
					kw_buf_release(&field);
					return kw_error_set(err, KW_ERR_INVALID, where,
					                    "unterminated quoted field");
				}
				if (*s == '"') {
					if (s + 1 < end && s[1] == '"') {
						s++;
					} else {
						s++;
						break;
					}
				}
				if (kw_buf_putc(&field, *s))
					goto nomem;
			}
		} else {
			for (; s < end && *s != ',' && *s != '\n' && *s != '\r'; s++)
				if (kw_buf_putc(&field, *s))
					goto nomem;
		}
		if (r->n == MAX_FIELDS) {
			kw_buf_release(&field);
			return kw_error_set(err, KW_ERR_INVALID, where, "more than %d fields", MAX_FIELDS);
		}
		if (!(r->f[r->n++] = kw_buf_detach(&field)))
			goto nomem;
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		if (s < end && *s == '\r')
			s++;
		if (s < end && *s == '\n')
			s++;
		else if (s < end) {
			kw_buf_release(&field);
			return kw_error_set(err, KW_ERR_INVALID, where, "text after a quoted field");
		}
		break;
	}
	*p = s;
	kw_buf_release(&field);
	return 1;
nomem:
	kw_buf_release(&field);
	return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

static time_t report_time(const char *s)
{
	time_t t;

	return kw_iso8601_parse(s, &t) ? 0 : t;
}

static char *dup(const char *s)
{
	return strdup(s ? s : "");
}

enum { C_USER, C_ARN, C_PW, C_MFA, C_K1 };
static const char *const key_cols[] = {"active", "last_rotated", "last_used_date", "last_used_region",
                                       "last_used_service"};
#define NKEYCOLS 5
#define NCOLS    (C_K1 + 2 * NKEYCOLS)

static int header(const struct record *h, int idx[NCOLS], struct kw_error *err)
{
	static const char *const base[] = {"user", "arn", "password_enabled", "mfa_active"};
	char name[64];

	for (int c = 0; c < NCOLS; c++) {
		if (c < C_K1)
			snprintf(name, sizeof(name), "%s", base[c]);
		else
			snprintf(name, sizeof(name), "access_key_%d_%s", 1 + (c - C_K1) / NKEYCOLS,
			         key_cols[(c - C_K1) % NKEYCOLS]);
		idx[c] = -1;
		for (size_t i = 0; i < h->n; i++)
			if (!strcmp(h->f[i], name))
				idx[c] = (int)i;
		if (idx[c] < 0)
			return kw_error_set(err, KW_ERR_INVALID, "credential report:1", "no column %s", name);
	}
	return 0;
}

/* Fill row (zeroed; released with the report) from record r whose columns idx names. */
static int parse_row(const struct record *r, const int *idx, struct kw_lc_report_row *row,
                     struct kw_error *err)
{
	row->user = dup(r->f[idx[C_USER]]);
	row->arn = dup(r->f[idx[C_ARN]]);
	if (!row->user || !row->arn)
		return kw_error_nomem(err);
	row->root = !strcmp(row->user, "<root_account>");
	row->console = !strcmp(r->f[idx[C_PW]], "true");
	row->mfa = !strcmp(r->f[idx[C_MFA]], "true");
	for (int k = 0; k < 2; k++) {
		const int *ki = &idx[C_K1 + k * NKEYCOLS];
		struct kw_lc_report_key *key = &row->key[k];

		key->created = report_time(r->f[ki[1]]);
		key->present = key->created != 0;
		key->active = !strcmp(r->f[ki[0]], "true");
		key->last_used = report_time(r->f[ki[2]]);
		key->region = dup(r->f[ki[3]]);
		key->service = dup(r->f[ki[4]]);
		if (!key->region || !key->service)
			return kw_error_nomem(err);
	}
	return 0;
}

int kw_lc_report_parse(const char *csv, size_t len, struct kw_lc_report *out, struct kw_error *err)
{
	const char *p = csv, *end = csv + len;
	struct record r = {0};
	int idx[NCOLS];
	unsigned line = 1;
	int got, rc = -1;

	if ((got = next_record(&p, end, line, &r, err)) <= 0) {
		if (!got)
			kw_error_set(err, KW_ERR_INVALID, "credential report", "empty report");
		goto out;
	}
	if (header(&r, idx, err))
		goto out;
	for (;;) {
		struct kw_lc_report_row *row;

		record_release(&r);
		line++;
		if ((got = next_record(&p, end, line, &r, err)) < 0)
			goto out;
		if (!got)
			break;
		if (r.n == 1 && !r.f[0][0])
			continue; /* blank line */
		for (int c = 0; c < NCOLS; c++)
			if ((size_t)idx[c] >= r.n) {
				char where[32];
				snprintf(where, sizeof(where), "credential report:%u", line);
				kw_error_set(err, KW_ERR_INVALID, where,
				             "%zu fields, fewer than the header's", r.n);
				goto out;
			}
		row = kw_array_grow(&out->rows, &out->n, sizeof(*row));
		if (!row) {
			kw_error_nomem(err);
			goto out;
		}
		if (parse_row(&r, idx, row, err))
			goto out;
	}
	rc = 0;
out:
	record_release(&r);
	return rc;
}

void kw_lc_report_release(struct kw_lc_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->rows[i].user);
		free(r->rows[i].arn);
		for (int k = 0; k < 2; k++) {
			free(r->rows[i].key[k].service);
			free(r->rows[i].key[k].region);
		}
	}
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}
