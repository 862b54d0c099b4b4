/*
 * whoami.c - `keywarden whoami`: STS GetCallerIdentity with the resolved credentials; the first
 * command that proves the credential chain, endpoints and signing work end to end.
 */
#include <getopt.h>
#include <stdio.h>

#include "aws/client.h"
#include "aws/sts.h"
#include "cmd/cmd.h"
#include "cmd/lifecycle.h"
#include "util/error.h"
#include "util/output.h"

static const char usage[] = "usage: keywarden whoami [--profile NAME] [--region REGION] [--endpoint-url URL] "
                            "[-o text|table|json]\n\n";

static const char help[] =
        "Show who the resolved AWS credentials belong to (STS GetCallerIdentity): account, ARN\n"
        "and user id, the credential provider that produced them (environment, assume-role,\n"
        "assume-role-with-web-identity, sso, shared-credentials-file, credential-process,\n"
        "config-file, container-role, iam-role) and, for a role, the chain\n"
        "that reached it (profile ops -> assume ROLE (cached until TIME)). Needs no IAM\n"
        "permission; fails with exit status 1 when no credentials are found or AWS rejects them\n"
        "(for example SignatureDoesNotMatch for a wrong secret). With -v, also which access key\n"
        "signed. Never a secret.\n\n"
        "Options:\n"
        "  -h, --help           this help\n\n";

int cmd_whoami(int argc, char **argv, struct kw_ctx *ctx)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct kw_aws_options opt;
	struct kw_aws_client *client = NULL;
	struct kw_sts_identity id = {0};
	struct kw_table *t = NULL;
	struct kw_error err;
	json_t *obj = NULL;
	const char *provider, *chain;
	int c, rc = KW_EXIT_ERROR;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, ctx->out);
			fputs(help, ctx->out);
			fputs(kw_common_options_help, ctx->out);
			return KW_EXIT_OK;
		default: return kw_cmd_bad_option(ctx, usage, "whoami", "+h", longopts, argv);
		}
	}
	if (optind < argc)
		return kw_cmd_usage_error(ctx, usage, "whoami: unexpected argument '%s'", argv[optind]);
	kw_error_clear(&err);
	kw_cmd_aws_options(ctx, ctx->profile, &opt);
	if (kw_aws_client_new(&opt, &client, &err) || kw_sts_get_caller_identity(client, &id, &err)) {
		kw_error_print(&err, ctx->err);
		goto out;
	}
	provider = kw_aws_client_credential_source(client);
	chain = kw_aws_client_credential_chain(client);
	if (ctx->output_set && ctx->output == KW_OUTPUT_JSON) {
		obj = json_pack("{s:s, s:s, s:s, s:s}", "UserId", id.user_id, "Account", id.account, "Arn",
		                id.arn, "Provider", provider);
		if (!obj || (chain && json_object_set_new(obj, "Chain", json_string(chain))) ||
		    kw_json_print(obj, ctx->out))
			goto nomem;
	} else {
		static const char *const cols[] = {"Account", "Arn", "UserId", "Provider", "Chain"};
		const char *row[] = {id.account, id.arn, id.user_id, provider, chain};
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
	kw_sts_identity_release(&id);
	kw_aws_client_free(client);
	return rc;
}
