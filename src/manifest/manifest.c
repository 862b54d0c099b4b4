/*
 * manifest.c - YAML manifests (libyaml's document API) into struct kw_manifest, strictly.
 *
 * Every problem becomes a diagnostic with file:line:col; loading goes on after an error so
 * that validate can show them all. A document with any error is left out of set->items.
 */
#include "manifest/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "manifest/folder.h"
#include "manifest/names.h"
#include "policy/internal.h"
#include "util/num.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/path.h"

#define MAX_FILE_BYTES    (1024 * 1024)
#define MAX_DIAGS_PER_DOC 200

struct ld {
	struct kw_manifest_set *set;
	const char *file;
	const char *dir;
	yaml_document_t *doc;
	size_t visited;
	size_t doc_diags;
	bool bomb;
	bool failed; /* this document has an error */
	bool nomem;
};

/* ---- diagnostics ---- */

static void vdiag_at(struct ld *L, enum kw_severity sev, const char *code, const char *file, unsigned line,
                     unsigned col, const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

static void vdiag_at(struct ld *L, enum kw_severity sev, const char *code, const char *file, unsigned line,
                     unsigned col, const char *fmt, va_list ap)
{
	struct kw_buf msg = KW_BUF_INIT;

	if (sev >= KW_SEV_WARNING)
		L->failed = true;
	if (++L->doc_diags > MAX_DIAGS_PER_DOC)
		return;
	if (kw_buf_vappendf(&msg, fmt, ap) ||
	    kw_diags_add(&L->set->diags, sev, code, file, line, col, "%s", msg.data ? msg.data : ""))
		L->nomem = true;
	kw_buf_release(&msg);
}

static void diag_node(struct ld *L, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void diag_node(struct ld *L, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag_at(L, KW_SEV_ERROR, NULL, L->file, n ? (unsigned)n->start_mark.line + 1 : 0,
	         n ? (unsigned)n->start_mark.column + 1 : 0, fmt, ap);
	va_end(ap);
}

static void diag_at(struct ld *L, enum kw_severity sev, const char *code, const char *file, unsigned line,
                    unsigned col, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void diag_at(struct ld *L, enum kw_severity sev, const char *code, const char *file, unsigned line,
                    unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag_at(L, sev, code, file, line, col, fmt, ap);
	va_end(ap);
}

/* An error whose place is "file:line:col" (as kw_policy_parse and kw_policy_apply_vars give). */
static void diag_where(struct ld *L, const char *where, const char *msg)
{
	char file[KW_ERR_WHERE_MAX];
	char *c2, *c1;
	unsigned line = 0, col = 0;

	snprintf(file, sizeof(file), "%s", where);
	c2 = strrchr(file, ':');
	if (c2) {
		*c2 = '\0';
		c1 = strrchr(file, ':');
		if (c1) {
			*c1 = '\0';
			line = (unsigned)strtoul(c1 + 1, NULL, 10);
			col = (unsigned)strtoul(c2 + 1, NULL, 10);
		} else {
			*c2 = ':';
		}
	}
	diag_at(L, KW_SEV_ERROR, NULL, file, line, col, "%s", msg);
}

/* ---- node access with the alias-bomb guard ---- */

/*
 * Explicit YAML tags (!!int, !!binary, !custom) are refused: a manifest means what it shows.
 * libyaml gives untagged nodes the default tag of their kind (and !!str equals it).
 */
static void check_tag(struct ld *L, const yaml_node_t *n)
{
	const char *want = n->type == YAML_SCALAR_NODE     ? YAML_DEFAULT_SCALAR_TAG
	                   : n->type == YAML_SEQUENCE_NODE ? YAML_DEFAULT_SEQUENCE_TAG
	                                                   : YAML_DEFAULT_MAPPING_TAG;

	if (n->tag && strcmp((const char *)n->tag, want))
		diag_node(L, n, "YAML tag '%s' is not allowed in manifests (write the value plainly)",
		          (const char *)n->tag);
}

static yaml_node_t *node(struct ld *L, int id)
{
	yaml_node_t *n;

	if (L->bomb)
		return NULL;
	n = yaml_document_get_node(L->doc, id);
	if (n && ++L->visited > KW_MANIFEST_MAX_ALIAS_NODES) {
		L->bomb = true;
		diag_node(L, n, "document expands to more than %d nodes through aliases (alias bomb?)",
		          KW_MANIFEST_MAX_ALIAS_NODES);
		return NULL;
	}
	if (n)
		check_tag(L, n);
	return n;
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (n->data.scalar.length == 0 || !strcmp((char *)n->data.scalar.value, "~") ||
		     !strcmp((char *)n->data.scalar.value, "null")))
			return "null";
		return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

static bool is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && !strcmp(type_name(n), "null");
}

/* The value as a string; NULL (with a diagnostic) unless a non-null scalar. */
static const char *want_string(struct ld *L, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		diag_node(L, n, "%s must be a string, found %s", what, type_name(n));
		return NULL;
	}
	if (strlen((char *)n->data.scalar.value) != n->data.scalar.length) {
		diag_node(L, n, "%s must not contain a NUL character", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool want_type(struct ld *L, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	if (n->type == type)
		return true;
	diag_node(L, n, "%s must be %s, found %s", what,
	          type == YAML_MAPPING_NODE    ? "a mapping"
	          : type == YAML_SEQUENCE_NODE ? "a list"
	                                       : "a scalar",
	          type_name(n));
	return false;
}

/* A zeroed array with room for every item of the list node n (size bytes each); NULL (L->nomem). */
static void *seq_array(struct ld *L, const yaml_node_t *n, size_t size)
{
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	void *a = calloc(count ? count : 1, size);

	if (!a)
		L->nomem = true;
	return a;
}

static char *xstrdup(struct ld *L, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		L->nomem = true;
	return d;
}

/* ---- mappings: known keys, duplicates, did-you-mean ---- */

struct member {
	const char *key;
	yaml_node_t *key_node;
	yaml_node_t *value;
};

/*
 * Read a mapping whose keys must be among known (NULL-terminated). Fills members[i] for
 * known[i] (value NULL when absent). Unknown and duplicate keys are diagnosed and skipped.
 */
static void read_mapping(struct ld *L, yaml_node_t *map, const char *const *known, struct member *members,
                         const char *what)
{
	size_t nknown = 0;

	while (known[nknown])
		nknown++;
	memset(members, 0, nknown * sizeof(*members));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
		const char *key;
		size_t i;

		if (!k || !v)
			return;
		if (k->type != YAML_SCALAR_NODE) {
			diag_node(L, k, "keys of %s must be strings, found %s", what, type_name(k));
			continue;
		}
		key = (const char *)k->data.scalar.value;
		for (i = 0; i < nknown; i++)
			if (!strcmp(known[i], key))
				break;
		if (i == nknown) {
			const char *hint = kw_closest_word(key, known);
			struct kw_buf list = KW_BUF_INIT;
			for (size_t j = 0; j < nknown; j++)
				if (kw_buf_appendf(&list, "%s%s", j ? ", " : "", known[j]))
					L->nomem = true;
			if (hint)
				diag_node(L, k, "unknown key '%s' in %s (did you mean '%s'?)", key, what,
				          hint);
			else
				diag_node(L, k, "unknown key '%s' in %s (expected one of: %s)", key, what,
				          list.data ? list.data : "");
			kw_buf_release(&list);
			continue;
		}
		if (members[i].value) {
			diag_node(L, k, "duplicate key '%s' in %s (first at line %zu, column %zu)", key, what,
			          members[i].key_node->start_mark.line + 1,
			          members[i].key_node->start_mark.column + 1);
			continue;
		}
		members[i].key = known[i];
		members[i].key_node = k;
		members[i].value = v;
	}
}

static bool require(struct ld *L, const struct member *m, yaml_node_t *map, const char *key, const char *what)
{
	if (m->value)
		return true;
	diag_node(L, map, "missing required key '%s' in %s", key, what);
	return false;
}

/* Generic duplicate-key check for free-form mappings (tags, vars). */
static bool check_duplicate_key(struct ld *L, yaml_node_t *map, yaml_node_pair_t *upto, yaml_node_t *k,
                                bool nocase, const char *what)
{
	for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < upto; q++) {
		yaml_node_t *qk = yaml_document_get_node(L->doc, q->key);
		if (!qk || qk->type != YAML_SCALAR_NODE)
			continue;
		if (nocase ? !strcasecmp((char *)qk->data.scalar.value, (char *)k->data.scalar.value)
		           : !strcmp((char *)qk->data.scalar.value, (char *)k->data.scalar.value)) {
			diag_node(L, k, "duplicate %s '%s' (first at line %zu, column %zu%s)", what,
			          (char *)k->data.scalar.value, qk->start_mark.line + 1,
			          qk->start_mark.column + 1, nocase ? "; compared ignoring case" : "");
			return true;
		}
	}
	return false;
}

/* ---- paths ---- */

/* Remove "name/.." pairs and "./" segments, lexically (manifests/../policies/x -> policies/x). */
static void clean_path(char *p)
{
	char *seg[256];
	size_t n = 0, len;
	bool abs = p[0] == '/';
	char *save = NULL, *tok, *copy = strdup(p), *w = p;

	if (!copy)
		return;
	for (tok = strtok_r(copy, "/", &save); tok && n < 256; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..") && n > 0 && strcmp(seg[n - 1], ".."))
			n--;
		else if (!(abs && !strcmp(tok, "..") && n == 0))
			seg[n++] = tok;
	}
	if (tok) { /* too deep to clean: leave as is */
		free(copy);
		return;
	}
	if (abs)
		*w++ = '/';
	for (size_t i = 0; i < n; i++) {
		len = strlen(seg[i]);
		memmove(w, seg[i], len);
		w += len;
		if (i + 1 < n)
			*w++ = '/';
	}
	if (w == p)
		*w++ = '.';
	*w = '\0';
	free(copy);
}

static char *resolve(struct ld *L, const char *rel)
{
	struct kw_buf b = KW_BUF_INIT;
	char *out;

	if (rel[0] == '/' || !strcmp(L->dir, "."))
		out = xstrdup(L, rel);
	else if (kw_buf_appendf(&b, "%s/%s", L->dir, rel)) {
		L->nomem = true;
		kw_buf_release(&b);
		return NULL;
	} else
		out = kw_buf_detach(&b);
	if (out)
		clean_path(out);
	return out;
}

/* ---- sections ---- */

static void read_tags(struct ld *L, struct kw_manifest *m, yaml_node_t *n)
{
	size_t cap;

	if (!want_type(L, n, YAML_MAPPING_NODE, "spec.tags"))
		return;
	cap = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) + 1;
	m->tags = calloc(cap, sizeof(*m->tags));
	if (!m->tags) {
		L->nomem = true;
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
		const char *key, *value;
		char why[160];

		if (!k || !v)
			return;
		if (k->type != YAML_SCALAR_NODE) {
			diag_node(L, k, "tag keys must be strings, found %s", type_name(k));
			continue;
		}
		key = (const char *)k->data.scalar.value;
		if (check_duplicate_key(L, n, p, k, true, "tag key"))
			continue;
		if (kw_names_check_tag_key(key, why, sizeof(why))) {
			diag_node(L, k, "tag key '%s' %s", key, why);
			continue;
		}
		if (!strncasecmp(key, KW_OWN_TAG_PREFIX, strlen(KW_OWN_TAG_PREFIX))) {
			diag_node(L, k,
			          "tag key '%s' is reserved: keys beginning '%s' are keywarden's own markers",
			          key, KW_OWN_TAG_PREFIX);
			continue;
		}
		if (kw_tag_key_eq(key, KW_MANAGED_TAG_KEY)) {
			diag_node(L, k, "tag key '%s' is reserved: keywarden adds '%s: %s' itself", key,
			          KW_MANAGED_TAG_KEY, KW_MANAGED_TAG_VALUE);
			continue;
		}
		if (v->type != YAML_SCALAR_NODE) {
			diag_node(L, v, "value of tag '%s' must be a string, found %s", key, type_name(v));
			continue;
		}
		value = is_null(v) ? "" : (const char *)v->data.scalar.value;
		if (kw_names_check_tag_value(value, why, sizeof(why))) {
			diag_node(L, v, "value of tag '%s' %s", key, why);
			continue;
		}
		m->tags[m->ntags].key = xstrdup(L, key);
		m->tags[m->ntags].value = xstrdup(L, value);
		m->ntags++;
	}
}

static void read_allow(struct ld *L, struct kw_inline_policy *ip, yaml_node_t *n)
{
	static const char *const known[] = {"code", "reason", NULL};

	if (!want_type(L, n, YAML_SEQUENCE_NODE, "allow") ||
	    !(ip->allow = seq_array(L, n, sizeof(*ip->allow))))
		return;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = node(L, *it);
		struct member mm[2];
		const char *code, *reason;

		if (!e)
			return;
		if (!want_type(L, e, YAML_MAPPING_NODE, "an allow entry"))
			continue;
		read_mapping(L, e, known, mm, "an allow entry");
		if (!require(L, &mm[0], e, "code", "an allow entry") ||
		    !require(L, &mm[1], e, "reason", "an allow entry"))
			continue;
		code = want_string(L, mm[0].value, "allow.code");
		reason = want_string(L, mm[1].value, "allow.reason");
		if (!code || !reason)
			continue;
		if (!kw_names_lint_code_known(code)) {
			diag_node(L, mm[0].value,
			          "unknown lint code '%s' (see 'keywarden policy lint --help')", code);
			continue;
		}
		if (strlen(reason) < 10) {
			diag_node(L, mm[1].value,
			          "allow.reason must explain why the finding is accepted (10 characters or "
			          "more)");
			continue;
		}
		ip->allow[ip->nallow].code = xstrdup(L, code);
		ip->allow[ip->nallow].reason = xstrdup(L, reason);
		ip->allow[ip->nallow].line = (unsigned)mm[0].key_node->start_mark.line + 1;
		ip->allow[ip->nallow].col = (unsigned)mm[0].key_node->start_mark.column + 1;
		ip->nallow++;
	}
}

