/*
 * validate.c - `keywarden validate PATH...`: manifests and their policies checked offline.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "cmd/review.h"
#include "manifest/manifest.h"
#include "util/error.h"

static const char usage[] = "usage: keywarden validate [--quiet] PATH...\n";

static const char intro[] =
        "Check service-account manifests (files, or folders read recursively for *.yaml and *.yml in\n"
        "sorted order) and the policy files they name, without calling AWS: the manifest schema,\n"
        "IAM names and limits, policy grammar, templates and lint (see 'keywarden policy lint').\n"
        "Every problem is printed as 'error: FILE:LINE:COL: message'. Lint warnings fail too\n"
        "unless the manifest accepts them with allow: [{code, reason}].\n";

static const char outro[] =
        "Output: text (default) prints problems on stderr and a summary on stdout; -o json prints\n"
        "{valid, files, manifests, diagnostics} on stdout; -o sarif a SARIF 2.1.0 log for code\n"
        "scanning and -o github workflow commands (::error file=F,line=L,col=C::...) that annotate\n"
        "a pull request (accepted findings: suppressed results, notices).\n"
        "Exit status: 0 valid, 1 invalid or unreadable.\n";

static json_t *diag_json(const struct kw_diag *d)
{
	return json_pack("{s:s,s:o,s:s,s:i,s:i,s:s,s:b,s:o}", "severity", kw_severity_name(d->severity),
	                 "code", d->code ? json_string(d->code) : json_null(), "file", d->file, "line",
	                 (int)d->line, "column", (int)d->col, "message", d->message, "accepted", d->accepted,
	                 "reason", d->reason ? json_string(d->reason) : json_null());
}

static json_t *manifest_json(const struct kw_manifest *m)
{
	json_t *pols = json_array(), *tags = json_object();

	for (size_t i = 0; i < m->ninline; i++)
		json_array_append_new(pols, json_pack("{s:s,s:s,s:s}", "type", "inline", "name",
		                                      m->inline_policies[i].name, "file",
		                                      m->inline_policies[i].file));
	for (size_t i = 0; i < m->nmanaged; i++)
		json_array_append_new(
		        pols, json_pack("{s:s,s:s}", "type", "managed", "arn", m->managed_policies[i].arn));
	for (size_t i = 0; i < m->ntags; i++)
		json_object_set_new(tags, m->tags[i].key, json_string(m->tags[i].value));
	return json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:i}", "file", m->file, "line", (int)m->line,
	                 "name", m->name, "user", m->user_name, "group", m->group_name, "path", m->path,
	                 "tags", tags, "policies", pols, "mfa", m->mfa == KW_MFA_VIRTUAL ? "virtual" : "none",
	                 "maxAgeDays", m->max_age_days);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* "valid: 5 manifests in 5 files (2 lint findings accepted)" or "invalid: ..." on stdout. */
static void print_summary(struct kw_ctx *ctx, const struct kw_manifest_set *set, bool valid)
{
	size_t accepted = 0;

	for (size_t i = 0; i < set->diags.n; i++)
		accepted += set->diags.items[i].accepted;
	if (!valid)
		fprintf(ctx->out, "invalid: %zu problem%s in %zu file%s (%zu manifest%s valid)\n",
		        set->nerrors, plural(set->nerrors), set->nfiles, plural(set->nfiles), set->n,
		        plural(set->n));
	else if (accepted)
		fprintf(ctx->out,
		        "valid: %zu manifest%s in %zu file%s (%zu lint finding%s accepted, -v shows them)\n",
		        set->n, plural(set->n), set->nfiles, plural(set->nfiles), accepted, plural(accepted));
	else
		fprintf(ctx->out, "valid: %zu manifest%s in %zu file%s\n", set->n, plural(set->n),
		        set->nfiles, plural(set->nfiles));
}

static const struct kw_cmd_spec spec = {.name = "validate", .usage = usage, .intro = intro, .outro = outro};

int cmd_validate(int argc, char **argv, struct kw_ctx *ctx)
{
	struct kw_manifest_set *set = NULL;
	struct kw_error err;
	bool quiet = false;
	const struct kw_opt opts[] = {
	        KW_FLAG_SHORT('q', "quiet", &quiet, "no summary line, only problems"),
	        KW_OPTS_END,
	};
	int first = kw_opts_parse(ctx, &spec, opts, argc, argv), rc;

	if (first < 0)
		return kw_opts_exit(first);
	if (first >= argc)
		return kw_opts_error(ctx, &spec, "give at least one manifest file or folder");
	kw_error_clear(&err);
	rc = kw_manifest_load_paths((const char *const *)argv + first, (size_t)(argc - first), &set, &err);
	if (rc && !set) {
		kw_error_print(&err, ctx->err);
		return KW_EXIT_ERROR;
	}
	if (ctx->output == KW_OUTPUT_SARIF || ctx->output == KW_OUTPUT_GITHUB) {
		struct kw_review rv = {0};

		if (kw_review_add_diags(&rv, set) ||
		    kw_review_print(&rv, ctx->output == KW_OUTPUT_SARIF, ctx->out)) {
			fputs("error: out of memory\n", ctx->err);
			rc = -1;
		}
		kw_review_release(&rv);
	} else if (ctx->output == KW_OUTPUT_JSON && ctx->output_set) {
		json_t *doc = json_object(), *ms = json_array(), *ds = json_array();
		for (size_t i = 0; i < set->n; i++)
			json_array_append_new(ms, manifest_json(set->items[i]));
		for (size_t i = 0; i < set->diags.n; i++)
			json_array_append_new(ds, diag_json(&set->diags.items[i]));
		json_object_set_new(doc, "valid", json_boolean(rc == 0));
		json_object_set_new(doc, "files", json_integer((json_int_t)set->nfiles));
		json_object_set_new(doc, "errors", json_integer((json_int_t)set->nerrors));
		json_object_set_new(doc, "manifests", ms);
		json_object_set_new(doc, "diagnostics", ds);
		kw_json_print(doc, ctx->out);
		json_decref(doc);
	} else {
		for (size_t i = 0; i < set->diags.n; i++) {
			const struct kw_diag *d = &set->diags.items[i];
			char *line;
			if ((d->accepted || d->severity == KW_SEV_INFO) && ctx->verbosity == 0)
				continue;
			line = kw_diag_format(d);
			fprintf(ctx->err, "%s\n", line ? line : "error: out of memory");
			free(line);
		}
		if (!quiet)
			print_summary(ctx, set, rc == 0);
	}
	kw_manifest_set_free(set);
	return rc ? KW_EXIT_ERROR : KW_EXIT_OK;
}
