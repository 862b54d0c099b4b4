/*
 * main.c - argv to command: takes out the common options wherever they stand, sets up
 * logging and the process (no core dumps), and runs src/cmd/<name>.c.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cmd/cmd.h"
#include "keys/record.h"
#include "manifest/folder.h" /* KW_NO_PROGRESS_MAX_S */
#include "util/deadline.h"
#include "util/error.h"
#include "util/exec.h"
#include "util/log.h"
#include "util/num.h"
#include "util/secret.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct kw_ctx *ctx);
	const char *summary;
};

/* Only commands that work are listed here. Keep in the order of the help text. */
static const struct command commands[] = {
        {"help", cmd_help, "show help for keywarden or a command"},
        {"validate", cmd_validate, "check manifests and their policies offline"},
        {"plan", cmd_plan, "show what apply would change in IAM"},
        {"apply", cmd_apply, "provision service accounts: gates before keys, keys delivered"},
        {"show", cmd_show, "print a plan saved by 'plan --out FILE'"},
        {"policy", cmd_policy, "format, diff and lint IAM policy files"},
        {"whoami", cmd_whoami, "show the account, ARN and user id of the resolved AWS credentials"},
        {"rotate", cmd_rotate, "rotate access keys safely (service accounts, or your own profiles)"},
        {"audit", cmd_audit, "list access keys with age and last use; findings; prune unused keys"},
        {"destroy", cmd_destroy, "remove service accounts in the order IAM requires"},
};

/* "error: unknown command 'x'", with the command it most likely meant. */
static void unknown_command(FILE *fp, const char *name)
{
	const char *known[sizeof(commands) / sizeof(commands[0]) + 1], *hint;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		known[i] = commands[i].name;
	known[sizeof(commands) / sizeof(commands[0])] = NULL;
	hint = kw_cmd_suggest(name, known);
	fprintf(fp, "error: unknown command '%s'%s%s%s\n", name, hint ? " (did you mean '" : "",
	        hint ? hint : "", hint ? "'?)" : "");
}

static const char usage_short[] = "usage: keywarden [--version] [--help] COMMAND [OPTIONS] [ARGS]\n"
                                  "Try 'keywarden --help' for the list of commands.\n";

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_help(FILE *fp)
{
	fputs("keywarden - provision AWS IAM service accounts from manifests and guard their keys\n\n"
	      "usage: keywarden [--version] [--help] COMMAND [OPTIONS] [ARGS]\n\n"
	      "Commands:\n",
	      fp);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp,
	        "\n%s\n'keywarden help COMMAND' or 'keywarden COMMAND --help' shows a command's options.\n"
	        "Documentation: 'man keywarden-COMMAND', and the same pages in\n"
	        "  %s/ (commands/COMMAND.md, manifest.md).\n",
	        kw_common_options_help, KW_DOCDIR);
}

int cmd_help(int argc, char **argv, struct kw_ctx *ctx)
{
	const struct command *c;
	char *sub[] = {NULL, "--help", NULL};

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_help(ctx->out);
		return KW_EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c || c->fn == cmd_help) {
		if (!c) {
			unknown_command(ctx->err, argv[1]);
			fputs(usage_short, ctx->err);
		} else
			print_help(ctx->out);
		return c ? KW_EXIT_OK : KW_EXIT_ERROR;
	}
	sub[0] = argv[1];
	return c->fn(2, sub, ctx);
}

static int take_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (!strcmp(argv[*i], name)) {
		if (*i + 1 >= argc)
			return -1;
		*val = argv[++*i];
		return 1;
	}
	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	return 0;
}

/*
 * Take the common options out of argv (anywhere before "--"), compacting the rest in place.
 * Returns the new argc, or -1 after printing a usage error.
 */
