/*
 * issue.h - the one path that issues an access key, for apply and rotate alike: list the
 * user's keys, CreateAccessKey, reconcile, deliver and prove the key with STS (in the order
 * the command documents), tag it delivered, or delete it.
 *
 * The invariant it keeps: when it returns, every key in IAM is held by a target or existed
 * before the run. After EVERY CreateAccessKey attempt, whatever it answered, the user's keys
 * are listed again and each key that this run's own CreateAccessKey can have made is deleted
 * (it came from an attempt whose answer was lost, so nobody holds its secret): a key that is
 * not one listed before the first attempt, not the one being delivered, not one a target holds
 * (issuer->held), and whose CreateDate lies within the attempts' window on IAM's clock. The
 * window runs from the Date header of the answer listing the keys before the first attempt to
 * that of the listing after the last one (aws/client.h kw_aws_answer_date), a second of
 * rounding either side; without Date headers, the local clock within SigV4's 5 minutes of
 * skew. Under eventual consistency the listing before may miss a key an earlier run created
 * and delivered seconds ago: its CreateDate is before the window, so it is never taken for a
 * lost answer's. The client sends CreateAccessKey once (aws/client.h): this module decides
 * whether to try again. From the first CreateAccessKey until the key is delivered and proven,
 * or deleted, no stop request (Ctrl-C) is honoured; waits outside that window are.
 *
 * Secrets: the new SecretAccessKey lives only in a struct kw_secret owned by struct kw_new_key
 * until kw_new_key_release wipes it; it reaches the delivery callback and the client that
 * proves it, nothing else.
 * Source: AWS IAM API: ListAccessKeys, CreateAccessKey, DeleteAccessKey, TagUser, UntagUser;
 * AWS STS API: GetCallerIdentity.
 */
#ifndef KW_KEYS_ISSUE_H
#define KW_KEYS_ISSUE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "keys/sink.h"

struct kw_aws_client;
struct kw_aws_options;
struct kw_error;
struct kw_secret;

/* AccessKeyIds are 16 to 128 characters (IAM API reference, AccessKeyMetadata). */
#define KW_KEY_ID_MAX 129

/* Who issues, for whom, and how long each wait may take. Everything is borrowed. */
struct kw_key_issuer {
	struct kw_aws_client *c;               /* lists, creates, deletes and tags */
	const char *user;                      /* the IAM user; NULL: the caller's own user (self-rotation) */
	const struct kw_aws_options *aws_opts; /* region/endpoint for the client of the new key */
	double timeout;                        /* seconds for each retried call and for the proof (> 0) */
	bool tags;                             /* may tag/untag the user (false for self-rotation) */
	const char *const *held;               /* ids of keys the targets hold: never deleted here */
	size_t nheld;
};

/* A key CreateAccessKey returned. */
struct kw_new_key {
	char id[KW_KEY_ID_MAX];
	struct kw_secret *secret; /* owned; wiped by kw_new_key_release */
	time_t created;           /* CreateDate (IAM's clock), or the local time when IAM gave none */
	size_t orphans_deleted;   /* keys of lost answers this call deleted */
	int attempts;             /* CreateAccessKey requests sent (1: the first one answered) */
	char **before;            /* owned: the user's key ids before the first attempt, for a last
	                           * look once the key is confirmed (kw_key_issue), made when an
	                           * attempt went unanswered (attempts > 1 or orphans deleted) */
	size_t nbefore;
	time_t window[2]; /* IAM's clock: the attempts ran within [0] .. [1] (kw_key_create) */
};

/* kw_new_key_release - wipe and free the secret, zero the rest. */
void kw_new_key_release(struct kw_new_key *k);

/*
 * kw_key_create - CreateAccessKey for issuer->user, reconciled after every attempt (see above).
 * A transient failure, or LimitExceeded caused by keys of lost answers (deleted meanwhile), is
 * tried again within issuer->timeout. Not interruptible.
 * @out: the key (release with kw_new_key_release), zeroed on failure.
 * Returns 0, or -1 with err set (the create's error; when the keys could not be checked
 * afterwards, the message says so and names the command to check with).
 */