/* Load, template, lint one inline policy; fills document/normalized when usable. */
static void load_inline(struct ld *L, struct kw_inline_policy *ip, yaml_node_t *vars_node, yaml_node_t *entry)
{
	struct kw_policy_var *vars = NULL;
	size_t nvars = 0;
	struct kw_policy *p = NULL;
	struct kw_policy_findings f = {0};
	struct kw_error err;
	char *text = NULL;
	size_t len = 0;

	if (vars_node && want_type(L, vars_node, YAML_MAPPING_NODE, "vars")) {
		size_t cap =
		        (size_t)(vars_node->data.mapping.pairs.top - vars_node->data.mapping.pairs.start);
		vars = calloc(cap ? cap : 1, sizeof(*vars));
		if (!vars) {
			L->nomem = true;
			return;
		}
		for (yaml_node_pair_t *q = vars_node->data.mapping.pairs.start;
		     q < vars_node->data.mapping.pairs.top; q++) {
			yaml_node_t *k = node(L, q->key), *v = node(L, q->value);
			const char *name;
			if (!k || !v)
				goto out;
			if (!(name = want_string(L, k, "a vars name")))
				continue;
			if (check_duplicate_key(L, vars_node, q, k, false, "vars name"))
				continue;
			if (!kw_names_var_ok(name)) {
				diag_node(
				        L, k,
				        "vars name '%s' must be letters, digits, '_', '.' or '-' (no colon: "
				        "${aws:...} are IAM policy variables)",
				        name);
				continue;
			}
			if (v->type != YAML_SCALAR_NODE || is_null(v)) {
				diag_node(L, v, "value of vars '%s' must be a string, found %s", name,
				          type_name(v));
				continue;
			}
			vars[nvars].name = name;
			vars[nvars].value = (const char *)v->data.scalar.value;
			nvars++;
		}
	}
	if (kw_read_regular_file(ip->file, 1024 * 1024, &text, &len, &err)) {
		if (err.kind == KW_ERR_NOMEM)
			L->nomem = true;
		else
			diag_node(L, entry, "cannot read policy file '%s': %s", ip->file, err.msg);
		goto out;
	}
	if (kw_policy_parse(text, len, ip->file, &p, &err)) {
		if (err.kind == KW_ERR_NOMEM)
			L->nomem = true;
		else
			diag_where(L, err.where, err.msg);
		goto out;
	}
	if (kw_policy_apply_vars(p, vars, nvars, &err)) {
		if (err.kind == KW_ERR_NOMEM)
			L->nomem = true;
		else
			diag_where(L, err.where, err.msg);
		goto out;
	}
	if (kw_policy_lint(p, &f, &err)) {
		L->nomem = true;
		goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		struct kw_policy_finding *fi = &f.items[i];
		struct kw_lint_allow *a = NULL;
		for (size_t j = 0; j < ip->nallow; j++)
			if (!strcmp(ip->allow[j].code, fi->code))
				a = &ip->allow[j];
		if (a && fi->severity < KW_SEV_ERROR) {
			size_t before = L->set->diags.n;
			a->used = true;
			if (kw_diags_add(&L->set->diags, fi->severity, fi->code, ip->file, fi->line, fi->col,
			                 "%s", fi->message)) {
				L->nomem = true;
			} else if (L->set->diags.n > before) {
				struct kw_diag *d = &L->set->diags.items[L->set->diags.n - 1];
				d->accepted = true;
				d->reason = xstrdup(L, a->reason);
			}
			continue;
		}
		diag_at(L, fi->severity, fi->code, ip->file, fi->line, fi->col, "%s%s", fi->message,
		        a ? " (errors cannot be accepted with allow)" : "");
	}
	for (size_t j = 0; j < ip->nallow; j++)
		if (!ip->allow[j].used)
			diag_at(L, KW_SEV_INFO, NULL, L->file, ip->allow[j].line, ip->allow[j].col,
			        "allow %s matches no finding in %s (remove it?)", ip->allow[j].code,
			        ip->file);
	ip->document = kw_policy_compact(p->doc);
	ip->normalized = kw_policy_normalize(p->doc);
	if (!ip->document || !ip->normalized)
		L->nomem = true;
out:
	kw_policy_findings_release(&f);
	kw_policy_free(p);
	free(text);
	free(vars);
}

