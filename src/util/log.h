/*
 * log.h - diagnostics on stderr with levels, colour only on a terminal, and a redaction
 * filter that every line goes through.
 *
 * Levels: errors and warnings always; info with -v; debug (HTTP, retries, timings) with -vv.
 * Colour: only when the stream is a terminal, NO_COLOR is unset or empty, and --no-color was
 * not given (https://no-color.org).
 * Redaction: never trust callers. Every log line and every kw_error message is filtered:
 *  - values of Authorization, X-Amz-Security-Token, X-Amz-Signature, SecretAccessKey,
 *    aws_secret_access_key, aws_session_token, SessionToken, Base32StringSeed, seed, secret
 *    in header (k: v), form/INI (k=v), JSON ("k": "v") and XML (<k>v</k>) forms;
 *  - the current value of every live struct kw_secret (secret.h);
 *  - strings shaped like a secret access key (40 characters of base64 with mixed case) or
 *    like an MFA seed (32+ characters of base32).
 * The log module keeps process-wide state (level, colour, the secret registry); it is thread safe.
 */
#ifndef KW_UTIL_LOG_H
#define KW_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kw_secret;

enum kw_log_level {
	KW_LOG_ERROR = 0,
	KW_LOG_WARN = 1,
	KW_LOG_INFO = 2,  /* -v */
	KW_LOG_DEBUG = 3, /* -vv */
};

/* Marker that replaces a redacted value. */
#define KW_REDACTED "****"

/*
 * kw_log_setup - set the verbosity (0 = warnings and errors, 1 = -v, 2 = -vv), colour
 * permission (false for --no-color) and destination (NULL = stderr, borrowed).
 */
void kw_log_setup(int verbosity, bool allow_color, FILE *fp);

/* kw_log_enabled - whether a message at level would be written. */
bool kw_log_enabled(enum kw_log_level level);

/* kw_log - format, redact, and write one line ("keywarden: debug: ..."). Thread safe. */
void kw_log(enum kw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * kw_color_enabled - whether to colour output written to fp: a terminal, NO_COLOR unset or
 * empty, and allow (false for --no-color).
 */
bool kw_color_enabled(FILE *fp, bool allow);

/*
 * kw_redact - copy in to out (outsize bytes, always NUL-terminated, truncated if needed)
 * with every secret replaced by KW_REDACTED. Returns the length written.
 */
size_t kw_redact(const char *in, char *out, size_t outsize);

/* kw_redact_inplace - kw_redact() over s itself (size bytes of storage). */
void kw_redact_inplace(char *s, size_t size);

/*
 * kw_redact_register / kw_redact_unregister - add or remove a live secret whose current
 * value (its bytes up to len) is masked by kw_redact(). Secrets shorter than 8 bytes are
 * not matched. Called by secret.c; the pointer is borrowed until unregistered.
 */
void kw_redact_register(const struct kw_secret *s);
void kw_redact_unregister(const struct kw_secret *s);

#endif
