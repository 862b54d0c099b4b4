#include "cmd/mfa_screen.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "mfa/qr.h"
#include "mfa/totp.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/term.h"

/* The narrowest text column beside the code, and the lines needed below it. */
#define SIDE_MIN_COLS  30
#define SIDE_MAX_COLS  48
#define BELOW_MIN_ROWS 5

enum stage { FIRST, NEXT };

struct screen {
	const struct kw_mfa_prompt *p;
	struct kw_secret *qr; /* the rendering, NULL when it does not fit */
	int qr_cols, qr_rows; /* cells it needs */
	int cols, rows;       /* the terminal's */
	int text_row, text_col, text_width;
	bool show_secret;
	enum stage stage;
	const char *status; /* a refusal or a typing mistake, NULL for none */
	char code1[KW_TOTP_CODE_MAX];
	struct kw_secret *out; /* what is written to the terminal (holds the code, the secret) */
	int row;               /* next text row */
	bool full;             /* out ran out of room */
};

static void put(struct screen *s, const char *text, size_t len)
{
	s->full |= kw_secret_append(s->out, text, len) != 0;
}

static void puts_at(struct screen *s, int row, int col, const char *text, size_t len)
{
	char cup[32];
	int n = snprintf(cup, sizeof(cup), "\033[%d;%dH", row, col);

	put(s, cup, (size_t)n);
	put(s, text, len);
}

/* Text as words wrapped to the text column, from the next text row on. */
static void para(struct screen *s, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t take = strlen(p), brk;

		if ((int)take > s->text_width) {
			take = (size_t)s->text_width;
			for (brk = take; brk > 0 && p[brk] != ' '; brk--)
				;
			if (brk > 0)
				take = brk;
		}
		puts_at(s, s->row++, s->text_col, p, take);
		p += take;
		while (*p == ' ')
			p++;
	}
}

