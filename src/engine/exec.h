/*
 * exec.h - run a plan against IAM: accounts side by side (up to o->parallelism at once), and
 * inside each account every step in plan order, each confirmed by reading it back
 * (IAM is eventually consistent: the read-back is retried with bounded exponential backoff
 * for up to confirm_timeout seconds), MFA enrollment, and access keys last: created only when
 * every earlier step of the run was confirmed, delivered to every target, and confirmed usable
 * with STS GetCallerIdentity signed by the new key. Every guarantee holds per account: its
 * key comes only after its own steps are confirmed; a step that fails or cannot be confirmed
 * stops that account only (the others finish); what was done and what was not is reported
 * through events, and a KW_EV_ACCOUNT event closes each account.
 *
 * Nothing here prints: the command gets events (on_event) and answers prompts (ask_codes).
 * Secrets (the new secret access key, the MFA seed and its otpauth URI) stay in kw_secret
 * buffers, go only to delivery sinks and the seed custodian, and are wiped.
 */
#ifndef KW_ENGINE_EXEC_H
#define KW_ENGINE_EXEC_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/plan.h"
#include "mfa/totp.h"

struct kw_aws_client;
struct kw_buf;
struct kw_aws_options;
struct kw_error;
struct kw_secret;

enum kw_exec_status {
	KW_EXEC_RUNNING, /* the step started (write call made next) */
	KW_EXEC_DONE,    /* written and confirmed by read-back */
	KW_EXEC_FAILED,  /* failed or not confirmed in time: the run stops */
	KW_EXEC_NOT_RUN, /* not attempted because an earlier step failed */
};

enum kw_exec_event_kind {
	KW_EV_STEP,      /* a step changed status (step, index, status; err when failed) */
	KW_EV_DELIVERED, /* the new key reached one target (step, detail = target, key_id) */
	KW_EV_INFO,      /* something worth a line (step may be NULL; detail) */
	KW_EV_ACCOUNT,   /* an account finished: status DONE (converged), FAILED (err), or
	                  * NOT_RUN (stopped before its first step); step = its first step */
};

struct kw_exec_event {
	enum kw_exec_event_kind kind;
	const struct kw_step *step; /* borrowed, may be NULL for KW_EV_INFO */
	size_t account;             /* KW_EV_ACCOUNT: index into the plan's accounts */
	size_t index;               /* 0-based index of the step in the plan */
	enum kw_exec_status status;
	double seconds;             /* step duration (DONE/FAILED) */
	const char *detail;         /* e.g. "confirmed after 3 read-backs", a target; may be NULL */
	const char *key_id;         /* access key id (not secret), may be NULL */
	const struct kw_error *err; /* FAILED: why */
};

/* What the command shows a person who enrolls a virtual MFA device (kw_exec_opts.ask_codes). */
struct kw_mfa_prompt {
	const char *device;               /* the device's (= the user's) name */
	const char *account;              /* the account alias or id in the entry's name */
	const struct kw_secret *uri;      /* the otpauth URI to show as a QR code (secret) */
	const struct kw_secret *seed_b32; /* the seed, for typing it in by hand on request (secret) */
	int attempt;                      /* 1..3: IAM refused attempt - 1 pairs of codes so far */
	const char *refused;              /* why the last codes were refused, NULL the first time */
};

struct kw_exec_opts {
	double confirm_timeout; /* seconds for each read-back and for the key to work (default 30) */
	/* MFA enrollment */
	bool interactive;          /* a person is at the terminal: QR code and typed codes */
	const char *mfa_seed_out;  /* --mfa-seed-out FILE|DIR/|NAME-{user}, or NULL (kw_exec_user_path) */
	const char *mfa_seed_exec; /* --mfa-seed-exec CMD ("{user}" replaced), or NULL */
	const char *qr_png;        /* --qr-png FILE|DIR/|NAME-{user}, or NULL */
	const char *qr_svg;        /* --qr-svg FILE|DIR/|NAME-{user}, or NULL */
	/* the account's alias or id, for the otpauth URI; NULL: taken from the user's ARN */
	const char *account_label;
	FILE *stdout_sink; /* where a `stdout` delivery target writes (the command's stdout) */
	/* options for the client that signs with the new key (region, endpoint) */
	const struct kw_aws_options *aws_opts;
	int parallelism; /* accounts at once (default 1 when 0; the commands default to 8) */
	/*
	 * called for every event, from the worker thread of the event's account, one call at a
	 * time (a lock is held: a line printed here is never interleaved); may be NULL
	 */
	void (*on_event)(void *ud, const struct kw_exec_event *ev);
	/*
	 * Interactive MFA: show p->uri as a QR code, then read two consecutive codes into
	 * code1/code2. Asked again, with p->refused saying why, when the codes were refused: by
	 * IAM (at most 3 times) or before IAM was called (the same code twice, codes that are not
	 * consecutive or not this device's: kw_totp_pair_check). Returns 0, or -1 with err set to
	 * give up (end of input, an interrupt).
	 * One enrolment at a time: no other account's ask_codes runs from attempt 1 until this
	 * device is enabled or given up; other accounts' events go on meanwhile (on_event).
	 */
	int (*ask_codes)(void *ud, const struct kw_mfa_prompt *p, char code1[KW_TOTP_CODE_MAX],
	                 char code2[KW_TOTP_CODE_MAX], struct kw_error *err);
	void *ud;
};