static void read_policies(struct ld *L, struct kw_manifest *m, yaml_node_t *n)
{
	static const char *const known[] = {"inline", "managed", "name", "vars", "allow", NULL};
	size_t total = 0;

	if (!want_type(L, n, YAML_SEQUENCE_NODE, "spec.policies") ||
	    !(m->inline_policies = seq_array(L, n, sizeof(*m->inline_policies))) ||
	    !(m->managed_policies = seq_array(L, n, sizeof(*m->managed_policies))))
		return;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = node(L, *it);
		struct member mm[5];
		const char *s;

		if (!e)
			return;
		if (!want_type(L, e, YAML_MAPPING_NODE, "a policies entry"))
			continue;
		read_mapping(L, e, known, mm, "a policies entry");
		if (!!mm[0].value == !!mm[1].value) {
			diag_node(L, e,
			          "a policies entry needs exactly one of 'inline' (a policy file) or "
			          "'managed' (an ARN)");
			continue;
		}
		if (mm[1].value) {
			for (int k = 2; k < 5; k++)
				if (mm[k].value)
					diag_node(L, mm[k].key_node, "'%s' applies to inline policies only",
					          mm[k].key);
			if (!(s = want_string(L, mm[1].value, "managed")))
				continue;
			if (!kw_names_policy_arn_ok(s)) {
				diag_node(L, mm[1].value,
				          "managed policy ARN '%s' is malformed (expected "
				          "arn:PARTITION:iam::ACCOUNT|aws:policy/[PATH/]NAME)",
				          s);
				continue;
			}
			for (size_t j = 0; j < m->nmanaged; j++)
				if (!strcmp(m->managed_policies[j].arn, s))
					diag_node(L, mm[1].value, "managed policy '%s' is listed twice", s);
			m->managed_policies[m->nmanaged].arn = xstrdup(L, s);
			m->managed_policies[m->nmanaged].line = (unsigned)mm[1].value->start_mark.line + 1;
			m->managed_policies[m->nmanaged].col = (unsigned)mm[1].value->start_mark.column + 1;
			m->nmanaged++;
			continue;
		}
		{
			struct kw_inline_policy *ip = &m->inline_policies[m->ninline];
			const char *name = NULL;
			char *base;
			if (!(s = want_string(L, mm[0].value, "inline")))
				continue;
			m->ninline++;
			ip->line = (unsigned)mm[0].value->start_mark.line + 1;
			ip->col = (unsigned)mm[0].value->start_mark.column + 1;
			ip->file = resolve(L, s);
			if (mm[2].value && !(name = want_string(L, mm[2].value, "name")))
				continue;
			base = name ? strdup(name) : kw_names_policy_name_from_file(s);
			if (!base) {
				L->nomem = true;
				continue;
			}
			if (!kw_names_policy_name_ok(base))
				diag_node(L, mm[2].value ? mm[2].value : mm[0].value,
				          "policy name '%s' must be 1-128 characters of letters, digits and "
				          "+=,.@_- "
				          "(set 'name:' to choose another)",
				          base);
			for (size_t j = 0; j + 1 < m->ninline; j++)
				if (m->inline_policies[j].name && !strcmp(m->inline_policies[j].name, base))
					diag_node(L, mm[0].value,
					          "two inline policies are named '%s' (set 'name:' on one)",
					          base);
			ip->name = base;
			if (mm[4].value)
				read_allow(L, ip, mm[4].value);
			if (ip->file)
				load_inline(L, ip, mm[3].value, mm[0].value);
			if (ip->document)
				total += kw_names_text_size(ip->document);
		}
	}
	if (total > KW_POLICY_MAX_INLINE_GROUP)
		diag_node(
		        L, n,
		        "inline policies of group '%s' together hold %zu characters, over IAM's quota of %d",
		        m->group_name ? m->group_name : "?", total, KW_POLICY_MAX_INLINE_GROUP);
	if (m->nmanaged > KW_MANIFEST_MAX_MANAGED)
		diag_node(L, n, "%zu managed policies, over IAM's quota of %d per group", m->nmanaged,
		          KW_MANIFEST_MAX_MANAGED);
}

/* format: and template: of a deliver entry (or of a store's mapping) into d. */
static void read_format(struct ld *L, struct kw_deliver *d, yaml_node_t *fmt, yaml_node_t *tmpl)
{
	const char *s;
	char bad[80];

	d->format = KW_KEY_FORMAT_JSON;
	if (fmt && (s = want_string(L, fmt, "format")) && kw_keys_format_parse(s, &d->format))
		diag_node(L, fmt, "format '%s' must be json, env, credentials or template", s);
	if (!tmpl) {
		if (d->format == KW_KEY_FORMAT_TEMPLATE)
			diag_node(L, fmt, "format template needs a 'template:' text");
		return;
	}
	if (!(s = want_string(L, tmpl, "template")))
		return;
	if (fmt && d->format != KW_KEY_FORMAT_TEMPLATE)
		diag_node(L, tmpl, "'template' applies to format template only");
	d->format = KW_KEY_FORMAT_TEMPLATE;
	if (kw_keys_template_check(s, bad, sizeof(bad)))
		diag_node(L, tmpl,
		          "template field {{%s}} is not one of AccessKeyId, SecretAccessKey, UserName, "
		          "CreateDate",
		          bad);
	d->tmpl = xstrdup(L, s);
}

/* A secret's name or ARN: Secrets Manager's rules (1-512 of A-Za-z0-9/_+=.@-). */
static bool secret_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 512 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+=.@-") == n;
}

/* A parameter name: SSM's rules (A-Za-z0-9_.-/, not aws/ssm first, fully qualified, 15 levels). */
static const char *parameter_name_problem(const char *s)
{
	const char *bare = s + strspn(s, "/");
	size_t n = strlen(s), levels = 0;

	if (n < 1 || n > 1011)
		return "must be 1-1011 characters";
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/") != n)
		return "may hold only letters, digits and _ . - /";
	if (!strncasecmp(bare, "aws", 3) || !strncasecmp(bare, "ssm", 3))
		return "may not begin with 'aws' or 'ssm' (any case)";
	if (strchr(s, '/') && (s[0] != '/' || strstr(s, "//") || s[n - 1] == '/'))
		return "with a '/' must be a fully qualified path such as /service/app/aws-key";
	for (const char *p = s; *p; p++)
		levels += *p == '/';
	if (levels > 15)
		return "may have at most 15 levels";
	return NULL;
}

