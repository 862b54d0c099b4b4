/*
 * ini.c - AWS shared config/credentials files: parser with line numbers and a byte-preserving
 * editor. See ini.h for the syntax (botocore's reading of the files).
 */
#include "aws/ini.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/array.h"
#include "util/error.h"
#include "util/secret.h"

/* Blank as Python's str.strip() (configparser) sees it, so a stray CR is blank too. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *dup_lower(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)p[i]);
	s[n] = '\0';
	return s;
}

void kw_ini_where(const struct kw_ini *ini, unsigned line, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s:%u", ini && ini->path ? ini->path : "<memory>", line);

	if (n < 0 && size)
		buf[0] = '\0'; /* truncation keeps a NUL-terminated prefix, which is fine for a location */
}

static int syntax_error(struct kw_ini *ini, unsigned line, struct kw_error *err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* KW_ERR_INVALID at "path:line"; the message never quotes a value or an unparsed line. */
static int syntax_error(struct kw_ini *ini, unsigned line, struct kw_error *err, const char *fmt, ...)
{
	char where[KW_ERR_WHERE_MAX], msg[KW_ERR_MSG_MAX];
	va_list ap;

	kw_ini_where(ini, line, where, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* truncation is fine for a message */
	va_end(ap);
	return kw_error_set(err, KW_ERR_INVALID, where, "%s", msg);
}

static void free_section(struct kw_ini_section *s)
{
	for (size_t i = 0; i < s->nentries; i++) {
		free(s->entries[i].key);
		free(s->entries[i].subkey);
	}
	free(s->entries);
	free(s->name);
}

void kw_ini_free(struct kw_ini *ini)
{
	if (!ini)
		return;
	for (size_t i = 0; i < ini->nsections; i++)
		free_section(&ini->sections[i]);
	free(ini->sections);
	kw_secret_free(ini->text);
	free(ini->path);
	free(ini);
}

const struct kw_ini_section *kw_ini_section(const struct kw_ini *ini, const char *name)
{
	for (size_t i = 0; ini && i < ini->nsections; i++)
		if (!strcmp(ini->sections[i].name, name))
			return &ini->sections[i];
	return NULL;
}

/* A config-file header "profile   NAME" names profile NAME; returns NAME or NULL. */
static const char *profile_of_header(const char *h)
{
	if (strncmp(h, "profile", 7) || !is_blank(h[7]))
		return NULL;
	h += 7;
	while (is_blank(*h))
		h++;
	return *h ? h : NULL;
}

const struct kw_ini_section *kw_ini_profile(const struct kw_ini *ini, enum kw_ini_kind kind, const char *name)
{
	const char *p;

	if (!ini || !name)
		return NULL;
	if (kind == KW_INI_CREDENTIALS)
		return kw_ini_section(ini, name);
	if (!strcmp(name, "default")) {
		const struct kw_ini_section *s = kw_ini_section(ini, "default");
		if (s)
			return s;
	}
	for (size_t i = 0; i < ini->nsections; i++) {
		p = profile_of_header(ini->sections[i].name);
		if (p && !strcmp(p, name))
			return &ini->sections[i];
	}
	return NULL;
}

int kw_ini_profile_header(enum kw_ini_kind kind, const char *name, char *buf, size_t size)
{
	int n;

	if (kind == KW_INI_CREDENTIALS || !strcmp(name, "default"))
		n = snprintf(buf, size, "%s", name);
	else
		n = snprintf(buf, size, "profile %s", name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

const struct kw_ini_entry *kw_ini_get(const struct kw_ini_section *sec, const char *key, const char *subkey)
{
	for (size_t i = 0; sec && i < sec->nentries; i++) {
		const struct kw_ini_entry *e = &sec->entries[i];

		if (strcasecmp(e->key, key))
			continue;
		if (!subkey && !e->subkey)
			return e;
		if (subkey && e->subkey && !strcasecmp(e->subkey, subkey))
			return e;
	}
	return NULL;
}

/* The answer of a kw_ini_get_* copy: 0 without the entry e, 1 with its copy, -1 when out of memory. */
static int copied(const struct kw_ini_entry *e, const void *copy, struct kw_error *err)
{
	return !e ? 0 : copy ? 1 : kw_error_nomem(err);
}

int kw_ini_get_secret(const struct kw_ini_section *sec, const char *key, const char *subkey,
                      struct kw_secret **out, struct kw_error *err)
{
	const struct kw_ini_entry *e = kw_ini_get(sec, key, subkey);

	*out = e ? kw_secret_from(e->value.ptr, e->value.len) : NULL;
	return copied(e, *out, err);
}

int kw_ini_get_str(const struct kw_ini_section *sec, const char *key, const char *subkey, char **out,
                   struct kw_error *err)
{
	const struct kw_ini_entry *e = kw_ini_get(sec, key, subkey);

	*out = e ? kw_strdup_span(e->value) : NULL;
	return copied(e, *out, err);
}

/* Parser state over the text. */
struct parser {
	struct kw_ini *ini;
	const char *t;
	struct kw_ini_section *cur; /* current section, NULL before the first header */
	/* sub-section: the key with an empty value whose deeper-indented lines are its entries */
	char *parent;
	size_t parent_indent;
	/* the last top-level entry of cur had a value: deeper-indented lines would continue it */
	bool last_has_value;
	size_t last_indent;
};

static int add_section(struct parser *ps, const char *name, size_t n, unsigned line, size_t header_end,
                       struct kw_error *err)
{
	struct kw_ini *ini = ps->ini;
	struct kw_ini_section *s;
	char *copy = kw_strdup_span((struct kw_span){name, n});

	if (!copy)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < ini->nsections; i++) {
		if (!strcmp(ini->sections[i].name, copy)) {
			syntax_error(ini, line, err, "duplicate section [%s] (first at line %u)", copy,
			             ini->sections[i].line);
			free(copy);
			return -1;
		}
	}
	s = kw_array_grow(&ini->sections, &ini->nsections, sizeof(*s));
	if (!s) {
		free(copy);
		return kw_error_nomem(err);
	}
	*s = (struct kw_ini_section){
	        .name = copy, .line = line, .header_end = header_end, .body_end = header_end};
	ps->cur = s;
	return 0;
}

/* Parse `key = value` in [p, ce) into a new entry of the current section. */
static int add_entry(struct parser *ps, size_t p, size_t ce, size_t line_start, size_t line_end,
                     unsigned line, bool sub, struct kw_error *err)
{
	const char *t = ps->t;
	struct kw_ini_section *s = ps->cur;
	const struct kw_ini_entry *dup;
	struct kw_ini_entry *e;
	size_t eq = p, ke, vs, ve;
	char *key = NULL, *subkey = NULL;

	while (eq < ce && t[eq] != '=')
		eq++;
	if (eq == ce)
		return syntax_error(ps->ini, line, err,
		                    sub ? "expected 'subkey = value' in a sub-section"
		                        : "expected 'key = value'");
	ke = eq;
	while (ke > p && is_blank(t[ke - 1]))
		ke--;
	if (ke == p)
		return syntax_error(ps->ini, line, err, "missing key before '='");
	vs = eq + 1;
	while (vs < ce && is_blank(t[vs]))
		vs++;
	ve = ce;
	while (ve > vs && is_blank(t[ve - 1]))
		ve--;
	if (sub) {
		key = strdup(ps->parent);
		subkey = dup_lower(t + p, ke - p);
	} else {
		key = dup_lower(t + p, ke - p);
	}
	if (!key || (sub && !subkey)) {
		kw_error_nomem(err);
		goto fail;
	}
	if ((dup = kw_ini_get(s, key, subkey))) {
		syntax_error(ps->ini, line, err, "duplicate key '%s%s%s' in section [%s] (first at line %u)",
		             key, subkey ? "." : "", subkey ? subkey : "", s->name, dup->line);
		goto fail;
	}
	e = kw_array_grow(&s->entries, &s->nentries, sizeof(*e));
	if (!e) {
		kw_error_nomem(err);
		goto fail;
	}
	*e = (struct kw_ini_entry){.key = key,
	                           .subkey = subkey,
	                           .value = {t + vs, ve - vs},
	                           .line = line,
	                           .line_start = line_start,
	                           .value_start = vs,
	                           .value_end = ve,
	                           .line_end = line_end};
	s->body_end = line_end;
	return 0;
fail:
	free(key);
	free(subkey);
	return -1;
}

static int parse_line(struct parser *ps, size_t start, size_t ce, size_t line_end, unsigned line,
                      struct kw_error *err)
{
	const char *t = ps->t;
	size_t p = start, indent;

	while (p < ce && is_blank(t[p]))
		p++;
	indent = p - start;
	if (p == ce || t[p] == '#' || t[p] == ';')
		return 0;  /* blank or comment: keeps any open sub-section */
	if (t[p] == '[') { /* a header, at any indentation, ends what came before */
		size_t rb = ce, ns, ne, q;

		free(ps->parent);
		ps->parent = NULL;
		ps->last_has_value = false;
		while (rb > p && t[rb - 1] != ']')
			rb--;
		if (rb == p || rb - 1 == p)
			return syntax_error(ps->ini, line, err, "section header without closing ']'");
		rb--; /* at the last ']' */
		for (q = rb + 1; q < ce && is_blank(t[q]); q++)
			;
		if (q < ce && t[q] != '#' && t[q] != ';')
			return syntax_error(ps->ini, line, err, "unexpected text after section header");
		ns = p + 1;
		ne = rb;
		while (ns < ne && is_blank(t[ns]))
			ns++;
		while (ne > ns && is_blank(t[ne - 1]))
			ne--;
		if (ns == ne)
			return syntax_error(ps->ini, line, err, "empty section name");
		return add_section(ps, t + ns, ne - ns, line, line_end, err);
	}
	if (ps->parent && indent > ps->parent_indent)
		return add_entry(ps, p, ce, start, line_end, line, true, err);
	if (ps->cur && ps->last_has_value && indent > ps->last_indent)
		return syntax_error(ps->ini, line, err,
		                    "indented line continues a value (multi-line values are not supported)");
	free(ps->parent);
	ps->parent = NULL;
	ps->last_has_value = false;
	if (!ps->cur)
		return syntax_error(ps->ini, line, err,
		                    "key outside any section (a '[section]' header must come first)");
	if (add_entry(ps, p, ce, start, line_end, line, false, err))
		return -1;
	{
		const struct kw_ini_entry *e = &ps->cur->entries[ps->cur->nentries - 1];
		if (e->value.len == 0) {
			ps->parent = strdup(e->key);
			if (!ps->parent)
				return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			ps->parent_indent = indent;
		} else {
			ps->last_has_value = true;
			ps->last_indent = indent;
		}
	}
	return 0;
}

static int parse_text(struct kw_ini *ini, struct kw_error *err)
{
	struct parser ps = {.ini = ini, .t = (const char *)ini->text->data};
	size_t len = ini->text->len, pos = 0;
	unsigned line = 0;
	int rc = -1;

	/* A UTF-8 byte-order mark (Windows editors write one) is skipped, and never written back. */
	if (len >= 3 && !memcmp(ps.t, "\xEF\xBB\xBF", 3)) {
		ini->bom = true;
		pos = 3;
	}
	while (pos < len) {
		size_t end = pos, ce, next;

		while (end < len && ps.t[end] != '\n')
			end++;
		next = end < len ? end + 1 : len;
		ce = end;
		if (ce > pos && ps.t[ce - 1] == '\r')
			ce--;
		if (line == 0 && end < len && ce < end)
			ini->crlf = true;
		line++;
		if (memchr(ps.t + pos, '\0', end - pos)) {
			syntax_error(ini, line, err, "NUL byte in line");
			goto out;
		}
		if (parse_line(&ps, pos, ce, next, line, err))
			goto out;
		pos = next;
	}
	rc = 0;
out:
	free(ps.parent);
	return rc;
}

/*
 * The file of path (NULL: "<memory>") holding text, which it takes (freed on failure), parsed:
 * 0 with *out, or -1 with err set.
 */
static int ini_from(const char *path, struct kw_secret *text, struct kw_ini **out, struct kw_error *err)
{
	struct kw_ini *ini = calloc(1, sizeof(*ini));

	if (!ini || !(ini->path = strdup(path ? path : "<memory>"))) {
		free(ini);
		kw_secret_free(text);
		return kw_error_nomem(err);
	}
	ini->text = text;
	if (parse_text(ini, err)) {
		kw_ini_free(ini);
		return -1;
	}
	*out = ini;
	return 0;
}

int kw_ini_parse(const char *path, const void *text, size_t len, struct kw_ini **out, struct kw_error *err)
{
	struct kw_secret *copy;

	*out = NULL;
	if (len > KW_INI_MAX_SIZE)
		return kw_error_set(err, KW_ERR_INVALID, path ? path : "<memory>",
		                    "file larger than %d bytes", KW_INI_MAX_SIZE);
	if (!(copy = kw_secret_from(text, len)))
		return kw_error_nomem(err);
	return ini_from(path, copy, out, err);
}

int kw_ini_load(const char *path, struct kw_ini **out, struct kw_error *err)
{
	struct kw_secret *text;
	struct stat st;
	int fd, rc = -1;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return kw_error_set(err, KW_ERR_NOT_FOUND, path, "no such file");
		return kw_error_set(err, KW_ERR_IO, path, "cannot open: %s", strerror(errno));
	}
	if (fstat(fd, &st)) {
		kw_error_set(err, KW_ERR_IO, path, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		kw_error_set(err, KW_ERR_IO, path, "not a regular file");
		goto out;
	}
	if (st.st_size > KW_INI_MAX_SIZE) {
		kw_error_set(err, KW_ERR_INVALID, path, "file larger than %d bytes", KW_INI_MAX_SIZE);
		goto out;
	}
	if (!kw_secret_read_fd(fd, path, (size_t)st.st_size, &text, err))
		rc = ini_from(path, text, out, err);
out:
	close(fd);
	return rc;
}

/* One byte-range change of kw_ini_edit. */
struct edit_op {
	size_t start, end; /* replaced range of the old text */
	int set;           /* index into sets for a value replacement; -1 removal; -2 insertion */
	bool space;        /* replacement: add a blank after a bare '=' */
};

static int op_cmp(const void *a, const void *b)
{
	const struct edit_op *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->set == -2) - (y->set == -2); /* insertions after edits at the same offset */
}

static int check_sets(const char *section, const struct kw_ini_set *sets, size_t nsets, struct kw_error *err)
{
	if (!*section || strpbrk(section, "]\r\n") || is_blank(section[0]) ||
	    is_blank(section[strlen(section) - 1]))
		return kw_error_set(err, KW_ERR_INVALID, NULL, "invalid section name for a new section");
	for (size_t i = 0; i < nsets; i++) {
		const char *k = sets[i].key, *v = sets[i].value;
		size_t vl = sets[i].value_len;

		if (!*k || strpbrk(k, "=[]#; \t\r\n"))
			return kw_error_set(err, KW_ERR_INVALID, NULL, "invalid key name");
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(sets[j].key, k))
				return kw_error_set(err, KW_ERR_INVALID, NULL, "key '%s' given twice", k);
		if (!v)
			continue;
		if (memchr(v, '\n', vl) || memchr(v, '\r', vl) || memchr(v, '\0', vl))
			return kw_error_set(err, KW_ERR_INVALID, k, "value with a line break or NUL byte");
		if (vl && (is_blank(v[0]) || is_blank(v[vl - 1])))
			return kw_error_set(err, KW_ERR_INVALID, k, "value with leading or trailing blanks");
	}
	return 0;
}

static int put(struct kw_secret *s, const void *p, size_t n)
{
	return kw_secret_append(s, p, n);
}

static int put_kv(struct kw_secret *s, const struct kw_ini_set *set, const char *nl)
{
	if (put(s, set->key, strlen(set->key)) || put(s, " = ", 3) || put(s, set->value, set->value_len) ||
	    put(s, nl, strlen(nl)))
		return -1;
	return 0;
}

int kw_ini_edit(const struct kw_ini *ini, const char *section, const struct kw_ini_set *sets, size_t nsets,
                struct kw_secret **out, struct kw_error *err)
{
	const struct kw_ini_section *sec = kw_ini_section(ini, section);
	const char *t = (const char *)ini->text->data, *nl = ini->crlf ? "\r\n" : "\n";
	size_t len = ini->text->len, cap, nops = 0, pos = ini->bom ? 3 : 0;
	struct edit_op *ops = NULL;
	bool *found = NULL, need_insert = false, any_set = false;
	struct kw_secret *s = NULL;
	int rc = -1;

	*out = NULL;
	if (check_sets(section, sets, nsets, err))
		return -1;
	cap = len + strlen(section) + 16;
	for (size_t i = 0; i < nsets; i++)
		cap += strlen(sets[i].key) + (sets[i].value ? sets[i].value_len : 0) + 8;
	ops = calloc(nsets + (sec ? sec->nentries : 0) + 1, sizeof(*ops));
	found = calloc(nsets + 1, sizeof(*found));
	s = kw_secret_new(cap);
	if (!ops || !found || !s) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; sec && i < sec->nentries; i++) {
		const struct kw_ini_entry *e = &sec->entries[i];
		int which = -1;

		for (size_t j = 0; j < nsets; j++)
			if (!strcasecmp(e->key, sets[j].key))
				which = (int)j;
		if (which < 0)
			continue;
		if (e->subkey) { /* a sub-section line of a replaced or removed key goes away */
			ops[nops++] = (struct edit_op){e->line_start, e->line_end, -1, false};
			continue;
		}
		found[which] = true;
		if (!sets[which].value)
			ops[nops++] = (struct edit_op){e->line_start, e->line_end, -1, false};
		else
			ops[nops++] = (struct edit_op){e->value_start, e->value_end, which,
			                               e->value.len == 0 && t[e->value_start - 1] == '='};
	}
	for (size_t j = 0; j < nsets; j++) {
		if (sets[j].value)
			any_set = true;
		if (sets[j].value && !found[j])
			need_insert = true;
	}
	if (sec && need_insert)
		ops[nops++] = (struct edit_op){sec->body_end, sec->body_end, -2, false};
	qsort(ops, nops, sizeof(*ops), op_cmp);
	for (size_t i = 0; i < nops; i++) {
		const struct edit_op *op = &ops[i];

		if (put(s, t + pos, op->start - pos))
			goto nomem;
		pos = op->end;
		if (op->set >= 0) {
			if ((op->space && put(s, " ", 1)) ||
			    put(s, sets[op->set].value, sets[op->set].value_len))
				goto nomem;
		} else if (op->set == -2) {
			if (op->start > 0 && t[op->start - 1] != '\n' && put(s, nl, strlen(nl)))
				goto nomem;
			for (size_t j = 0; j < nsets; j++)
				if (sets[j].value && !found[j] && put_kv(s, &sets[j], nl))
					goto nomem;
		}
	}
	if (put(s, t + pos, len - pos))
		goto nomem;
	if (!sec && any_set) {
		/* new section at the end, separated from what precedes it by a blank line */
		if (len > pos) {
			bool ends_nl = t[len - 1] == '\n', blank_last = false;

			if (ends_nl) {
				size_t e = len - 1;
				if (e > 0 && t[e - 1] == '\r')
					e--;
				blank_last = e == 0 || t[e - 1] == '\n';
			}
			if (!ends_nl && put(s, nl, strlen(nl)))
				goto nomem;
			if (!blank_last && put(s, nl, strlen(nl)))
				goto nomem;
		}
		if (put(s, "[", 1) || put(s, section, strlen(section)) || put(s, "]", 1) ||
		    put(s, nl, strlen(nl)))
			goto nomem;
		for (size_t j = 0; j < nsets; j++)
			if (sets[j].value && put_kv(s, &sets[j], nl))
				goto nomem;
	}
	*out = s;
	s = NULL;
	rc = 0;
	goto out;
nomem:
	kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory (edited file larger than expected)");
out:
	kw_secret_free(s);
	free(ops);
	free(found);
	return rc;
}

