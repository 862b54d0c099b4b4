#include "cmd/review.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/output.h"

#define SARIF_SCHEMA \
	"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#define TOOL_URI      "https://github.com/keywarden/keywarden"
/* the installed documentation (man pages made from docs/commands/), not the source tree's */
#define POLICY_DOCS   "'man keywarden-policy'"
#define MANIFEST_DOCS "'man keywarden-validate'"
#define PLAN_DOCS     "'man keywarden-plan'"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void result_release(struct kw_review_result *it)
{
	free(it->rule);
	free(it->message);
	free(it->file);
	free(it->suppressed);
}

int kw_review_add(struct kw_review *r, const char *rule, enum kw_severity level, const char *file,
                  unsigned line, unsigned col, const char *message, const char *suppressed)
{
	struct kw_review_result *v = realloc(r->v, (r->n + 1) * sizeof(*v)), *it;

	if (!v)
		return -1;
	r->v = v;
	it = &v[r->n];
	memset(it, 0, sizeof(*it));
	it->rule = strdup(rule);
	it->level = level;
	it->line = line;
	it->col = col;
	it->message = strdup(message ? message : "");
	it->file = dup_or_null(file && *file ? file : NULL);
	it->suppressed = dup_or_null(suppressed);
	if (!it->rule || !it->message || (file && *file && !it->file) || (suppressed && !it->suppressed)) {
		result_release(it);
		return -1;
	}
	r->n++;
	return 0;
}

int kw_review_add_diags(struct kw_review *r, const struct kw_manifest_set *set)
{
	for (size_t i = 0; set && i < set->diags.n; i++) {
		const struct kw_diag *d = &set->diags.items[i];

		if (kw_review_add(r, d->code ? d->code : KW_REVIEW_MANIFEST_RULE, d->severity, d->file,
		                  d->line, d->col, d->message,
		                  d->accepted ? (d->reason ? d->reason : "accepted") : NULL))
			return -1;
	}
	return 0;
}

int kw_review_fail(struct kw_review *r, const char *message)
{
	if (r->failure)
		return 0;
	r->failure = strdup(message ? message : "failed");
	return r->failure ? 0 : -1;
}

void kw_review_release(struct kw_review *r)
{
	for (size_t i = 0; i < r->n; i++)
		result_release(&r->v[i]);
	free(r->v);
	free(r->failure);
	memset(r, 0, sizeof(*r));
}

/* SARIF's level for a severity (3.27.10: "error", "warning", "note"). */
static const char *sarif_level(enum kw_severity sev)
{
	switch (sev) {
	case KW_SEV_ERROR: return "error";
	case KW_SEV_WARNING: return "warning";
	case KW_SEV_INFO: return "note";
	}
	return "error";
}

/* What a rule id means: a short description, the help text and its severity by default. */
static void rule_info(const char *id, const char **summary, struct kw_buf *help, enum kw_severity *sev)
{
	const char *s;

	if (!strncmp(id, "KWP", 3) && strncmp(id, "KWPLAN", 6) && (s = kw_policy_lint_code_info(id, sev))) {
		*summary = s;
		kw_buf_appendf(help,
		               "%s: %s. See %s (lint codes) for what the finding means and how to fix it; "
		               "a manifest may accept a finding with allow: [{code: %s, reason: ...}].",
		               id, s, POLICY_DOCS, id);
		return;
	}
	if (!strcmp(id, KW_REVIEW_MANIFEST_RULE)) {
		*summary = "invalid manifest (schema, IAM names and limits, policy files)";
		*sev = KW_SEV_ERROR;
		kw_buf_appendf(help,
		               "The manifest does not follow the schema (keywarden/v1; see %s): an "
		               "unknown or missing key, a value out of range, an IAM name or limit, "
		               "or a policy file that cannot be read.",
		               MANIFEST_DOCS);
		return;
	}
	if (!strcmp(id, "KWPLAN-note")) {
		*summary = "plan note: shown, not acted on";
		*sev = KW_SEV_INFO;
		kw_buf_appendf(help, "Something the plan noticed but will not change (see %s).", PLAN_DOCS);
		return;
	}
	if (!strncmp(id, "KWPLAN-", 7)) {
		*summary = id + 7;
		*sev = KW_SEV_INFO;
		kw_buf_appendf(help,
		               "A step 'keywarden apply' would take (%s), shown where the manifest names "
		               "the account. See %s.",
		               id + 7, PLAN_DOCS);
		return;
	}
	*summary = id;
	*sev = KW_SEV_WARNING;
	kw_buf_appendf(help, "%s", id);
}