/* secretsManager: / ssmParameter: mapping into d. */
static void read_store(struct ld *L, struct kw_deliver *d, yaml_node_t *n, bool ssm)
{
	static const char *const known[] = {"name",     "region",  "kmsKeyId", "format",
	                                    "template", "profile", "tier",     NULL};
	const char *what = ssm ? "ssmParameter" : "secretsManager";
	struct member mm[7];
	const char *s, *why;

	d->kind = ssm ? KW_DELIVER_SSM_PARAMETER : KW_DELIVER_SECRETS_MANAGER;
	if (!want_type(L, n, YAML_MAPPING_NODE, what))
		return;
	read_mapping(L, n, known, mm, what);
	if (!mm[0].value) {
		diag_node(L, n, "%s needs a 'name'", what);
	} else if ((s = want_string(L, mm[0].value, "name"))) {
		if (!ssm && !strncmp(s, "arn:", 4)) {
			/* arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX */
			char region[64] = "";
			char acct[16] = "";
			if (sscanf(s, "arn:%*[^:]:secretsmanager:%63[^:]:%15[^:]:secret:%*s", region, acct) !=
			            2 ||
			    !kw_names_region_ok(region) || strlen(acct) != 12 ||
			    strspn(acct, "0123456789") != 12)
				diag_node(L, mm[0].value,
				          "'%s' is not a secret ARN "
				          "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX)",
				          s);
			else if (!mm[1].value)
				d->region = xstrdup(L, region);
			else if (mm[1].value->type == YAML_SCALAR_NODE &&
			         strcmp((char *)mm[1].value->data.scalar.value, region))
				diag_node(L, mm[1].value, "region '%s' differs from the ARN's region '%s'",
				          (char *)mm[1].value->data.scalar.value, region);
		} else if (!ssm && !secret_name_ok(s)) {
			diag_node(L, mm[0].value,
			          "secret name '%s' must be 1-512 characters of letters, digits and /_+=.@-",
			          s);
		} else if (ssm && (why = parameter_name_problem(s))) {
			diag_node(L, mm[0].value, "parameter name '%s' %s", s, why);
		}
		d->store_name = xstrdup(L, s);
	}
	if (mm[1].value && (s = want_string(L, mm[1].value, "region"))) {
		if (!kw_names_region_ok(s))
			diag_node(L, mm[1].value, "region '%s' is not a region name such as eu-west-1", s);
		free(d->region);
		d->region = xstrdup(L, s);
	}
	if (mm[2].value && (s = want_string(L, mm[2].value, "kmsKeyId"))) {
		char kms_region[64];
		if ((why = kw_names_kms_key_problem(s, kms_region)))
			diag_node(L, mm[2].value, "kmsKeyId '%s' %s", s, why);
		else if (*kms_region && d->region && strcmp(kms_region, d->region))
			diag_node(L, mm[2].value,
			          "kmsKeyId '%s' is a key of region %s, but the %s is in %s (a KMS key "
			          "serves its own region only)",
			          s, kms_region, ssm ? "parameter" : "secret", d->region);
		d->kms_key_id = xstrdup(L, s);
	}
	read_format(L, d, mm[3].value, mm[4].value);
	if (mm[5].value && (s = want_string(L, mm[5].value, "profile"))) {
		if (!kw_names_profile_ok(s))
			diag_node(L, mm[5].value,
			          "profile name '%s' must be 1-64 characters without spaces, '[' or ']'", s);
		d->store_profile = xstrdup(L, s);
	}
	if (mm[6].value && !ssm)
		diag_node(L, mm[6].key_node, "'tier' applies to ssmParameter only");
	else if (mm[6].value && (s = want_string(L, mm[6].value, "tier"))) {
		if (strcmp(s, "Standard") && strcmp(s, "Advanced") && strcmp(s, "Intelligent-Tiering"))
			diag_node(L, mm[6].value,
			          "tier '%s' must be Standard, Advanced or Intelligent-Tiering", s);
		d->tier = xstrdup(L, s);
	}
}

static void read_deliver(struct ld *L, struct kw_manifest *m, yaml_node_t *n)
{
	static const char *const known[] = {"profile",        "file",         "stdout", "exec",
	                                    "secretsManager", "ssmParameter", "region", "output",
	                                    "format",         "template",     NULL};
	enum { NKINDS = 6 };

	if (!want_type(L, n, YAML_SEQUENCE_NODE, "accessKeys.deliver") ||
	    !(m->deliver = seq_array(L, n, sizeof(*m->deliver))))
		return;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = node(L, *it);
		struct member mm[10];
		struct kw_deliver *d;
		int kinds = 0;
		const char *s, *why;

		if (!e)
			return;
		if (!want_type(L, e, YAML_MAPPING_NODE, "a deliver entry"))
			continue;
		read_mapping(L, e, known, mm, "a deliver entry");
		for (int k = 0; k < NKINDS; k++)
			kinds += mm[k].value != NULL;
		if (kinds != 1) {
			diag_node(L, e,
			          "a deliver entry needs exactly one of 'profile', 'file', 'stdout', 'exec', "
			          "'secretsManager' or 'ssmParameter'");
			continue;
		}
		if (!mm[0].value && (mm[6].value || mm[7].value)) {
			diag_node(L, (mm[6].value ? mm[6] : mm[7]).key_node,
			          "'%s' applies to 'profile' delivery only%s",
			          (mm[6].value ? mm[6] : mm[7]).key,
			          mm[4].value || mm[5].value ? " (a store's region goes inside its mapping)"
			                                     : "");
			continue;
		}
		if ((mm[0].value || mm[4].value || mm[5].value) && (mm[8].value || mm[9].value)) {
			diag_node(L, (mm[8].value ? mm[8] : mm[9]).key_node, "'%s' applies to %s",
			          (mm[8].value ? mm[8] : mm[9]).key,
			          mm[0].value
			                  ? "file, stdout and exec only (a profile is always an INI section)"
			                  : "file, stdout and exec here; a store's format goes inside its "
			                    "mapping");
			continue;
		}
		d = &m->deliver[m->ndeliver];
		d->line = (unsigned)e->start_mark.line + 1;
		d->col = (unsigned)e->start_mark.column + 1;
		if (mm[0].value) {
			d->kind = KW_DELIVER_PROFILE;
			if (!(s = want_string(L, mm[0].value, "profile")))
				continue;
			if (!kw_names_profile_ok(s)) {
				diag_node(L, mm[0].value,
				          "profile name '%s' must be 1-64 characters without spaces, '[' or "
				          "']'",
				          s);
				continue;
			}
			d->profile = xstrdup(L, s);
			if (mm[6].value && (s = want_string(L, mm[6].value, "region"))) {
				if (!kw_names_region_ok(s))
					diag_node(L, mm[6].value,
					          "region '%s' is not a region name such as eu-west-1", s);
				d->region = xstrdup(L, s);
			}
			if (mm[7].value && (s = want_string(L, mm[7].value, "output"))) {
				if (strcmp(s, "json") && strcmp(s, "text") && strcmp(s, "table") &&
				    strcmp(s, "yaml") && strcmp(s, "yaml-stream"))
					diag_node(
					        L, mm[7].value,
					        "output '%s' must be json, text, table, yaml or yaml-stream",
					        s);
				d->output = xstrdup(L, s);
			}
		} else if (mm[1].value) {
			d->kind = KW_DELIVER_FILE;
			read_format(L, d, mm[8].value, mm[9].value);
			if (!(s = want_string(L, mm[1].value, "file")))
				continue;
			if (!*s || s[strlen(s) - 1] == '/') {
				diag_node(L, mm[1].value, "file '%s' is not a file path", s);
				continue;
			}
			d->path = resolve(L, s);
			if (d->path && (why = kw_names_file_path_problem(d->path)))
				diag_node(L, mm[1].value, "file '%s' %s", s, why);
		} else if (mm[2].value) {
			d->kind = KW_DELIVER_STDOUT;
			read_format(L, d, mm[8].value, mm[9].value);
			/* a boolean is a plain true: 'true' in quotes is a string (as for numbers) */
			if (mm[2].value->type != YAML_SCALAR_NODE ||
			    strcmp((char *)mm[2].value->data.scalar.value, "true") ||
			    mm[2].value->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
				diag_node(L, mm[2].value, "stdout must be true (a boolean), found %s",
				          mm[2].value->type == YAML_SCALAR_NODE &&
				                          mm[2].value->data.scalar.style !=
				                                  YAML_PLAIN_SCALAR_STYLE
				                  ? "a string"
				          : is_null(mm[2].value) ? "null"
				          : mm[2].value->type == YAML_SCALAR_NODE
				                  ? (const char *)mm[2].value->data.scalar.value
				                  : type_name(mm[2].value));
				continue;
			}
		} else if (mm[3].value) {
			d->kind = KW_DELIVER_EXEC;
			read_format(L, d, mm[8].value, mm[9].value);
			if (!(s = want_string(L, mm[3].value, "exec")))
				continue;
			if (!s[strspn(s, " \t")]) {
				diag_node(L, mm[3].value, "exec must name a command");
				continue;
			}
			d->command = xstrdup(L, s);
		} else {
			read_store(L, d, mm[4].value ? mm[4].value : mm[5].value, !mm[4].value);
		}
		m->ndeliver++;
	}
}

