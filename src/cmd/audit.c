/*
 * audit.c - `keywarden audit [NAME...|--all-users] [--prune-unused]`: every access key with
 * its age and last use, findings under stable codes (lifecycle/audit.h), and the removal of
 * keys nobody uses: options, the reading and pruning of lifecycle/auditor.h, rendering.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "cmd/cmd.h"
#include "cmd/lifecycle.h"
#include "cmd/options.h"
#include "lifecycle/audit.h"
#include "lifecycle/auditor.h"
#include "lifecycle/keyjson.h"
#include "notify/notify.h"
#include "notify/summary.h"
#include "util/error.h"
#include "util/output.h"

static const char usage[] = "usage: keywarden audit [OPTIONS] [NAME...]\n"
                            "       keywarden audit [OPTIONS] --all-users\n";

static const char intro[] =
        "List every access key (user, AccessKeyId, status, age, last use) and report findings\n"
        "under stable codes: key-too-old, key-never-used, key-unused, two-active-keys,\n"
        "grace-expired, console-enabled, no-mfa, user-policy, not-in-group, not-managed,\n"
        "key-undelivered.\n"
        "NAME is a manifest file, a folder of manifests, or an IAM user name; without NAME every\n"
        "user tagged managed-by: keywarden is audited.\n";

static const char outro[] =
        "Exit status: 0 clean, 3 findings, 1 an error (also a notification that failed).\n";

struct audit {
	struct kw_ctx *ctx;
	struct kw_lc_auditor L; /* the options it takes, the reading and pruning (lifecycle/auditor.h) */
	bool yes;               /* --yes */
	int max_access_key_age; /* AWS Config access-keys-rotated maxAccessKeyAge, days */
	struct kw_notify_list notify;
	bool failed;
};

/* --- output -------------------------------------------------------------------------------- */

static void day(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d", &tm))
		snprintf(buf, size, "never");
}

static const char *key_label(const struct kw_lc_key *k, char *buf, size_t size)
{
	if (k->id)
		return k->id;
	snprintf(buf, size, "access_key_%d", k->slot);
	return buf;
}

static const char *or_dash(const char *s)
{
	return s && *s && strcmp(s, "N/A") ? s : "-";
}

/* The document of -o json: keys, findings, AWS Config's view, what was pruned, the report's age. */
static void print_json(const struct audit *A, const struct kw_lc_prune_item *p, size_t np)
{
	json_t *root = json_object(), *keys = json_array(), *fs = json_array();
	char slot[32];

	for (size_t i = 0; i < A->L.n; i++)
		for (size_t k = 0; k < A->L.e[i].nkeys; k++)
			json_array_append_new(keys, kw_lc_key_json(A->L.e[i].s.user, &A->L.e[i].keys[k],
			                                           A->L.now, A->max_access_key_age));
	for (size_t i = 0; i < A->L.findings.n; i++) {
		const struct kw_lc_finding *f = &A->L.findings.v[i];
		json_array_append_new(fs, json_pack("{s:s, s:s, s:s, s:s}", "code", kw_lc_code_name(f->code),
		                                    "user", f->user, "resource", f->resource, "message",
		                                    f->message));
	}
	json_object_set_new(root, "keys", keys);
	json_object_set_new(root, "findings", fs);
	json_object_set_new(root, "aws_config", kw_lc_auditor_config_json(&A->L, A->max_access_key_age));
	if (A->L.prune) {
		json_t *pr = json_array();
		for (size_t i = 0; i < np; i++)
			json_array_append_new(
			        pr, json_pack("{s:s, s:s, s:s, s:s}", "user", p[i].e->s.user, "access_key_id",
			                      key_label(p[i].k, slot, sizeof(slot)), "reason",
			                      kw_lc_prune_name(p[i].reason), "result", p[i].result));
		json_object_set_new(root, "prune", pr);
	}
	if (A->L.report_time) {
		char gen[32];
		kw_iso8601_format(A->L.report_time, gen, sizeof(gen));
		json_object_set_new(
		        root, "credential_report",
		        json_pack(
		                "{s:s, s:I}", "generated", gen, "age_seconds",
		                (json_int_t)(A->L.now > A->L.report_time ? A->L.now - A->L.report_time : 0)));
	}
	kw_json_print(root, A->ctx->out);
	json_decref(root);
}

/*
 * A row of t, or in the text format (text not NULL; the AWS CLI's text output: one line per
 * row, tab-separated, led by the record kind) a line on text without the column skip (-1: none).
 */
static void put(FILE *text, const char *kind, struct kw_table *t, const char *const *cells, int n, int skip)
{
	if (!text) {
		kw_table_add_row(t, cells);
		return;
	}
	fputs(kind, text);
	for (int c = 0; c < n; c++)
		if (c != skip)
			fprintf(text, "\t%s", cells[c]);
	fputc('\n', text);
}

