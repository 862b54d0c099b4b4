/*
 * rotate.h - the IAM work behind `keywarden rotate`: service accounts (an admin's client, the
 * manifest's delivery targets) and local profiles (the key rotates itself, the credentials
 * file is the target). The state machine is rotation.h; the key is issued, proven and deleted
 * through keys/issue.h; every other call is retried while transient. Reports through events
 * and never prints; src/cmd/rotate.c parses options and renders.
 */
#ifndef KW_LIFECYCLE_ROTATE_H
#define KW_LIFECYCLE_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lifecycle/accounts.h"
#include "lifecycle/rotation.h"

struct kw_aws_options;
struct kw_error;

enum kw_lc_rotate_event_kind {
	KW_LC_ROTATE_STARTED,     /* an account's rotation began (its checks and reads) */
	KW_LC_ROTATE_STEP,        /* a call of the rotation was done: action, key_id (the key it acted on) */
	KW_LC_ROTATE_DONE,        /* an account's rotation ran: rc, res, delivered, err (rc != 0) */
	KW_LC_ROTATE_REFUSED,     /* an account refused before any change: err */
	KW_LC_ROTATE_SKIPPED,     /* a profile without static keys: why (a failure when named) */
	KW_LC_ROTATE_NOT_STARTED, /* a stop request (Ctrl-C) came before this account */
	KW_LC_ROTATE_NOT_DUE,     /* --due: left alone: key_id (NULL: no active key), age, limits */
};

/* What a KW_LC_ROTATE_STEP event did to key_id. */
enum kw_lc_rotate_action {
	KW_LC_ROTATE_CREATED,      /* CreateAccessKey (reconciled: keys/issue.h) */
	KW_LC_ROTATE_CONFIRMED,    /* the new key works (STS GetCallerIdentity signed with it) */
	KW_LC_ROTATE_DELIVERED,    /* to every target (delivered: which) */
	KW_LC_ROTATE_DEACTIVATED,  /* UpdateAccessKey Status=Inactive */
	KW_LC_ROTATE_DELETED,      /* DeleteAccessKey */
	KW_LC_ROTATE_GRACE_TAGGED, /* TagUser keywarden:inactive:<id> */
};

struct kw_lc_rotate_event {
	enum kw_lc_rotate_event_kind kind;
	size_t index;                       /* the account's index in the accounts given (profiles: 0) */
	const char *account;                /* "service-x" or "profile p" */
	enum kw_lc_rotate_action action;    /* STEP: what was done */
	const char *profile;                /* SKIPPED, NOT_STARTED of a profile: its name */
	int rc;                             /* DONE: kw_lc_rotate's result */
	const struct kw_lc_rot_result *res; /* DONE */
	const char *delivered;              /* DONE, STEP DELIVERED: "profile x, file y" or "" */
	const struct kw_error *err;         /* DONE (rc != 0), REFUSED */
	const char *why;                    /* SKIPPED */
	bool failure;                       /* SKIPPED: counts as a failure (the profile was named) */
	const char *key_id;                 /* NOT_DUE: the oldest active key, or NULL for none; STEP */
	long age_days;                      /* NOT_DUE: its age, whole days */
	int max_age_days;                   /* NOT_DUE: the limit it was judged by */
	long due_in_days;                   /* NOT_DUE: days until it is older than the limit */
};

struct kw_lc_rotate_opts {
	bool delete_old, delete_inactive, to_stdout;
	bool grace_set; /* --grace given (self-rotation deletes the old key unless it is) */
	int grace_days;
	double confirm_timeout;                /* seconds: the proof, and each retried call */
	const struct kw_aws_options *aws_opts; /* region, endpoint, the admin's profile (borrowed) */
	const char *role_arn; /* --role-arn 'arn:aws:iam::{account}:role/NAME' (engine/account.h), or NULL */
	FILE *stdout_sink;    /* where a stdout target writes */
	int parallelism;      /* service accounts at once (<= 1: one at a time) */
	/*
	 * --due: rotate only an account whose active key is older than max_age_days (the manifest's
	 * maxAgeDays; profiles and bare user names: max_age_days here) at now + within_days
	 * (lifecycle/audit.h kw_lc_key_due); the others get a NOT_DUE event and no change.
	 */
	bool due;
	int within_days;  /* >= 0 */
	int max_age_days; /* for accounts without a manifest, and profiles; 0: the default 90 */
	/* every event, one call at a time (from the account's worker thread, under a lock) */
	void (*on_event)(void *ud, const struct kw_lc_rotate_event *ev);
	void *ud;
};

/*
 * kw_lc_rotate_accounts - rotate the key of every account of accts (the admin client from
 * o->aws_opts; with o->role_arn each manifest's AWS account reached through that role, every
 * account before the first rotation), up to o->parallelism at once (engine/runner.h: started in order, a failure
 * stops only its account, one adaptive token bucket for all). A stop request before an
 * account leaves it (and the rest) not started; one under way runs to its next safe point.
 * Returns 0 when every account rotated, 1 when some did not (events told which), or -1 with
 * err set when nothing could start (no client).
 */
int kw_lc_rotate_accounts(const struct kw_lc_accounts *accts, const struct kw_lc_rotate_opts *o,
                          struct kw_error *err);

/*
 * kw_lc_rotate_profiles - rotate local profiles' own keys in place: names[0..n), or with all
 * every profile of the credentials file; profiles holding the same key are rotated together.
 * Returns 0, 1 when some did not rotate, or -1 with err set (the credentials file unreadable).
 */
int kw_lc_rotate_profiles(const char *const *names, size_t n, bool all, const struct kw_lc_rotate_opts *o,
                          struct kw_error *err);

struct kw_key_issuer;

/*
 * kw_lc_rotate_retire - finish a key replacement of a service account the way rotate finishes
 * a rotation stopped before deactivation (rotation.h kw_lc_retire_old, with rotate's
 * operations): UpdateAccessKey Status=Inactive of old_id, then TagUser keywarden:inactive:
 * <old_id> = "<now> grace=<grace_days>d" (util/vocab.h), each retried while transient for
 * is->timeout. For apply (engine/exec.c), once the targets hold held_id and none holds old_id.
 * @is:  the admin's client and the account's user (borrowed).
 * @res: filled in every case (old_tagged, grace_until; state on failure).
 * Returns 0, or -1 with err set (the AWS error of the call that failed).
 */
int kw_lc_rotate_retire(const struct kw_key_issuer *is, const char *old_id, const char *held_id,
                        int grace_days, struct kw_lc_rot_result *res, struct kw_error *err);

#endif