static void read_access_keys(struct ld *L, struct kw_manifest *m, yaml_node_t *n)
{
	static const char *const known[] = {"maxAgeDays", "deliver", NULL};
	struct member mm[2];

	if (!want_type(L, n, YAML_MAPPING_NODE, "spec.accessKeys"))
		return;
	read_mapping(L, n, known, mm, "spec.accessKeys");
	if (mm[0].value) {
		yaml_node_t *v = mm[0].value;
		const char *s = (const char *)v->data.scalar.value;
		long days;
		bool plain = v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

		/* numbers are read by util/num.h: -1 is out of range, 7x is malformed, "7" a string */
		if (plain && kw_parse_long(s, -999999999L, 999999999L, &days) && s[strspn(s, "-")] &&
		    strspn(s + (*s == '-'), "0123456789") == strlen(s + (*s == '-'))) {
			/* whole digits too large for a number are out of range, not malformed */
			diag_node(L, v, "accessKeys.maxAgeDays must be between 1 and 3650, found %s", s);
		} else if (!plain || kw_parse_long(s, -999999999L, 999999999L, &days)) {
			diag_node(L, v, "accessKeys.maxAgeDays must be a whole number of days, found %s",
			          !plain && v->type == YAML_SCALAR_NODE ? "a string"
			          : plain                               ? "a malformed number"
			                                                : type_name(v));
		} else {
			if (days < 1 || days > 3650)
				diag_node(L, v, "accessKeys.maxAgeDays must be between 1 and 3650, found %ld",
				          days);
			else
				m->max_age_days = (int)days;
		}
	}
	if (mm[1].value)
		read_deliver(L, m, mm[1].value);
}

static void read_spec(struct ld *L, struct kw_manifest *m, yaml_node_t *n)
{
	static const char *const known[] = {"path",    "tags", "policies",   "permissionsBoundary",
	                                    "console", "mfa",  "accessKeys", NULL};
	struct member mm[7];
	const char *s;
	char why[160];

	if (!want_type(L, n, YAML_MAPPING_NODE, "spec"))
		return;
	read_mapping(L, n, known, mm, "spec");
	if (mm[0].value && (s = want_string(L, mm[0].value, "spec.path"))) {
		if (kw_names_check_path(s, why, sizeof(why)))
			diag_node(L, mm[0].value, "path '%s' %s", s, why);
		else {
			free(m->path);
			m->path = xstrdup(L, s);
		}
	}
	if (mm[1].value)
		read_tags(L, m, mm[1].value);
	if (m->ntags > KW_MANIFEST_MAX_TAGS)
		diag_node(L, mm[1].value,
		          "%zu tags, at most %d: IAM allows %d per user and keywarden keeps %d of its own "
		          "(%s, %s, %s<id> for two keys, %s<id>)",
		          m->ntags, KW_MANIFEST_MAX_TAGS, KW_IAM_TAGS_PER_USER, KW_MANIFEST_RESERVED_TAGS,
		          KW_MANAGED_TAG_KEY, KW_OWNER_TAG_KEY, KW_DELIVERED_TAG_PREFIX, KW_GRACE_TAG_PREFIX);
	if (!m->tags && !(m->tags = calloc(1, sizeof(*m->tags))))
		L->nomem = true;
	else {
		m->tags[m->ntags].key = xstrdup(L, KW_MANAGED_TAG_KEY);
		m->tags[m->ntags].value = xstrdup(L, KW_MANAGED_TAG_VALUE);
		m->ntags++;
	}
	if (mm[2].value)
		read_policies(L, m, mm[2].value);
	if (mm[3].value && (s = want_string(L, mm[3].value, "spec.permissionsBoundary"))) {
		if (!kw_names_policy_arn_ok(s))
			diag_node(L, mm[3].value,
			          "permissionsBoundary '%s' is not a policy ARN "
			          "(arn:PARTITION:iam::ACCOUNT|aws:policy/[PATH/]NAME)",
			          s);
		else {
			m->permissions_boundary = xstrdup(L, s);
			m->boundary_line = (unsigned)mm[3].value->start_mark.line + 1;
			m->boundary_col = (unsigned)mm[3].value->start_mark.column + 1;
		}
	}
	if (mm[4].value && (s = want_string(L, mm[4].value, "spec.console")) && strcmp(s, "disabled"))
		diag_node(L, mm[4].value,
		          "console must be 'disabled': a service account never gets a password (found '%s')",
		          s);
	if (mm[5].value && (s = want_string(L, mm[5].value, "spec.mfa"))) {
		if (!strcmp(s, "virtual"))
			m->mfa = KW_MFA_VIRTUAL;
		else if (!strcmp(s, "none"))
			m->mfa = KW_MFA_NONE;
		else
			diag_node(L, mm[5].value, "mfa must be 'virtual' or 'none', found '%s'", s);
	}
	if (mm[6].value)
		read_access_keys(L, m, mm[6].value);
}

static void read_metadata(struct ld *L, struct kw_manifest *m, yaml_node_t *n)
{
	static const char *const known[] = {"name", "account", NULL};
	struct member mm[2];
	const char *s;
	char why[160];

	if (!want_type(L, n, YAML_MAPPING_NODE, "metadata"))
		return;
	read_mapping(L, n, known, mm, "metadata");
	if (mm[1].value && (s = want_string(L, mm[1].value, "metadata.account"))) {
		size_t len = strlen(s);
		if (len != 12 || strspn(s, "0123456789") != 12)
			diag_node(L, mm[1].value,
			          "metadata.account '%s' must be an AWS account id of 12 digits", s);
		else {
			m->account = xstrdup(L, s);
			m->account_line = (unsigned)mm[1].value->start_mark.line + 1;
			m->account_col = (unsigned)mm[1].value->start_mark.column + 1;
		}
	}
	if (!require(L, &mm[0], n, "name", "metadata") || !(s = want_string(L, mm[0].value, "metadata.name")))
		return;
	if (kw_names_check_account(s, why, sizeof(why))) {
		diag_node(L, mm[0].value, "metadata.name '%s' %s", s, why);
		return;
	}
	m->name = xstrdup(L, s);
	m->user_name = kw_names_account(s);
	m->group_name = kw_names_account(s);
	if (!m->user_name || !m->group_name)
		L->nomem = true;
}

static void manifest_free(struct kw_manifest *m)
{
	if (!m)
		return;
	free(m->file);
	free(m->dir);
	free(m->name);
	free(m->account);
	free(m->user_name);
	free(m->group_name);
	free(m->path);
	for (size_t i = 0; i < m->ntags; i++) {
		free(m->tags[i].key);
		free(m->tags[i].value);
	}
	free(m->tags);
	for (size_t i = 0; m->inline_policies && i < m->ninline; i++) {
		struct kw_inline_policy *ip = &m->inline_policies[i];
		free(ip->file);
		free(ip->name);
		free(ip->document);
		json_decref(ip->normalized);
		for (size_t j = 0; j < ip->nallow; j++) {
			free(ip->allow[j].code);
			free(ip->allow[j].reason);
		}
		free(ip->allow);
	}
	free(m->inline_policies);
	for (size_t i = 0; m->managed_policies && i < m->nmanaged; i++)
		free(m->managed_policies[i].arn);
	free(m->managed_policies);
	free(m->permissions_boundary);
	for (size_t i = 0; m->deliver && i < m->ndeliver; i++) {
		free(m->deliver[i].profile);
		free(m->deliver[i].region);
		free(m->deliver[i].output);
		free(m->deliver[i].path);
		free(m->deliver[i].command);
		free(m->deliver[i].store_name);
		free(m->deliver[i].kms_key_id);
		free(m->deliver[i].tier);
		free(m->deliver[i].store_profile);
		free(m->deliver[i].tmpl);
	}
	free(m->deliver);
	free(m);
}