static int parse_common(int argc, char **argv, struct kw_ctx *ctx)
{
	struct kw_error err;
	int out = 0;

	for (int i = 0; i < argc; i++) {
		const char *v = NULL, *a = argv[i];
		int r;

		if (!strcmp(a, "--")) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if ((r = take_value(argc, argv, &i, "--profile", &v)) != 0) {
			const char **p;
			if (r < 0)
				goto missing;
			p = realloc(ctx->profiles, (ctx->nprofiles + 1) * sizeof(*p));
			if (!p)
				goto nomem;
			ctx->profiles = p;
			ctx->profiles[ctx->nprofiles++] = v;
			if (!ctx->profile)
				ctx->profile = v;
		} else if ((r = take_value(argc, argv, &i, "--region", &v)) != 0) {
			if (r < 0)
				goto missing;
			ctx->region = v;
		} else if ((r = take_value(argc, argv, &i, "--endpoint-url", &v)) != 0) {
			if (r < 0)
				goto missing;
			ctx->endpoint_url = v;
		} else if ((r = take_value(argc, argv, &i, "--mfa-code", &v)) != 0) {
			if (r < 0)
				goto missing;
			ctx->mfa_code = v;
		} else if ((r = take_value(argc, argv, &i, "--exec-env", &v)) != 0) {
			if (r < 0)
				goto missing;
			if (kw_exec_env_allow(v, &err)) {
				kw_error_print(&err, ctx->err);
				return -1;
			}
		} else if ((r = take_value(argc, argv, &i, "--no-progress-timeout", &v)) != 0) {
			double t;

			if (r < 0)
				goto missing;
			if (kw_parse_duration(v, 1, 0, KW_NO_PROGRESS_MAX_S, &t)) {
				fprintf(ctx->err,
				        "error: --no-progress-timeout '%s': expected a duration from 0 "
				        "(none) to "
				        "%d s, such as 90s or 2m\n%s",
				        v, KW_NO_PROGRESS_MAX_S, usage_short);
				return -1;
			}
			kw_deadline_set_timeout(t);
			ctx->no_progress_set = true;
		} else if ((r = take_value(argc, argv, &i, "--state-dir", &v)) != 0) {
			if (r < 0 || !*v)
				goto missing;
			kw_key_record_set_dir(v); /* where the target records are (keys/record.h) */
		} else if ((r = take_value(argc, argv, &i, "--output", &v)) != 0 ||
		           (r = take_value(argc, argv, &i, "-o", &v)) != 0) {
			if (r < 0)
				goto missing;
			if (kw_output_parse(v, &ctx->output, &err)) {
				kw_error_print(&err, ctx->err);
				return -1;
			}
			ctx->output_set = true;
		} else if (!strcmp(a, "--no-color")) {
			ctx->color_allowed = false;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			ctx->verbosity++;
		} else if (!strcmp(a, "-vv")) {
			ctx->verbosity += 2;
		} else {
			argv[out++] = argv[i];
		}
		continue;
	missing:
		fprintf(ctx->err, "error: option '%s' needs a value\n%s", a, usage_short);
		return -1;
	}
	return out;
nomem:
	fputs("error: out of memory\n", ctx->err);
	return -1;
}

int main(int argc, char **argv)
{
	struct kw_ctx ctx = {.out = stdout, .err = stderr, .color_allowed = true};
	const struct command *c;
	int rc, n;

	(void)kw_secret_process_harden();
	n = parse_common(argc - 1, argv + 1, &ctx);
	if (n < 0) {
		rc = KW_EXIT_ERROR;
		goto out;
	}
	argv[n + 1] = NULL;
	kw_log_setup(ctx.verbosity, ctx.color_allowed, stderr);
	if (n == 0) {
		print_help(ctx.out);
		rc = KW_EXIT_OK;
		goto out;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		const struct kw_catalog *cat = kw_catalog_get();
		printf("keywarden %s\n", KW_VERSION);
		if (cat)
			printf("AWS action catalog: %s %s (%s, data of %.10s; %zu services, %zu actions)\n",
			       cat->package, cat->version, cat->license, cat->updated, cat->nservices,
			       cat->nactions);
		rc = KW_EXIT_OK;
		goto out;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_help(ctx.out);
		rc = KW_EXIT_OK;
		goto out;
	}
	c = find_command(argv[1]);
	if (!c) {
		if (argv[1][0] == '-')
			fprintf(stderr, "error: unknown option '%s'\n%s", argv[1], usage_short);
		else {
			unknown_command(stderr, argv[1]);
			fputs(usage_short, stderr);
		}
		rc = KW_EXIT_ERROR;
		goto out;
	}
	if (kw_cmd_output_resolve(&ctx, n, argv + 1)) {
		rc = KW_EXIT_ERROR;
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fputs("error: cannot initialise libcurl\n", stderr);
		rc = KW_EXIT_ERROR;
		goto out;
	}
	opterr = 0; /* commands report bad options themselves (kw_cmd_bad_option) */
	xmlInitParser();
	rc = c->fn(n, argv + 1, &ctx);
	fflush(stdout);
	xmlCleanupParser();
	curl_global_cleanup();
out:
	free(ctx.profiles);
	return rc;
}
