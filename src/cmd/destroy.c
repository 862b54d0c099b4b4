/*
 * destroy.c - `keywarden destroy NAME...`: take service accounts apart in the order IAM
 * requires, after showing what will go and asking; the IAM work is lifecycle/destroy.h. Only users tagged
 * managed-by: keywarden (and their groups) are touched; what is already gone is skipped, so
 * a second run changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws/client.h"
#include "cmd/cmd.h"
#include "cmd/lifecycle.h"
#include "cmd/options.h"
#include "cmd/progress.h"
#include "cmd/rows.h"
#include "engine/account.h"
#include "engine/live.h"
#include "lifecycle/accounts.h"
#include "lifecycle/destroy.h"
#include "lifecycle/teardown.h"
#include "manifest/manifest.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/output.h"

static const char usage[] = "usage: keywarden destroy [OPTIONS] NAME...\n";

static const char intro[] =
        "Remove service accounts: access keys, MFA devices (deactivated, then deleted), the console\n"
        "password, group memberships, the group with its policies, the user's own policies and\n"
        "permissions boundary, then the user, in the order IAM requires. Shows the steps and asks\n"
        "first. Also removes what DeleteUser requires gone that keywarden never makes: SSH public\n"
        "keys, signing certificates, service-specific credentials, hardware MFA tokens (deactivated).\n"
        "Only users tagged managed-by: keywarden are touched; running it again changes nothing.\n"
        "Then what keywarden delivered for the account (each named): the key files and profiles\n"
        "(in ~/.aws/credentials and ~/.aws/config) its manifest names and its target record lists\n"
        "(--state-dir), each only while it holds the user's key; and every secret and parameter\n"
        "tagged managed-by: keywarden and keywarden:user: USER, looked for in the operator's region\n"
        "and the regions of the manifest's stores. Without a manifest or a record on this machine,\n"
        "key files and profiles are not known: destroy says so.\n"
        "NAME is a manifest file, a folder of manifests, or an IAM user name.\n";

static const char outro[] =
        "Ctrl-C stops before the next step; destroy again finishes the job.\n"
        "\n"
        "Exit status: 0 destroyed (or, with --missing-ok, nothing left to destroy), 1 an error, a\n"
        "NAME IAM does not know, a user not managed by keywarden, a stop, or not approved.\n";

/* What destroy prints while it runs (stderr): whole lines, prefixed, and the progress line. */
struct run {
	struct kw_ctx *ctx;
	struct kw_progress *out;
};

/* A step's outcome, as the lifecycle reports it (lifecycle/destroy.h). */
static void on_event(void *ud, const struct kw_lc_destroy_event *ev)
{
	struct run *r = ud;
	const char *user = ev->job->acct->user;
	char step[1024];

	kw_lc_td_describe(ev->step, step, sizeof(step));
	switch (ev->kind) {
	case KW_LC_DESTROY_STEP_DONE:
		kw_progress_step_done(r->out);
		kw_progress_linef(r->out, user, "  done    %s", step);
		break;
	case KW_LC_DESTROY_STOPPED:
		kw_progress_linef(
		        r->out, NULL,
		        "note: %s: stopped before \"%s\" after %zu of %zu steps; run destroy again to finish",
		        user, step, ev->done, ev->job->nsteps);
		break;
	case KW_LC_DESTROY_FAILED:
		kw_progress_error(r->out, ev->err);
		kw_progress_linef(
		        r->out, NULL,
		        "note: %s: stopped at \"%s\" after %zu of %zu steps; run destroy again once fixed",
		        user, step, ev->done, ev->job->nsteps);
		break;
	}
}

/* A delivery target after the user is gone (lifecycle/destroy.h kw_lc_destroy_targets). */
static void on_target(void *ud, const struct kw_lc_target_event *ev)
{
	struct run *r = ud;
	const char *user = ev->job->acct->user;

	if (ev->why) {
		kw_progress_linef(r->out, NULL, "note: %s: %s: %s", user, ev->target, ev->why);
	} else if (ev->err) {
		kw_progress_error(r->out, ev->err);
		kw_progress_linef(r->out, NULL, "note: %s: %s was not removed; run destroy again once fixed",
		                  user, ev->target);
	} else if (ev->what == KW_KEY_REMOVED) {
		kw_progress_linef(r->out, NULL, "%s: removed %s", user, ev->target);
	} else if (ev->what == KW_KEY_REMOVED_FOREIGN) {
		kw_progress_linef(r->out, NULL, "note: %s: kept %s: not keywarden's key for this account",
		                  user, ev->target);
	} else {
		kw_log(KW_LOG_INFO, "%s: %s: nothing to remove", user, ev->target);
	}
}

