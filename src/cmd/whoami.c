/*
 * whoami.c - `keywarden whoami`: STS GetCallerIdentity with the resolved credentials; the first
 * command that proves the credential chain, endpoints and signing work end to end.
 */
#include <stdio.h>

#include "aws/client.h"
#include "aws/whoami.h"
#include "cmd/cmd.h"
#include "cmd/lifecycle.h"
#include "cmd/options.h"
#include "util/error.h"
#include "util/output.h"

static const char usage[] = "usage: keywarden whoami [--profile NAME] [--region REGION] [--endpoint-url URL] "
                            "[-o text|table|json]\n";

static const char help[] =
        "Show who the resolved AWS credentials belong to (STS GetCallerIdentity): account, ARN\n"
        "and user id, the credential provider that produced them (environment, assume-role,\n"
        "assume-role-with-web-identity, sso, shared-credentials-file, credential-process,\n"
        "config-file, container-role, iam-role) and, for a role, the chain\n"
        "that reached it (profile ops -> assume ROLE (cached until TIME)). Needs no IAM\n"
        "permission; fails with exit status 1 when no credentials are found or AWS rejects them\n"
        "(for example SignatureDoesNotMatch for a wrong secret). With -v, also which access key\n"
        "signed. Never a secret.\n";

static const struct kw_cmd_spec spec = {
        .name = "whoami", .usage = usage, .intro = help, .stop_at_operand = true};

int cmd_whoami(int argc, char **argv, struct kw_ctx *ctx)
{
	struct kw_aws_options opt;
	struct kw_whoami w = {0};
	struct kw_table *t = NULL;
	struct kw_error err;
	json_t *obj = NULL;
	const char *provider, *chain;
	const struct kw_opt opts[] = {KW_OPTS_END};
	int first = kw_opts_parse(ctx, &spec, opts, argc, argv), rc = KW_EXIT_ERROR;

	if (first < 0)
		return kw_opts_exit(first);
	if (first < argc)
		return kw_opts_error(ctx, &spec, "unexpected argument '%s'", argv[first]);
	kw_error_clear(&err);
	kw_cmd_aws_options(ctx, ctx->profile, &opt);
	if (kw_whoami_get(&opt, &w, &err)) {
		kw_error_print(&err, ctx->err);
		goto out;
	}
	provider = w.provider;
	chain = w.chain;
	if (ctx->output_set && ctx->output == KW_OUTPUT_JSON) {
		obj = json_pack("{s:s, s:s, s:s, s:s}", "UserId", w.id.user_id, "Account", w.id.account,
		                "Arn", w.id.arn, "Provider", provider);
		if (!obj || (chain && json_object_set_new(obj, "Chain", json_string(chain))) ||
		    kw_json_print(obj, ctx->out))
			goto nomem;
	} else {
		static const char *const cols[] = {"Account", "Arn", "UserId", "Provider", "Chain"};
		const char *row[] = {w.id.account, w.id.arn, w.id.user_id, provider, chain};
		t = kw_table_new("GetCallerIdentity", chain ? 5 : 4, cols);
		if (!t || kw_table_add_row(t, row) ||
		    kw_table_print(t, ctx->output_set ? ctx->output : KW_OUTPUT_TEXT, ctx->out,
		                   kw_cmd_color(ctx)))
			goto nomem;
	}
	rc = KW_EXIT_OK;
	goto out;
nomem:
	fputs("error: whoami: out of memory or output failed\n", ctx->err);
out:
	json_decref(obj);
	kw_table_free(t);
	kw_whoami_release(&w);
	return rc;
}
