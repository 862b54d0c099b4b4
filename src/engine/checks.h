/*
 * checks.h - what a plan's writes need, checked before the first write: every manifest value that
 * only the targets or IAM can judge, each error placed at the manifest entry that asks for it
 * (file:line:col), as the offline checks of src/manifest/ are.
 *
 * Nothing here writes, prints or exits.
 */
#ifndef KW_ENGINE_CHECKS_H
#define KW_ENGINE_CHECKS_H

#include "engine/plan.h"

struct kw_aws_client;
struct kw_aws_options;
struct kw_error;

/*
 * kw_checks_holds_key - whether delivery target j of the plan's account i holds an access key,
 * read from the target (engine/held.h): then a new key replaces it (a key file holding a key IAM
 * no longer has, or one of the user's keys, is replaced atomically; a file of any other content
 * is refused).
 */
bool kw_checks_holds_key(const struct kw_plan *plan, size_t i, size_t j);

/*
 * kw_checks_targets - before anything changes (apply): every delivery target of every key the
 * plan issues passes kw_keys_preflight (keys/sink.h: files, folders, links, owners, the command
 * of exec, a read-only probe of each secret store), and no profile target holds the access key
 * this run signs with (unless it is one of the account's own keys): delivering there would
 * replace the operator's credentials.
 * @c: the run's client (an account's own, desired->client, where set); @aws: the run's client
 * options for the stores' probes. Returns 0, or -1 with err set, placed at the target's entry:
 * KW_ERR_USAGE, KW_ERR_CONFLICT, KW_ERR_IO, or the error of the probe that failed.
 */
int kw_checks_targets(struct kw_aws_client *c, const struct kw_plan *plan, const struct kw_aws_options *aws,
                      struct kw_error *err);

/*
 * kw_checks_policies - every managed policy the plan attaches and every permissions boundary it
 * sets exists and is attachable (IAM GetPolicy, once per ARN and AWS account): plan and apply
 * call it once the plan is made, so that a policy IAM does not have (a typo, another account's
 * or partition's) stops both before the first write. Where the run may not call GetPolicy, one
 * warning says so and IAM judges each ARN when it is attached. @c NULL: nothing is checked.
 * Returns 0, or -1 with err set, placed at the entry: KW_ERR_INVALID (no such policy, or not
 * attachable), or the error of the read.
 * Source: AWS IAM API: GetPolicy (IsAttachable).
 */
int kw_checks_policies(struct kw_aws_client *c, const struct kw_plan *plan, struct kw_error *err);

#endif