static int set_push(struct kw_manifest_set *set, struct kw_manifest *m)
{
	struct kw_manifest **p = realloc(set->items, (set->n + 1) * sizeof(*p));

	if (!p)
		return -1;
	set->items = p;
	set->items[set->n++] = m;
	return 0;
}

static void read_document(struct ld *L, yaml_node_t *root, unsigned index)
{
	static const char *const known[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	struct member mm[4];
	struct kw_manifest *m;
	const char *s;

	check_tag(L, root);
	if (!want_type(L, root, YAML_MAPPING_NODE, "a manifest document"))
		return;
	m = calloc(1, sizeof(*m));
	if (!m) {
		L->nomem = true;
		return;
	}
	m->file = xstrdup(L, L->file);
	m->dir = xstrdup(L, L->dir);
	m->doc_index = index;
	m->line = (unsigned)root->start_mark.line + 1;
	m->col = (unsigned)root->start_mark.column + 1;
	m->path = xstrdup(L, "/");
	m->mfa = KW_MFA_VIRTUAL;
	m->max_age_days = KW_MANIFEST_DEFAULT_AGE;
	read_mapping(L, root, known, mm, "a manifest");
	if (require(L, &mm[0], root, "apiVersion", "a manifest") &&
	    (s = want_string(L, mm[0].value, "apiVersion")) && strcmp(s, KW_MANIFEST_API_VERSION))
		diag_node(L, mm[0].value, "apiVersion must be '%s', found '%s'", KW_MANIFEST_API_VERSION, s);
	if (require(L, &mm[1], root, "kind", "a manifest") && (s = want_string(L, mm[1].value, "kind")) &&
	    strcmp(s, KW_MANIFEST_KIND))
		diag_node(L, mm[1].value, "kind must be '%s', found '%s'", KW_MANIFEST_KIND, s);
	if (require(L, &mm[2], root, "metadata", "a manifest"))
		read_metadata(L, m, mm[2].value);
	if (mm[3].value)
		read_spec(L, m, mm[3].value);
	else {
		require(L, &mm[3], root, "spec", "a manifest");
	}
	if (L->failed || L->nomem || !m->name || set_push(L->set, m)) {
		if (!L->failed && !L->nomem && m->name)
			L->nomem = true;
		manifest_free(m);
	}
}

/*
 * Alias bombs: an event pass counts, per document, the nodes the document would have with
 * every alias expanded (billion laughs). Documents past KW_MANIFEST_MAX_ALIAS_NODES get one
 * error at the alias that crosses the limit and are not read further. Syntax errors are left
 * to the loading pass, which reports them.
 */
struct anchor_count {
	char *name;
	size_t count;
};

struct bomb {
	unsigned doc;       /* document index */
	unsigned line, col; /* of the alias */
	char anchor[64];
};

struct bomb_scan {
	struct anchor_count *anchors;
	size_t nanchors;
	size_t *stack; /* expanded size of each open collection */
	char **stack_anchor;
	size_t depth, cap;
	size_t total;
};

static void bomb_reset(struct bomb_scan *b)
{
	for (size_t i = 0; i < b->nanchors; i++)
		free(b->anchors[i].name);
	b->nanchors = 0;
	for (size_t i = 0; i < b->depth; i++)
		free(b->stack_anchor[i]);
	b->depth = 0;
	b->total = 0;
}

static int bomb_anchor(struct bomb_scan *b, const char *name, size_t count)
{
	struct anchor_count *n;

	for (size_t i = 0; i < b->nanchors; i++)
		if (!strcmp(b->anchors[i].name, name)) { /* redefined: the latest counts */
			b->anchors[i].count = count;
			return 0;
		}
	n = realloc(b->anchors, (b->nanchors + 1) * sizeof(*n));
	if (!n)
		return -1;
	b->anchors = n;
	if (!(n[b->nanchors].name = strdup(name)))
		return -1;
	n[b->nanchors++].count = count;
	return 0;
}

static void bomb_add(struct bomb_scan *b, size_t count)
{
	if (b->depth)
		b->stack[b->depth - 1] += count;
	b->total += count;
}

/* Returns 0, or -1 when out of memory. Fills bombs (one per document at most). */
static int scan_bombs(const char *text, size_t len, struct bomb **bombs, size_t *nbombs)
{
	struct bomb_scan b = {0};
	yaml_parser_t parser;
	unsigned doc = 0;
	bool done = false, flagged = false;
	int rc = 0;

	*bombs = NULL;
	*nbombs = 0;
	if (!yaml_parser_initialize(&parser))
		return -1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev))
			break; /* reported by the loading pass */
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done = true; break;
		case YAML_DOCUMENT_START_EVENT:
			bomb_reset(&b);
			flagged = false;
			break;
		case YAML_DOCUMENT_END_EVENT: doc++; break;
		case YAML_SCALAR_EVENT:
			bomb_add(&b, 1);
			if (ev.data.scalar.anchor && bomb_anchor(&b, (char *)ev.data.scalar.anchor, 1))
				rc = -1;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			const yaml_char_t *anchor = ev.type == YAML_SEQUENCE_START_EVENT
			                                    ? ev.data.sequence_start.anchor
			                                    : ev.data.mapping_start.anchor;
			if (b.depth == b.cap) {
				size_t cap = b.cap ? b.cap * 2 : 16;
				size_t *st = realloc(b.stack, cap * sizeof(*st));
				char **sa = st ? realloc(b.stack_anchor, cap * sizeof(*sa)) : NULL;
				if (st)
					b.stack = st;
				if (!sa) {
					rc = -1;
					break;
				}
				b.stack_anchor = sa;
				b.cap = cap;
			}
			b.stack[b.depth] = 1;
			b.stack_anchor[b.depth] = anchor ? strdup((const char *)anchor) : NULL;
			b.depth++;
			b.total++;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (b.depth) {
				size_t count = b.stack[--b.depth];
				char *anchor = b.stack_anchor[b.depth];
				if (anchor && bomb_anchor(&b, anchor, count))
					rc = -1;
				free(anchor);
				if (b.depth)
					b.stack[b.depth - 1] += count;
			}
			break;
		case YAML_ALIAS_EVENT:
			for (size_t i = 0; i < b.nanchors; i++)
				if (!strcmp(b.anchors[i].name, (char *)ev.data.alias.anchor)) {
					size_t c = b.anchors[i].count;
					if (b.depth)
						b.stack[b.depth - 1] += c;
					b.total += c;
				}
			if (b.total > KW_MANIFEST_MAX_ALIAS_NODES && !flagged) {
				struct bomb *nb = realloc(*bombs, (*nbombs + 1) * sizeof(*nb));
				if (!nb) {
					rc = -1;
					break;
				}
				*bombs = nb;
				nb[*nbombs].doc = doc;
				nb[*nbombs].line = (unsigned)ev.start_mark.line + 1;
				nb[*nbombs].col = (unsigned)ev.start_mark.column + 1;
				snprintf(nb[*nbombs].anchor, sizeof(nb[*nbombs].anchor), "%s",
				         (char *)ev.data.alias.anchor);
				(*nbombs)++;
				flagged = true;
			}
			break;
		default: break;
		}
		yaml_event_delete(&ev);
	}
	bomb_reset(&b);
	free(b.anchors);
	free(b.stack);
	free(b.stack_anchor);
	yaml_parser_delete(&parser);
	return rc;
}

/* Stable order for one document's diagnostics: the manifest's own by position, then the rest. */
static void sort_doc_diags(struct ld *L, size_t from)
{
	struct kw_diag *d = L->set->diags.items;
	size_t n = L->set->diags.n;

	for (size_t i = from + 1; i < n; i++) { /* insertion sort: stable, lists are short */
		struct kw_diag cur = d[i];
		size_t j = i;
		bool cur_own = !strcmp(cur.file, L->file);
		while (j > from) {
			struct kw_diag *p = &d[j - 1];
			bool p_own = !strcmp(p->file, L->file);
			bool after = (cur_own && !p_own) ||
			             (cur_own && p_own &&
			              (cur.line < p->line || (cur.line == p->line && cur.col < p->col)));
			if (!after)
				break;
			d[j] = *p;
			j--;
		}
		d[j] = cur;
	}
}