/*
 * A relative path as a URI reference (RFC 3986): every byte outside the unreserved set and
 * "/" percent-encoded. Absolute paths become file:// URIs.
 */
static char *path_uri(const char *path, bool *relative)
{
	static const char hex[] = "0123456789ABCDEF";
	struct kw_buf b = KW_BUF_INIT;
	const char *p = path;

	*relative = path[0] != '/';
	if (!*relative && kw_buf_puts(&b, "file://"))
		goto fail;
	if (!strncmp(p, "./", 2))
		p += 2;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/", c)) {
			if (kw_buf_putc(&b, (char)c))
				goto fail;
		} else if (kw_buf_putc(&b, '%') || kw_buf_putc(&b, hex[c >> 4]) ||
		           kw_buf_putc(&b, hex[c & 15])) {
			goto fail;
		}
	}
	return kw_buf_detach(&b);
fail:
	kw_buf_release(&b);
	return NULL;
}

static int set_new(json_t *o, const char *key, json_t *v)
{
	return v ? json_object_set_new(o, key, v) : -1;
}

static json_t *message(const char *text)
{
	return json_pack("{s:s}", "text", text);
}

/* The index of rule id in rules (an array of reportingDescriptor objects), added if new. */
static long rule_index(json_t *rules, const char *id)
{
	struct kw_buf help = KW_BUF_INIT;
	const char *summary = NULL;
	enum kw_severity sev = KW_SEV_WARNING;
	json_t *rule;
	size_t i;
	json_t *v;

	json_array_foreach(rules, i,
	                   v) if (!strcmp(json_string_value(json_object_get(v, "id")), id)) return (long)i;
	rule_info(id, &summary, &help, &sev);
	rule = json_pack("{s:s, s:o, s:o, s:o, s:{s:s}}", "id", id, "shortDescription", message(summary),
	                 "fullDescription", message(help.data ? help.data : summary), "help",
	                 message(help.data ? help.data : summary), "defaultConfiguration", "level",
	                 sarif_level(sev));
	kw_buf_release(&help);
	if (!rule || json_array_append_new(rules, rule))
		return -1;
	return (long)json_array_size(rules) - 1;
}

static json_t *location(const struct kw_review_result *it)
{
	json_t *loc, *phys, *art;
	bool relative;
	char *uri = path_uri(it->file, &relative);

	if (!uri)
		return NULL;
	art = json_pack("{s:s}", "uri", uri);
	free(uri);
	if (art && relative && set_new(art, "uriBaseId", json_string("%SRCROOT%")))
		goto fail;
	phys = json_pack("{s:o}", "artifactLocation", art);
	if (!phys)
		return NULL;
	if (it->line > 0) {
		json_t *region = json_pack("{s:I}", "startLine", (json_int_t)it->line);

		if (region && it->col > 0 &&
		    set_new(region, "startColumn", json_integer((json_int_t)it->col)))
			json_decref(region), region = NULL;
		if (set_new(phys, "region", region)) {
			json_decref(phys);
			return NULL;
		}
	}
	loc = json_pack("{s:o}", "physicalLocation", phys);
	return loc;
fail:
	json_decref(art);
	return NULL;
}

