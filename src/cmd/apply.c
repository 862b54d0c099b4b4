/*
 * apply.c - `keywarden apply PATH...`: plan, ask for approval, run every step with its read-back
 * gate, enroll MFA, issue and deliver access keys last. Exit 0 converged, 1 error.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws/client.h"
#include "cmd/cmd.h"
#include "cmd/engine_cmd.h"
#include "cmd/mfa_screen.h"
#include "cmd/options.h"
#include "cmd/progress.h"
#include "engine/exec.h"
#include "engine/live.h"
#include "engine/render.h"
#include "engine/saved.h"
#include "cmd/lifecycle.h"
#include "lifecycle/accounts.h"
#include "lifecycle/destroy.h"
#include "keys/sink.h"
#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/output.h"

static const char usage[] =
        "usage: keywarden apply [--auto-approve] [--confirm-timeout SECONDS] [--mfa-seed-out FILE |\n"
        "                       --mfa-seed-exec CMD] [--qr-png FILE] [--qr-svg FILE] [--adopt]\n"
        "                       [--prune-keys] [--owner NAME [--prune-accounts]] [--parallelism N]\n"
        "                       [--stats] [--role-arn ARN] PATH...\n"
        "       keywarden apply --plan FILE [--max-plan-age DURATION] [apply's other options]\n";

static const char intro[] =
        "Make IAM match the manifests at PATH (files or folders): show the plan, ask for approval,\n"
        "run each step and confirm it by reading it back, enroll the MFA device, and only then\n"
        "issue the access key, deliver it and confirm that it works.\n"
        "\n"
        "On a terminal, the MFA QR code is shown on the alternate screen (nothing stays in the\n"
        "scrollback); at its prompts: s shows the secret for typing it in, Enter redraws,\n"
        "Ctrl-C stops.\n";

static const char outro[] =
        "Exit status: 0 converged, 1 error (nothing after the failed step ran; no key was issued\n"
        "unless every other step was confirmed).\n";

#define GREEN "\033[32m"
#define RED   "\033[31m"
#define DIM   "\033[2m"
#define BOLD  "\033[1m"
#define RESET "\033[0m"

/* What one account's run came to (KW_EV_ACCOUNT), for the summary. */
struct account_result {
	bool finished;
	enum kw_exec_status status;
	char *error; /* owned; the failure's message */
};

struct apply {
	struct kw_ctx *ctx;
	FILE *fp; /* plan, progress and summary: stdout, or stderr when a key goes to stdout */
	const struct kw_plan *plan;
	bool json;
	bool color;
	struct kw_mfa_screen screen;
	struct kw_progress *out;      /* step lines and the progress line (text output) */
	struct account_result *accts; /* per plan account */
	bool *started;                /* per plan account: its first step started */
};

static void print_json_line(struct apply *ap, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t n = s ? strlen(s) : 0;

	if (s) {
		s[n] = '\n'; /* json_dumps' NUL becomes the newline: one write for the whole line */
		fwrite(s, 1, n + 1, ap->fp);
		fflush(ap->fp);
	}
	free(s);
	json_decref(o);
}

static const char *status_name(enum kw_exec_status st)
{
	switch (st) {
	case KW_EXEC_RUNNING: return "running";
	case KW_EXEC_DONE: return "done";
	case KW_EXEC_FAILED: return "failed";
	case KW_EXEC_NOT_RUN: return "not-run";
	}
	return "?";
}

static json_t *error_json(const struct kw_error *err)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "kind", json_string(kw_error_kind_name(err->kind)));
	json_object_set_new(o, "where", json_string(err->where));
	json_object_set_new(o, "message", json_string(err->msg));
	if (err->aws_code[0])
		json_object_set_new(o, "aws_code", json_string(err->aws_code));
	return o;
}

static const char *account_status_name(enum kw_exec_status st)
{
	switch (st) {
	case KW_EXEC_DONE: return "converged";
	case KW_EXEC_FAILED: return "failed";
	case KW_EXEC_NOT_RUN: return "not-run";
	default: return "running";
	}
}

