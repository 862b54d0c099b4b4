/*
 * rotate.c - `keywarden rotate NAME...` (service accounts) and `keywarden rotate --profile P
 * ... | --all-profiles` (a local profile's key rotates itself): options, one entry point of
 * lifecycle/rotate.h, and the result table. The IAM work is in src/lifecycle.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "cmd/cmd.h"
#include "cmd/lifecycle.h"
#include "cmd/options.h"
#include "lifecycle/accounts.h"
#include "lifecycle/rotate.h"
#include "lifecycle/rotation.h"
#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/output.h"

static const char usage[] =
        "usage: keywarden rotate [OPTIONS] NAME...\n"
        "       keywarden rotate [OPTIONS] --profile P [--profile Q ...] | --all-profiles\n";

static const char intro[] =
        "Rotate access keys safely: make room under IAM's two-key limit, create the new key,\n"
        "confirm it works (STS GetCallerIdentity), deliver it, deactivate the old key, then delete\n"
        "the old key (--delete-old) or keep it inactive for a grace period. A failure before the\n"
        "old key is deactivated leaves it active and deletes a new key nobody received.\n"
        "NAME is a manifest file, a folder of manifests, or an IAM user name (with --stdout).\n";

static const char outro[] =
        "Ctrl-C stops before the next account or the next new key; a key already created is\n"
        "delivered and confirmed, or deleted, first. What was done and what was not is printed.\n"
        "\n"
        "Exit status: 0 every key rotated, 1 an error or a stop (what was left behind is printed).\n";

/* The result table, and the accounts a stop request (Ctrl-C) left unstarted. */
struct outcome {
	struct kw_ctx *ctx;
	struct kw_table *t;
	bool any_failed;
	struct kw_buf skipped; /* "service-a, profile b" */
};

static const char *const result_cols[] = {"Account", "OldKey", "NewKey", "OldKeyState", "DeliveredTo"};

/* "deleted", "inactive until ...", "still active", "none". */
static void old_state(const struct kw_lc_rot_result *r, char *buf, size_t size)
{
	if (!*r->old_id)
		snprintf(buf, size, "none");
	else if (r->old_deleted)
		snprintf(buf, size, "deleted");
	else if (r->old_active)
		snprintf(buf, size, "still active");
	else if (r->old_tagged)
		snprintf(buf, size, "inactive until %s", r->grace_until);
	else
		snprintf(buf, size, "inactive");
}

static void report(struct kw_ctx *ctx, struct outcome *oc, const char *account,
                   const struct kw_lc_rot_result *r, const char *delivered, int rc,
                   const struct kw_error *err)
{
	char state[KW_GRACE_VALUE_MAX + 32];
	const char *cells[5];

	if (rc) {
		kw_error_print(err, ctx->err);
		if (r->state[0])
			fprintf(ctx->err, "note: %s: %s\n", account, r->state);
		oc->any_failed = true;
	}
	for (size_t i = 0; i < r->nremoved; i++)
		fprintf(ctx->err, "%s: deleted inactive key %s to stay under the two-key limit\n", account,
		        r->removed[i]);
	if (rc && r->failed <= KW_LC_ROT_CREATE)
		return;
	old_state(r, state, sizeof(state));
	cells[0] = account;
	cells[1] = *r->old_id ? r->old_id : "-";
	cells[2] = *r->new_id ? r->new_id : "-";
	cells[3] = state;
	cells[4] = delivered && *delivered ? delivered : "-";
	if (kw_table_add_row(oc->t, cells))
		oc->any_failed = true;
}

/* What the lifecycle reports (lifecycle/rotate.h), rendered. */
static void on_event(void *ud, const struct kw_lc_rotate_event *ev)
{
	struct outcome *oc = ud;

	switch (ev->kind) {
	case KW_LC_ROTATE_DONE:
		report(oc->ctx, oc, ev->account, ev->res, ev->delivered, ev->rc, ev->err);
		break;
	case KW_LC_ROTATE_REFUSED:
		kw_error_print(ev->err, oc->ctx->err);
		oc->any_failed = true;
		break;
	case KW_LC_ROTATE_SKIPPED:
		fprintf(oc->ctx->err, "note: profile %s skipped: %s\n", ev->profile, ev->why);
		oc->any_failed |= ev->failure;
		break;
	case KW_LC_ROTATE_NOT_STARTED:
		if (oc->skipped.len)
			(void)kw_buf_puts(&oc->skipped, ", ");
		(void)kw_buf_appendf(&oc->skipped, "%s%s", ev->profile ? "profile " : "",
		                     ev->profile ? ev->profile : ev->account);
		break;
	}
}

/* After a stop request (Ctrl-C): what was not started; the table above shows what was done. */
static void report_stop(struct kw_ctx *ctx, struct outcome *oc)
{
	struct kw_error err;

	if (!kw_interrupt_check("rotate", &err))
		return;
	if (oc->skipped.len) {
		kw_error_print(&err, ctx->err);
		fprintf(ctx->err, "note: stopped; not rotated (not started): %s\n", oc->skipped.data);
		oc->any_failed = true;
	} else if (!oc->any_failed) {
		fprintf(ctx->err,
		        "note: %s while the last rotation was under way: it was completed, every key is "
		        "rotated\n",
		        err.msg);
	}
}