static json_t *sarif_log(const struct kw_review *r)
{
	json_t *rules = json_array(), *results = json_array(), *run, *log, *inv;

	if (!rules || !results)
		goto fail;
	for (size_t i = 0; i < r->n; i++) {
		const struct kw_review_result *it = &r->v[i];
		long idx = rule_index(rules, it->rule);
		json_t *res;

		if (idx < 0)
			goto fail;
		res = json_pack("{s:s, s:I, s:s, s:o}", "ruleId", it->rule, "ruleIndex", (json_int_t)idx,
		                "level", sarif_level(it->level), "message", message(it->message));
		if (!res || json_array_append_new(results, res))
			goto fail;
		if (it->file && set_new(res, "locations", json_pack("[o]", location(it))))
			goto fail;
		if (it->suppressed &&
		    set_new(res, "suppressions",
		            json_pack("[{s:s, s:s}]", "kind", "inSource", "justification", it->suppressed)))
			goto fail;
	}
	inv = json_pack("{s:b}", "executionSuccessful", r->failure == NULL);
	if (inv && r->failure &&
	    set_new(inv, "toolExecutionNotifications",
	            json_pack("[{s:s, s:o}]", "level", "error", "message", message(r->failure))))
		json_decref(inv), inv = NULL;
	run = json_pack("{s:{s:{s:s, s:s, s:s, s:o}}, s:[o], s:s, s:o}", "tool", "driver", "name",
	                "keywarden", "version", KW_VERSION, "informationUri", TOOL_URI, "rules", rules,
	                "invocations", inv, "columnKind", "unicodeCodePoints", "results", results);
	if (!run)
		return NULL;
	log = json_pack("{s:s, s:s, s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", run);
	return log;
fail:
	json_decref(rules);
	json_decref(results);
	return NULL;
}

/*
 * Workflow-command escaping (as @actions/core's command.ts): in data "%", CR and LF; in
 * property values also ":" and ",".
 */
static int gh_escape(struct kw_buf *b, const char *s, bool property)
{
	for (; *s; s++) {
		int rc;

		switch (*s) {
		case '%': rc = kw_buf_puts(b, "%25"); break;
		case '\r': rc = kw_buf_puts(b, "%0D"); break;
		case '\n': rc = kw_buf_puts(b, "%0A"); break;
		case ':': rc = property ? kw_buf_puts(b, "%3A") : kw_buf_putc(b, ':'); break;
		case ',': rc = property ? kw_buf_puts(b, "%2C") : kw_buf_putc(b, ','); break;
		default: rc = kw_buf_putc(b, *s); break;
		}
		if (rc)
			return -1;
	}
	return 0;
}

static const char *gh_command(enum kw_severity sev)
{
	switch (sev) {
	case KW_SEV_ERROR: return "error";
	case KW_SEV_WARNING: return "warning";
	case KW_SEV_INFO: return "notice";
	}
	return "error";
}

static int github_lines(const struct kw_review *r, struct kw_buf *b)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct kw_review_result *it = &r->v[i];
		/* an accepted finding is a notice: it stays visible without failing the review */
		enum kw_severity sev = it->suppressed ? KW_SEV_INFO : it->level;
		char sep = ' ';

		if (kw_buf_appendf(b, "::%s", gh_command(sev)))
			return -1;
		if (it->file) {
			if (kw_buf_puts(b, " file=") || gh_escape(b, it->file, true))
				return -1;
			sep = ',';
			if (it->line && kw_buf_appendf(b, ",line=%u", it->line))
				return -1;
			if (it->line && it->col && kw_buf_appendf(b, ",col=%u", it->col))
				return -1;
		}
		if (kw_buf_appendf(b, "%ctitle=", sep) || gh_escape(b, it->rule, true) ||
		    kw_buf_puts(b, "::") || gh_escape(b, it->message, false))
			return -1;
		if (it->suppressed && (kw_buf_puts(b, " (accepted: ") ||
		                       gh_escape(b, it->suppressed, false) || kw_buf_putc(b, ')')))
			return -1;
		if (kw_buf_putc(b, '\n'))
			return -1;
	}
	if (r->failure && (kw_buf_puts(b, "::error title=keywarden::") || gh_escape(b, r->failure, false) ||
	                   kw_buf_putc(b, '\n')))
		return -1;
	return 0;
}

int kw_review_print(const struct kw_review *r, bool sarif, FILE *fp)
{
	struct kw_buf b = KW_BUF_INIT;
	int rc = -1;

	if (sarif) {
		json_t *log = sarif_log(r);

		rc = log ? kw_json_print(log, fp) : -1;
		json_decref(log);
		return rc;
	}
	if (!github_lines(r, &b) && fwrite(b.data ? b.data : "", 1, b.len, fp) == b.len)
		rc = 0;
	kw_buf_release(&b);
	return rc;
}
