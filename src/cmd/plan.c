/*
 * plan.c - `keywarden plan PATH...`: read live IAM state for the manifests' accounts and print
 * the ordered steps apply would take. Exit 0 no changes, 2 changes, 1 error.
 */
#include <getopt.h>
#include <string.h>

#include "aws/client.h"
#include "cmd/cmd.h"
#include "cmd/engine_cmd.h"
#include "engine/render.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/output.h"

static const char usage[] =
        "usage: keywarden plan [--adopt] [--prune-keys] [--parallelism N] [--stats] PATH...\n";

static const char help[] =
        "Read what IAM holds for the accounts of the manifests at PATH (files or folders) and print\n"
        "the ordered steps that 'keywarden apply' would take. Nothing is changed.\n"
        "\n"
        "Options:\n"
        "  --adopt            take over existing users and groups without the tag managed-by: keywarden\n"
        "  --prune-keys       also plan the deletion of access keys that are not needed\n"
        "  --parallelism N    read up to N accounts at once (default 8)\n"
        "  --stats            print the AWS calls made per action and the wall time (stderr)\n"
        "  -o json            the plan as one JSON document\n"
        "\n"
        "Exit status: 0 no changes, 2 changes planned, 1 error.\n"
        "\n";

int cmd_plan(int argc, char **argv, struct kw_ctx *ctx)
{
	static const struct option longopts[] = {
	        {"adopt", no_argument, NULL, KW_OPT_ADOPT},
	        {"prune-keys", no_argument, NULL, KW_OPT_PRUNE_KEYS},
	        {"parallelism", required_argument, NULL, KW_OPT_PARALLELISM},
	        {"stats", no_argument, NULL, KW_OPT_STATS},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct kw_engine_args a = {0};
	struct kw_session s = {0};
	struct kw_aws_client *client = NULL;
	struct kw_buf out = KW_BUF_INIT;
	int opt, rc = KW_EXIT_ERROR;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int r;

		if (opt == 'h') {
			fprintf(ctx->out, "%s\n%s%s", usage, help, kw_common_options_help);
			return KW_EXIT_OK;
		}
		r = kw_engine_arg(ctx, usage, opt, optarg, &a);
		if (r < 0)
			return KW_EXIT_ERROR;
		if (r == 0)
			return kw_cmd_bad_option(ctx, usage, "plan", "h", longopts, argv);
	}
	if (optind >= argc)
		return kw_cmd_usage_error(ctx, usage, "plan: no manifest given");
	a.paths = argv + optind;
	a.npaths = argc - optind;

	if (kw_engine_prepare(ctx, &a, &s, &client))
		goto out;
	if (ctx->output == KW_OUTPUT_JSON) {
		json_t *j = kw_plan_json(&s.plan);

		if (!j || kw_json_print(j, ctx->out)) {
			json_decref(j);
			fputs("error: out of memory\n", ctx->err);
			goto out;
		}
		json_decref(j);
	} else {
		if (kw_plan_render_text(&s.plan, kw_cmd_color(ctx), &out)) {
			fputs("error: out of memory\n", ctx->err);
			goto out;
		}
		fputs(out.data ? out.data : "", ctx->out);
	}
	rc = s.plan.nsteps ? KW_EXIT_CHANGES : KW_EXIT_OK;
out:
	fflush(ctx->out);
	kw_engine_print_stats(ctx, &a, client);
	kw_buf_release(&out);
	kw_session_release(&s);
	kw_aws_client_free(client);
	return rc;
}