static void paraf(struct screen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void paraf(struct screen *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	para(s, line);
}

/* The seed as base32 in groups of four, four groups a line (as authenticator apps show it). */
static void secret_lines(struct screen *s)
{
	const struct kw_secret *seed = s->p->seed_b32;
	char line[32];

	for (size_t i = 0; i < seed->len; i += 16) {
		size_t n = 0;

		for (size_t j = i; j < seed->len && j < i + 16; j++) {
			if (j > i && (j - i) % 4 == 0)
				line[n++] = ' ';
			line[n++] = (char)seed->data[j];
		}
		puts_at(s, s->row++, s->text_col + 2, line, n);
	}
	OPENSSL_cleanse(line, sizeof(line));
}

/* Where the text goes: beside the code, below it, or (no code) the whole screen. */
static void layout(struct screen *s)
{
	s->text_row = 1;
	s->text_col = 1;
	s->text_width = s->cols - 1;
	if (!s->qr)
		return;
	if (s->qr_cols + 2 + SIDE_MIN_COLS <= s->cols) {
		s->text_col = s->qr_cols + 3;
		s->text_width = s->cols - s->text_col;
		if (s->text_width > SIDE_MAX_COLS)
			s->text_width = SIDE_MAX_COLS;
	} else {
		s->text_row = s->qr_rows + 1;
	}
}

static void draw(struct screen *s)
{
	const struct kw_mfa_prompt *p = s->p;
	const char *prompt = s->stage == FIRST ? "first code: " : "next code:  ";

	s->out->len = 0;
	put(s, "\033[H\033[2J", 7);
	if (s->qr) {
		const char *line = (const char *)s->qr->data, *end = line + s->qr->len;

		for (int r = 1; line < end; r++) {
			const char *nl = memchr(line, '\n', (size_t)(end - line));

			puts_at(s, r, 1, line, (size_t)(nl - line));
			line = nl + 1;
		}
	}
	layout(s);
	s->row = s->text_row;
	if (s->qr && s->text_row == 1) {
		paraf(s, "Virtual MFA device for %s.", p->device);
		para(s, "Scan the code with an authenticator app; it names the entry");
		paraf(s, "  AWS: %s@%s", p->device, p->account);
		s->row++;
	} else if (s->qr) {
		paraf(s, "Scan with an authenticator app (AWS: %s@%s). s: secret; Enter: redraw.", p->device,
		      p->account);
	} else {
		paraf(s, "Virtual MFA device for %s (AWS: %s@%s).", p->device, p->device, p->account);
		paraf(s,
		      "Its QR code needs %dx%d characters and this terminal has %dx%d. Make the window "
		      "larger (or the font smaller) and press Enter; or type s for the secret key to "
		      "type into the app by hand; or stop with Ctrl-C and run apply again with "
		      "--qr-png FILE to scan the code from an image.",
		      s->qr_cols, s->qr_rows, s->cols, s->rows);
		s->row++;
	}
	if (s->show_secret) {
		para(s, "Secret key (time-based, 6 digits, every 30 s):");
		secret_lines(s);
		s->row++;
	}
	if (s->qr && s->text_row == 1) {
		para(s, "Then type two consecutive codes: one, and the next the app shows after it.");
		para(s, s->show_secret ? "s: hide the secret key" : "s: secret key, to type it in by hand");
		para(s, "Enter: redraw (after resizing); Ctrl-C: stop");
		s->row++;
	}
	if (s->status)
		paraf(s, "! %s", s->status);
	if (s->stage == NEXT) {
		char done[64];
		int n = snprintf(done, sizeof(done), "first code was %s", s->code1);

		puts_at(s, s->row++, s->text_col, done, (size_t)n);
		OPENSSL_cleanse(done, sizeof(done));
	}
	puts_at(s, s->row++, s->text_col, prompt, strlen(prompt));
}

/* Measure the terminal and (re)render the code when it fits. */
static int measure(struct screen *s, struct kw_ctx *ctx, enum kw_qr_style style, struct kw_error *err)
{
	bool side, below;

	if (kw_term_size(fileno(ctx->err), &s->cols, &s->rows)) {
		s->cols = 80;
		s->rows = 24;
	}
	if (kw_qr_text_size(s->p->uri, &s->qr_cols, &s->qr_rows, err))
		return -1;
	side = s->qr_cols + 2 + SIDE_MIN_COLS <= s->cols && s->qr_rows <= s->rows;
	below = s->qr_cols <= s->cols && s->qr_rows + BELOW_MIN_ROWS <= s->rows;
	kw_secret_free(s->qr);
	s->qr = NULL;
	if ((side || below) && kw_qr_render_text(s->p->uri, style, &s->qr, err))
		return -1;
	return 0;
}

static enum kw_qr_style qr_style(struct kw_ctx *ctx, struct kw_mfa_screen *st)
{
	if (kw_color_enabled(ctx->err, ctx->color_allowed))
		return KW_QR_STYLE_COLOR;
	if (!st->bg_known) {
		st->background = kw_term_background(STDIN_FILENO, fileno(ctx->err));
		st->bg_known = true;
	}
	return st->background == KW_TERM_BG_LIGHT ? KW_QR_STYLE_PLAIN_LIGHT_BG : KW_QR_STYLE_PLAIN_DARK_BG;
}

static int show(struct screen *s, FILE *tty, struct kw_error *err)
{
	draw(s);
	if (s->full)
		return kw_error_set(err, KW_ERR_INTERNAL, "mfa", "screen does not fit its buffer");
	if (fwrite(s->out->data, 1, s->out->len, tty) != s->out->len || fflush(tty))
		return kw_error_set(err, KW_ERR_IO, "mfa", "cannot write to the terminal");
	return 0;
}

int kw_mfa_screen_ask(struct kw_ctx *ctx, struct kw_mfa_screen *st, const struct kw_mfa_prompt *p,
                      char code1[KW_TOTP_CODE_MAX], char code2[KW_TOTP_CODE_MAX], struct kw_error *err)
{
	FILE *tty = ctx->err;
	enum kw_qr_style style = qr_style(ctx, st);
	struct screen s = {.p = p, .status = p->refused};
	char line[64];
	int rc = -1;

	if (!(s.out = kw_secret_new(64 * 1024)))
		return kw_error_set(err, KW_ERR_NOMEM, "mfa", "out of memory");
	fputs(KW_TERM_ALT_ENTER, tty);
	if (measure(&s, ctx, style, err))
		goto out;
	for (;;) {
		struct kw_error perr;
		char code[KW_TOTP_CODE_MAX];

		if (show(&s, tty, err) || kw_cmd_read_line(line, sizeof(line), "MFA code prompt", err))
			goto out;
		if (!line[0]) { /* Enter: redraw at the terminal's size now */
			s.status = NULL;
			if (measure(&s, ctx, style, err))
				goto out;
			continue;
		}
		if (!strcasecmp(line, "s")) {
			s.show_secret = !s.show_secret;
			continue;
		}
		if (kw_totp_code_parse(line, 6, code, &perr)) {
			s.status = "enter the 6-digit code the app shows (s: secret key, Ctrl-C: stop)";
			continue;
		}
		s.status = NULL;
		if (s.stage == FIRST) {
			memcpy(s.code1, code, sizeof(s.code1));
			OPENSSL_cleanse(code, sizeof(code));
			s.stage = NEXT;
			continue;
		}
		memcpy(code1, s.code1, KW_TOTP_CODE_MAX);
		memcpy(code2, code, KW_TOTP_CODE_MAX);
		OPENSSL_cleanse(code, sizeof(code));
		break;
	}
	rc = 0;
out:
	fputs(KW_TERM_ALT_LEAVE, tty);
	fflush(tty);
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(s.code1, sizeof(s.code1));
	kw_secret_free(s.qr);
	kw_secret_free(s.out);
	return rc;
}