struct kw_exec_result {
	size_t done;                                             /* steps confirmed */
	size_t failed;                                           /* steps failed: at most one per account */
	size_t not_run;                                          /* steps not attempted */
	size_t accounts_done, accounts_failed, accounts_not_run; /* accounts with steps */
	size_t keys_created;
	unsigned long confirm_reads; /* read-backs made by the gates and the key confirmation */
	double confirm_seconds;      /* wall time in them, backoff waits included, seconds */
};

/*
 * In --mfa-seed-out, --qr-png, --qr-svg and --mfa-seed-exec: replaced by the user name (one file
 * or command per device; IAM user names hold only letters, digits and +=,.@_-, shell-safe).
 */
#define KW_EXEC_USER_PLACEHOLDER "{user}"

/*
 * kw_exec_user_path - the file an output option (--mfa-seed-out, --qr-png, --qr-svg) names for
 * user's MFA device: for a folder (spec ends in '/' or is an existing directory)
 * SPEC/USER.EXT; otherwise spec with every "{user}" replaced by user (spec itself without one).
 * @out: reset, then holds the path (owned by the caller).
 * Returns 0, or -1 with err set (KW_ERR_NOMEM).
 */
int kw_exec_user_path(const char *spec, const char *user, const char *ext, struct kw_buf *out,
                      struct kw_error *err);

/*
 * kw_exec_sweep_targets - for every account of plan, wipe and remove the temporary files that a
 * run killed mid-write left beside its file and profile targets (src/keys/sink.h kw_keys_sweep;
 * only files no live process holds). apply calls it whether or not the plan has changes.
 */
void kw_exec_sweep_targets(const struct kw_plan *plan);

/*
 * kw_exec_record_targets - for every account of plan whose user IAM has: each file and profile
 * target that holds a key IAM lists for the user (read by plan, engine/held.h) goes into the
 * local target record (keys/record.h; written only when it changes), so that accounts
 * delivered before records existed, or whose record was lost, can still be pruned without
 * their manifest. apply calls it whether or not the plan has changes; failures are warned.
 */
void kw_exec_record_targets(const struct kw_plan *plan);

/*
 * kw_exec_check_outputs - before anything changes: every delivery target of every key the
 * plan issues can take it (engine/checks.h kw_checks_targets, with c's credentials; the error
 * names the manifest entry, file:line:col, and the target), and the MFA output options of o fit
 * plan. With
 * 2+ MFA steps each option must be a folder or contain "{user}" (KW_ERR_USAGE); no seed file
 * may exist yet (KW_ERR_CONFLICT, never overwritten); every file's folder must exist, or for
 * DIR/ its parent (KW_ERR_IO). Returns 0, or -1 with err set.
 */
int kw_exec_check_outputs(struct kw_aws_client *c, const struct kw_plan *plan, const struct kw_exec_opts *o,
                          struct kw_error *err);

/*
 * kw_exec_needs_mfa_input - whether running plan needs a way to enroll MFA that o lacks
 * (an MFA step without a terminal and without --mfa-seed-out/--mfa-seed-exec).
 */
bool kw_exec_needs_mfa_input(const struct kw_plan *plan, const struct kw_exec_opts *o);

/*
 * kw_exec_run - run plan on client c (an account whose kw_desired has a client of its own,
 * --role-arn, runs through that one): up to o->parallelism accounts at once, each account's
 * steps in plan order.
 * @res: counts, filled also on failure.
 * Returns 0 when every step was done and confirmed, or -1 with err set (the first failure;
 * KW_ERR_TIMEOUT when a read-back never confirmed; KW_ERR_ABORTED after a stop request).
 * Stop requests (util/interrupt.h, installed by the caller) are polled by every account
 * between steps and in retry and read-back waits, never from CreateAccessKey until the new
 * key is delivered and confirmed, or deleted: that window is finished first. Accounts not
 * started by then are not run.
 */
int kw_exec_run(struct kw_aws_client *c, const struct kw_plan *plan, const struct kw_exec_opts *o,
                struct kw_exec_result *res, struct kw_error *err);

/* Waits and the transient-error rule: util/wait.h (kw_wait, kw_error_transient). */

#endif