static void on_event_json(struct apply *ap, const struct kw_exec_event *ev)
{
	const char *account = ev->step ? ap->plan->desired[ev->step->account].name : "";
	json_t *o;

	if (ev->kind == KW_EV_DELIVERED) {
		o = json_pack("{s:s, s:s, s:s, s:s}", "event", "delivered", "account", account,
		              "access_key_id", ev->key_id ? ev->key_id : "", "target",
		              ev->detail ? ev->detail : "");
		print_json_line(ap, o);
		return;
	}
	if (ev->kind == KW_EV_ACCOUNT) {
		o = json_pack("{s:s, s:s, s:s}", "event", "account", "account",
		              ap->plan->desired[ev->account].name, "status", account_status_name(ev->status));
		if (o && ev->err)
			json_object_set_new(o, "error", error_json(ev->err));
		print_json_line(ap, o);
		return;
	}
	if (ev->kind != KW_EV_STEP) {
		o = json_pack("{s:s, s:s, s:s}", "event", "info", "account", account, "detail",
		              ev->detail ? ev->detail : "");
		print_json_line(ap, o);
		return;
	}
	o = json_pack("{s:s, s:s, s:I, s:I, s:s}", "event", "step", "account", account, "index",
	              (json_int_t)ev->index, "total", (json_int_t)ap->plan->nsteps, "status",
	              status_name(ev->status));
	if (o) {
		json_t *st = kw_step_json(ap->plan, ev->step);

		if (st)
			json_object_update(o, st);
		json_decref(st);
		if (ev->status == KW_EXEC_DONE || ev->status == KW_EXEC_FAILED)
			json_object_set_new(o, "seconds", json_real(ev->seconds));
		if (ev->detail)
			json_object_set_new(o, "detail", json_string(ev->detail));
		if (ev->err)
			json_object_set_new(o, "error", error_json(ev->err));
	}
	print_json_line(ap, o);
}

/* The text line for a step or delivery event into b; 0 when there is none. */
static int event_text(struct apply *ap, const struct kw_exec_event *ev, struct kw_buf *b)
{
	struct kw_buf t = KW_BUF_INIT;
	int rc = 0;

	if (ev->kind == KW_EV_DELIVERED) {
		if (ap->color)
			return kw_buf_appendf(b, "  %s→%s new access key %s delivered to %s", GREEN, RESET,
			                      ev->key_id ? ev->key_id : "", ev->detail ? ev->detail : "");
		return kw_buf_appendf(b, "  delivered new access key %s to %s", ev->key_id ? ev->key_id : "",
		                      ev->detail ? ev->detail : "");
	}
	if (ev->kind != KW_EV_STEP || ev->status == KW_EXEC_RUNNING || kw_step_title(ap->plan, ev->step, &t))
		return 0;
	switch (ev->status) {
	case KW_EXEC_DONE:
		rc = kw_buf_appendf(b, "  %s%s%s %s %s(%.1f s, %s)%s", ap->color ? GREEN : "",
		                    ap->color ? "✓" : "done   ", ap->color ? RESET : "", t.data,
		                    ap->color ? DIM : "", ev->seconds, ev->detail ? ev->detail : "confirmed",
		                    ap->color ? RESET : "");
		break;
	case KW_EXEC_FAILED:
		rc = kw_buf_appendf(b, "  %s%s%s %s: %s", ap->color ? RED : "", ap->color ? "✗" : "FAILED ",
		                    ap->color ? RESET : "", t.data, ev->err ? ev->err->msg : "failed");
		break;
	case KW_EXEC_NOT_RUN:
		rc = kw_buf_appendf(b, "  %s%s %s%s", ap->color ? DIM : "", ap->color ? "·" : "not run",
		                    t.data, ap->color ? RESET : "");
		break;
	default: break;
	}
	kw_buf_release(&t);
	return rc;
}

/* Remember how an account ended, for the summary (called under the executor's lock). */
static void account_done(struct apply *ap, const struct kw_exec_event *ev)
{
	struct account_result *a = &ap->accts[ev->account];

	a->finished = true;
	a->status = ev->status;
	free(a->error);
	a->error = ev->err && ev->err->msg[0] ? strdup(ev->err->msg) : NULL;
}

