/*
 * destroy.h - the IAM work behind `keywarden destroy`: read what each account has (live state),
 * turn it into teardown steps (teardown.h), and run them, retrying transient failures and
 * honouring a stop request (Ctrl-C) between steps. Reports through events and never prints;
 * src/cmd/destroy.c shows the steps, asks, and renders.
 *
 * Only users tagged managed-by: keywarden (and their groups) are touched; what is already gone
 * counts as done (NoSuchEntity), so a second run finishes what a stopped one began.
 * Source: AWS IAM API reference, DeleteUser and DeleteGroup.
 */
#ifndef KW_LIFECYCLE_DESTROY_H
#define KW_LIFECYCLE_DESTROY_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/iam.h"
#include "engine/state.h"
#include "keys/sink.h"
#include "lifecycle/accounts.h"
#include "lifecycle/teardown.h"
#include "util/error.h"

struct kw_aws_client;
struct kw_aws_options;

/* Seconds a failing call of destroy (or its reads) is retried while the failure is transient. */
#define KW_LC_RETRY_SECONDS 30.0

/* How one account's destroy ended (kw_lc_destroy_accounts), or that it is under way. */
enum kw_lc_destroy_end {
	KW_LC_END_PENDING = 0,  /* not run (yet) */
	KW_LC_END_RUNNING,      /* started: its steps are under way */
	KW_LC_END_DESTROYED,    /* every step done, and what was delivered removed */
	KW_LC_END_NOTHING,      /* nothing left in IAM (skip; a missing user with missing_ok) */
	KW_LC_END_REFUSED,      /* not keywarden's (refuse) */
	KW_LC_END_NOT_FOUND,    /* IAM has no such user, without missing_ok */
	KW_LC_END_NOT_STARTED,  /* a stop request came before its first step */
	KW_LC_END_STOPPED,      /* a stop request between two steps */
	KW_LC_END_FAILED,       /* a step failed */
	KW_LC_END_TARGETS_LEFT, /* destroyed in IAM, but a delivered target was not removed */
};

/* One account's teardown: the picture (borrowed from live) and its steps. */
struct kw_lc_destroy_job {
	const struct kw_lc_account *acct;           /* borrowed from the accounts given */
	const char **keys, **inl_user, **inl_group; /* owned arrays of borrowed names */
	struct kw_iam_names creds[3];               /* owned: by enum kw_iam_user_cred */
	struct kw_iam_mfa_device_list mfa_listed;   /* owned: ListMFADevices (hardware tokens too) */
	const char **mfa;                           /* owned array: every assigned serial, borrowed */
	size_t nmfa;
	struct kw_lc_td_user u;
	struct kw_lc_td_group g;
	struct kw_lc_td_step *steps; /* owned */
	size_t nsteps;
	char account_id[16];   /* the user's AWS account (its ARN), "" when IAM has no such user */
	const char *skip;      /* why nothing is done (static text), or NULL */
	bool missing;          /* skip because IAM has no such user (an error without --missing-ok) */
	bool refuse;           /* the user is not keywarden's: error says so */
	struct kw_error error; /* when refuse */
	/* set by kw_lc_destroy_accounts */
	enum kw_lc_destroy_end end;
	size_t done; /* steps done */
};

struct kw_lc_destroy {
	struct kw_lc_destroy_job *jobs; /* one per account, in order */
	size_t n;
	size_t total;                 /* steps over all jobs */
	struct kw_desired *desired;   /* owned: what the live reader was asked */
	struct kw_live_account *live; /* owned */
};

/*
 * kw_lc_destroy_prepare - read IAM for every account of accts (borrowed; must outlive out) and
 * plan its steps, through c or the account's own client (kw_lc_account.client, --role-arn). A user that is not keywarden's gets refuse and error (not a failure of the
 * whole). Reads are retried while transient.
 * @out: zeroed on entry; release with kw_lc_destroy_release in every case.
 * Returns 0, or -1 with err set (IAM could not be read; KW_ERR_NOMEM).
 */
int kw_lc_destroy_prepare(struct kw_aws_client *c, const struct kw_lc_accounts *accts,
                          struct kw_lc_destroy *out, struct kw_error *err);

/* What kw_lc_destroy_run reports. */
enum kw_lc_destroy_event_kind {
	KW_LC_DESTROY_STEP_DONE, /* step done (or already done) */
	KW_LC_DESTROY_FAILED,    /* step failed (err): the job stops there */
	KW_LC_DESTROY_STOPPED,   /* a stop request before step: the job stops there */
};

struct kw_lc_destroy_event {
	enum kw_lc_destroy_event_kind kind;
	const struct kw_lc_destroy_job *job;
	const struct kw_lc_td_step *step;
	size_t done;                /* steps done before this event */
	const struct kw_error *err; /* FAILED, STOPPED */
};

