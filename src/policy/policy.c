/*
 * policy.c - parse with positions, templates, normalize, compare, format.
 */
#include "policy/policy.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/internal.h"
#include "util/atomic.h"
#include "util/error.h"

/* ---- small helpers shared inside src/policy ---- */

int kw_pointer_push(struct kw_buf *ptr, const char *key)
{
	size_t run;

	if (kw_buf_putc(ptr, '/'))
		return -1;
	for (const char *c = key; *c; c += run) {
		run = strcspn(c, "~/"); /* copy the plain run at once, then the escape */
		if ((run && kw_buf_append(ptr, c, run)) ||
		    (c[run] && kw_buf_puts(ptr, c[run] == '~' ? "~0" : "~1")))
			return -1;
		if (c[run])
			run++;
	}
	return 0;
}

int kw_pointer_push_index(struct kw_buf *ptr, size_t index)
{
	char digits[24], *d = digits + sizeof(digits);

	do /* "/%zu", without a printf per array element */
		*--d = (char)('0' + index % 10);
	while (index /= 10);
	*--d = '/';
	return kw_buf_append(ptr, d, (size_t)(digits + sizeof(digits) - d));
}

void kw_pointer_pop(struct kw_buf *ptr, size_t len)
{
	if (ptr->data && len <= ptr->len) {
		ptr->len = len;
		ptr->data[len] = '\0';
	}
}

int kw_json_strings(const json_t *v, size_t *n)
{
	if (json_is_string(v)) {
		*n = 1;
		return 0;
	}
	if (!json_is_array(v))
		return -1;
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			return -1;
	*n = json_array_size(v);
	return 0;
}

const char *kw_json_string_at(const json_t *v, size_t i)
{
	if (json_is_string(v))
		return i == 0 ? json_string_value(v) : NULL;
	return json_string_value(json_array_get(v, i));
}

static const char *const statement_order[] = {"Sid",          "Effect",      "Principal",
                                              "NotPrincipal", "Action",      "NotAction",
                                              "Resource",     "NotResource", "Condition"};

