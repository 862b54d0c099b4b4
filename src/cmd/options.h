/*
 * options.h - one option table per command, in the spirit of git's parse-options: the table
 * drives parsing (getopt_long underneath), the "Options:" part of --help, and the errors for
 * unknown options, missing and malformed values. Numbers and durations are read by util/num.h
 * with the same rules everywhere: an empty value is an error, a plain number keeps the unit the
 * option always had (`--grace 7` days, `--confirm-timeout 30` seconds), units may be written
 * (30s, 2m, 7d, 1w).
 */
#ifndef KW_CMD_OPTIONS_H
#define KW_CMD_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "cmd/cmd.h"

enum kw_opt_kind {
	KW_OPT_END = 0, /* ends a table */
	KW_OPT_FLAG,    /* bool *value = true */
	KW_OPT_STRING,  /* const char **value = the (non-empty) argument, borrowed from argv */
	KW_OPT_LONG,    /* int *value: a whole number from min to max */
	KW_OPT_SECONDS, /* double *value: a duration in seconds (plain number: seconds), min..max s */
	KW_OPT_DAYS,    /* int *value: whole days (plain number: days; 2w, 48h allowed), min..max */
	KW_OPT_TEXT,    /* not an option: a row of the help table (name: the left column) */
	KW_OPT_STRINGS, /* repeatable: struct kw_opt_strings *value collects every (non-empty) argument */
};

/* The values of a repeatable string option, in the order given (borrowed from argv). */
#define KW_OPT_STRINGS_MAX 8
struct kw_opt_strings {
	const char *v[KW_OPT_STRINGS_MAX];
	size_t n;
};

struct kw_opt {
	enum kw_opt_kind kind;
	char short_name;  /* 'q', or 0 */
	const char *name; /* long name without "--"; TEXT: the left column as shown */
	const char *arg;  /* the value's name in the help ("SECONDS"); NULL for flags */
	void *value;      /* see the kinds */
	const char *help; /* help text; '\n' continues it on the next line, aligned */
	double min, max;  /* LONG, SECONDS, DAYS: inclusive bounds in the option's unit */
	bool *given;      /* set to true when the option appears; may be NULL */
};

/* Table rows (designated initializers: unnamed fields are zero). */
#define KW_FLAG(n, ptr, h)                                                    \
	{                                                                     \
		.kind = KW_OPT_FLAG, .name = (n), .value = (ptr), .help = (h) \
	}
#define KW_FLAG_SHORT(c, n, ptr, h)                                                              \
	{                                                                                        \
		.kind = KW_OPT_FLAG, .short_name = (c), .name = (n), .value = (ptr), .help = (h) \
	}
#define KW_STRING(n, a, ptr, h)                                                             \
	{                                                                                   \
		.kind = KW_OPT_STRING, .name = (n), .arg = (a), .value = (ptr), .help = (h) \
	}
#define KW_STRINGS(n, a, ptr, h)                                                             \
	{                                                                                    \
		.kind = KW_OPT_STRINGS, .name = (n), .arg = (a), .value = (ptr), .help = (h) \
	}
#define KW_LONG(n, a, ptr, lo, hi, h)                                                                   \
	{                                                                                               \
		.kind = KW_OPT_LONG, .name = (n), .arg = (a), .value = (ptr), .help = (h), .min = (lo), \
		.max = (hi)                                                                             \
	}
#define KW_SECONDS(n, a, ptr, lo, hi, h)                                                                   \
	{                                                                                                  \
		.kind = KW_OPT_SECONDS, .name = (n), .arg = (a), .value = (ptr), .help = (h), .min = (lo), \
		.max = (hi)                                                                                \
	}
#define KW_DAYS(n, a, ptr, lo, hi, set, h)                                                              \
	{                                                                                               \
		.kind = KW_OPT_DAYS, .name = (n), .arg = (a), .value = (ptr), .help = (h), .min = (lo), \
		.max = (hi), .given = (set)                                                             \
	}
#define KW_TEXT(col, h)                                         \
	{                                                       \
		.kind = KW_OPT_TEXT, .name = (col), .help = (h) \
	}
#define KW_OPTS_END                \
	{                          \
		.kind = KW_OPT_END \
	}
/* --parallelism N (accounts at once; default KW_LIVE_PARALLELISM): plan, apply, rotate, destroy */
#define KW_OPT_PARALLELISM(ptr, h) KW_LONG("parallelism", "N", (ptr), 1, KW_LIVE_PARALLELISM_MAX, (h))
/* --notify TARGET, up to KW_OPT_STRINGS_MAX times (cmd/lifecycle.h kw_cmd_notify_targets): audit, rotate;
 * ptr: struct kw_opt_strings * */
#define KW_OPT_NOTIFY(ptr, h)      KW_STRINGS("notify", "TARGET", (ptr), (h))
/* --role-arn ARN (each manifest's AWS account through that role, engine/account.h): plan, apply, rotate,
 * destroy; ptr: const char ** */
#define KW_OPT_ROLE_ARN(ptr)                                                           \
	KW_STRING("role-arn", "ARN", (ptr),                                            \
	          "reach each manifest's AWS account (metadata.account) by assuming\n" \
	          "this role there, {account} replaced, e.g.\n"                        \
	          "'arn:aws:iam::{account}:role/keywarden' (docs/credentials.md)")

/*
 * A command's interface: what --help prints around its options table (the table itself, which
 * points at the command's locals, goes to kw_opts_parse). Static data beside the texts.
 */
struct kw_cmd_spec {
	const char *name;     /* "rotate", "policy fmt" */
	const char *usage;    /* "usage: keywarden rotate [OPTIONS] NAME...\n" (and more lines) */
	const char *intro;    /* prose between usage and "Options:", may be NULL */
	const char *outro;    /* after the table ("Exit status: ..."), may be NULL */
	bool stop_at_operand; /* options only before the first operand (getopt's "+") */
	bool no_common_help;  /* do not append the common options' help */
};

/* kw_opts_parse's answer when it printed --help (the command returns KW_EXIT_OK). */
#define KW_OPTS_HELP (-2)

/*
 * kw_opts_parse - parse argv (argv[0] is the command) by the table opts (ended by KW_OPTS_END);
 * -h/--help prints spec's help around the table on ctx->out. Returns the index in argv of the first operand (operands are moved after
 * the options, as getopt_long does), KW_OPTS_HELP after printing the help, or -1 after printing
 * "error: <cmd>: ..." and the usage on ctx->err.
 */
int kw_opts_parse(struct kw_ctx *ctx, const struct kw_cmd_spec *spec, const struct kw_opt *opts, int argc,
                  char **argv);

/*
 * kw_opts_exit - the exit status of a command whose kw_opts_parse answered parsed < 0:
 * KW_EXIT_OK after printing --help (KW_OPTS_HELP), KW_EXIT_ERROR after a usage error.
 */
int kw_opts_exit(int parsed);

/* kw_opts_help - the whole --help text: spec's usage and intro, the table opts, outro, common options. */
void kw_opts_help(const struct kw_cmd_spec *spec, const struct kw_opt *opts, FILE *fp);

/* kw_opts_error - "error: <spec->name>: <msg>" and the usage on ctx->err. Returns KW_EXIT_ERROR. */
int kw_opts_error(struct kw_ctx *ctx, const struct kw_cmd_spec *spec, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
