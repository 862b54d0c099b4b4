/*
 * saved.h - saved plans (`plan --out FILE`, `apply --plan FILE`, `show FILE`): apply exactly
 * what was reviewed, or refuse.
 *
 * A saved plan is one JSON document (format "keywarden-plan", format_version 1) holding what
 * the plan was made from and what it decided:
 *   created / created_unix   when (UTC); apply refuses a plan older than --max-plan-age
 *   account                  the AWS account id the plan read (GetCallerIdentity); with
 *                            --role-arn the ids of every account reached, comma-separated
 *   paths, options           the PATH arguments and --adopt / --prune-keys
 *   files                    [{path, kind: manifest|policy, sha256}] of every file read
 *   live                     per account, a SHA-256 of each part of IAM's state the plan
 *                            depends on (user, boundary, tags, groups, user policies, access
 *                            keys, login profile, MFA devices, group, group policies, unassigned
 *                            MFA device): never last-used dates or other data that moves by itself
 *   plan                     the plan as `plan -o json` prints it
 *   rendered                 {text, markdown}: the plan as `plan` printed it, for `show`
 * It holds no secret: plans name keys by id and policies by document, never a secret key or
 * seed. Written 0600, atomically (util/atomic.h).
 *
 * Apply re-reads the files and the live state and compares, before its first write: any
 * difference is KW_ERR_CONFLICT with a message naming it ("manifest manifests/x.yaml changed
 * since the plan", "account e2e: user tags changed in IAM since the plan").
 *
 * Invariants: documents are jansson values owned by the caller (new references returned).
 */
#ifndef KW_ENGINE_SAVED_H
#define KW_ENGINE_SAVED_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "engine/plan.h"
#include "engine/session.h"

struct kw_aws_client;
struct kw_error;

#define KW_SAVED_FORMAT          "keywarden-plan"
#define KW_SAVED_FORMAT_VERSION  1
/* Default of --max-plan-age: 24 hours, in seconds. */
#define KW_SAVED_MAX_AGE_DEFAULT (24 * 3600)
/* A plan dated this far in the future (seconds) is refused: a wrong clock, not a fresh plan. */
#define KW_SAVED_CLOCK_SKEW      300

/*
 * kw_saved_plan_new - the saved-plan document for session s (loaded and planned).
 * @paths, @npaths: the PATH arguments (borrowed, stored as given).
 * @opts:    the plan options used (adopt, prune_keys; now is the creation time).
 * @account: the AWS account id the live state was read from (borrowed).
 * @text, @markdown: the plan rendered without colour (borrowed, copied).
 * Returns a new reference, or NULL with err set (KW_ERR_IO when a file cannot be read again,
 * KW_ERR_NOMEM).
 */
json_t *kw_saved_plan_new(const struct kw_session *s, const char *const *paths, size_t npaths,
                          const struct kw_plan_opts *opts, const char *account, const char *text,
                          const char *markdown, struct kw_error *err);

/*
 * kw_saved_plan_write - write doc to path as JSON, mode 0600, atomically (an existing file is
 * replaced). Returns 0, or -1 with err set (KW_ERR_IO, KW_ERR_NOMEM).
 */
int kw_saved_plan_write(const char *path, const json_t *doc, struct kw_error *err);

/*
 * kw_saved_plan_read - read and check a saved plan: JSON, format and format_version, the
 * fields apply and show need. @out receives a new reference.
 * Returns 0, or -1 with err set (KW_ERR_NOT_FOUND, KW_ERR_IO, KW_ERR_INVALID naming the file).
 */
int kw_saved_plan_read(const char *path, json_t **out, struct kw_error *err);

/*
 * kw_saved_plan_args - the PATH arguments and options of a saved plan (read by
 * kw_saved_plan_read). @paths receives a new NULL-terminated array of borrowed strings
 * (valid while doc lives; free the array with free()). Returns 0, or -1 with err set.
 */
int kw_saved_plan_args(const json_t *doc, const char ***paths, size_t *npaths, struct kw_plan_opts *opts,
                       struct kw_error *err);

/*
 * kw_saved_plan_check_age - whether the plan is younger than max_age seconds at now (and not
 * dated in the future). Returns 0, or -1 with err set (KW_ERR_CONFLICT saying how old).
 */
int kw_saved_plan_check_age(const json_t *doc, time_t now, long max_age, struct kw_error *err);

/*
 * kw_saved_plan_check - compare a saved plan with session s, recomputed now from the same
 * paths and options against account: the account, every file's digest (and the set of files),
 * every account's live-state digests, and finally the steps themselves.
 * Returns 0 when all agree, or -1 with err set: KW_ERR_CONFLICT naming the first difference
 * (the file, the account and the part of IAM's state), KW_ERR_IO, KW_ERR_NOMEM.
 */
int kw_saved_plan_check(const json_t *doc, const struct kw_session *s, const char *account,
                        struct kw_error *err);

/*
 * kw_saved_caller_account - the AWS account id of the client's credentials (STS
 * GetCallerIdentity, which needs no permission), into *account (new string, caller frees).
 * Returns 0, or -1 with err set (client.h's errors).
 */
int kw_saved_caller_account(struct kw_aws_client *c, char **account, struct kw_error *err);

/*
 * kw_saved_run_accounts - the AWS accounts a session's plan was read from: with --role-arn
 * (s->accounts) their ids as reached, comma-separated ("222222222222,333333333333"), else
 * kw_saved_caller_account of c. *account is a new string (caller frees).
 * Returns 0, or -1 with err set.
 */
int kw_saved_run_accounts(struct kw_aws_client *c, const struct kw_session *s, char **account,
                          struct kw_error *err);

/* --max-plan-age is read by the option table (cmd/options.h, util/num.h durations). */

#endif