int kw_statement_key_rank(const char *key)
{
	for (size_t i = 0; i < sizeof(statement_order) / sizeof(statement_order[0]); i++)
		if (!strcmp(statement_order[i], key))
			return (int)i;
	return -1;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int kw_strcasecmp_ascii(const char *a, const char *b)
{
	for (;; a++, b++) {
		int d = lower((unsigned char)*a) - lower((unsigned char)*b);
		if (d || !*a)
			return d;
	}
}

const char *kw_placeholder_next(const char *s, size_t *pos, size_t *start, size_t *name_len)
{
	for (size_t i = *pos; s[i]; i++) {
		const char *name, *end;
		size_t n;

		if (s[i] != '$' || s[i + 1] != '{')
			continue;
		name = s + i + 2;
		end = strchr(name, '}');
		if (!end)
			return NULL;
		n = (size_t)(end - name);
		if (n == 0 || memchr(name, ':', n) ||
		    (n == 1 && (*name == '*' || *name == '?' || *name == '$')))
			continue;
		*start = i;
		*name_len = n;
		*pos = (size_t)(end - s) + 1;
		return name;
	}
	return NULL;
}

/* ---- positions: a walk over text jansson has already accepted ---- */

struct scan {
	const char *s;
	size_t len, i;
	unsigned line, col;
	struct kw_policy *p;
	struct kw_buf ptr;
};

static void scan_advance(struct scan *sc)
{
	unsigned char c = (unsigned char)sc->s[sc->i++];

	if (c == '\n') {
		sc->line++;
		sc->col = 1;
	} else if ((c & 0xC0) != 0x80) {
		sc->col++;
	}
}

static void scan_ws(struct scan *sc)
{
	while (sc->i < sc->len && strchr(" \t\r\n", sc->s[sc->i]))
		scan_advance(sc);
}

static int scan_record(struct scan *sc, unsigned line, unsigned col, unsigned kline, unsigned kcol)
{
	struct kw_policy *p = sc->p;
	struct kw_policy_pos *n;

	if ((p->npos & (p->npos - 1)) == 0) { /* grow at powers of two */
		n = realloc(p->pos, (p->npos ? p->npos * 2 : 16) * sizeof(*n));
		if (!n)
			return -1;
		p->pos = n;
	}
	n = &p->pos[p->npos];
	n->pointer = strdup(sc->ptr.data ? sc->ptr.data : "");
	if (!n->pointer)
		return -1;
	n->line = line;
	n->col = col;
	n->kline = kline;
	n->kcol = kcol;
	p->npos++;
	return 0;
}

static unsigned hexval(const char *h)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		char c = h[k];
		v <<= 4;
		v |= (unsigned)(c >= '0' && c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static int put_utf8(struct kw_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return kw_buf_append(b, u, n);
}

/* Read a string token; decoded into out when out is not NULL. */
static int scan_string(struct scan *sc, struct kw_buf *out)
{
	scan_advance(sc); /* opening quote */
	while (sc->i < sc->len && sc->s[sc->i] != '"') {
		if (sc->s[sc->i] == '\\' && sc->i + 1 < sc->len) {
			char e = sc->s[sc->i + 1];
			scan_advance(sc);
			scan_advance(sc);
			if (e == 'u' && sc->i + 4 <= sc->len) {
				unsigned cp = hexval(sc->s + sc->i);
				for (int k = 0; k < 4; k++)
					scan_advance(sc);
				if (cp >= 0xD800 && cp < 0xDC00 && sc->i + 6 <= sc->len &&
				    sc->s[sc->i] == '\\') {
					unsigned lo = hexval(sc->s + sc->i + 2);
					for (int k = 0; k < 6; k++)
						scan_advance(sc);
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				}
				if (out && put_utf8(out, cp))
					return -1;
			} else if (out) {
				const char *from = "bfnrt", *to = "\b\f\n\r\t";
				const char *k = strchr(from, e);
				if (kw_buf_putc(out, k && e ? to[k - from] : e))
					return -1;
			}
			continue;
		}
		if (out && kw_buf_putc(out, sc->s[sc->i]))
			return -1;
		scan_advance(sc);
	}
	if (sc->i < sc->len)
		scan_advance(sc); /* closing quote */
	return 0;
}

static int scan_value(struct scan *sc, unsigned kline, unsigned kcol)
{
	size_t mark = sc->ptr.len;
	char c;

	scan_ws(sc);
	if (sc->i >= sc->len)
		return 0;
	if (scan_record(sc, sc->line, sc->col, kline, kcol))
		return -1;
	c = sc->s[sc->i];
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		size_t index = 0;
		scan_advance(sc);
		for (;;) {
			unsigned kl = 0, kc = 0;
			scan_ws(sc);
			if (sc->i >= sc->len)
				return 0;
			if (sc->s[sc->i] == close) {
				scan_advance(sc);
				break;
			}
			if (sc->s[sc->i] == ',') {
				scan_advance(sc);
				continue;
			}
			if (c == '{') {
				struct kw_buf key = KW_BUF_INIT;
				int r;
				kl = sc->line;
				kc = sc->col;
				r = scan_string(sc, &key);
				if (!r)
					r = kw_pointer_push(&sc->ptr, key.data ? key.data : "");
				kw_buf_release(&key);
				if (r)
					return -1;
				scan_ws(sc);
				if (sc->i < sc->len && sc->s[sc->i] == ':')
					scan_advance(sc);
			} else if (kw_pointer_push_index(&sc->ptr, index++)) {
				return -1;
			}
			if (scan_value(sc, kl, kc))
				return -1;
			kw_pointer_pop(&sc->ptr, mark);
		}
	} else if (c == '"') {
		return scan_string(sc, NULL);
	} else {
		while (sc->i < sc->len && !strchr(" \t\r\n,]}", sc->s[sc->i]))
			scan_advance(sc);
	}
	return 0;
}

/*
 * Where a jansson decode error is: jansson's position is the byte offset just past the
 * offending token; when jansson names the token ("near 'tru'", "near '\"Version\"'") the error
 * points at its first character. Columns count characters (UTF-8 code points), like the scan.
 */
static void error_position(const char *text, size_t len, const json_error_t *jerr, unsigned *line,
                           unsigned *col)
{
	size_t at = jerr->position > 0 ? (size_t)jerr->position - 1 : 0;

	if (at >= len)
		at = len ? len - 1 : 0;
	/* "... near 'TOKEN'": point at the token's first byte */
	{
		const char *near = strstr(jerr->text, " near '");
		const char *end = near ? strrchr(jerr->text, '\'') : NULL;
		if (near && end > near + 7) {
			size_t tlen = (size_t)(end - (near + 7));
			if (tlen <= at + 1)
				at = at + 1 - tlen;
		}
	}
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < at && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

/*
 * Whether a parse error may quote the text near it: only in what looks like a policy (a JSON
 * object) and not like a secret (a credentials file, a key file keywarden wrote, an MFA seed
 * or otpauth URI, a long base32/base64 run). An `inline:` path that names the wrong file must
 * not put its first characters into an error, a log or CI output.
 */
static bool may_quote(const char *text, size_t len)
{
	static const char *const marks[] = {"aws_secret_access_key", "secretaccesskey",  "aws_session_token",
	                                    "sessiontoken",          "base32stringseed", "otpauth:"};
	size_t i = 0, run = 0;

	while (i < len && strchr(" \t\r\n", text[i]))
		i++;
	if (i == len || text[i] != '{')
		return false;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
			if (tolower(c) == marks[m][0] && len - i >= strlen(marks[m]) &&
			    !strncasecmp(text + i, marks[m], strlen(marks[m])))
				return false;
		run = isalnum(c) || c == '+' || c == '=' ? run + 1 : 0;
		if (run >= 32)
			return false; /* a secret access key, a seed, a token */
	}
	return true;
}

/* The error for text that is not JSON (jansson's jerr), at its line and column of file. */
static int json_error(const char *text, size_t len, const char *file, const json_error_t *jerr,
                      struct kw_error *err)
{
	unsigned line = 1, col = 1;
	char where[KW_ERR_WHERE_MAX];
	const char *near = strstr(jerr->text, " near ");

	error_position(text, len, jerr, &line, &col);
	snprintf(where, sizeof(where), "%s:%u:%u", file, line, col);
	if (may_quote(text, len))
		return kw_error_set(err, KW_ERR_INVALID, where, "invalid JSON: %s", jerr->text);
	/* the position, never the text: this may be a secret */
	return kw_error_set(err, KW_ERR_INVALID, where,
	                    "invalid JSON: %.*s (text not shown: this does not look like a policy document)",
	                    near ? (int)(near - jerr->text) : (int)strlen(jerr->text), jerr->text);
}

/* Free p, set err as out of memory in file, return -1. */
static int nomem(struct kw_policy *p, const char *file, struct kw_error *err)
{
	kw_policy_free(p);
	return kw_error_set(err, KW_ERR_NOMEM, file, "out of memory");
}

int kw_policy_parse(const char *text, size_t len, const char *file, struct kw_policy **out,
                    struct kw_error *err)
{
	struct kw_policy *p = NULL;
	json_error_t jerr;
	struct scan sc;
	char where[KW_ERR_WHERE_MAX];
	int r;

	*out = NULL;
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		snprintf(where, sizeof(where), "%s:1:1", file);
		return kw_error_set(err, KW_ERR_INVALID, where,
		                    "policy starts with a byte order mark (not allowed)");
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->file = strdup(file)))
		return nomem(p, file, err);
	p->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!p->doc) {
		kw_policy_free(p);
		return json_error(text, len, file, &jerr, err);
	}
	sc = (struct scan){.s = text, .len = len, .line = 1, .col = 1, .p = p};
	kw_buf_init(&sc.ptr);
	r = scan_value(&sc, 0, 0);
	kw_buf_release(&sc.ptr);
	if (r)
		return nomem(p, file, err);
	*out = p;
	return 0;
}

