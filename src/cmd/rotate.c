/*
 * rotate.c - `keywarden rotate NAME...` (service accounts) and `keywarden rotate --profile P
 * ... | --all-profiles` (a local profile's key rotates itself): options, one entry point of
 * lifecycle/rotate.h, and the result table (cmd/rows.h) and --notify summary (notify/summary.h).
 * The IAM work is in src/lifecycle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "cmd/cmd.h"
#include "cmd/lifecycle.h"
#include "cmd/options.h"
#include "cmd/progress.h"
#include "cmd/rows.h"
#include "engine/live.h"
#include "lifecycle/accounts.h"
#include "lifecycle/rotate.h"
#include "lifecycle/rotation.h"
#include "notify/notify.h"
#include "notify/summary.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/output.h"

static const char usage[] =
        "usage: keywarden rotate [OPTIONS] NAME...\n"
        "       keywarden rotate [OPTIONS] --profile P [--profile Q ...] | --all-profiles\n"
        "       keywarden rotate --due [--within DAYS] NAME...\n"
        "       keywarden rotate --due --max-age DAYS [--within DAYS] --all-profiles | --profile P\n";

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
        "With --due only the accounts whose active key is older than the manifest's maxAgeDays\n"
        "(profiles: --max-age), or will be within --within DAYS, are rotated; every other account\n"
        "is left alone with one line saying so.\n"
        "\n"
        "Exit status: 0 every key rotated (with --due: every due one, or none was due), 1 an error,\n"
        "a notification not sent, or a stop (what was left behind is printed).\n";

/* What the run reports: the result table, --notify's list, and what a stop left unstarted. */
struct outcome {
	struct kw_ctx *ctx;
	struct kw_cmd_rows rows;        /* the result table, in the accounts' order */
	struct kw_notify_rotations rot; /* every rotation done or failed, for --notify */
	struct kw_progress *out;        /* step lines (stderr), account prefixes, the progress line */
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

/* An account's rotation ran (KW_LC_ROTATE_DONE): its notes and its row of the table. */
static void report(struct outcome *oc, const struct kw_lc_rotate_event *ev)
{
	const struct kw_lc_rot_result *r = ev->res;
	const char *account = ev->account, *delivered = ev->delivered;
	char state[KW_GRACE_VALUE_MAX + 32];
	const char *cells[5];
	int rc = ev->rc;

	if (rc) {
		kw_progress_error(oc->out, ev->err);
		if (r->state[0])
			kw_progress_linef(oc->out, NULL, "note: %s: %s", account, r->state);
		oc->any_failed = true;
	}
	for (size_t i = 0; i < r->nremoved; i++)
		kw_progress_linef(oc->out, account,
		                  "  deleted key %s (inactive and in the way of the two-key limit, or never "
		                  "delivered: no target held it)",
		                  r->removed[i]);
	if (!rc && r->resumed)
		kw_progress_linef(oc->out, account, "  %s", r->state);
	if (rc && r->failed <= KW_LC_ROT_CREATE)
		return;
	old_state(r, state, sizeof(state));
	cells[0] = account;
	cells[1] = *r->old_id ? r->old_id : "-";
	cells[2] = *r->new_id ? r->new_id : "-";
	cells[3] = state;
	cells[4] = delivered && *delivered ? delivered : "-";
	if (kw_cmd_rows_add(&oc->rows, ev->index, cells))
		oc->any_failed = true;
}

/* The line of each call of the rotation (KW_LC_ROTATE_STEP): the text before and after the key id. */
static const char *const step_text[][2] = {
        [KW_LC_ROTATE_CREATED] = {"created access key ", ""},
        [KW_LC_ROTATE_CONFIRMED] = {"access key ", " works (STS GetCallerIdentity)"},
        [KW_LC_ROTATE_DELIVERED] = {"delivered access key ", " to "},
        [KW_LC_ROTATE_DEACTIVATED] = {"deactivated access key ", ""},
        [KW_LC_ROTATE_DELETED] = {"deleted access key ", ""},
        [KW_LC_ROTATE_GRACE_TAGGED] = {"tagged the grace period of access key ", ""},
};

/* Keep a rotation for --notify. */
static void remember(struct outcome *oc, const struct kw_lc_rotate_event *ev, bool ok,
                     const struct kw_lc_rot_result *res)
{
	if (kw_notify_rotations_add(&oc->rot, ev->index, ev->account, ok, res, ev->delivered, ev->err))
		oc->any_failed = true;
}

/* What the lifecycle reports (lifecycle/rotate.h), rendered; one call at a time. */
static void on_event(void *ud, const struct kw_lc_rotate_event *ev)
{
	struct outcome *oc = ud;

	switch (ev->kind) {
	case KW_LC_ROTATE_STARTED: kw_progress_account_started(oc->out); break;
	case KW_LC_ROTATE_STEP:
		kw_progress_step_done(oc->out);
		kw_progress_linef(oc->out, ev->account, "  done    %s%s%s%s", step_text[ev->action][0],
		                  ev->key_id ? ev->key_id : "", step_text[ev->action][1],
		                  ev->action == KW_LC_ROTATE_DELIVERED ? ev->delivered : "");
		break;
	case KW_LC_ROTATE_DONE:
		report(oc, ev);
		remember(oc, ev, ev->rc == 0, ev->res);
		kw_progress_account_done(oc->out, ev->rc == 0);
		break;
	case KW_LC_ROTATE_REFUSED:
		kw_progress_error(oc->out, ev->err);
		oc->any_failed = true;
		remember(oc, ev, false, NULL);
		kw_progress_account_done(oc->out, false);
		break;
	case KW_LC_ROTATE_NOT_DUE:
		/* whole lines, never prefixed: "ACCOUNT: not due: ..." names its account itself */
		if (ev->key_id)
			kw_progress_linef(
			        oc->out, NULL,
			        "%s: not due: key %s is %ld day%s old (maxAgeDays %d, due in %ld day%s)",
			        ev->account, ev->key_id, ev->age_days, ev->age_days == 1 ? "" : "s",
			        ev->max_age_days, ev->due_in_days, ev->due_in_days == 1 ? "" : "s");
		else
			kw_progress_linef(oc->out, NULL, "%s: not due: no active key", ev->account);
		kw_progress_account_done(oc->out, true);
		break;
	case KW_LC_ROTATE_SKIPPED:
		kw_progress_linef(oc->out, NULL, "note: profile %s skipped: %s", ev->profile, ev->why);
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

static const struct kw_cmd_spec spec = {.name = "rotate", .usage = usage, .intro = intro, .outro = outro};

int cmd_rotate(int argc, char **argv, struct kw_ctx *ctx)
{
	struct outcome oc = {.ctx = ctx, .rows = KW_CMD_ROWS("Rotated keys", result_cols, 5)};
	struct kw_aws_options aopt;
	struct kw_lc_rotate_opts o = {.grace_days = KW_DEFAULT_GRACE_DAYS,
	                              .confirm_timeout = 60,
	                              .parallelism = KW_LIVE_PARALLELISM,
	                              .aws_opts = &aopt,
	                              .stdout_sink = ctx->out,
	                              .on_event = on_event,
	                              .ud = &oc};
	struct kw_lc_accounts accts = {0};
	struct kw_error err = {0};
	struct kw_opt_strings notify_specs = {0};
	struct kw_notify_list targets = {0};
	struct kw_notify_env nenv = {&aopt};
	bool stdout_used = false, all_profiles = false, within_set = false, max_age_set = false;
	FILE *fp;
	const struct kw_opt opts[] = {
	        KW_OPT_PARALLELISM(&o.parallelism, "rotate up to N accounts at once (default 8)"),
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
	        KW_FLAG("due", &o.due,
	                "rotate only accounts whose active key is older than the manifest's\n"
	                "maxAgeDays (profiles: --max-age), or will be within --within DAYS"),
	        KW_DAYS("within", "DAYS", &o.within_days, 0, 3650, &within_set,
	                "with --due: also keys that will be due within DAYS (default 0)"),
	        KW_DAYS("max-age", "DAYS", &o.max_age_days, 1, 3650, &max_age_set,
	                "with --due: the age limit of profiles and of user names (no manifest)"),
	        KW_OPT_ROLE_ARN(&o.role_arn),
	        KW_OPT_NOTIFY(&notify_specs,
	                      "send a JSON summary of the rotations done or failed (never a secret)\n"
	                      "to sns:TOPIC_ARN or exec:COMMAND; nothing when none ran; up to 8 times"),
	        KW_OPTS_END,
	};
	int first = kw_opts_parse(ctx, &spec, opts, argc, argv), rc = KW_EXIT_ERROR;

	if (first < 0)
		return kw_opts_exit(first);
	if (o.delete_old && o.grace_set)
		return kw_opts_error(ctx, &spec, "--delete-old and --grace exclude each other");
	if (first < argc && ctx->nprofiles > 1)
		return kw_opts_error(ctx, &spec,
		                     "with NAME, --profile names the one admin profile to use: give it once");
	if (first < argc && all_profiles)
		return kw_opts_error(ctx, &spec, "--all-profiles rotates local profiles: give no NAME");
	if (first == argc && o.role_arn)
		return kw_opts_error(ctx, &spec, "--role-arn goes with NAME... (manifests), not profiles");
	if (first == argc && !all_profiles && !ctx->nprofiles)
		return kw_opts_error(ctx, &spec, "rotate what? give NAME..., --profile P or --all-profiles");
	if ((within_set || max_age_set) && !o.due)
		return kw_opts_error(ctx, &spec, "--within and --max-age go with --due");
	if (o.due && first == argc && !max_age_set)
		return kw_opts_error(
		        ctx, &spec,
		        "profiles have no manifest to say when a key is due: give --max-age DAYS");
	if (kw_cmd_notify_targets(ctx, &spec, &notify_specs, &targets))
		return KW_EXIT_ERROR;

	/* Ctrl-C from here on is a request to stop at a safe point (util/interrupt.h) */
	kw_interrupt_install();
	kw_buf_init(&oc.skipped);
	kw_cmd_aws_options(ctx, ctx->profile, &aopt);
	aopt.adaptive_default = true;                      /* adaptive retry mode (aws/client.h), as apply */
	if (kw_notify_list_check(&targets, &nenv, &err)) { /* before the first change */
		kw_error_print(&err, ctx->err);
		goto out;
	}
	if (first == argc) {
		/* profiles rotate one after another: whole lines, no prefix, no progress line */
		if (!(oc.out = kw_progress_new(ctx->err, 0, 0, false, false))) {
			fputs("error: out of memory\n", ctx->err);
			goto out;
		}
		if (kw_lc_rotate_profiles(ctx->profiles, ctx->nprofiles, all_profiles, &o, &err) < 0) {
			kw_error_print(&err, ctx->err);
			oc.any_failed = true;
		}
	} else {
		if (kw_cmd_resolve_accounts(ctx, argv + first, (size_t)(argc - first), &accts))
			goto out;
		stdout_used = kw_lc_accounts_stdout(&accts);
		if (!(oc.out = kw_progress_new(ctx->err, accts.n, 0, accts.n > 1 && o.parallelism > 1,
		                               true))) {
			fputs("error: out of memory\n", ctx->err);
			goto out;
		}
		if (kw_lc_rotate_accounts(&accts, &o, &err) < 0) {
			kw_error_print(&err, ctx->err);
			goto out;
		}
	}
	kw_progress_free(oc.out); /* the progress line goes; every line is out */
	oc.out = NULL;
	/* a key delivered on stdout keeps stdout for the key alone: the summary goes to stderr */
	fp = stdout_used ? ctx->err : ctx->out;
	if (oc.rows.n && kw_cmd_rows_print(&oc.rows, ctx, fp, !stdout_used && kw_cmd_color(ctx)))
		oc.any_failed = true;
	report_stop(ctx, &oc);
	if (kw_notify_rotations_send(&oc.rot, &targets, &nenv, time(NULL), &err)) {
		kw_error_print(&err, ctx->err);
		oc.any_failed = true;
	}
	rc = oc.any_failed ? KW_EXIT_ERROR : KW_EXIT_OK;
out:
	kw_progress_free(oc.out);
	kw_cmd_rows_release(&oc.rows);
	kw_notify_rotations_release(&oc.rot);
	kw_lc_accounts_release(&accts);
	kw_buf_release(&oc.skipped);
	return rc;
}
