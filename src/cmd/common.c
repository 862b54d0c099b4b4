#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "policy/internal.h" /* kw_closest_word */
#include "util/deadline.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"

const char kw_common_options_help[] =
        "Common options:\n"
        "  --profile NAME       AWS profile from the shared config and credentials files\n"
        "  --region REGION      AWS region (IAM is global; selects the partition and STS endpoint)\n"
        "  --endpoint-url URL   send IAM and STS requests to URL (http:// only for loopback)\n"
        "  --mfa-code CODE      MFA code for a role profile's mfa_serial (else asked on the terminal)\n"
        "  --exec-env NAME[,NAME...]\n"
        "                       let these variables through to the commands keywarden runs\n"
        "                       (exec: delivery, seed custody, notifications), which\n"
        "                       otherwise get no AWS credential variables\n"
        "  --no-progress-timeout DURATION\n"
        "                       stop at the next safe point when no AWS request completed for\n"
        "                       so long (default 90s; 0: never; prompts do not count; also\n"
        "                       noProgressTimeout: in keywarden.yaml)\n"
        "  --state-dir DIR      where keywarden records the key files and profiles it wrote\n"
        "                       (default $XDG_STATE_HOME/keywarden, else ~/.local/state/keywarden)\n"
        "  -o, --output FORMAT  text, table, json (and others where the command writes them);\n"
        "                       default: AWS_DEFAULT_OUTPUT or the profile's output, where the\n"
        "                       command takes it (see output.md in the documentation)\n"
        "  --no-color           no colour (also when NO_COLOR is set)\n"
        "  -v, --verbose        more detail on stderr; -vv for HTTP and retries (never secrets)\n"
        "  -h, --help           this help\n";

int kw_cmd_usage_error(struct kw_ctx *ctx, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", ctx->err);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fprintf(ctx->err, "\n%s", usage);
	return KW_EXIT_ERROR;
}

bool kw_cmd_color(const struct kw_ctx *ctx)
{
	return kw_color_enabled(ctx->out, ctx->color_allowed);
}

static int read_line(char *buf, size_t size, const char *where, struct kw_error *err);

int kw_cmd_read_line(char *buf, size_t size, const char *where, struct kw_error *err)
{
	int rc;

	kw_deadline_pause(); /* time at a prompt is not time without progress */
	rc = read_line(buf, size, where, err);
	kw_deadline_resume();
	return rc;
}

static int read_line(char *buf, size_t size, const char *where, struct kw_error *err)
{
	/*
	 * Wait for a line while polling for a signal: one that lands between the prompt and the
	 * read (no EINTR then) must not leave the read blocked. A terminal hands over one line
	 * per read, so stdio holds nothing unread when poll says no.
	 */
	for (;;) {
		struct pollfd pfd = {.fd = fileno(stdin), .events = POLLIN};

		if (kw_interrupt_check(where, err)) {
			buf[0] = '\0';
			return -1;
		}
		int r = poll(&pfd, 1, 200);

		if (r > 0 || (r < 0 && errno != EINTR))
			break; /* readable, hung up, or an error for fgets to report */
	}
	if (!fgets(buf, (int)size, stdin)) {
		buf[0] = '\0';
		clearerr(stdin);
		if (kw_interrupt_check(where, err))
			return -1;
		return kw_error_set(err, KW_ERR_ABORTED, where, "end of input");
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int kw_cmd_ask(struct kw_ctx *ctx, const char *question)
{
	char line[64];
	struct kw_error err;

	if (!isatty(STDIN_FILENO) || !isatty(fileno(ctx->err)))
		return -1;
	fputs(question, ctx->err);
	fflush(ctx->err);
	if (kw_cmd_read_line(line, sizeof(line), NULL, &err)) {
		if (kw_interrupted())
			fprintf(ctx->err, "\n%s\n", err.msg); /* "interrupted (SIGINT)", not a plain no */
		return 0;
	}
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

enum kw_output_format kw_cmd_output_format(const struct kw_ctx *ctx, FILE *fp)
{
	if (ctx->output_set)
		return ctx->output;
	return isatty(fileno(fp)) ? KW_OUTPUT_TABLE : KW_OUTPUT_TEXT;
}

const char *kw_cmd_suggest(const char *word, const char *const *known)
{
	const char *only = NULL;
	size_t n = strlen(word), begun = 0;

	for (size_t i = 0; known[i] && n >= 2; i++)
		if (!strncmp(known[i], word, n)) {
			only = known[i];
			begun++;
		}
	return begun == 1 ? only : kw_closest_word(word, known);
}