int kw_policy_load_file(const char *path, struct kw_policy **out, struct kw_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (kw_read_file(path, 1024 * 1024, &text, &len, err))
		return kw_error_prefix(err, "cannot read policy");
	rc = kw_policy_parse(text, len, path, out, err);
	free(text);
	return rc;
}

void kw_policy_free(struct kw_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->npos; i++)
		free(p->pos[i].pointer);
	free(p->pos);
	json_decref(p->doc);
	free(p->file);
	free(p);
}

static const struct kw_policy_pos *find_pos(const struct kw_policy *p, const char *pointer)
{
	char *tmp = strdup(pointer);
	const struct kw_policy_pos *found = NULL;

	if (!tmp)
		return p->npos ? &p->pos[0] : NULL;
	for (;;) {
		for (size_t i = 0; i < p->npos; i++)
			if (!strcmp(p->pos[i].pointer, tmp)) {
				found = &p->pos[i];
				break;
			}
		if (found || !*tmp)
			break;
		*strrchr(tmp, '/') = '\0';
	}
	free(tmp);
	return found;
}

void kw_policy_position(const struct kw_policy *p, const char *pointer, unsigned *line, unsigned *col)
{
	const struct kw_policy_pos *pos = find_pos(p, pointer);

	*line = pos ? pos->line : 1;
	*col = pos ? pos->col : 1;
}

