/*
 * held.h - which access key each delivery target of an account holds, read from the targets
 * themselves (keys/sink.h kw_keys_held), for plan and apply: the held key is what a target
 * holds, not what a tag or a CreateDate says. A key a target holds that IAM does not list yet
 * is "not visible yet" (eventual consistency: an earlier run created and delivered it seconds
 * ago): the account is read from IAM again, with the backoff of util/wait.h, until IAM lists it
 * or the timeout (--confirm-timeout) passes; only then is it "no longer in IAM". A user IAM
 * does not list at all is waited for only when this machine's target record (keys/record.h)
 * says keywarden delivered the key a target holds to that target, for that user in its AWS
 * account (metadata.account, else that of a user IAM lists through the same client, else any
 * one record of the user), and only until the timeout has passed since that delivery (the
 * record's time): the user is then not visible yet, rather than gone.
 *
 * Invariants: live[i].targets is owned by live[i] (freed by kw_live_release) and has
 * desired[i].ndeliver entries once read. Nothing here reads or keeps a secret: kw_keys_held
 * wipes what it reads.
 */
#ifndef KW_ENGINE_HELD_H
#define KW_ENGINE_HELD_H

#include <stddef.h>

#include "engine/state.h"

struct kw_aws_client;
struct kw_aws_options;
struct kw_error;

struct kw_held_opts {
	const struct kw_aws_options *aws; /* the operator's client options (secret-store targets; borrowed) */
	double timeout;                   /* seconds to wait for held keys IAM does not list yet */
	int parallelism;                  /* threads for the re-reads (engine/live.h) */
};

/*
 * kw_held_read - read the targets of every account (desired[i].sinks into live[i].targets),
 * mark the keys of live[i].user that a target holds (kw_live_key.held), and wait for held keys
 * that IAM does not list yet, re-reading those accounts (kw_live_read, which replaces live[i]
 * but keeps its targets). A stop request (Ctrl-C) ends the wait with KW_ERR_ABORTED.
 * @live: n accounts already read by kw_live_read (borrowed, updated in place).
 * Returns 0, or -1 with err set (AWS errors of the re-reads, KW_ERR_ABORTED, KW_ERR_NOMEM).
 */
int kw_held_read(struct kw_aws_client *c, const struct kw_desired *desired, size_t n,
                 const struct kw_held_opts *o, struct kw_live_account *live, struct kw_error *err);

/*
 * kw_held_mark - set kw_live_key.held and kw_live_target.listed from a's targets and keys.
 * Returns the number of targets holding a key that IAM does not list for the user.
 */
size_t kw_held_mark(struct kw_live_account *a);

#endif
