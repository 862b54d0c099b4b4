#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* formats.c - which -o formats each command writes, and the configured default output. */
#include "aws/profile.h"
#include "cmd/cmd.h"
#include "util/error.h"
#include "util/log.h"

#define F(x)    (1u << KW_OUTPUT_##x)
#define LISTING (F(TEXT) | F(TABLE) | F(JSON))
#define REPORT  (F(TEXT) | F(JSON))

/*
 * What each command writes (bits of enum kw_output_format): `formats` for -o, `configured` the
 * ones a configured default may choose. A command (or subcommand) not listed takes text and
 * json, both also from the configuration. apply's output is progress, kept text unless -o
 * asks: a configured `output = json` is meant for the AWS CLI's results.
 */
static const struct {
	const char *cmd, *sub; /* sub: NULL for the command, or one subcommand */
	unsigned formats, configured;
} table[] = {
        {"validate", NULL, REPORT | F(SARIF) | F(GITHUB), REPORT},
        {"plan", NULL, REPORT | F(SARIF) | F(GITHUB) | F(MARKDOWN), REPORT},
        {"apply", NULL, REPORT, 0},
        {"show", NULL, REPORT | F(MARKDOWN), REPORT},
        {"policy", "fmt", F(TEXT), 0},
        {"policy", "lint", REPORT | F(SARIF) | F(GITHUB), REPORT},
        {"whoami", NULL, LISTING, LISTING},
        {"rotate", NULL, LISTING, LISTING},
        {"audit", NULL, LISTING, LISTING},
        {"destroy", NULL, LISTING, LISTING},
};

static void find(int argc, char **argv, unsigned *formats, unsigned *configured)
{
	*formats = *configured = REPORT;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(argv[0], table[i].cmd) &&
		    (!table[i].sub || (argc > 1 && !strcmp(argv[1], table[i].sub)))) {
			*formats = table[i].formats;
			*configured = table[i].configured;
			return;
		}
}

/* The configured default: AWS_DEFAULT_OUTPUT, else the profile's `output`; 0 when none. */
static int configured_output(const struct kw_ctx *ctx, enum kw_output_format *out)
{
	const char *env = getenv("AWS_DEFAULT_OUTPUT");
	struct kw_aws_profile p = {0};
	struct kw_error err;
	char *value = NULL;
	int found = 0;

	if (env && *env) {
		found = !kw_output_parse(env, out, &err);
	} else if (!kw_aws_profile_load(ctx->profile, &p, &err)) {
		/* an unreadable profile is the command's to report, when it needs one */
		if (kw_aws_profile_setting(&p, "output", NULL, &value, &err) == 1)
			found = !kw_output_parse(value, out, &err);
		free(value);
		kw_aws_profile_release(&p);
	}
	/* yaml and the review formats are no configured default keywarden follows */
	return found && (*out == KW_OUTPUT_TEXT || *out == KW_OUTPUT_TABLE || *out == KW_OUTPUT_JSON);
}

int kw_cmd_output_resolve(struct kw_ctx *ctx, int argc, char **argv)
{
	unsigned formats, configured;
	enum kw_output_format fmt;

	if (!strcmp(argv[0], "help"))
		return 0;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 0;
	find(argc, argv, &formats, &configured);
	if (ctx->output_set) {
		if ((formats >> ctx->output) & 1u)
			return 0;
		bool sub = argc > 1 && !strcmp(argv[0], "policy");

		fprintf(ctx->err, "error: %s%s%s: -o %s is not a format of this command (it writes", argv[0],
		        sub ? " " : "", sub ? argv[1] : "", kw_output_name(ctx->output));
		for (int f = 0, n = 0; f < 32; f++)
			if ((formats >> f) & 1u)
				fprintf(ctx->err, "%s %s", n++ ? "," : "",
				        kw_output_name((enum kw_output_format)f));
		fputs(")\n", ctx->err);
		return -1;
	}
	if (configured && configured_output(ctx, &fmt) && ((configured >> fmt) & 1u)) {
		ctx->output = fmt;
		ctx->output_set = true;
		kw_log(KW_LOG_DEBUG, "output %s from the configuration", kw_output_name(fmt));
	}
	return 0;
}