int kw_key_create(const struct kw_key_issuer *issuer, struct kw_new_key *out, struct kw_error *err);

/*
 * kw_key_prove - GetCallerIdentity signed with key id/secret until it answers, for up to
 * issuer->timeout seconds (one call, client retries included, never outlasts it). Only
 * InvalidClientTokenId (IAM still propagating the key) and transient failures are waited out;
 * any other authentication error (SignatureDoesNotMatch: clock skew, a wrong secret) is
 * reported at once as what it is.
 * @arn:  the user's ARN the key must sign as; NULL: any ARN ending in "/<issuer->user>" (any
 *        ARN at all when issuer->user is NULL).
 * @interruptible: whether a stop request ends the wait (KW_ERR_ABORTED).
 * @client: when not NULL, receives the client that signs with the key (caller frees).
 * @reads: when not NULL, GetCallerIdentity calls made are added to it.
 * Returns 0, or -1 with err set (KW_ERR_TIMEOUT when the key never worked in time).
 */
int kw_key_prove(const struct kw_key_issuer *issuer, const char *id, const struct kw_secret *secret,
                 const char *arn, bool interruptible, struct kw_aws_client **client, unsigned long *reads,
                 struct kw_error *err);

/*
 * kw_key_delete - DeleteAccessKey id of issuer->user, retried while transient (NoSuchEntity
 * counts as done), then (issuer->tags) UntagUser of its keywarden tags, best effort.
 * Returns 0, or -1 with err set.
 */
int kw_key_delete(const struct kw_key_issuer *issuer, const char *id, struct kw_error *err);

/*
 * kw_key_untag - UntagUser the keywarden tags of key id (keywarden:inactive:<id>,
 * keywarden:delivered:<id>; tags that are not there are no error), retried while transient.
 * Returns 0, or -1 with err set.
 */
int kw_key_untag(const struct kw_key_issuer *issuer, const char *id, struct kw_error *err);

/*
 * kw_key_tag_delivered - TagUser keywarden:delivered:<id> = now (UTC ISO 8601), the mark plan
 * and audit tell a held key by. Retried while transient. Returns 0, or -1 with err set.
 */
int kw_key_tag_delivered(const struct kw_key_issuer *issuer, const char *id, struct kw_error *err);

/*
 * Delivery of a new key to every target of the command, in order. *written: how many targets
 * hold the key now (also on failure). Returns 0, or -1 with err set.
 */
typedef int (*kw_key_deliver_fn)(void *ud, const struct kw_access_key *key, size_t *written,
                                 struct kw_error *err);

/* What kw_key_issue did. */
struct kw_key_issue_result {
	char id[KW_KEY_ID_MAX]; /* the key delivered and proven; "" when none remains */
	bool created;           /* a key was created (it may have been deleted again) */
	bool deleted;           /* the new key was deleted after a failure */
	bool tagged;            /* the delivered tag was written */
	size_t written;         /* targets that hold the key */
	size_t orphans_deleted; /* keys of lost answers deleted */
	unsigned long proofs;   /* GetCallerIdentity calls */
	double proof_seconds;   /* time spent proving */
};

/*
 * kw_key_issue - the whole issue for apply: create (kw_key_create), deliver through deliver
 * (every target), prove (kw_key_prove with arn), tag delivered (best effort, warned); any
 * failure after the create deletes the new key (a key nobody holds or that does not work is
 * never left) and undo(ud, written) lets the caller take back what the targets received
 * (may be NULL). Not interruptible.
 * Returns 0, or -1 with err set (prefixed "access key <id> deleted" once it was deleted).
 */
int kw_key_issue(const struct kw_key_issuer *issuer, const char *arn, kw_key_deliver_fn deliver,
                 void (*undo)(void *ud, size_t written), void *ud, struct kw_key_issue_result *res,
                 struct kw_error *err);

#endif