int cmd_rotate(int argc, char **argv, struct kw_ctx *ctx)
{
	struct outcome oc = {.ctx = ctx};
	struct kw_aws_options aopt;
	struct kw_lc_rotate_opts o = {.grace_days = KW_DEFAULT_GRACE_DAYS,
	                              .confirm_timeout = 60,
	                              .aws_opts = &aopt,
	                              .stdout_sink = ctx->out,
	                              .on_event = on_event,
	                              .ud = &oc};
	struct kw_lc_accounts accts = {0};
	struct kw_error err = {0};
	bool stdout_used = false, all_profiles = false;
	const struct kw_opt opts[] = {
	        KW_FLAG("delete-old", &o.delete_old,
	                "delete the old key at once instead of keeping it inactive"),
	        KW_DAYS("grace", "DAYS", &o.grace_days, 0, 3650, &o.grace_set,
	                "keep the old key inactive this many days (default 7; 7d, 2w); a later\n"
	                "rotate or audit --prune-unused deletes it afterwards"),
	        KW_FLAG("delete-inactive", &o.delete_inactive,
	                "with two keys already, delete the inactive one to make room"),
	        KW_FLAG("stdout", &o.to_stdout,
	                "for a NAME that is a user name: print the new key as JSON on stdout"),
	        KW_FLAG("all-profiles", &all_profiles,
	                "rotate every profile with static keys in the credentials file"),
	        KW_SECONDS("confirm-timeout", "SEC", &o.confirm_timeout, 0, 3600,
	                   "how long to wait for a new key to work (default 60; 90s, 2m)"),
	        KW_TEXT("--profile P", "(common option) with no NAME: rotate profile P's own key in place"),
	        KW_OPTS_END,
	};
	const struct kw_cmd_spec spec = {
	        .name = "rotate", .usage = usage, .intro = intro, .opt = opts, .outro = outro};
	int first = kw_opts_parse(ctx, &spec, argc, argv), rc = KW_EXIT_ERROR;

	if (first < 0)
		return first == KW_OPTS_HELP ? KW_EXIT_OK : KW_EXIT_ERROR;
	if (o.delete_old && o.grace_set)
		return kw_opts_error(ctx, &spec, "--delete-old and --grace exclude each other");
	if (first < argc && ctx->nprofiles > 1)
		return kw_opts_error(ctx, &spec,
		                     "with NAME, --profile names the one admin profile to use: give it once");
	if (first < argc && all_profiles)
		return kw_opts_error(ctx, &spec, "--all-profiles rotates local profiles: give no NAME");
	if (first == argc && !all_profiles && !ctx->nprofiles)
		return kw_opts_error(ctx, &spec, "rotate what? give NAME..., --profile P or --all-profiles");

	/* Ctrl-C from here on is a request to stop at a safe point (util/interrupt.h) */
	kw_interrupt_install();
	kw_buf_init(&oc.skipped);
	oc.t = kw_table_new("Rotated keys", 5, result_cols);
	if (!oc.t) {
		fputs("error: out of memory\n", ctx->err);
		goto out;
	}
	kw_cmd_aws_options(ctx, ctx->profile, &aopt);
	aopt.adaptive_default = true; /* adaptive retry mode (aws/client.h), as apply */
	if (first == argc) {
		if (kw_lc_rotate_profiles(ctx->profiles, ctx->nprofiles, all_profiles, &o, &err) < 0) {
			kw_error_print(&err, ctx->err);
			oc.any_failed = true;
		}
	} else {
		if (kw_cmd_resolve_accounts(ctx, argv + first, (size_t)(argc - first), &accts))
			goto out;
		for (size_t i = 0; i < accts.n; i++) {
			const struct kw_manifest *m = accts.v[i].manifest;
			for (size_t j = 0; m && j < m->ndeliver; j++)
				stdout_used |= m->deliver[j].kind == KW_DELIVER_STDOUT;
			stdout_used |= !m;
		}
		if (kw_lc_rotate_accounts(&accts, &o, &err) < 0) {
			kw_error_print(&err, ctx->err);
			goto out;
		}
	}
	if (kw_table_rows(oc.t)) {
		/* a key delivered on stdout keeps stdout for the key alone: the summary goes to stderr */
		FILE *fp = stdout_used ? ctx->err : ctx->out;
		enum kw_output_format fmt = kw_cmd_output_format(ctx, fp);

		kw_table_print(oc.t, fmt, fp, !stdout_used && kw_cmd_color(ctx));
	}
	report_stop(ctx, &oc);
	rc = oc.any_failed ? KW_EXIT_ERROR : KW_EXIT_OK;
out:
	kw_lc_accounts_release(&accts);
	kw_table_free(oc.t);
	kw_buf_release(&oc.skipped);
	return rc;
}
