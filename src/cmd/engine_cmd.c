#include "cmd/engine_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "cmd/lifecycle.h"
#include "engine/checks.h"
#include "engine/live.h"
#include "manifest/folder.h"
#include "manifest/manifest.h"
#include "util/deadline.h"
#include "util/error.h"

void kw_engine_aws_options(const struct kw_ctx *ctx, struct kw_aws_options *o)
{
	kw_cmd_aws_options(ctx, ctx->profile, o);
}

static void print_diags(struct kw_ctx *ctx, const struct kw_manifest_set *set)
{
	for (size_t i = 0; set && i < set->diags.n; i++) {
		const struct kw_diag *d = &set->diags.items[i];
		char *line;

		/* accepted findings and notes only with -v, as validate: a pipeline's stderr stays quiet */
		if ((d->severity < KW_SEV_WARNING || d->accepted) && ctx->verbosity == 0)
			continue;
		line = kw_diag_format(d);
		if (line)
			fprintf(ctx->err, "%s\n", line);
		free(line);
	}
}

int kw_engine_prepare(struct kw_ctx *ctx, const struct kw_engine_args *a, struct kw_session *s,
                      struct kw_aws_client **client)
{
	struct kw_plan_opts po = {.now = time(NULL),
	                          .adopt = a->adopt,
	                          .prune_keys = a->prune_keys,
	                          .prune_accounts = a->prune_accounts};
	struct kw_folder_config fc = {0};
	struct kw_aws_options ao;
	struct kw_error err;

	*client = NULL;
	kw_error_clear(&err);
	if (kw_session_load(s, (const char *const *)a->paths, (size_t)a->npaths, &err)) {
		print_diags(ctx, s->set);
		if (!s->set || !s->set->diags.n || err.kind != KW_ERR_INVALID)
			kw_error_print(&err, ctx->err);
		goto fail;
	}
	print_diags(ctx, s->set); /* accepted findings and warnings that do not block */
	/* the owner: --owner, else the folder's keywarden.yaml (which a saved plan also digests) */
	if (a->owner && kw_owner_check(a->owner, "--owner", &err)) {
		kw_error_print(&err, ctx->err);
		goto fail;
	}
	if (kw_folder_config_read((const char *const *)a->paths, (size_t)a->npaths, &fc, &err)) {
		kw_error_print(&err, ctx->err);
		goto fail;
	}
	if ((a->owner || fc.owner) &&
	    kw_session_set_owner(s, a->owner ? a->owner : fc.owner,
	                         !a->owner || (fc.owner && !strcmp(a->owner, fc.owner)) ? fc.file : NULL,
	                         &err)) {
		kw_error_print(&err, ctx->err);
		goto fail;
	}
	if (fc.no_progress_set && !ctx->no_progress_set) /* the command line wins */
		kw_deadline_set_timeout(fc.no_progress_timeout);
	kw_folder_config_release(&fc);
	po.owner = s->owner;
	if (a->prune_accounts && a->role_arn) {
		kw_error_set(&err, KW_ERR_USAGE, NULL,
		             "--prune-accounts does not work with --role-arn yet: prune in one job per "
		             "AWS account");
		kw_error_print(&err, ctx->err);
		goto fail;
	}
	if (a->prune_accounts && !po.owner) {
		kw_error_set(
		        &err, KW_ERR_USAGE, NULL,
		        "--prune-accounts needs an owner (--owner NAME, or owner: in %s beside the "
		        "manifests): several repositories may share one AWS account, and without an owner "
		        "keywarden cannot tell the accounts of this run from theirs",
		        KW_FOLDER_CONFIG_NAME);
		kw_error_print(&err, ctx->err);
		goto fail;
	}
	kw_engine_aws_options(ctx, &ao);
	ao.adaptive_default = a->writes;
	po.aws = &ao;
	po.held_timeout = a->confirm_timeout > 0 ? a->confirm_timeout : 30.0;
	if (kw_aws_client_new(&ao, client, &err) ||
	    kw_accounts_reach(*client, &ao, a->role_arn, (const struct kw_manifest *const *)s->set->items,
	                      s->set->n, &s->accounts, &err)) {
		kw_error_print(&err, ctx->err);
		goto fail;
	}
	for (size_t i = 0; i < s->n; i++) /* the manifests of each AWS account through its client */
	{
		s->desired[i].client = kw_accounts_client(&s->accounts, i);
		s->desired[i].aws_opts = kw_accounts_options(&s->accounts, i);
	}
	if (kw_session_plan(s, *client, a->parallelism ? a->parallelism : KW_LIVE_PARALLELISM, &po, &err) ||
	    kw_checks_policies(*client, &s->plan, &err)) { /* what the plan attaches is in IAM */
		kw_error_print(&err, ctx->err);
		goto fail;
	}
	return 0;
fail:
	kw_folder_config_release(&fc);
	if (a->failure)
		*a->failure = err;
	return -1;
}

static void print_stats(struct kw_ctx *ctx, struct kw_aws_client *c, const char *account);

void kw_engine_print_stats(struct kw_ctx *ctx, const struct kw_engine_args *a, struct kw_aws_client *c,
                           const struct kw_session *s)
{
	if (!a->stats || !c)
		return;
	print_stats(ctx, c, NULL);
	for (size_t i = 0; s && i < s->accounts.n; i++)
		print_stats(ctx, s->accounts.v[i].c, s->accounts.v[i].id);
}

static void print_stats(struct kw_ctx *ctx, struct kw_aws_client *c, const char *account)
{
	struct kw_aws_stats st = {0};
	struct kw_error err;

	if (account)
		fprintf(ctx->err, "stats: account %s (%s):\n", account, kw_aws_client_credential_chain(c));
	if (kw_aws_client_stats(c, &st, &err)) {
		kw_error_print(&err, ctx->err);
		return;
	}
	fprintf(ctx->err, "stats: %lu call%s (%lu retr%s, %lu failed) in %.3f s\n", st.calls,
	        st.calls == 1 ? "" : "s", st.retries, st.retries == 1 ? "y" : "ies", st.failures,
	        st.wall_seconds);
	fprintf(ctx->err,
	        "stats: retry mode %s: %lu attempt%s, %lu throttled, %.3f s waited on the token bucket\n",
	        st.retry_mode, st.attempts, st.attempts == 1 ? "" : "s", st.throttles, st.bucket_wait);
	for (size_t i = 0; i < st.nactions; i++)
		fprintf(ctx->err, "stats:   %-45s %5lu call%s  %7.3f s\n", st.actions[i].action,
		        st.actions[i].calls, st.actions[i].calls == 1 ? " " : "s", st.actions[i].seconds);
	kw_aws_stats_release(&st);
}