/* An account started or ended: the progress line's counts. */
static void on_account(void *ud, const struct kw_lc_destroy_job *job)
{
	struct run *r = ud;

	if (job->end == KW_LC_END_RUNNING)
		kw_progress_account_started(r->out);
	else
		kw_progress_account_done(r->out,
		                         job->end == KW_LC_END_DESTROYED || job->end == KW_LC_END_NOTHING);
}

/* The table's word for how an account ended. */
static const char *end_name(enum kw_lc_destroy_end e)
{
	switch (e) {
	case KW_LC_END_DESTROYED: return "destroyed";
	case KW_LC_END_NOTHING: return "nothing to do";
	case KW_LC_END_REFUSED: return "refused (not managed by keywarden)";
	case KW_LC_END_NOT_FOUND: return "not found";
	case KW_LC_END_NOT_STARTED: return "not started (stopped)";
	case KW_LC_END_STOPPED: return "stopped";
	case KW_LC_END_FAILED: return "failed";
	case KW_LC_END_TARGETS_LEFT: return "destroyed; targets left";
	case KW_LC_END_PENDING:
	case KW_LC_END_RUNNING: break;
	}
	return "not run";
}

static void print_plan(struct kw_ctx *ctx, const struct kw_lc_destroy_job *jobs, size_t n)
{
	char line[1024];

	for (size_t i = 0; i < n; i++) {
		if (jobs[i].refuse)
			continue;
		if (jobs[i].skip) {
			fprintf(ctx->err, "%s: %s\n", jobs[i].acct->user, jobs[i].skip);
			continue;
		}
		fprintf(ctx->err, "%s: %zu steps\n", jobs[i].acct->user, jobs[i].nsteps);
		for (size_t k = 0; k < jobs[i].nsteps; k++) {
			kw_lc_td_describe(&jobs[i].steps[k], line, sizeof(line));
			fprintf(ctx->err, "  - %s\n", line);
		}
		if (jobs[i].g.other_members)
			fprintf(ctx->err, "  (group %s stays: %zu other member%s)\n", jobs[i].g.name,
			        jobs[i].g.other_members, jobs[i].g.other_members == 1 ? "" : "s");
	}
}

static const struct kw_cmd_spec spec = {.name = "destroy", .usage = usage, .intro = intro, .outro = outro};