/*
 * kw_lc_destroy_run - run job's steps in order (through its account's client when it has one,
 * else c), each retried while transient for up to
 * KW_LC_RETRY_SECONDS (the wait ends on a stop request); NoSuchEntity counts as done.
 * on_event (may be NULL) hears every step.
 * @done: steps done.
 * Returns 0 when every step is done, or -1 (the event told why; KW_ERR_ABORTED after a stop).
 */
int kw_lc_destroy_run(struct kw_aws_client *c, const struct kw_lc_destroy_job *job,
                      void (*on_event)(void *ud, const struct kw_lc_destroy_event *ev), void *ud,
                      size_t *done);

/* One delivery target kw_lc_destroy_targets dealt with. */
struct kw_lc_target_event {
	const struct kw_lc_destroy_job *job;
	const char *target;         /* kw_keys_sink_describe of it */
	enum kw_key_removed what;   /* removed, absent, kept (not keywarden's) */
	const struct kw_error *err; /* the removal failed: why; else NULL */
	const char *why;            /* a note on targets that were not removed (and why), or NULL */
};

/* Where kw_lc_destroy_targets also looks for tagged stores. */
struct kw_lc_store_place {
	const char *region;  /* NULL: the operator's */
	const char *profile; /* whose credentials read it; NULL: the operator's */
};

/*
 * kw_lc_destroy_targets - once job's user is gone (run done, or nothing left in IAM): remove
 * what keywarden delivered for the account (src/keys/sink.h kw_keys_remove):
 *  - the targets of its manifest that keep something: a key file it wrote; secrets and
 *    parameters tagged managed-by: keywarden and keywarden:user: the user; the profile in the
 *    shared credentials file (and its config section) when it holds one of the keys the user
 *    had (stdout and exec keep nothing keywarden can find);
 *  - then every secret and parameter tagged for the user that is left (kw_keys_find_stores),
 *    looked for in the operator's region, in the regions (with the profiles) of the manifest's
 *    stores, and at places (n of them, may be NULL/0): so that an account without a manifest
 *    (destroy by user name, apply --prune-accounts) loses its stores too;
 *  - the key files and profiles the local target record (keys/record.h) lists for the
 *    user, each removed only while it holds one of the user's keys (those IAM listed before
 *    the teardown, or the one the record says was delivered there); one that holds anything
 *    else now is kept, with an event whose why says so. Once every one is dealt with, the
 *    record goes. Without a manifest and without a record, an event with why says that its
 *    key files and profiles are not known here, naming the regions searched for stores.
 * The stores are written with aws (the operator's options, borrowed). on_event (may be NULL)
 * hears every target removed, kept or failed (absent ones too, as KW_KEY_REMOVED_ABSENT).
 * Returns 0, or -1 when a removal or a search failed (the event told why).
 */
int kw_lc_destroy_targets_in(const struct kw_lc_destroy_job *job, const struct kw_aws_options *aws,
                             const struct kw_lc_store_place *places, size_t n,
                             void (*on_event)(void *ud, const struct kw_lc_target_event *ev), void *ud);

/* kw_lc_destroy_targets - kw_lc_destroy_targets_in with no further places. */
int kw_lc_destroy_targets(const struct kw_lc_destroy_job *job, const struct kw_aws_options *aws,
                          void (*on_event)(void *ud, const struct kw_lc_target_event *ev), void *ud);

/* What kw_lc_destroy_accounts is told, and whom it tells. */
struct kw_lc_destroy_opts {
	int parallelism;                  /* accounts at once (<= 1: one at a time) */
	bool missing_ok;                  /* a user IAM does not have is done (KW_LC_END_NOTHING) */
	const struct kw_aws_options *aws; /* the operator's options, for the stores (borrowed) */
	/* each may be NULL; called one at a time, from the account's worker thread */
	void (*on_event)(void *ud, const struct kw_lc_destroy_event *ev); /* a step (kw_lc_destroy_run) */
	void (*on_target)(void *ud,
	                  const struct kw_lc_target_event *ev); /* a target (kw_lc_destroy_targets) */
	void (*on_account)(void *ud,
	                   const struct kw_lc_destroy_job *job); /* job->end RUNNING, then how it ended */
	void *ud;
};

/*
 * kw_lc_destroy_accounts - every job of d (prepared by kw_lc_destroy_prepare) up to
 * o->parallelism at once (engine/runner.h: started in order, a failure stops only its
 * account, one adaptive token bucket for all): its steps (kw_lc_destroy_run), then, once the
 * user is gone (or was already), its delivered targets (kw_lc_destroy_targets). A stop request
 * leaves the accounts not started as they are (KW_LC_END_NOT_STARTED); one under way stops
 * before its next step. Sets each job's end and done.
 * Returns 0 when every account was destroyed or had nothing left, 1 when some had not (their
 * end says why), or -1 with err set when nothing could be run.
 */
int kw_lc_destroy_accounts(struct kw_aws_client *c, struct kw_lc_destroy *d,
                           const struct kw_lc_destroy_opts *o, struct kw_error *err);

/* kw_lc_destroy_release - free what d owns; d becomes all zero. */
void kw_lc_destroy_release(struct kw_lc_destroy *d);

#endif
