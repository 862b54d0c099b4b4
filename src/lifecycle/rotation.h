/*
 * rotation.h - the key rotation state machine, apart from IAM: which key is rotated, what
 * makes room under the two-key limit, the steps in order, and what each failure undoes.
 * The caller supplies the operations (IAM calls, delivery, confirmation) as function
 * pointers, so the same machine rotates service accounts (an admin's client, delivery to
 * the manifest's targets) and local profiles (the key rotates itself, the credentials file
 * is the target), and unit tests drive it with a fake.
 *
 * Steps: 1 delete inactive keys whose grace period has passed (and their grace tags);
 * 2 with two keys left, delete the inactive one when allowed (--delete-inactive), else stop
 * and explain; 3 create the new key; 4 confirm it works (the caller retries for
 * propagation); 5 deliver it to every target; 6 deactivate the old key; 7 delete the old key
 * (--delete-old), or record its deactivation time in the grace tag. After step 5 the new key
 * is tagged delivered (best effort: a failure is a warning). Every key deleted has its
 * keywarden tags (grace, delivered) removed (best effort).
 * The new key is confirmed before it is delivered, so a key that does not work never
 * replaces a working one in a target.
 * Undo: a failure before delivery deletes the new key (nobody holds it) and leaves the old
 * key active; a delivery failure with no target written does the same; a delivery failure
 * after some targets were written keeps both keys active (both are held by someone) and
 * says which targets have which key; failures from step 6 on leave the new key in place
 * (delivered and confirmed) and say what remains to be done.
 * Resume (opts->resume, service accounts): a rotation stopped at any point is finished first,
 * judged by which key the targets hold (kw_lc_rot_key.held; when no readable target holds one
 * and some target cannot be read, the active key delivered last by its delivered tag):
 *  - an active key no target holds and never tagged delivered (stopped before or during
 *    delivery, nobody holds it): deleted, then the rotation runs as asked;
 *  - an active key no target holds but delivered earlier, beside the held key (stopped before
 *    deactivation): deactivated and retired (step 7) — the rotation is then finished;
 *  - an inactive key keywarden delivered (delivered tag) without a grace tag beside the held
 *    key (stopped before retiring): retired — finished;
 *  - two active keys, neither held: refused, the message naming the one to delete (not
 *    delivered, or delivered earlier), as is a key held by some targets beside one held by
 *    others (a delivery stopped part way) — which the caller finishes instead where it can
 *    (lifecycle/rotate.c: the new key read from a target that holds it, given to the others).
 * Stopping on request (ops->check_stop, e.g. Ctrl-C) happens only before step 1 and before
 * step 3: once a key is created the machine runs to the end (or to a failure's undo), so a
 * stop never leaves an active key that nobody holds.
 *
 * Invariants: strings are borrowed unless noted; the new key's secret lives only in a
 * struct kw_secret created by ops->create and freed (wiped) by kw_lc_rotate.
 */
#ifndef KW_LIFECYCLE_ROTATION_H
#define KW_LIFECYCLE_ROTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/vocab.h"

struct kw_error;
struct kw_secret;

/* AccessKeyIds are 16 to 128 characters (IAM API reference, AccessKeyMetadata). */
#define KW_LC_KEY_ID_MAX 129

/* One existing key of the account being rotated. */
struct kw_lc_rot_key {
	const char *id;
	bool active;
	time_t inactive_since; /* from the grace tag, 0 = none */
	int grace_days;        /* from the grace tag */
	bool held;             /* a delivery target holds it, read from the target (keys/sink.h) */
	time_t delivered_at;   /* the user's keywarden:delivered:<id> tag, 0 = none */
	time_t created;        /* CreateDate, 0 = unknown */
};

/*
 * kw_lc_delivered_later - THE rule for targets that cannot be read (docs/key-state.md): which
 * of keys a and b was delivered later, by their delivered tags' times, then their CreateDates
 * (0: none). Returns 1 for a, -1 for b, 0 for a tie, which never decides anything.
 */
int kw_lc_delivered_later(time_t delivered_a, time_t created_a, time_t delivered_b, time_t created_b);

enum kw_lc_rot_step {
	KW_LC_ROT_PREPARE,
	KW_LC_ROT_DELETE_EXPIRED,
	KW_LC_ROT_DELETE_INACTIVE,
	KW_LC_ROT_CREATE,
	KW_LC_ROT_CONFIRM,
	KW_LC_ROT_DELIVER,
	KW_LC_ROT_DEACTIVATE,
	KW_LC_ROT_RETIRE, /* delete the old key, or tag its grace period */
	KW_LC_ROT_DONE,
};

