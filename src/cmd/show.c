/*
 * show.c - `keywarden show FILE`: a saved plan (`plan --out FILE`) printed as `plan` printed
 * it, with when and for which account it was made. Exit 0 no changes, 2 changes, 1 error.
 */
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "engine/saved.h"
#include "util/error.h"
#include "util/output.h"

static const char usage[] = "usage: keywarden show FILE\n";

static const char help[] =
        "Print a plan saved by 'keywarden plan --out FILE' as plan printed it: when it was made, for\n"
        "which AWS account and from which paths, then its steps. Nothing is read from AWS.\n"
        "\n"
        "Output: text (default); -o json the plan as 'plan -o json' prints it; -o markdown the\n"
        "pull-request comment of 'plan -o markdown'.\n"
        "Exit status: 0 the plan has no changes, 2 it has changes, 1 error (unreadable, not a\n"
        "saved plan, or a format version this keywarden does not read).\n";

static const struct kw_cmd_spec spec = {.name = "show", .usage = usage, .intro = help};

int cmd_show(int argc, char **argv, struct kw_ctx *ctx)
{
	struct kw_error err;
	json_t *doc = NULL, *plan;
	const char *text;
	bool changes;
	const struct kw_opt opts[] = {KW_OPTS_END};
	int optind_ = kw_opts_parse(ctx, &spec, opts, argc, argv);

	if (optind_ < 0)
		return kw_opts_exit(optind_);
	if (argc - optind_ != 1)
		return kw_opts_error(ctx, &spec, "give one saved plan FILE");
	kw_error_clear(&err);
	if (kw_saved_plan_read(argv[optind_], &doc, &err)) {
		kw_error_print(&err, ctx->err);
		return KW_EXIT_ERROR;
	}
	plan = json_object_get(doc, "plan");
	changes = json_is_true(json_object_get(plan, "changes"));
	if (ctx->output == KW_OUTPUT_JSON && ctx->output_set) {
		kw_json_print(plan, ctx->out);
	} else if (ctx->output == KW_OUTPUT_MARKDOWN) {
		text = json_string_value(json_object_get(json_object_get(doc, "rendered"), "markdown"));
		fputs(text ? text : "", ctx->out);
	} else {
		const json_t *paths = json_object_get(doc, "paths");
		long age =
		        (long)(time(NULL) - (time_t)json_integer_value(json_object_get(doc, "created_unix")));

		fprintf(ctx->out, "Saved plan %s: made %s (%ld min ago) for AWS account %s from",
		        argv[optind_], json_string_value(json_object_get(doc, "created")), age / 60,
		        json_string_value(json_object_get(doc, "account")));
		for (size_t i = 0; i < json_array_size(paths); i++)
			fprintf(ctx->out, " %s", json_string_value(json_array_get(paths, i)));
		fprintf(ctx->out, " (%zu files)\n\n", json_array_size(json_object_get(doc, "files")));
		text = json_string_value(json_object_get(json_object_get(doc, "rendered"), "text"));
		fputs(text ? text : "", ctx->out);
	}
	json_decref(doc);
	return changes ? KW_EXIT_CHANGES : KW_EXIT_OK;
}