static void on_event(void *ud, const struct kw_exec_event *ev)
{
	struct apply *ap = ud;
	struct kw_buf b = KW_BUF_INIT;
	const struct kw_desired *d;

	if (ev->kind == KW_EV_ACCOUNT) {
		account_done(ap, ev);
		kw_progress_account_done(ap->out, ev->status == KW_EXEC_DONE);
	}
	if (ap->json) {
		on_event_json(ap, ev);
		return;
	}
	if (!ev->step || ev->kind == KW_EV_ACCOUNT)
		return;
	d = &ap->plan->desired[ev->step->account];
	if (ev->kind == KW_EV_STEP && ev->status == KW_EXEC_RUNNING && !ap->started[ev->step->account]) {
		ap->started[ev->step->account] = true;
		kw_progress_account_started(ap->out);
	}
	if (ev->kind == KW_EV_STEP && ev->status != KW_EXEC_RUNNING)
		kw_progress_step_done(ap->out);
	if (event_text(ap, ev, &b) == 0 && b.len)
		kw_progress_line(ap->out, d->user_name, b.data);
	kw_buf_release(&b);
}

static int ask_codes(void *ud, const struct kw_mfa_prompt *p, char code1[KW_TOTP_CODE_MAX],
                     char code2[KW_TOTP_CODE_MAX], struct kw_error *err)
{
	struct apply *ap = ud;

	int rc;

	/* the screen is this device's while the QR code is up: other accounts' lines wait */
	kw_progress_hold(ap->out, true);
	rc = kw_mfa_screen_ask(ap->ctx, &ap->screen, p, code1, code2, err);
	kw_progress_hold(ap->out, false);
	return rc;
}

static int approve(struct kw_ctx *ctx, size_t nsteps)
{
	char line[64];
	struct kw_error err;

	if (!isatty(STDIN_FILENO)) {
		fputs("error: apply needs approval: run it on a terminal, or pass --auto-approve\n",
		      ctx->err);
		return -1;
	}
	fprintf(ctx->err, "\nApply %zu step%s? [y/N] ", nsteps, nsteps == 1 ? "" : "s");
	fflush(ctx->err);
	if (kw_cmd_read_line(line, sizeof(line), "apply", &err) ||
	    (strcasecmp(line, "y") && strcasecmp(line, "yes"))) {
		fprintf(ctx->err, "%sapply cancelled: nothing was changed\n",
		        kw_interrupted() ? "\ninterrupted: " : "");
		return -1;
	}
	return 0;
}

/* Whether any account of the run delivers its key to stdout. */
static bool has_stdout_target(const struct kw_session *s)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; s->desired[i].sinks && j < s->desired[i].ndeliver; j++)
			if (s->desired[i].sinks[j].kind == KW_KEY_SINK_STDOUT)
				return true;
	return false;
}

/* With several accounts: one line each, how it ended. */
static void account_summary(struct apply *ap)
{
	FILE *fp = ap->fp;
	size_t n = 0;

	for (size_t i = 0; ap->accts && i < ap->plan->naccounts; i++)
		n += ap->accts[i].finished;
	if (n < 2)
		return;
	fputs("\n", fp);
	for (size_t i = 0; i < ap->plan->naccounts; i++) {
		const struct account_result *a = &ap->accts[i];
		const char *user = ap->plan->desired[i].user_name;

		if (!a->finished)
			continue;
		if (a->status == KW_EXEC_DONE)
			fprintf(fp, "  %s%-11s%s %s\n", ap->color ? GREEN : "", "converged",
			        ap->color ? RESET : "", user);
		else if (a->status == KW_EXEC_FAILED)
			fprintf(fp, "  %s%-11s%s %s: %s\n", ap->color ? RED : "", "FAILED",
			        ap->color ? RESET : "", user, a->error ? a->error : "failed");
		else
			fprintf(fp, "  %s%-11s %s%s\n", ap->color ? DIM : "", "not run", user,
			        ap->color ? RESET : "");
	}
}

static void summary(struct apply *ap, const struct kw_exec_result *res, bool ok)
{
	FILE *fp = ap->fp;

	if (ap->json) {
		print_json_line(ap, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "event",
		                              "summary", "status", ok ? "converged" : "failed", "done",
		                              (json_int_t)res->done, "failed", (json_int_t)res->failed,
		                              "not_run", (json_int_t)res->not_run, "keys_created",
		                              (json_int_t)res->keys_created, "accounts_converged",
		                              (json_int_t)res->accounts_done, "accounts_failed",
		                              (json_int_t)res->accounts_failed, "accounts_not_run",
		                              (json_int_t)res->accounts_not_run));
		return;
	}
	account_summary(ap);
	fprintf(fp, "\n%s", ap->color ? BOLD : "");
	if (ok)
		fprintf(fp, "Apply complete: %zu step%s done and confirmed", res->done,
		        res->done == 1 ? "" : "s");
	else
		fprintf(fp, "Apply stopped: %zu done, %zu failed, %zu not run", res->done, res->failed,
		        res->not_run);
	if (res->keys_created)
		fprintf(fp, "; %zu access key%s issued, delivered and confirmed", res->keys_created,
		        res->keys_created == 1 ? "" : "s");
	else if (!ok)
		fputs("; no access key was issued", fp);
	if (res->accounts_done + res->accounts_failed + res->accounts_not_run > 1)
		fprintf(fp, "; accounts: %zu converged, %zu failed, %zu not run", res->accounts_done,
		        res->accounts_failed, res->accounts_not_run);
	fprintf(fp, ".%s\n", ap->color ? RESET : "");
	fflush(fp);
}