void kw_policy_key_position(const struct kw_policy *p, const char *pointer, unsigned *line, unsigned *col)
{
	const struct kw_policy_pos *pos = find_pos(p, pointer);

	*line = pos ? (pos->kline ? pos->kline : pos->line) : 1;
	*col = pos ? (pos->kline ? pos->kcol : pos->col) : 1;
}

/* ---- templates ---- */

struct vars_walk {
	struct kw_policy *p;
	const struct kw_policy_var *vars;
	size_t nvars;
	struct kw_buf ptr;
	struct kw_error *err;
};

/* Substitute into s; *out is NULL when nothing changed. -1 with err set on a missing var. */
static int fill(struct vars_walk *w, const char *s, char **out, bool is_key)
{
	struct kw_buf b = KW_BUF_INIT;
	size_t pos = 0, start, nlen, done = 0;
	const char *name;

	*out = NULL;
	while ((name = kw_placeholder_next(s, &pos, &start, &nlen))) {
		const char *value = NULL;
		for (size_t i = 0; i < w->nvars; i++)
			if (strlen(w->vars[i].name) == nlen && !memcmp(w->vars[i].name, name, nlen))
				value = w->vars[i].value;
		if (!value) {
			char where[KW_ERR_WHERE_MAX];
			unsigned line, col;
			if (is_key)
				kw_policy_key_position(w->p, w->ptr.data ? w->ptr.data : "", &line, &col);
			else
				kw_policy_position(w->p, w->ptr.data ? w->ptr.data : "", &line, &col);
			snprintf(where, sizeof(where), "%s:%u:%zu", w->p->file, line, col + 1 + start);
			kw_buf_release(&b);
			return kw_error_set(w->err, KW_ERR_INVALID, where,
			                    "template placeholder '${%.*s}' has no value in vars", (int)nlen,
			                    name);
		}
		if (kw_buf_append(&b, s + done, start - done) || kw_buf_puts(&b, value))
			goto nomem;
		done = pos;
	}
	if (!done)
		return 0;
	if (kw_buf_puts(&b, s + done) || !(*out = kw_buf_detach(&b)))
		goto nomem;
	return 0;
nomem:
	kw_buf_release(&b);
	return kw_error_set(w->err, KW_ERR_NOMEM, w->p->file, "out of memory");
}