/* Whether the line of t starting at start (and ending before end) is blank (CRLF or LF). */
static bool blank_line(const char *t, size_t start, size_t end)
{
	for (size_t i = start; i < end; i++)
		if (!strchr(" \t\r\n", t[i]))
			return false;
	return true;
}

int kw_ini_remove_section(const struct kw_ini *ini, const char *section, struct kw_secret **out,
                          struct kw_error *err)
{
	const struct kw_ini_section *sec = kw_ini_section(ini, section);
	const char *t = (const char *)ini->text->data;
	size_t len = ini->text->len, skip = ini->bom ? 3 : 0, start, end, prev;
	struct kw_secret *s = kw_secret_new(len + 1);

	*out = NULL;
	if (!s)
		return kw_error_nomem(err);
	if (!sec) {
		start = end = len;
	} else {
		/* from the header line's start to after the section's last entry line */
		start = sec->header_end;
		if (start > skip && t[start - 1] == '\n')
			start--;
		while (start > skip && t[start - 1] != '\n')
			start--;
		end = sec->body_end;
		prev = start;
		if (prev > skip)
			for (prev--; prev > skip && t[prev - 1] != '\n';)
				prev--;
		/* a blank line before it (or the file's start) and one after it: keep only one */
		if (end < len && (start == skip || blank_line(t, prev, start))) {
			size_t next = end;

			while (next < len && t[next] != '\n')
				next++;
			if (next < len && blank_line(t, end, next + 1))
				end = next + 1;
		} else if (end == len && start > skip && blank_line(t, prev, start)) {
			start = prev; /* the last section: the blank line that separated it goes too */
		}
	}
	if (put(s, t + skip, start - skip) || put(s, t + end, len - end)) {
		kw_secret_free(s);
		return kw_error_nomem(err);
	}
	*out = s;
	return 0;
}