/* "error: apply --plan FILE: refused: WHERE: MSG" and that nothing was changed. */
static void saved_error(struct kw_ctx *ctx, const char *file, const struct kw_error *err)
{
	fprintf(ctx->err,
	        "error: apply --plan %s: refused: %s%s%s\nnothing was changed; review a new plan "
	        "('keywarden plan --out FILE')\n",
	        file, err->where, err->where[0] ? ": " : "", err->msg[0] ? err->msg : "unknown error");
}

/* --plan FILE: read it, refuse it when too old, and take its paths and options. */
static int load_saved(struct kw_ctx *ctx, const char *file, long max_age, json_t **saved, const char ***paths,
                      struct kw_engine_args *a)
{
	struct kw_plan_opts po = {0};
	struct kw_error err;
	size_t n = 0;

	kw_error_clear(&err);
	if (kw_saved_plan_read(file, saved, &err) ||
	    kw_saved_plan_check_age(*saved, time(NULL), max_age, &err) ||
	    kw_saved_plan_args(*saved, paths, &n, &po, &err)) {
		saved_error(ctx, file, &err);
		return -1;
	}
	a->paths = (char **)*paths;
	a->npaths = (int)n;
	a->adopt = po.adopt;
	a->prune_keys = po.prune_keys;
	a->owner = po.owner;
	a->prune_accounts = po.prune_accounts;
	a->role_arn = po.role_arn;
	return 0;
}

/* Before the first write: the files and IAM as the saved plan found them, or refuse. */
static int check_saved(struct kw_ctx *ctx, const char *file, const json_t *saved, const struct kw_session *s,
                       struct kw_aws_client *client)
{
	struct kw_error err;
	char *account = NULL;
	int rc;

	kw_error_clear(&err);
	rc = kw_saved_run_accounts(client, s, &account, &err) || kw_saved_plan_check(saved, s, account, &err);
	free(account);
	if (rc) {
		saved_error(ctx, file, &err);
		return -1;
	}
	return 0;
}

/* The per-account results and, for text, the line writer with its progress line. */
static int start_output(struct apply *ap, int parallelism)
{
	size_t n = ap->plan->naccounts ? ap->plan->naccounts : 1, busy = 0;

	ap->accts = calloc(n, sizeof(*ap->accts));
	ap->started = calloc(n, sizeof(*ap->started));
	if (!ap->accts || !ap->started)
		return -1;
	for (size_t j = 0; j < ap->plan->nsteps; j++) /* accounts with steps, marked in started */
		if (!ap->started[ap->plan->steps[j].account]) {
			ap->started[ap->plan->steps[j].account] = true;
			busy++;
		}
	memset(ap->started, 0, n * sizeof(*ap->started));
	if (ap->json)
		return 0;
	ap->out = kw_progress_new(ap->fp, busy, ap->plan->nsteps, busy > 1 && parallelism > 1, true);
	return ap->out ? 0 : -1;
}

static void on_destroy_event(void *ud, const struct kw_lc_destroy_event *ev)
{
	struct apply *ap = ud;
	char line[1024];

	kw_lc_td_describe(ev->step, line, sizeof(line));
	if (ev->kind == KW_LC_DESTROY_STEP_DONE) {
		if (!ap->json)
			fprintf(ap->fp, "  %s %s: %s\n", ap->color ? "✓" : "done   ", ev->job->acct->user,
			        line);
	} else {
		kw_error_print(ev->err, ap->ctx->err);
		fprintf(ap->ctx->err,
		        "note: %s: stopped at \"%s\" after %zu of %zu steps; run destroy again\n",
		        ev->job->acct->user, line, ev->done, ev->job->nsteps);
	}
	fflush(ap->fp);
}

