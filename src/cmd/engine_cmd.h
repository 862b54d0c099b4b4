/*
 * engine_cmd.h - what `plan` and `apply` share on the command side: their common options,
 * loading manifests (diagnostics printed), the AWS client, the plan, and --stats.
 */
#ifndef KW_CMD_ENGINE_CMD_H
#define KW_CMD_ENGINE_CMD_H

#include <stdbool.h>

#include "cmd/cmd.h"
#include "engine/plan.h"
#include "engine/session.h"

struct kw_aws_client;
struct kw_aws_options;
struct kw_error;

/* Options plan and apply both take. */
struct kw_engine_args {
	bool adopt;      /* --adopt */
	bool prune_keys; /* --prune-keys */
	int parallelism; /* --parallelism N (default 8) */
	bool stats;      /* --stats */
	bool writes;     /* apply: retry mode adaptive unless the config names one (client.h) */
	char **paths;    /* PATH... (borrowed from argv) */
	int npaths;
	struct kw_error *failure; /* when set, kw_engine_prepare copies its error here (review output) */
};

/* Long-option values shared by plan and apply (above 256, clear of short options). */
enum {
	KW_OPT_ADOPT = 256,
	KW_OPT_PRUNE_KEYS,
	KW_OPT_PARALLELISM,
	KW_OPT_STATS,
	KW_OPT_ENGINE_LAST, /* apply's own options start here */
};

/*
 * kw_engine_arg - handle one shared option (opt as getopt_long returned it, optarg its value).
 * Returns 1 when handled, 0 when not a shared option, -1 after printing a usage error.
 */
int kw_engine_arg(struct kw_ctx *ctx, const char *usage, int opt, const char *optarg_,
                  struct kw_engine_args *a);

/*
 * kw_engine_prepare - load the manifests (printing diagnostics), create the AWS client from
 * ctx, read live state and compute the plan into s.
 * @client: receives the client (caller frees with kw_aws_client_free), also on failure.
 * Returns 0, or -1 after printing the error on ctx->err.
 */
int kw_engine_prepare(struct kw_ctx *ctx, const struct kw_engine_args *a, struct kw_session *s,
                      struct kw_aws_client **client);

/* kw_engine_print_stats - with --stats: calls per action and the wall time, on ctx->err. */
void kw_engine_print_stats(struct kw_ctx *ctx, const struct kw_engine_args *a, struct kw_aws_client *c);

/* kw_engine_aws_options - the client options from ctx (borrowed strings). */
void kw_engine_aws_options(const struct kw_ctx *ctx, struct kw_aws_options *o);

#endif