int cmd_destroy(int argc, char **argv, struct kw_ctx *ctx)
{
	static const char *const cols[] = {"Account", "Result", "Steps"};
	struct kw_lc_accounts accts = {0};
	struct kw_accounts reach = {0};
	const char *role_arn = NULL;
	struct kw_aws_options aopt;
	struct kw_aws_client *c = NULL;
	struct kw_lc_destroy d = {0};
	struct kw_cmd_rows t = KW_CMD_ROWS("Destroyed", cols, 3);
	struct kw_error err = {0};
	bool auto_approve = false, missing_ok = false, failed = false, stopped = false, unstarted = false;
	int parallelism = KW_LIVE_PARALLELISM;
	struct run r = {.ctx = ctx};
	struct kw_lc_destroy_opts do_opts = {
	        .on_event = on_event, .on_target = on_target, .on_account = on_account, .ud = &r};
	const struct kw_opt opts[] = {
	        KW_OPT_PARALLELISM(&parallelism, "destroy up to N accounts at once (default 8)"),
	        KW_FLAG("auto-approve", &auto_approve, "do not ask (needed without a terminal)"),
	        KW_FLAG("missing-ok", &missing_ok,
	                "a NAME IAM has no user for is done, not an error (pipelines that\n"
	                "rerun a destroy)"),
	        KW_OPT_ROLE_ARN(&role_arn),
	        KW_OPTS_END,
	};
	int first = kw_opts_parse(ctx, &spec, opts, argc, argv), rc = KW_EXIT_ERROR;

	if (first < 0)
		return kw_opts_exit(first);
	if (first == argc)
		return kw_opts_error(ctx, &spec, "destroy what? give NAME...");
	/* Ctrl-C from here on is a request to stop between steps (util/interrupt.h) */
	kw_interrupt_install();
	if (kw_cmd_resolve_accounts(ctx, argv + first, (size_t)(argc - first), &accts))
		goto out;
	kw_cmd_aws_options(ctx, ctx->profile, &aopt);
	aopt.adaptive_default = true; /* adaptive retry mode (aws/client.h), as apply */
	if (kw_aws_client_new(&aopt, &c, &err) ||
	    kw_lc_accounts_reach(c, &aopt, role_arn, &accts, &reach, &err) ||
	    kw_lc_destroy_prepare(c, &accts, &d, &err))
		goto fail;
	for (size_t i = 0; i < d.n; i++)
		if (d.jobs[i].refuse) {
			kw_error_print(&d.jobs[i].error, ctx->err);
			failed = true;
		} else if (d.jobs[i].missing && !missing_ok) {
			fprintf(ctx->err,
			        "error: %s: IAM has no such user (nothing to destroy; --missing-ok takes "
			        "that as "
			        "done, for a rerun)\n",
			        d.jobs[i].acct->user);
			failed = true;
		}
	print_plan(ctx, d.jobs, d.n);
	if (d.total && !auto_approve) {
		int yes = kw_cmd_ask(ctx, "Destroy these accounts? [y/N] ");
		if (kw_interrupt_check("destroy", &err))
			goto fail_unchanged;
		if (yes <= 0) {
			fprintf(ctx->err, yes < 0 ? "error: no terminal to ask: rerun with --auto-approve\n"
			                          : "destroy cancelled: nothing was changed\n");
			goto out;
		}
	}
	if (kw_interrupt_check("destroy", &err))
		goto fail_unchanged;
	do_opts.aws = &aopt;
	do_opts.missing_ok = missing_ok;
	do_opts.parallelism = parallelism;
	if (!(r.out = kw_progress_new(ctx->err, d.n, d.total, d.n > 1 && do_opts.parallelism > 1, true))) {
		kw_error_set(&err, KW_ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	if (kw_lc_destroy_accounts(c, &d, &do_opts, &err) < 0)
		goto fail;
	kw_progress_free(r.out); /* the progress line goes */
	r.out = NULL;
	for (size_t i = 0; i < d.n; i++) {
		const struct kw_lc_destroy_job *j = &d.jobs[i];
		char steps[64];

		failed |= j->end != KW_LC_END_DESTROYED && j->end != KW_LC_END_NOTHING;
		stopped |= j->end == KW_LC_END_STOPPED || j->end == KW_LC_END_NOT_STARTED;
		unstarted |= j->end == KW_LC_END_NOT_STARTED;
		snprintf(steps, sizeof(steps), "%zu/%zu", j->done, j->nsteps);
		if (kw_cmd_rows_add(&t, i, (const char *const[]){accts.v[i].user, end_name(j->end), steps}))
			failed = true;
	}
	if (kw_cmd_rows_print(&t, ctx, ctx->out, kw_cmd_color(ctx)))
		failed = true;
	if (kw_interrupt_check("destroy", &err) && stopped) {
		kw_error_print(&err, ctx->err);
		if (unstarted)
			fputs("note: accounts \"not started (stopped)\" were left as they were: run destroy "
			      "again to finish\n",
			      ctx->err);
	} else if (kw_interrupted() && !failed) {
		fprintf(ctx->err,
		        "note: %s during the last step: it was completed, nothing is left to destroy\n",
		        err.msg);
	}
	rc = failed ? KW_EXIT_ERROR : KW_EXIT_OK;
	goto out;
fail_unchanged:
	kw_error_print(&err, ctx->err);
	fputs("note: stopped before any change: nothing was destroyed\n", ctx->err);
	goto out;
fail:
	kw_error_print(&err, ctx->err);
out:
	kw_progress_free(r.out);
	kw_lc_destroy_release(&d);
	kw_cmd_rows_release(&t);
	kw_accounts_release(&reach);
	kw_aws_client_free(c);
	kw_lc_accounts_release(&accts);
	return rc;
}