static void print_results(struct audit *A, const struct kw_lc_prune_item *p, size_t np)
{
	struct kw_ctx *ctx = A->ctx;
	enum kw_output_format fmt = kw_cmd_output_format(ctx, ctx->out);
	static const char *const kcols[] = {"User",     "AccessKeyId", "Status", "AgeDays",
	                                    "LastUsed", "Service",     "Region"};
	static const char *const fcols[] = {"Code", "User", "Resource", "Message"};
	static const char *const pcols[] = {"User", "AccessKeyId", "Reason", "LastUsed", "Result"};
	struct kw_table *kt = NULL, *ft = NULL, *pt = NULL;
	FILE *text = fmt == KW_OUTPUT_TEXT ? ctx->out : NULL;
	bool color = kw_cmd_color(ctx);
	char slot[32], age[32], used[32];

	if (fmt == KW_OUTPUT_JSON) {
		print_json(A, p, np);
		return;
	}
	kt = kw_table_new("Access keys", 7, kcols);
	ft = kw_table_new("Findings", 4, fcols);
	pt = kw_table_new("Unused keys", 5, pcols);
	if (!kt || !ft || !pt)
		goto out;
	for (size_t i = 0; i < A->L.n; i++)
		for (size_t k = 0; k < A->L.e[i].nkeys; k++) {
			const struct kw_lc_key *key = &A->L.e[i].keys[k];
			snprintf(age, sizeof(age), "%ld", kw_lc_age_days(key->created, A->L.now));
			day(key->last_used, used, sizeof(used));
			put(text, "KEY", kt,
			    (const char *const[]){A->L.e[i].s.user, key_label(key, slot, sizeof(slot)),
			                          key->active ? "Active" : "Inactive", age, used,
			                          key->last_used ? or_dash(key->last_service) : "-",
			                          key->last_used ? or_dash(key->last_region) : "-"},
			    7, -1);
		}
	for (size_t i = 0; i < A->L.findings.n; i++) {
		const struct kw_lc_finding *f = &A->L.findings.v[i];
		put(text, "FINDING", ft,
		    (const char *const[]){kw_lc_code_name(f->code), f->user, f->resource, f->message}, 4, -1);
	}
	for (size_t i = 0; i < np; i++) {
		day(p[i].k->last_used, used, sizeof(used));
		put(text, "PRUNE", pt,
		    (const char *const[]){p[i].e->s.user, key_label(p[i].k, slot, sizeof(slot)),
		                          kw_lc_prune_name(p[i].reason), used, p[i].result},
		    5, 3); /* the text line has no LastUsed */
	}
	if (text)
		goto out;
	kw_table_print(kt, KW_OUTPUT_TABLE, ctx->out, color);
	if (kw_table_rows(ft))
		kw_table_print(ft, KW_OUTPUT_TABLE, ctx->out, color);
	if (kw_table_rows(pt))
		kw_table_print(pt, KW_OUTPUT_TABLE, ctx->out, color);
out:
	kw_table_free(kt);
	kw_table_free(ft);
	kw_table_free(pt);
}

static void prune(struct audit *A, struct kw_lc_prune_item *p, size_t np)
{
	int yes = 1;
	char slot[32];

	if (!np)
		return;
	if (!A->yes) {
		fprintf(A->ctx->err, "Unused keys:\n");
		for (size_t i = 0; i < np; i++)
			fprintf(A->ctx->err, "  - %s %s (%s)\n", p[i].e->s.user,
			        key_label(p[i].k, slot, sizeof(slot)), kw_lc_prune_name(p[i].reason));
		yes = kw_cmd_ask(A->ctx, "Delete these keys? [y/N] ");
		if (yes < 0)
			fprintf(A->ctx->err, "note: no terminal to ask: listed only (add --yes to delete)\n");
		else if (!yes)
			fprintf(A->ctx->err, "nothing deleted\n");
	}
	if (yes <= 0)
		return;
	for (size_t i = 0; i < np; i++) {
		struct kw_error err;

		if (kw_lc_auditor_prune_one(&A->L, &p[i], &err)) {
			kw_error_print(&err, A->ctx->err);
			A->failed = true;
		}
	}
}

/* --- command ---------------------------------------------------------------------------- */

static const struct kw_cmd_spec spec = {.name = "audit", .usage = usage, .intro = intro, .outro = outro};

