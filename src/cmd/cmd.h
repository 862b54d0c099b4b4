/*
 * cmd.h - what every command in src/cmd/ shares: the per-run context and the entry points.
 *
 * Each command lives in src/cmd/<name>.c, exports only `int cmd_<name>(int argc, char **argv,
 * struct kw_ctx *ctx)` and keeps its usage text and option table beside its code (git's
 * builtin/ style). argv[0] is the command name; the common options below have already been
 * taken out of argv by main, wherever they stood. A command parses the rest with its option
 * table (cmd/options.h: parsing, --help on stdout with exit 0, and the errors come from it),
 * and returns the process exit status. Only main and src/cmd print errors (kw_error_print);
 * code below src/cmd never prints and never exits.
 *
 * Exit statuses: 0 success / converged / clean; 1 error; 2 changes (plan) or differences
 * (policy diff); 3 findings (audit, lint).
 */
#ifndef KW_CMD_CMD_H
#define KW_CMD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/output.h"

enum {
	KW_EXIT_OK = 0,
	KW_EXIT_ERROR = 1,
	KW_EXIT_CHANGES = 2,
	KW_EXIT_FINDINGS = 3,
};

/* Options common to every command (as the AWS CLI's global options), parsed by main. */
struct kw_ctx {
	const char *profile;   /* --profile (the first given), or NULL */
	const char **profiles; /* every --profile in order (rotate takes several) */
	size_t nprofiles;
	const char *region;           /* --region, or NULL */
	const char *endpoint_url;     /* --endpoint-url, or NULL */
	const char *mfa_code;         /* --mfa-code, or NULL (an assume-role profile's mfa_serial) */
	bool no_progress_set;         /* --no-progress-timeout given (util/deadline.h has its value) */
	enum kw_output_format output; /* -o/--output; see output_set */
	bool output_set;              /* true when -o was given; commands pick their own default */
	bool color_allowed;           /* false with --no-color (NO_COLOR is checked at print time) */
	int verbosity;                /* 0, 1 (-v), 2 (-vv) */
	FILE *out;                    /* stdout: results */
	FILE *err;                    /* stderr: errors, progress, prompts */
};

/*
 * kw_cmd_usage_error - print "error: <cmd>: <msg>" and the short usage to ctx->err.
 * Returns KW_EXIT_ERROR, so commands can `return kw_cmd_usage_error(...)`.
 */
int kw_cmd_usage_error(struct kw_ctx *ctx, const char *usage, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * kw_cmd_ask - ask a yes/no question on ctx->err and read the answer from standard input.
 * Returns 1 for "y" or "yes", 0 for anything else (or end of input), and -1 without asking
 * when standard input or ctx->err is not a terminal (callers then need a --yes style option).
 */
int kw_cmd_ask(struct kw_ctx *ctx, const char *question);

struct kw_error;

/*
 * kw_cmd_read_line - read one answer from standard input into buf (size bytes, NUL-terminated,
 * the line end removed; a longer line is cut).
 * @where: what was asked, for the error ("MFA code prompt").
 * Returns 0, or -1 with err set: KW_ERR_ABORTED "interrupted (SIGINT)" when a signal came
 * (Ctrl-C at a prompt is an interrupt, not the end of input), else "end of input".
 */
int kw_cmd_read_line(char *buf, size_t size, const char *where, struct kw_error *err);

/*
 * kw_cmd_output_format - the format for results written to fp: -o/--output when given, else
 * table on a terminal and text otherwise (as rotate, audit and destroy document).
 */
enum kw_output_format kw_cmd_output_format(const struct kw_ctx *ctx, FILE *fp);

/*
 * kw_cmd_output_resolve - before a command runs (argv[0] the command, argv[1] a subcommand):
 * an -o FORMAT the command does not write is an error (printed, with the formats it writes);
 * without -o, the configured default - AWS_DEFAULT_OUTPUT, else `output` of the profile in the
 * shared config file, as the AWS CLI reads them - becomes ctx->output (output_set) where the
 * command takes that format from the configuration, and is ignored elsewhere (apply's progress,
 * policy fmt, a format the command lacks). --help and help are exempt.
 * Returns 0, or -1 after printing the error.
 */
int kw_cmd_output_resolve(struct kw_ctx *ctx, int argc, char **argv);

/*
 * kw_cmd_suggest - for "did you mean": the word of known (NULL-terminated) that word most
 * likely meant: the only one it begins (2 characters at least), else the closest by edit
 * distance when close enough to be a typo (kw_closest_word); NULL for none.
 */
const char *kw_cmd_suggest(const char *word, const char *const *known);

/* kw_cmd_color - whether ctx->out may be coloured (terminal, no NO_COLOR, no --no-color). */
bool kw_cmd_color(const struct kw_ctx *ctx);

/* The common options' help text, appended to every command's --help. */
extern const char kw_common_options_help[];

int cmd_help(int argc, char **argv, struct kw_ctx *ctx);
int cmd_validate(int argc, char **argv, struct kw_ctx *ctx);
int cmd_policy(int argc, char **argv, struct kw_ctx *ctx);
int cmd_plan(int argc, char **argv, struct kw_ctx *ctx);
int cmd_apply(int argc, char **argv, struct kw_ctx *ctx);
int cmd_show(int argc, char **argv, struct kw_ctx *ctx);
int cmd_whoami(int argc, char **argv, struct kw_ctx *ctx);
int cmd_rotate(int argc, char **argv, struct kw_ctx *ctx);
int cmd_audit(int argc, char **argv, struct kw_ctx *ctx);
int cmd_destroy(int argc, char **argv, struct kw_ctx *ctx);

#endif