/* What the machine calls; each returns 0, or -1 with err set. ctx is passed back unchanged. */
struct kw_lc_rot_ops {
	void *ctx;
	/* CreateAccessKey: copy the new AccessKeyId into id (KW_LC_KEY_ID_MAX bytes), hand over
	 * the secret (*secret, owned by the machine from then on) and set *created to its
	 * CreateDate (IAM's clock; 0 when unknown). The grace tag records that time as the
	 * deactivation time, so that IAM's clock, not the local one, measures grace periods. */
	int (*create)(void *ctx, char *id, struct kw_secret **secret, time_t *created, struct kw_error *err);
	/* Prove the new key works (STS GetCallerIdentity with it, retried for propagation). */
	int (*confirm)(void *ctx, const char *id, const struct kw_secret *secret, struct kw_error *err);
	/* Deliver to every target in order; set *written to how many targets now hold the new key
	 * (also on failure). */
	int (*deliver)(void *ctx, const char *id, const struct kw_secret *secret, size_t *written,
	               struct kw_error *err);
	/* UpdateAccessKey Status=Inactive. */
	int (*deactivate)(void *ctx, const char *id, struct kw_error *err);
	/* DeleteAccessKey. */
	int (*delete_key)(void *ctx, const char *id, struct kw_error *err);
	/* TagUser keywarden:inactive:<id> = value (kw_grace_format); NULL: keep untagged. */
	int (*tag_grace)(void *ctx, const char *id, const char *value, struct kw_error *err);
	/* Remove the keywarden tags of key id, just deleted (keywarden:inactive:<id>,
	 * keywarden:delivered:<id>); NULL: nothing to remove. Failures are only warned. */
	int (*untag)(void *ctx, const char *id, struct kw_error *err);
	/* Poll for a request to stop (Ctrl-C, util/interrupt.h) at the machine's safe points:
	 * before anything changes, and again just before the new key is created. Return 0 to go
	 * on, or -1 with err set to stop there. Never called between the creation of the new key
	 * and its delivery or deletion (the caller's confirm may stop its own wait by failing:
	 * the new key is then deleted as after any confirmation failure). NULL: never stop. */
	int (*check_stop)(void *ctx, struct kw_error *err);
	/* TagUser keywarden:delivered:<id> = now, once the new key is confirmed and delivered to
	 * every target; NULL: keep untagged. Failures are only warned (the key stays). */
	int (*tag_delivered)(void *ctx, const char *id, struct kw_error *err);
};

struct kw_lc_rot_opts {
	const char *current;  /* the key being rotated (self-rotation: the profile's key), or NULL
	                         for "the one active key" */
	bool delete_inactive; /* may delete an inactive key to stay under the two-key limit */
	bool delete_old;      /* delete the old key at once instead of keeping it inactive */
	int grace_days;       /* grace period for the old key (>= 0) */
	time_t now;
	/* what the targets told (service accounts): some target could not be read (write-only,
	 * no access), so the delivered tag tells for it; false: every target was read */
	bool targets_unknown;
	bool resume; /* finish a rotation stopped earlier first (see "Resume" above) */
};

struct kw_lc_rot_result {
	enum kw_lc_rot_step failed;        /* the step that failed, KW_LC_ROT_DONE on success */
	char old_id[KW_LC_KEY_ID_MAX];     /* the rotated key, "" when there was none */
	char new_id[KW_LC_KEY_ID_MAX];     /* the new key, "" when none was created or it was undone */
	char removed[2][KW_LC_KEY_ID_MAX]; /* inactive keys deleted to make room / past their grace */
	size_t nremoved;
	size_t written;                       /* targets that hold the new key */
	bool new_key_deleted;                 /* a new key was created, then deleted by the undo */
	bool old_active;                      /* the old key is still active */
	bool old_deleted;                     /* the old key was deleted */
	bool old_tagged;                      /* the old key's grace tag was written */
	bool stopped;                         /* ops->check_stop asked to stop: nothing created */
	bool delivered_tagged;                /* the new key's delivered tag was written */
	bool resumed;                         /* a stopped rotation was finished (no new key made) */
	char grace_until[KW_GRACE_VALUE_MAX]; /* end of the grace period, ISO 8601, or "" */
	char state[512];                      /* one line for the user: what the failure left behind, or "" */
};

/* kw_lc_rot_step_name - "create", "confirm", ... (static storage). */
const char *kw_lc_rot_step_name(enum kw_lc_rot_step step);

/*
 * kw_lc_rotate - run the rotation of an account whose keys are keys[0..nkeys) (borrowed).
 * Fills *res in every case. Returns 0 when the rotation completed, or -1 with err set (the
 * failing step's error, prefixed with the step) and res->failed/res->state describing what
 * was left behind after the undo. Step 2's refusal is KW_ERR_CONFLICT.
 */
int kw_lc_rotate(const struct kw_lc_rot_key *keys, size_t nkeys, const struct kw_lc_rot_opts *o,
                 const struct kw_lc_rot_ops *ops, struct kw_lc_rot_result *res, struct kw_error *err);

/*
 * kw_lc_retire_old - steps 6 and 7 for old key k once the targets hold another key, held_id
 * (a rotation stopped before deactivating or retiring it, or apply's replacement of a key past
 * maxAgeDays): deactivate k when it is active (ops->deactivate), then delete it (o->delete_old)
 * or tag its grace period as begun at o->now (ops->tag_grace; an inactive key with a grace
 * tag keeps its start). Only deactivate, delete_key, tag_grace and untag of ops are called.
 * Fills res->new_id (= held_id), old_id, old_active, old_deleted, old_tagged, grace_until, and
 * on failure failed and state. Returns 0, or -1 with err set (the call's error, unprefixed).
 * The one implementation of finishing a rotation: kw_lc_rotate's resume and apply use it.
 */
int kw_lc_retire_old(const struct kw_lc_rot_key *k, const char *held_id, const struct kw_lc_rot_opts *o,
                     const struct kw_lc_rot_ops *ops, struct kw_lc_rot_result *res, struct kw_error *err);

/* Tag names, grace values, ISO 8601: util/vocab.h. */

#endif