/*
 * libyaml's scanner does work proportional to the flow nesting depth for every token, so
 * deeply nested [ and { make it quadratic (32,000 levels: seconds; 500,000: hours). Manifests
 * need a handful of levels: refuse more than MAX_FLOW_DEPTH before libyaml sees the text.
 * Quotes and comments are skipped; a '[' inside a plain scalar counts too (harmless here).
 */
#define MAX_FLOW_DEPTH 64

static bool too_deep(const char *t, size_t len, unsigned *line, unsigned *col)
{
	unsigned depth = 0, l = 1, c = 1;
	char quote = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = t[i];
		if (quote) {
			if (ch == '\\' && quote == '"' && i + 1 < len) {
				i++;
				c++;
			} else if (ch == quote) {
				quote = 0;
			}
		} else if (ch == '"' || ch == '\'') {
			quote = ch;
		} else if (ch == '#' && (i == 0 || strchr(" \t\n", t[i - 1]))) {
			while (i + 1 < len && t[i + 1] != '\n')
				i++;
		} else if (ch == '[' || ch == '{') {
			if (++depth > MAX_FLOW_DEPTH) {
				*line = l;
				*col = c;
				return true;
			}
		} else if ((ch == ']' || ch == '}') && depth) {
			depth--;
		}
		if (ch == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)ch & 0xC0) != 0x80) {
			c++;
		}
	}
	return false;
}

static void load_text(struct ld *L, const char *text, size_t len)
{
	yaml_parser_t parser;
	unsigned index = 0;
	struct bomb *bombs = NULL;
	size_t nbombs = 0, before = L->set->n, ndiags = L->set->diags.n;
	unsigned dl, dc;

	if (too_deep(text, len, &dl, &dc)) {
		diag_at(L, KW_SEV_ERROR, NULL, L->file, dl, dc,
		        "YAML nested deeper than %d levels of [ ] and { }", MAX_FLOW_DEPTH);
		return;
	}
	if (scan_bombs(text, len, &bombs, &nbombs)) {
		free(bombs);
		L->nomem = true;
		return;
	}

	if (!yaml_parser_initialize(&parser)) {
		L->nomem = true;
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			L->doc_diags = 0;
			if (parser.error == YAML_MEMORY_ERROR)
				L->nomem = true;
			else
				diag_at(L, KW_SEV_ERROR, NULL, L->file,
				        (unsigned)parser.problem_mark.line + 1,
				        (unsigned)parser.problem_mark.column + 1, "invalid YAML: %s%s%s",
				        parser.problem ? parser.problem : "syntax error",
				        parser.context ? " " : "", parser.context ? parser.context : "");
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			if (parser.stream_end_produced)
				break;
			continue;
		}
		L->doc = &doc;
		L->visited = 0;
		L->doc_diags = 0;
		L->bomb = false;
		L->failed = false;
		{
			size_t first = L->set->diags.n;
			const struct bomb *bomb = NULL;
			for (size_t i = 0; i < nbombs; i++)
				if (bombs[i].doc == index)
					bomb = &bombs[i];
			if (bomb)
				diag_at(L, KW_SEV_ERROR, NULL, L->file, bomb->line, bomb->col,
				        "alias '*%s' expands the document past %d nodes (alias bomb?)",
				        bomb->anchor, KW_MANIFEST_MAX_ALIAS_NODES);
			else if (!is_null(root))
				read_document(L, root, index);
			sort_doc_diags(L, first);
		}
		index++;
		L->doc = NULL;
		yaml_document_delete(&doc);
		if (L->nomem)
			break;
	}
	yaml_parser_delete(&parser);
	free(bombs);
	/* A file named on purpose (or found as *.yaml) that holds nothing is a mistake, not a pass. */
	if (!L->nomem && L->set->n == before && L->set->diags.n == ndiags &&
	    kw_diags_add(&L->set->diags, KW_SEV_ERROR, NULL, L->file, 0, 0,
	                 "no manifest in this file (it is empty or holds only comments)"))
		L->nomem = true;
}

/* ---- files and folders ---- */