static int fill_value(struct vars_walk *w, json_t *v)
{
	size_t mark = w->ptr.len;

	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *e = json_array_get(v, i);
			char *s;
			if (kw_pointer_push_index(&w->ptr, i))
				goto nomem;
			if (json_is_string(e)) {
				if (fill(w, json_string_value(e), &s, false))
					return -1;
				if (s && json_array_set_new(v, i, json_string(s))) {
					free(s);
					goto nomem;
				}
				free(s);
			} else if (fill_value(w, e)) {
				return -1;
			}
			kw_pointer_pop(&w->ptr, mark);
		}
	} else if (json_is_object(v)) {
		json_t *copy = json_object(); /* rebuilt to keep member order when a key changes */
		const char *key;
		json_t *e;
		if (!copy)
			goto nomem;
		json_object_foreach(v, key, e)
		{
			char *nk = NULL, *s = NULL;
			if (kw_pointer_push(&w->ptr, key))
				goto nomem_copy;
			if (fill(w, key, &nk, true))
				goto fail_copy;
			if (json_is_string(e)) {
				if (fill(w, json_string_value(e), &s, false)) {
					free(nk);
					goto fail_copy;
				}
				if (json_object_set_new(copy, nk ? nk : key,
				                        s ? json_string(s) : json_incref(e))) {
					free(nk);
					free(s);
					goto nomem_copy;
				}
			} else {
				if (fill_value(w, e) || json_object_set(copy, nk ? nk : key, e)) {
					free(nk);
					goto fail_copy;
				}
			}
			free(nk);
			free(s);
			kw_pointer_pop(&w->ptr, mark);
		}
		if (json_object_clear(v) || json_object_update(v, copy)) {
			json_decref(copy);
			goto nomem;
		}
		json_decref(copy);
		return 0;
	nomem_copy:
		json_decref(copy);
		goto nomem;
	fail_copy:
		json_decref(copy);
		if (w->err && w->err->kind == KW_ERR_NONE)
			goto nomem;
		return -1;
	}
	return 0;
nomem:
	return kw_error_set(w->err, KW_ERR_NOMEM, w->p->file, "out of memory");
}

int kw_policy_apply_vars(struct kw_policy *p, const struct kw_policy_var *vars, size_t nvars,
                         struct kw_error *err)
{
	struct vars_walk w = {.p = p, .vars = vars, .nvars = nvars, .err = err};
	int rc;

	kw_error_clear(err);
	if (json_is_string(p->doc)) {
		char *s = NULL;
		rc = fill(&w, json_string_value(p->doc), &s, false);
		if (!rc && s) {
			json_decref(p->doc);
			p->doc = json_string(s);
		}
		free(s);
	} else {
		rc = fill_value(&w, p->doc);
	}
	kw_buf_release(&w.ptr);
	return rc;
}

static int collect_placeholders(const char *s, json_t *names)
{
	size_t pos = 0, start, n;
	const char *name;

	while ((name = kw_placeholder_next(s, &pos, &start, &n))) {
		char *tmp = strndup(name, n);
		bool seen = false;
		if (!tmp)
			return -1;
		for (size_t i = 0; i < json_array_size(names); i++)
			if (!strcmp(json_string_value(json_array_get(names, i)), tmp))
				seen = true;
		if (!seen && json_array_append_new(names, json_string(tmp))) {
			free(tmp);
			return -1;
		}
		free(tmp);
	}
	return 0;
}

static int walk_placeholders(const json_t *v, json_t *names)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_string(v))
		return collect_placeholders(json_string_value(v), names);
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) if (walk_placeholders(e, names)) return -1;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e)
		{
			if (collect_placeholders(key, names) || walk_placeholders(e, names))
				return -1;
		}
	}
	return 0;
}

json_t *kw_policy_placeholders(const struct kw_policy *p)
{
	json_t *names = json_array();

	if (names && walk_placeholders(p->doc, names)) {
		json_decref(names);
		return NULL;
	}
	return names;
}

/* ---- normalization and comparison ---- */