/* A delivery target of a pruned account (lifecycle/destroy.h kw_lc_destroy_targets_in). */
static void on_prune_target(void *ud, const struct kw_lc_target_event *ev)
{
	struct apply *ap = ud;
	const char *user = ev->job->acct->user;
	const char *status = ev->err                              ? "failed"
	                     : ev->what == KW_KEY_REMOVED         ? "removed"
	                     : ev->what == KW_KEY_REMOVED_FOREIGN ? "kept"
	                     : ev->why                            ? "not removed"
	                                                          : "absent";

	if (ev->err) {
		kw_error_print(ev->err, ap->ctx->err);
		fprintf(ap->ctx->err,
		        "note: %s: %s was not removed; apply --prune-accounts again once fixed\n", user,
		        ev->target);
	}
	if (ap->json) {
		print_json_line(ap, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "event", "target-removed", "user",
		                              user, "target", ev->target, "status", status, "why", ev->why));
		return;
	}
	if (ev->why)
		fprintf(ap->ctx->err, "note: %s: %s: %s\n", user, ev->target, ev->why);
	else if (ev->what == KW_KEY_REMOVED)
		fprintf(ap->fp, "  %s %s: removed %s\n", ap->color ? "✓" : "done   ", user, ev->target);
	else if (ev->what == KW_KEY_REMOVED_FOREIGN)
		fprintf(ap->ctx->err, "note: %s: kept %s: not keywarden's key for this account\n", user,
		        ev->target);
	fflush(ap->fp);
}

/*
 * --prune-accounts: destroy the owner's users that no manifest names, as `destroy` does
 * (lifecycle/destroy.h: IAM's order, only what carries managed-by: keywarden), then the
 * secrets and parameters tagged for each, looked for in the operator's region and in every
 * region (with its profile) that a store target of the run's manifests names.
 * Returns 0 when every one is destroyed, or -1 after printing why not.
 */
static int prune_accounts(struct apply *ap, const struct kw_session *s, const struct kw_aws_options *ao,
                          struct kw_aws_client *c)
{
	const struct kw_plan *plan = &s->plan;
	struct kw_lc_accounts accts = {0};
	struct kw_lc_destroy d = {0};
	struct kw_lc_store_place *places = NULL;
	size_t nplaces = 0, ntargets = 0;
	struct kw_error err;
	int rc = -1;

	kw_error_clear(&err);
	for (size_t i = 0; s->set && i < s->set->n; i++)
		ntargets += s->set->items[i]->ndeliver;
	if (!(places = calloc(ntargets + 1, sizeof(*places))))
		goto out;
	for (size_t i = 0; s->set && i < s->set->n; i++)
		for (size_t k = 0; k < s->set->items[i]->ndeliver; k++) {
			const struct kw_deliver *dv = &s->set->items[i]->deliver[k];

			if (dv->kind == KW_DELIVER_SECRETS_MANAGER || dv->kind == KW_DELIVER_SSM_PARAMETER)
				places[nplaces++] = (struct kw_lc_store_place){dv->region, dv->store_profile};
		}
	if (kw_cmd_resolve_accounts(ap->ctx, plan->orphans.v, plan->orphans.n, &accts))
		goto out;
	if (kw_lc_destroy_prepare(c, &accts, &d, &err)) {
		kw_error_print(&err, ap->ctx->err);
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < d.n; i++) {
		size_t done = 0;

		if (d.jobs[i].refuse) {
			kw_error_print(&d.jobs[i].error, ap->ctx->err);
			rc = -1;
		} else if (!d.jobs[i].skip && kw_lc_destroy_run(c, &d.jobs[i], on_destroy_event, ap, &done)) {
			rc = -1;
		} else if (!ap->json) {
			fprintf(ap->fp, "  %s destroy account %s (no manifest names it)\n",
			        ap->color ? "✓" : "done   ", accts.v[i].user);
		}
		if (ap->json)
			print_json_line(ap, json_pack("{s:s, s:s, s:s, s:I}", "event", "account-destroyed",
			                              "user", accts.v[i].user, "status",
			                              d.jobs[i].refuse ? "refused"
			                              : rc             ? "failed"
			                                               : "destroyed",
			                              "steps", (json_int_t)done));
		/* the user is gone: the secrets and parameters keywarden tagged for it go too */
		if (!rc && kw_lc_destroy_targets_in(&d.jobs[i], ao, places, nplaces, on_prune_target, ap))
			rc = -1;
		if (rc)
			break;
	}
out:
	free(places);
	kw_lc_destroy_release(&d);
	kw_lc_accounts_release(&accts);
	return rc;
}