static int load_file(struct kw_manifest_set *set, const char *file, struct kw_error *err)
{
	struct ld L = {.set = set, .file = file};
	char *text = NULL, *dir = NULL;
	size_t len = 0;
	int rc = -1;

	if (kw_read_regular_file(file, MAX_FILE_BYTES, &text, &len, err))
		return -1;
	if (!(dir = kw_path_dirname(file))) {
		kw_error_set(err, KW_ERR_NOMEM, file, "out of memory");
		goto out;
	}
	L.dir = dir;
	set->nfiles++;
	load_text(&L, text, len);
	if (L.nomem) {
		kw_error_set(err, KW_ERR_NOMEM, file, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(dir);
	free(text);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
	char **v;
	size_t n;
};

static int collect(const char *dirpath, struct names *out, int depth, struct kw_error *err)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (depth > 32)
		return kw_error_set(err, KW_ERR_INVALID, dirpath, "folders nested too deep");
	d = opendir(dirpath);
	if (!d)
		return kw_error_set(err, KW_ERR_IO, dirpath, "cannot read folder: %s", strerror(errno));
	while (rc == 0 && (e = readdir(d))) {
		struct kw_buf path = KW_BUF_INIT;
		struct stat st;
		size_t len = strlen(e->d_name);
		/* keywarden.yaml holds the folder's settings (manifest/folder.h), not a manifest */
		bool yaml = ((len > 5 && !strcmp(e->d_name + len - 5, ".yaml")) ||
		             (len > 4 && !strcmp(e->d_name + len - 4, ".yml"))) &&
		            strcmp(e->d_name, KW_FOLDER_CONFIG_NAME);

		if (e->d_name[0] == '.')
			continue;
		if (kw_buf_appendf(&path, "%s%s%s", dirpath, dirpath[strlen(dirpath) - 1] == '/' ? "" : "/",
		                   e->d_name)) {
			rc = kw_error_set(err, KW_ERR_NOMEM, dirpath, "out of memory");
		} else if (stat(path.data, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = collect(path.data, out, depth + 1, err);
		} else if (yaml) {
			char **p = realloc(out->v, (out->n + 1) * sizeof(*p));
			if (!p) {
				rc = kw_error_set(err, KW_ERR_NOMEM, dirpath, "out of memory");
			} else {
				out->v = p;
				out->v[out->n++] = kw_buf_detach(&path);
			}
		}
		kw_buf_release(&path);
	}
	closedir(d);
	return rc;
}

/*
 * Delivery targets named twice: one target holds one key, so a second delivery to it replaces
 * the first's key, which nobody holds then (and a second new file is refused after the key was
 * issued). Within a manifest every kind counts; across manifests the targets that are places
 * (profiles, files, secrets, parameters), not stdout and exec commands.
 */
struct target_ref {
	char *key; /* kind, account, region and target: equal keys are the same target */
	const struct kw_manifest *m;
	const struct kw_deliver *d;
	size_t seq;
};

static int cmp_target(const void *a, const void *b)
{
	const struct target_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static bool target_is_place(const struct kw_deliver *d)
{
	return d->kind != KW_DELIVER_STDOUT && d->kind != KW_DELIVER_EXEC;
}

static const char *target_words(const struct kw_deliver *d, char *buf, size_t size)
{
	switch (d->kind) {
	case KW_DELIVER_PROFILE: snprintf(buf, size, "profile '%s'", d->profile); break;
	case KW_DELIVER_FILE: snprintf(buf, size, "file %s", d->path); break;
	case KW_DELIVER_STDOUT: snprintf(buf, size, "stdout"); break;
	case KW_DELIVER_EXEC: snprintf(buf, size, "exec '%s'", d->command); break;
	case KW_DELIVER_SECRETS_MANAGER: snprintf(buf, size, "secretsManager '%s'", d->store_name); break;
	case KW_DELIVER_SSM_PARAMETER: snprintf(buf, size, "ssmParameter '%s'", d->store_name); break;
	}
	return buf;
}

static int check_targets(struct kw_manifest_set *set)
{
	struct target_ref *v;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (size_t i = 0; i < set->n; i++)
		cap += set->items[i]->ndeliver;
	if (!cap)
		return 0;
	if (!(v = calloc(cap, sizeof(*v))))
		return -1;
	for (size_t i = 0; i < set->n && !rc; i++)
		for (size_t j = 0; j < set->items[i]->ndeliver && !rc; j++) {
			const struct kw_manifest *m = set->items[i];
			const struct kw_deliver *d = &m->deliver[j];
			bool store =
			        d->kind == KW_DELIVER_SECRETS_MANAGER || d->kind == KW_DELIVER_SSM_PARAMETER;
			struct kw_buf k = KW_BUF_INIT;
			const char *t = d->kind == KW_DELIVER_PROFILE ? d->profile
			                : d->kind == KW_DELIVER_FILE  ? d->path
			                : d->kind == KW_DELIVER_EXEC  ? d->command
			                                              : d->store_name;

			if (kw_buf_appendf(&k, "%d\n%s\n%s\n%s", (int)d->kind,
			                   store && m->account ? m->account : "",
			                   store && d->region ? d->region : "", t ? t : "")) {
				kw_buf_release(&k);
				rc = -1;
				break;
			}
			v[n] = (struct target_ref){kw_buf_detach(&k), m, d, n};
			n++;
		}
	if (!rc)
		qsort(v, n, sizeof(*v), cmp_target);
	for (size_t i = 1; i < n && !rc; i++)
		for (size_t j = i; j-- > 0 && !strcmp(v[j].key, v[i].key);) {
			const struct target_ref *a = &v[j], *b = &v[i];
			char what[600];

			if (a->m != b->m && !target_is_place(b->d))
				continue;
			target_words(b->d, what, sizeof(what));
			if (a->m == b->m)
				rc = kw_diags_add(
				        &set->diags, KW_SEV_ERROR, NULL, b->m->file, b->d->line, b->d->col,
				        "%s is a delivery target twice in this manifest (first at line "
				        "%u, column %u)",
				        what, a->d->line, a->d->col);
			else
				rc = kw_diags_add(
				        &set->diags, KW_SEV_ERROR, NULL, b->m->file, b->d->line, b->d->col,
				        "%s is also the delivery target of service account '%s' at "
				        "%s:%u:%u: a target holds one key, so one account's delivery "
				        "would replace the other's",
				        what, a->m->name, a->m->file, a->d->line, a->d->col);
			break;
		}
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
	return rc;
}

static int finish(struct kw_manifest_set *set, struct kw_error *err)
{
	if (check_targets(set))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	struct kw_diag *first = NULL;

	/* one manifest per account: IAM user names are unique ignoring case, in one AWS account
	 * (two manifests pinned to different metadata.accounts may name the same service) */
	for (size_t i = 0; i < set->n; i++)
		for (size_t j = 0; j < i; j++) {
			struct kw_manifest *a = set->items[j], *b = set->items[i];
			if (!a || !b || strcasecmp(a->user_name, b->user_name) ||
			    (a->account && b->account && strcmp(a->account, b->account)))
				continue;
			if (kw_diags_add(&set->diags, KW_SEV_ERROR, NULL, b->file, b->line, b->col,
			                 "service account '%s' is defined twice: here and at %s:%u:%u",
			                 b->name, a->file, a->line, a->col))
				return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		}
	set->nerrors = 0;
	for (size_t i = 0; i < set->diags.n; i++) {
		struct kw_diag *d = &set->diags.items[i];
		if (d->severity >= KW_SEV_WARNING && !d->accepted) {
			if (!first)
				first = d;
			set->nerrors++;
		}
	}
	if (!first)
		return 0;
	{
		char where[KW_ERR_WHERE_MAX];
		if (first->line)
			snprintf(where, sizeof(where), "%s:%u:%u", first->file, first->line, first->col);
		else
			snprintf(where, sizeof(where), "%s", first->file);
		if (set->nerrors > 1)
			return kw_error_set(err, KW_ERR_INVALID, where, "%s (and %zu more)", first->message,
			                    set->nerrors - 1);
		return kw_error_set(err, KW_ERR_INVALID, where, "%s", first->message);
	}
}

struct seen {
	struct stat *v;
	size_t n;
};

/* Load a file once, even when named twice (a folder and a file in it): same device and inode. */
static int load_once(struct kw_manifest_set *set, const char *file, struct seen *seen, struct kw_error *err)
{
	struct stat st, *p;

	if (stat(file, &st) == 0) {
		for (size_t i = 0; i < seen->n; i++)
			if (seen->v[i].st_dev == st.st_dev && seen->v[i].st_ino == st.st_ino)
				return 0;
		p = realloc(seen->v, (seen->n + 1) * sizeof(*p));
		if (!p)
			return kw_error_set(err, KW_ERR_NOMEM, file, "out of memory");
		seen->v = p;
		seen->v[seen->n++] = st;
	}
	return load_file(set, file, err);
}

int kw_manifest_load_paths(const char *const *paths, size_t n, struct kw_manifest_set **out,
                           struct kw_error *err)
{
	struct kw_manifest_set *set = calloc(1, sizeof(*set));
	struct seen seen = {0};
	int rc = -1;

	*out = NULL;
	if (!set)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st)) {
			kw_error_set(err, KW_ERR_IO, paths[i], "cannot read: %s", strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			struct names names = {0};
			int r = collect(paths[i], &names, 0, err);
			if (!r && names.n)
				qsort(names.v, names.n, sizeof(char *), cmp_str);
			if (!r && names.n == 0 &&
			    kw_diags_add(&set->diags, KW_SEV_ERROR, NULL, paths[i], 0, 0,
			                 "no manifests (*.yaml, *.yml) in this folder"))
				r = kw_error_set(err, KW_ERR_NOMEM, paths[i], "out of memory");
			for (size_t j = 0; !r && j < names.n; j++)
				r = load_once(set, names.v[j], &seen, err);
			for (size_t j = 0; j < names.n; j++)
				free(names.v[j]);
			free(names.v);
			if (r)
				goto out;
		} else if (load_once(set, paths[i], &seen, err)) {
			goto out;
		}
	}
	rc = finish(set, err);
	if (rc == 0 || err->kind == KW_ERR_INVALID) {
		*out = set;
		set = NULL;
	}
out:
	free(seen.v);
	kw_manifest_set_free(set);
	return rc;
}

int kw_manifest_load_buffer(const char *text, size_t len, const char *file, struct kw_manifest_set **out,
                            struct kw_error *err)
{
	struct kw_manifest_set *set = calloc(1, sizeof(*set));
	struct ld L = {.set = set, .file = file};
	char *dir = kw_path_dirname(file);
	int rc = -1;

	*out = NULL;
	if (!set || !dir) {
		kw_error_set(err, KW_ERR_NOMEM, file, "out of memory");
		goto out;
	}
	L.dir = dir;
	set->nfiles = 1;
	load_text(&L, text, len);
	if (L.nomem) {
		kw_error_set(err, KW_ERR_NOMEM, file, "out of memory");
		goto out;
	}
	rc = finish(set, err);
	if (rc == 0 || err->kind == KW_ERR_INVALID) {
		*out = set;
		set = NULL;
	}
out:
	free(dir);
	kw_manifest_set_free(set);
	return rc;
}

void kw_manifest_set_free(struct kw_manifest_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		manifest_free(set->items[i]);
	free(set->items);
	kw_diags_release(&set->diags);
	free(set);
}

const struct kw_manifest *kw_manifest_find_user(const struct kw_manifest_set *set, const char *user_name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcasecmp(set->items[i]->user_name, user_name))
			return set->items[i];
	return NULL;
}

int kw_manifest_error_at(struct kw_error *err, const struct kw_manifest *m, unsigned line, unsigned col)
{
	if (!m || !line)
		return kw_error_prefix(err, "%s", m ? m->file : "manifest");
	if (err->where[0] && !strstr(err->msg, err->where))
		kw_error_prefix(err, "%s", err->where);
	snprintf(err->where, sizeof(err->where), "%s:%u:%u", m->file, line, col);
	return -1;
}

const struct kw_manifest *kw_manifest_find_name(const struct kw_manifest_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->items[i]->name, name))
			return set->items[i];
	return NULL;
}