static int cmp_dumped(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort an array of JSON values by their compact sorted-key text, dropping repeats (steals arr). */
static json_t *sorted_set(json_t *arr)
{
	size_t n = json_array_size(arr);
	char **texts = calloc(n ? n : 1, sizeof(char *));
	json_t *out = json_array();
	bool ok = texts && out;

	for (size_t i = 0; ok && i < n; i++) {
		/* prefix with the index so the value can be found again after sorting */
		char *t = json_dumps(json_array_get(arr, i), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		size_t tl = t ? strlen(t) : 0;
		if (!t || !(texts[i] = malloc(tl + 24))) {
			free(t);
			ok = false;
			break;
		}
		snprintf(texts[i], tl + 24, "%s\x01%zu", t, i);
		free(t);
	}
	if (ok)
		qsort(texts, n, sizeof(char *), cmp_dumped);
	for (size_t i = 0; ok && i < n; i++) {
		char *sep = strrchr(texts[i], '\x01');
		size_t idx = strtoul(sep + 1, NULL, 10);
		bool dup = false;
		if (i > 0) {
			char *prev = strrchr(texts[i - 1], '\x01');
			dup = (size_t)(prev - texts[i - 1]) == (size_t)(sep - texts[i]) &&
			      !memcmp(texts[i - 1], texts[i], (size_t)(sep - texts[i]));
		}
		if (!dup && json_array_append(out, json_array_get(arr, idx)))
			ok = false;
	}
	for (size_t i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
	json_decref(arr);
	if (!ok) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static char *lowercase_dup(const char *s)
{
	char *d = strdup(s);

	for (char *c = d; c && *c; c++)
		*c = (char)lower((unsigned char)*c);
	return d;
}

/* A string or an array as a sorted set; scalars become strings; lowercased when asked. */
static json_t *norm_set(const json_t *v, bool lowercase)
{
	json_t *arr = json_array();
	size_t n = json_is_array(v) ? json_array_size(v) : 1;

	if (!arr)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
		json_t *ne;
		if (json_is_string(e)) {
			char *s = lowercase ? lowercase_dup(json_string_value(e)) : NULL;
			ne = lowercase ? (s ? json_string(s) : NULL) : json_copy((json_t *)e);
			free(s);
		} else if (json_is_number(e) || json_is_boolean(e)) {
			char *t = json_dumps(e, JSON_ENCODE_ANY);
			ne = t ? json_string(t) : NULL;
			free(t);
		} else {
			ne = json_deep_copy(e);
		}
		if (!ne || json_array_append_new(arr, ne)) {
			json_decref(arr);
			return NULL;
		}
	}
	return sorted_set(arr);
}

static json_t *norm_condition(const json_t *cond)
{
	json_t *out = json_object();
	const char *op, *key;
	json_t *block, *v;

	if (!out || !json_is_object(cond)) {
		json_decref(out);
		return cond ? json_deep_copy(cond) : NULL;
	}
	json_object_foreach((json_t *)cond, op, block)
	{
		json_t *nb = json_object();
		if (!nb || json_object_set_new(out, op, nb))
			goto fail;
		if (!json_is_object(block)) {
			if (json_object_set_new(out, op, json_deep_copy(block)))
				goto fail;
			continue;
		}
		json_object_foreach(block, key, v)
		{
			char *lk = lowercase_dup(key);
			json_t *set = norm_set(v, false);
			json_t *prev = lk ? json_object_get(nb, lk) : NULL;
			int r;
			if (!lk || !set) {
				free(lk);
				json_decref(set);
				goto fail;
			}
			if (prev) { /* keys differing only in case: one set */
				json_array_extend(set, prev);
				set = sorted_set(set);
			}
			r = set ? json_object_set_new(nb, lk, set) : -1;
			free(lk);
			if (r)
				goto fail;
		}
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/*
 * A copy of object o with each member's value normalized by norm(key, value); o when it is not
 * an object is deep-copied. NULL when out of memory.
 */
static json_t *norm_members(const json_t *o, json_t *(*norm)(const char *key, const json_t *v))
{
	json_t *out;
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return json_deep_copy(o);
	out = json_object();
	if (!out)
		return NULL;
	json_object_foreach((json_t *)o, key, v)
	{
		if (json_object_set_new(out, key, norm(key, v))) { /* NULL (out of memory) too */
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* A member of a Principal ("AWS", "Service", ...): a set of names. */
static json_t *principal_member(const char *key, const json_t *v)
{
	(void)key;
	return norm_set(v, false);
}

static json_t *statement_member(const char *key, const json_t *v)
{
	if (!strcmp(key, "Action") || !strcmp(key, "NotAction"))
		return norm_set(v, true);
	if (!strcmp(key, "Resource") || !strcmp(key, "NotResource"))
		return norm_set(v, false);
	if (!strcmp(key, "Principal") || !strcmp(key, "NotPrincipal"))
		return norm_members(v, principal_member);
	if (!strcmp(key, "Condition"))
		return norm_condition(v);
	return json_deep_copy(v);
}

/* A member of the document: Statement (one or a list) becomes a sorted set of statements. */
static json_t *document_member(const char *key, const json_t *v)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	json_t *sts;

	if (strcmp(key, "Statement"))
		return json_deep_copy(v);
	sts = json_array();
	for (size_t i = 0; sts && i < n; i++) {
		if (json_array_append_new(sts, norm_members(json_is_array(v) ? json_array_get(v, i) : v,
		                                            statement_member))) {
			json_decref(sts);
			sts = NULL;
		}
	}
	return sts ? sorted_set(sts) : NULL;
}

json_t *kw_policy_normalize(const json_t *doc)
{
	return norm_members(doc, document_member);
}

int kw_policy_equal(const json_t *a, const json_t *b)
{
	json_t *na = kw_policy_normalize(a), *nb = kw_policy_normalize(b);
	int r = na && nb ? json_equal(na, nb) : -1;

	json_decref(na);
	json_decref(nb);
	return r;
}

/* ---- canonical text ---- */

static int top_key_rank(const char *key)
{
	if (!strcmp(key, "Version"))
		return 0;
	if (!strcmp(key, "Id"))
		return 1;
	if (!strcmp(key, "Statement"))
		return 2;
	return -1;
}

enum obj_kind { OBJ_PLAIN, OBJ_TOP, OBJ_STATEMENT };

static int emit(const json_t *v, enum obj_kind kind, int depth, bool pretty, struct kw_buf *out);

static int indent(struct kw_buf *out, int depth, bool pretty)
{
	if (!pretty)
		return 0;
	if (kw_buf_putc(out, '\n'))
		return -1;
	for (int i = 0; i < depth; i++)
		if (kw_buf_puts(out, "  "))
			return -1;
	return 0;
}

static int emit_scalar(const json_t *v, struct kw_buf *out)
{
	char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	int r;

	if (!t)
		return -1;
	r = kw_buf_puts(out, t);
	free(t);
	return r;
}

static int emit_member(const char *key, const json_t *v, enum obj_kind kind, int depth, bool pretty,
                       bool *first, struct kw_buf *out)
{
	json_t *k = json_string(key);
	int r;

	if (!k)
		return -1;
	r = (*first ? 0 : kw_buf_putc(out, ',')) || indent(out, depth, pretty) || emit_scalar(k, out) ||
	    kw_buf_puts(out, pretty ? ": " : ":") || emit(v, kind, depth, pretty, out);
	json_decref(k);
	*first = false;
	return r ? -1 : 0;
}

static int emit_object(const json_t *v, enum obj_kind kind, int depth, bool pretty, struct kw_buf *out)
{
	int nranks = kind == OBJ_TOP ? 3 : kind == OBJ_STATEMENT ? 9 : 0;
	bool first = true;
	const char *key;
	json_t *e;

	if (json_object_size(v) == 0)
		return kw_buf_puts(out, "{}");
	if (kw_buf_putc(out, '{'))
		return -1;
	for (int r = 0; r < nranks; r++) {
		json_object_foreach((json_t *)v, key, e)
		{
			int rank = kind == OBJ_TOP ? top_key_rank(key) : kw_statement_key_rank(key);
			enum obj_kind sub = OBJ_PLAIN;
			if (rank != r)
				continue;
			if (kind == OBJ_TOP && !strcmp(key, "Statement"))
				sub = OBJ_STATEMENT;
			if (emit_member(key, e, sub, depth + 1, pretty, &first, out))
				return -1;
		}
	}
	json_object_foreach((json_t *)v, key, e)
	{
		int rank = kind == OBJ_TOP         ? top_key_rank(key)
		           : kind == OBJ_STATEMENT ? kw_statement_key_rank(key)
		                                   : -1;
		if (rank >= 0)
			continue;
		if (emit_member(key, e, OBJ_PLAIN, depth + 1, pretty, &first, out))
			return -1;
	}
	if (indent(out, depth, pretty))
		return -1;
	return kw_buf_putc(out, '}');
}

static int emit(const json_t *v, enum obj_kind kind, int depth, bool pretty, struct kw_buf *out)
{
	if (json_is_object(v))
		return emit_object(v, kind, depth, pretty, out);
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		if (json_array_size(v) == 0)
			return kw_buf_puts(out, "[]");
		if (kw_buf_putc(out, '['))
			return -1;
		json_array_foreach(v, i, e)
		{
			/* elements of Statement are statements; deeper arrays are plain */
			if ((i && kw_buf_putc(out, ',')) || indent(out, depth + 1, pretty) ||
			    emit(e, kind == OBJ_STATEMENT ? OBJ_STATEMENT : OBJ_PLAIN, depth + 1, pretty,
			         out))
				return -1;
		}
		if (indent(out, depth, pretty))
			return -1;
		return kw_buf_putc(out, ']');
	}
	return emit_scalar(v, out);
}

int kw_policy_format(const json_t *doc, struct kw_buf *out)
{
	if (emit(doc, OBJ_TOP, 0, true, out))
		return -1;
	return kw_buf_putc(out, '\n');
}

char *kw_policy_compact(const json_t *doc)
{
	struct kw_buf b = KW_BUF_INIT;

	if (emit(doc, OBJ_TOP, 0, false, &b)) {
		kw_buf_release(&b);
		return NULL;
	}
	return kw_buf_detach(&b);
}

/*
 * Characters of a string as jansson writes it (JSON_COMPACT, no ASCII or slash escapes), not
 * counting whitespace: '"' and '\\' and \b \f \n \r \t take two, other control characters
 * six (\u00XX), a raw space none, any other code point one; and the two quotes.
 */
static size_t string_size(const char *s, size_t len)
{
	size_t n = 2;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
			n += 2;
		else if (c < 0x20)
			n += 6;
		else if (c != ' ' && (c & 0xC0) != 0x80)
			n++;
	}
	return n;
}

/* kw_policy_size of one value: the characters kw_policy_compact() would write for it. */
static size_t value_size(const json_t *v)
{
	size_t n = 2, i = 0; /* the brackets of an object or an array */
	const char *key;
	json_t *e;
	char buf[64];
	int len;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, e)
		{
			/* a ',' before every member but the first, the key, ':', the value */
			n += (i++ ? 1 : 0) + string_size(key, strlen(key)) + 1 + value_size(e);
		}
		return n;
	case JSON_ARRAY:
		json_array_foreach(v, i, e)
		{
			n += (i ? 1 : 0) + value_size(e);
		}
		return n;
	case JSON_STRING: return string_size(json_string_value(v), json_string_length(v));
	default:
		/* numbers, true, false, null: as jansson writes them (no whitespace, ASCII) */
		len = (int)json_dumpb(v, buf, sizeof(buf), JSON_ENCODE_ANY | JSON_COMPACT);
		return len > 0 && (size_t)len <= sizeof(buf) ? (size_t)len : 0;
	}
}

size_t kw_policy_size(const json_t *doc)
{
	return value_size(doc);
}

const char *kw_severity_name(enum kw_severity sev)
{
	static const char *const names[] = {
	        [KW_SEV_INFO] = "info", [KW_SEV_WARNING] = "warning", [KW_SEV_ERROR] = "error"};

	return (size_t)sev < sizeof(names) / sizeof(names[0]) ? names[sev] : "error";
}
