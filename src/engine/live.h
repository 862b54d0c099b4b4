/*
 * live.h - read what IAM holds for a set of service accounts, with as few calls as possible.
 *
 * Calls: GetAccountAuthorizationDetails (Filter User, Group; paginated) and
 * ListVirtualMFADevices once per run; then, for each account whose user exists, only what
 * has no bulk form: ListAccessKeys and GetLoginProfile (2 calls per account). The per-account
 * reads run on up to `parallelism` threads sharing one client (client.h: thread safe).
 */
#ifndef KW_ENGINE_LIVE_H
#define KW_ENGINE_LIVE_H

#include <stddef.h>

#include "engine/state.h"

struct kw_aws_client;
struct kw_error;

/* Default and upper bound of --parallelism. */
#define KW_LIVE_PARALLELISM     8
#define KW_LIVE_PARALLELISM_MAX 64

/*
 * kw_live_read - fill out[i] with IAM's state for desired[i] (user and group named as
 * desired[i] says), for i < n. A desired account with a client of its own (--role-arn) is
 * read through it: one bulk read per AWS account.
 * @c:           client (borrowed; used from several threads).
 * @desired:     n accounts (borrowed).
 * @parallelism: threads for the per-account reads, 1..KW_LIVE_PARALLELISM_MAX.
 * @out:         n zeroed structs, filled (release each with kw_live_release, also on error).
 * Returns 0, or -1 with err set (the first failure; errors as client.h says).
 */
int kw_live_read(struct kw_aws_client *c, const struct kw_desired *desired, size_t n, int parallelism,
                 struct kw_live_account *out, struct kw_error *err);

/*
 * kw_live_read_owned - kw_live_read, and from the same bulk read the names of the users tagged
 * managed-by: keywarden and keywarden:owner: owner (exact value) that no desired account names
 * (IAM names compared ignoring case), appended to orphans (sorted as IAM lists them). Users
 * without both tags are never listed. owner NULL lists nothing.
 * Returns 0, or -1 with err set (as kw_live_read).
 */
int kw_live_read_owned(struct kw_aws_client *c, const struct kw_desired *desired, size_t n, int parallelism,
                       const char *owner, struct kw_live_account *out, struct kw_strlist *orphans,
                       struct kw_error *err);

/*
 * kw_live_account_id - the 12-digit account id in an IAM ARN ("arn:aws:iam::123456789012:...")
 * copied into buf (size bytes). Returns 0, or -1 when arn has no account id.
 */
int kw_live_account_id(const char *arn, char *buf, size_t size);

#endif