static const struct kw_cmd_spec spec = {.name = "apply", .usage = usage, .intro = intro, .outro = outro};

int cmd_apply(int argc, char **argv, struct kw_ctx *ctx)
{
	struct kw_engine_args a = {0};
	struct kw_session s = {0};
	struct kw_aws_client *client = NULL;
	struct kw_aws_options ao;
	struct kw_exec_opts eo = {.confirm_timeout = 30.0};
	struct kw_exec_result res = {0};
	struct apply ap = {.ctx = ctx};
	struct kw_buf out = KW_BUF_INIT;
	struct kw_error err;
	bool auto_approve = false;
	const char *plan_file = NULL, **saved_paths = NULL;
	double max_age_s = KW_SAVED_MAX_AGE_DEFAULT;
	bool max_age_set = false;
	json_t *saved = NULL;
	const struct kw_opt opts[] = {
	        KW_FLAG("auto-approve", &auto_approve,
	                "do not ask (pipelines); without a terminal it is required"),
	        KW_SECONDS("confirm-timeout", "SECS", &eo.confirm_timeout, 0.001, 3600,
	                   "how long to retry each read-back and the new key (default 30; 90s, 2m)"),
	        KW_STRING("mfa-seed-out", "FILE", &eo.mfa_seed_out,
	                  "non-interactive MFA: write the seed to FILE (0600, new file)\n"
	                  "and compute the two codes (RFC 6238); for several devices\n"
	                  "a folder DIR/ (DIR/USER.seed each) or a name with {user}"),
	        KW_STRING("mfa-seed-exec", "CMD", &eo.mfa_seed_exec,
	                  "non-interactive MFA: give the seed to CMD on its stdin ({user}\n"
	                  "in CMD: the user name, one run of CMD per device)"),
	        KW_STRING("qr-png", "FILE", &eo.qr_png,
	                  "also write the MFA QR code as a PNG (0600) for a custodian\n"
	                  "(DIR/ or {user}: one per device, as for --mfa-seed-out)"),
	        KW_STRING("qr-svg", "FILE", &eo.qr_svg,
	                  "also write the MFA QR code as an SVG (0600), likewise"),
	        KW_ENGINE_OPTIONS(&a, "delete access keys that are not needed (an inactive key in its\n"
	                              "rotation grace period is kept until it ends)"),
	        KW_STRING("plan", "FILE", &plan_file,
	                  "apply exactly the plan saved by 'keywarden plan --out FILE': its\n"
	                  "paths and options; before the first write the files and the\n"
	                  "IAM state it depends on are read again, and any change since\n"
	                  "(a manifest, a policy file, a tag in IAM) refuses it (exit 1)"),
	        {.kind = KW_OPT_SECONDS,
	         .name = "max-plan-age",
	         .arg = "DURATION",
	         .value = &max_age_s,
	         .help = "refuse a saved plan older than this (default 24h; 90m, 2d, ...)",
	         .min = 0,
	         .max = 3650.0 * 86400,
	         .given = &max_age_set},
	        KW_TEXT("-o json", "a stream of JSON events, one object per line"),
	        KW_OPTS_END,
	};
	int optind_ = kw_opts_parse(ctx, &spec, opts, argc, argv), rc = KW_EXIT_ERROR, r;
	long max_age;

	if (optind_ < 0)
		return kw_opts_exit(optind_);
	kw_interrupt_install(); /* Ctrl-C: stop at the next safe point (engine/exec.h) */
	max_age = (long)max_age_s;
	if (plan_file &&
	    (optind_ < argc || a.adopt || a.prune_keys || a.owner || a.prune_accounts || a.role_arn))
		return kw_opts_error(
		        ctx, &spec,
		        "--plan FILE takes its paths, --adopt, --prune-keys, --owner, "
		        "--prune-accounts and --role-arn from the saved plan; give none of them");
	if (!plan_file && max_age_set)
		return kw_opts_error(ctx, &spec, "--max-plan-age needs --plan FILE");
	if (!plan_file && optind_ >= argc)
		return kw_opts_error(ctx, &spec, "no manifest given");
	if (eo.mfa_seed_out && eo.mfa_seed_exec)
		return kw_opts_error(ctx, &spec, "--mfa-seed-out and --mfa-seed-exec exclude each other");
	a.paths = argv + optind_;
	a.writes = true;
	a.npaths = argc - optind_;
	ap.json = ctx->output == KW_OUTPUT_JSON;
	if (plan_file && load_saved(ctx, plan_file, max_age, &saved, &saved_paths, &a))
		goto out;

	a.confirm_timeout = eo.confirm_timeout;
	if (kw_engine_prepare(ctx, &a, &s, &client))
		goto out;
	if (saved && check_saved(ctx, plan_file, saved, &s, client))
		goto out;
	ap.plan = &s.plan;
	kw_exec_sweep_targets(&s.plan);  /* what a killed run left beside the key files goes */
	kw_exec_record_targets(&s.plan); /* targets holding the user's key: in the target record */
	/* a key delivered on stdout keeps stdout for the keys alone (one JSON line each) */
	ap.fp = has_stdout_target(&s) ? ctx->err : ctx->out;
	ap.color = !ap.json && kw_color_enabled(ap.fp, ctx->color_allowed);
	if (ap.json) {
		json_t *p = kw_plan_json(&s.plan);

		print_json_line(&ap, p ? json_pack("{s:s, s:o}", "event", "plan", "plan", p) : NULL);
	} else {
		if (kw_plan_render_text(&s.plan, ap.color, &out)) {
			fputs("error: out of memory\n", ctx->err);
			goto out;
		}
		fputs(out.data ? out.data : "", ap.fp);
		fflush(ap.fp);
	}
	if (!kw_plan_changes(&s.plan)) {
		summary(&ap, &res, true);
		rc = KW_EXIT_OK;
		goto out;
	}

	kw_engine_aws_options(ctx, &ao);
	ao.adaptive_default = true; /* the clients that confirm new keys share the run's buckets */
	eo.interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	eo.stdout_sink = ctx->out;
	eo.aws_opts = &ao;
	eo.on_event = on_event;
	eo.ask_codes = ask_codes;
	eo.ud = &ap;
	if (kw_exec_needs_mfa_input(&s.plan, &eo)) {
		fputs("error: the plan enrolls a virtual MFA device, which needs a terminal (QR code and two "
		      "codes "
		      "from the authenticator app) or --mfa-seed-out FILE / --mfa-seed-exec CMD; nothing was "
		      "changed\n",
		      ctx->err);
		goto out;
	}
	kw_error_clear(&err);
	if (kw_exec_check_outputs(client, &s.plan, &eo, &err)) { /* seed/QR files: before any write */
		kw_error_print(&err, ctx->err);
		goto out;
	}
	if (!auto_approve && approve(ctx, s.plan.nsteps + (s.plan.prune_accounts ? s.plan.orphans.n : 0)))
		goto out;
	if (!ap.json)
		fputs("\n", ap.fp);
	eo.parallelism = a.parallelism ? a.parallelism : KW_LIVE_PARALLELISM;
	if (start_output(&ap, eo.parallelism)) {
		fputs("error: out of memory\n", ctx->err);
		goto out;
	}
	kw_error_clear(&err);
	r = kw_exec_run(client, &s.plan, &eo, &res, &err);
	kw_progress_free(ap.out); /* the progress line goes; held lines are written */
	ap.out = NULL;
	if (r) {
		summary(&ap, &res, false);
		kw_error_print(&err, ctx->err);
		goto out;
	}
	if (s.plan.prune_accounts && s.plan.orphans.n && prune_accounts(&ap, &s, &ao, client)) {
		summary(&ap, &res, false);
		goto out;
	}
	summary(&ap, &res, true);
	rc = KW_EXIT_OK;
out:
	fflush(ctx->out);
	kw_engine_print_stats(ctx, &a, client, &s);
	if (a.stats)
		fprintf(ctx->err, "stats: confirmations: %lu read-backs in %.3f s\n", res.confirm_reads,
		        res.confirm_seconds);
	kw_buf_release(&out);
	for (size_t i = 0; ap.accts && i < s.plan.naccounts; i++)
		free(ap.accts[i].error);
	free(ap.accts);
	free(ap.started);
	kw_session_release(&s);
	kw_aws_client_free(client);
	free(saved_paths);
	json_decref(saved);
	return rc;
}
