/*
 * mfa_screen.h - enrolling a virtual MFA device at the terminal: the QR code and the prompts
 * for two codes on the alternate screen, so that the code and the secret never reach the
 * scrollback.
 *
 * Layout: the QR code (kw_qr_render_text) at the top left, the instructions and prompts beside
 * it when the terminal is wide enough, else below it; when neither fits (a long name, a small
 * terminal) the screen says so, with the size needed, and offers a larger window (Enter
 * redraws), the secret for manual entry, or --qr-png. At the prompts: "s" shows or hides the
 * secret as base32 in groups of four, Enter alone redraws, Ctrl-C stops (reported as an
 * interrupt, not as end of input).
 * Colours: with colour allowed, both colours of the code are explicit (right on every theme);
 * without (NO_COLOR, --no-color), no escape sequence colours it: the polarity follows the
 * terminal's background (kw_term_background), so the code is never drawn inverted.
 */
#ifndef KW_CMD_MFA_SCREEN_H
#define KW_CMD_MFA_SCREEN_H

#include "engine/exec.h"

struct kw_ctx;
struct kw_error;

/* Per-run state of the screen (zero-initialise). */
struct kw_mfa_screen {
	bool bg_known;  /* the background was looked up (once per run) */
	int background; /* enum kw_term_bg */
};

/*
 * kw_mfa_screen_ask - show p (QR code, the entry's name, why the last codes were refused) on
 * ctx->err's terminal and read two codes from standard input into code1 and code2 (6 digits
 * each, as kw_totp_code_parse accepts them). Leaves the alternate screen on every return.
 * Returns 0, or -1 with err set (KW_ERR_ABORTED for end of input or an interrupt, KW_ERR_IO,
 * KW_ERR_NOMEM).
 */
int kw_mfa_screen_ask(struct kw_ctx *ctx, struct kw_mfa_screen *st, const struct kw_mfa_prompt *p,
                      char code1[KW_TOTP_CODE_MAX], char code2[KW_TOTP_CODE_MAX], struct kw_error *err);

#endif
