/*
 * engine_cmd.h - what `plan` and `apply` share on the command side: their common options,
 * loading manifests (diagnostics printed), the AWS client, the plan, and --stats.
 */
#ifndef KW_CMD_ENGINE_CMD_H
#define KW_CMD_ENGINE_CMD_H

#include <stdbool.h>

#include "cmd/cmd.h"
#include "engine/live.h" /* KW_LIVE_PARALLELISM_MAX */
#include "engine/plan.h"
#include "engine/session.h"

struct kw_aws_client;
struct kw_aws_options;
struct kw_error;

/* Options plan and apply both take. */
struct kw_engine_args {
	bool adopt;             /* --adopt */
	bool prune_keys;        /* --prune-keys */
	int parallelism;        /* --parallelism N (default 8) */
	bool stats;             /* --stats */
	const char *owner;      /* --owner NAME (else keywarden.yaml's owner:), or NULL */
	bool prune_accounts;    /* --prune-accounts (plan only, for now) */
	const char *role_arn;   /* --role-arn 'arn:aws:iam::{account}:role/NAME', or NULL */
	bool writes;            /* apply: retry mode adaptive unless the config names one (client.h) */
	double confirm_timeout; /* --confirm-timeout: waits for held keys IAM does not list yet (0: 30 s) */
	char **paths;           /* PATH... (borrowed from argv) */
	int npaths;
	struct kw_error *failure; /* when set, kw_engine_prepare copies its error here (review output) */
};

/*
 * The option-table rows (cmd/options.h) of the options plan and apply share, into the
 * struct kw_engine_args *a; prune_help: what --prune-keys does for the command.
 */
#define KW_ENGINE_OPTIONS(a, prune_help)                                                            \
	KW_FLAG("adopt", &(a)->adopt,                                                               \
	        "take over existing users and groups without the tag managed-by: keywarden"),       \
	        KW_FLAG("prune-keys", &(a)->prune_keys, prune_help),                                \
	        KW_OPT_PARALLELISM(&(a)->parallelism, "read up to N accounts at once (default 8)"), \
	        KW_FLAG("stats", &(a)->stats,                                                       \
	                "print the AWS calls made per action and the wall time (stderr)"),          \
	        KW_STRING("owner", "NAME", &(a)->owner,                                             \
	                  "the owner of this run's accounts (default: owner: in keywarden.yaml\n"   \
	                  "beside the manifests): users get the tag keywarden:owner: NAME, and\n"   \
	                  "the owner's users that no manifest names are listed"),                   \
	        KW_FLAG("prune-accounts", &(a)->prune_accounts,                                     \
	                "destroy the owner's users that no manifest names (needs an owner)"),       \
	        KW_OPT_ROLE_ARN(&(a)->role_arn)

/*
 * kw_engine_prepare - load the manifests (printing diagnostics), create the AWS client from
 * ctx, read live state and compute the plan into s.
 * @client: receives the client (caller frees with kw_aws_client_free), also on failure.
 * Returns 0, or -1 after printing the error on ctx->err.
 */
int kw_engine_prepare(struct kw_ctx *ctx, const struct kw_engine_args *a, struct kw_session *s,
                      struct kw_aws_client **client);

/*
 * kw_engine_print_stats - with --stats: calls per action and the wall time, on ctx->err; with
 * --role-arn, those of each AWS account's client of s too (s may be NULL).
 */
void kw_engine_print_stats(struct kw_ctx *ctx, const struct kw_engine_args *a, struct kw_aws_client *c,
                           const struct kw_session *s);

/* kw_engine_aws_options - the client options from ctx (borrowed strings). */
void kw_engine_aws_options(const struct kw_ctx *ctx, struct kw_aws_options *o);

#endif
