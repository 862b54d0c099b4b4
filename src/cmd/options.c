/*
 * options.c - option tables: parsing, help and errors (options.h).
 */
#include "cmd/options.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/num.h"

/* getopt_long's val for table row i (clear of short options). */
#define ROW_VAL(i) (256 + (int)(i))

static size_t nrows(const struct kw_opt *t)
{
	size_t n = 0;

	while (t[n].kind != KW_OPT_END)
		n++;
	return n;
}

/* The left column of row o: "-q, --quiet", "--grace DAYS", or a TEXT row's name. */
static void left(const struct kw_opt *o, char *buf, size_t size)
{
	if (o->kind == KW_OPT_TEXT)
		snprintf(buf, size, "%s", o->name);
	else if (o->short_name)
		snprintf(buf, size, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
	else
		snprintf(buf, size, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void kw_opts_help(const struct kw_cmd_spec *spec, const struct kw_opt *opts, FILE *fp)
{
	size_t width = 0, n = nrows(opts);
	char col[160];

	fputs(spec->usage, fp);
	fputs("\n", fp);
	if (spec->intro)
		fprintf(fp, "%s\n", spec->intro);
	for (size_t i = 0; i < n; i++) {
		left(&opts[i], col, sizeof(col));
		if (strlen(col) > width)
			width = strlen(col);
	}
	if (n) {
		fputs("Options:\n", fp);
		for (size_t i = 0; i < n; i++) {
			const char *h = opts[i].help ? opts[i].help : "";

			left(&opts[i], col, sizeof(col));
			fprintf(fp, "  %-*s  ", (int)width, col);
			for (const char *nl; (nl = strchr(h, '\n')); h = nl + 1)
				fprintf(fp, "%.*s\n  %-*s  ", (int)(nl - h), h, (int)width, "");
			fprintf(fp, "%s\n", h);
		}
		fputs("\n", fp);
	}
	if (spec->outro)
		fprintf(fp, "%s\n", spec->outro);
	if (!spec->no_common_help)
		fputs(kw_common_options_help, fp);
}

int kw_opts_error(struct kw_ctx *ctx, const struct kw_cmd_spec *spec, const char *fmt, ...)
{
	va_list ap;

	fprintf(ctx->err, "error: %s: ", spec->name);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fprintf(ctx->err, "\n%s", spec->usage);
	return KW_EXIT_ERROR;
}

/* Store the value of option o from arg. Returns 0, or -1 after printing the error. */
/* "--NAME: expected WHAT from MIN to MAX[HINT], got 'ARG'" and the usage. Returns -1. */
static int bad_number(struct kw_ctx *ctx, const struct kw_cmd_spec *spec, const struct kw_opt *o,
                      const char *arg, const char *what, const char *hint)
{
	kw_opts_error(ctx, spec, "--%s: expected %s from %.10g to %.10g%s, got '%s'", o->name, what, o->min,
	              o->max, hint, arg);
	return -1;
}

static int take(struct kw_ctx *ctx, const struct kw_cmd_spec *spec, const struct kw_opt *o, const char *arg)
{
	long l;
	double d;

	switch (o->kind) {
	case KW_OPT_FLAG: *(bool *)o->value = true; break;
	case KW_OPT_STRING:
		if (!*arg) {
			kw_opts_error(ctx, spec, "--%s: the value is empty", o->name);
			return -1;
		}
		*(const char **)o->value = arg;
		break;
	case KW_OPT_STRINGS: {
		struct kw_opt_strings *list = o->value;

		if (!*arg) {
			kw_opts_error(ctx, spec, "--%s: the value is empty", o->name);
			return -1;
		}
		if (list->n >= KW_OPT_STRINGS_MAX) {
			kw_opts_error(ctx, spec, "--%s: at most %d times", o->name, KW_OPT_STRINGS_MAX);
			return -1;
		}
		list->v[list->n++] = arg;
		break;
	}
	case KW_OPT_LONG:
		if (kw_parse_long(arg, (long)o->min, (long)o->max, &l))
			return bad_number(ctx, spec, o, arg, "a whole number", "");
		*(int *)o->value = (int)l;
		break;
	case KW_OPT_SECONDS:
		if (kw_parse_duration(arg, 1, o->min, o->max, &d))
			return bad_number(ctx, spec, o, arg, "a duration in seconds",
			                  " (a number, or with a unit: 500ms, 30s, 2m, 24h, 7d)");
		*(double *)o->value = d;
		break;
	case KW_OPT_DAYS:
		if (kw_parse_duration(arg, 86400, o->min * 86400, o->max * 86400, &d) || fmod(d, 86400) != 0)
			return bad_number(ctx, spec, o, arg, "a duration in whole days", " (7, 7d, 2w, 48h)");
		*(int *)o->value = (int)(d / 86400);
		break;
	case KW_OPT_TEXT:
	case KW_OPT_END: break;
	}
	if (o->given)
		*o->given = true;
	return 0;
}

/* After getopt_long returned '?': unknown option, or one missing its value. */
static int bad_option(struct kw_ctx *ctx, const struct kw_cmd_spec *spec, const struct kw_opt *opts,
                      const struct option *lo, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (!strncmp(arg, "--", 2)) {
		size_t n = strcspn(arg + 2, "=");

		for (const struct option *o = lo; o->name; o++)
			if (strlen(o->name) == n && !strncmp(o->name, arg + 2, n))
				return kw_opts_error(ctx, spec, "option '--%s' needs a value", o->name);
		{
			const char *names[64], *guess;
			char word[64];
			size_t k = 0;

			for (const struct option *o = lo; o->name && k + 1 < sizeof(names) / sizeof(names[0]);
			     o++)
				names[k++] = o->name;
			names[k] = NULL;
			snprintf(word, sizeof(word), "%.*s", (int)n, arg + 2);
			guess = kw_cmd_suggest(word, names);
			if (guess)
				return kw_opts_error(ctx, spec, "unknown option '%.*s' (did you mean --%s?)",
				                     (int)(n + 2), arg, guess);
		}
		return kw_opts_error(ctx, spec, "unknown option '%.*s'", (int)(n + 2), arg);
	}
	for (size_t i = 0; opts[i].kind != KW_OPT_END; i++)
		if (optopt > 0 && opts[i].short_name == optopt)
			return kw_opts_error(ctx, spec, "option '-%c' needs a value", optopt);
	if (optopt > 0 && optopt < 256)
		return kw_opts_error(ctx, spec, "unknown option '-%c'", optopt);
	return kw_opts_error(ctx, spec, "unknown option '%s'", arg);
}

int kw_opts_exit(int parsed)
{
	return parsed == KW_OPTS_HELP ? KW_EXIT_OK : KW_EXIT_ERROR;
}

int kw_opts_parse(struct kw_ctx *ctx, const struct kw_cmd_spec *spec, const struct kw_opt *opts, int argc,
                  char **argv)
{
	size_t n = nrows(opts), k = 0;
	struct option *lo = calloc(n + 2, sizeof(*lo));
	char shorts[2 * 64 + 4] = "";
	size_t ns = 0;
	int c, rc = -1;

	if (!lo) {
		fputs("error: out of memory\n", ctx->err);
		return -1;
	}
	if (spec->stop_at_operand)
		shorts[ns++] = '+';
	shorts[ns++] = 'h';
	for (size_t i = 0; i < n; i++) {
		const struct kw_opt *o = &opts[i];
		bool has_arg = o->kind != KW_OPT_FLAG;

		if (o->kind == KW_OPT_TEXT)
			continue;
		lo[k++] =
		        (struct option){o->name, has_arg ? required_argument : no_argument, NULL, ROW_VAL(i)};
		if (o->short_name && ns + 3 < sizeof(shorts)) {
			shorts[ns++] = o->short_name;
			if (has_arg)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	lo[k] = (struct option){"help", no_argument, NULL, 'h'};
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct kw_opt *o = NULL;

		if (c == 'h') {
			kw_opts_help(spec, opts, ctx->out);
			rc = KW_OPTS_HELP;
			goto out;
		}
		if (c >= 256 && (size_t)(c - 256) < n)
			o = &opts[c - 256];
		for (size_t i = 0; !o && c > 0 && c < 256 && i < n; i++)
			if (opts[i].short_name == c)
				o = &opts[i];
		if (!o) {
			bad_option(ctx, spec, opts, lo, argv);
			goto out;
		}
		if (take(ctx, spec, o, optarg))
			goto out;
	}
	rc = optind;
out:
	free(lo);
	return rc;
}
