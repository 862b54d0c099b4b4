/*
 * progress.h - the output of a command that runs several accounts at once (apply, and rotate
 * and destroy as they become concurrent): whole lines, each written with one call under a
 * lock so that lines of different accounts never interleave, prefixed with the account when
 * several run; lines held while a QR code is on the screen and written when it closes; and on
 * a terminal only, a live progress line (accounts done / running / failed, steps done,
 * elapsed) kept below them, which never reaches a pipe or a log file.
 *
 * All functions are thread safe. Nothing here knows IAM: the command feeds it.
 */
#ifndef KW_CMD_PROGRESS_H
#define KW_CMD_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kw_progress;

/*
 * kw_progress_new - output on fp (borrowed) for naccounts accounts and nsteps steps (0: the
 * number is not known beforehand).
 * @prefix:   prefix lines with their account (several accounts run at once).
 * @live:     draw the progress line; only honoured when fp is a terminal.
 * Returns the handle, or NULL when out of memory.
 */
struct kw_progress *kw_progress_new(FILE *fp, size_t naccounts, size_t nsteps, bool prefix, bool live);

/*
 * kw_progress_line - write one line (text without its newline) for account (NULL: none), or
 * hold it while a QR code is shown (kw_progress_hold).
 */
void kw_progress_line(struct kw_progress *p, const char *account, const char *text);

/* kw_progress_linef - kw_progress_line of printf-formatted text (cut at 1 KiB with "..."). */
void kw_progress_linef(struct kw_progress *p, const char *account, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* kw_progress_error - kw_progress_line of "error: WHERE: MESSAGE" (util/error.h kw_error_print). */
struct kw_error;
void kw_progress_error(struct kw_progress *p, const struct kw_error *err);

/* Counters for the progress line: an account started, a step ended, an account ended. */
void kw_progress_account_started(struct kw_progress *p);
void kw_progress_step_done(struct kw_progress *p);
void kw_progress_account_done(struct kw_progress *p, bool ok);

/*
 * kw_progress_hold - on: the screen belongs to a QR code and its prompts (the progress line is
 * cleared, lines are held); off: the held lines are written, in order.
 */
void kw_progress_hold(struct kw_progress *p, bool on);

/* kw_progress_free - clear the progress line, write what is still held, free; NULL ok. */
void kw_progress_free(struct kw_progress *p);

#endif