int cmd_audit(int argc, char **argv, struct kw_ctx *ctx)
{
	struct audit A = {.ctx = ctx,
	                  .L = {.unused_days = KW_LC_DEFAULT_UNUSED_DAYS},
	                  .max_access_key_age = KW_LC_DEFAULT_MAX_AGE_DAYS};
	struct kw_opt_strings notify_specs = {0};
	struct kw_aws_options aopt;
	struct kw_notify_env nenv = {&aopt};
	struct kw_lc_prune_item *p = NULL;
	struct kw_error err = {0};
	size_t np = 0;
	const struct kw_opt opts[] = {
	        KW_FLAG("all-users", &A.L.all_users,
	                "every IAM user, from the credential report (one report, not calls per user)"),
	        KW_DAYS("unused-days", "DAYS", &A.L.unused_days, 1, 36500, NULL,
	                "a key unused (or never used) this long is a finding (default 90)"),
	        KW_FLAG("prune-unused", &A.L.prune,
	                "delete keys never used or unused beyond --older-than, and inactive keys\n"
	                "past their grace period; asks first (lists only, without a terminal)"),
	        KW_DAYS("older-than", "DAYS", &A.L.older_than, 1, 36500, NULL,
	                "threshold for --prune-unused (default: --unused-days)"),
	        KW_FLAG("yes", &A.yes, "delete without asking"),
	        KW_OPT_NOTIFY(&notify_specs,
	                      "when there are findings, send a JSON summary (per account: keys with\n"
	                      "age and last use, finding codes; never a secret) to TARGET:\n"
	                      "sns:TOPIC_ARN (SNS Publish) or exec:COMMAND (JSON on its stdin);\n"
	                      "nothing is sent for a clean audit; up to 8 times"),
	        KW_DAYS("max-access-key-age", "DAYS", &A.max_access_key_age, 1, 36500, NULL,
	                "maxAccessKeyAge of AWS Config's access-keys-rotated rule, for the\n"
	                "access_keys_rotated verdicts in -o json (default 90)"),
	        KW_OPTS_END,
	};
	int first = kw_opts_parse(ctx, &spec, opts, argc, argv), rc = KW_EXIT_ERROR;

	if (first < 0)
		return kw_opts_exit(first);
	if (kw_cmd_notify_targets(ctx, &spec, &notify_specs, &A.notify))
		return KW_EXIT_ERROR;
	if (A.L.all_users && first < argc)
		return kw_opts_error(ctx, &spec, "--all-users reads every user: give no NAME");
	if (!A.L.prune && (A.L.older_than || A.yes))
		return kw_opts_error(ctx, &spec, "--older-than and --yes go with --prune-unused");
	if (!A.L.older_than)
		A.L.older_than = A.L.unused_days;

	if (first < argc && kw_cmd_resolve_accounts(ctx, argv + first, (size_t)(argc - first), &A.L.accts))
		goto out;
	kw_cmd_aws_options(ctx, ctx->profile, &aopt);
	if (kw_notify_list_check(&A.notify, &nenv, &err) || kw_lc_auditor_read(&A.L, &aopt, &err))
		goto fail;
	if (A.L.report_time) {
		char gen[32];
		long age = A.L.now > A.L.report_time ? (long)(A.L.now - A.L.report_time) : 0;
		kw_iso8601_format(A.L.report_time, gen, sizeof(gen));
		fprintf(ctx->err, "credential report generated %s (%ld minute%s ago)\n", gen, age / 60,
		        age / 60 == 1 ? "" : "s");
	}
	for (size_t i = 0; i < A.L.n; i++) {
		if (A.L.e[i].missing && A.L.e[i].s.origin) {
			fprintf(ctx->err, "note: %s: no such user yet (apply creates it)\n", A.L.e[i].s.user);
		} else if (A.L.e[i].missing) { /* a bare NAME that names nobody: a bad NAME (exit 1) */
			kw_error_set(&err, KW_ERR_NOT_FOUND, A.L.e[i].s.user, "no such IAM user");
			kw_error_print(&err, ctx->err);
			A.failed = true;
		}
	}
	if (kw_lc_auditor_judge(&A.L, &err))
		goto fail;
	if (A.L.prune) {
		np = kw_lc_auditor_prune_list(&A.L, &p);
		prune(&A, p, np);
	}
	print_results(&A, p, np);
	if (kw_notify_audit_send(&A.L, A.max_access_key_age, &A.notify, &nenv, &err)) {
		kw_error_print(&err, ctx->err);
		A.failed = true;
	}
	rc = A.failed ? KW_EXIT_ERROR : A.L.findings.n ? KW_EXIT_FINDINGS : KW_EXIT_OK;
	goto out;
fail:
	kw_error_print(&err, ctx->err);
out:
	free(p);
	kw_lc_auditor_release(&A.L);
	return rc;
}
