/*
 * interrupt.h - Ctrl-C and SIGTERM as a request to stop at the next safe point.
 *
 * keywarden must never be killed between issuing an access key and delivering it (or deleting
 * it): the key would be one that nobody holds. a command installs handlers for SIGINT, SIGTERM and
 * SIGHUP that only record the request; long-running code (the apply executor, rotate, waits
 * and backoff sleeps) polls kw_interrupted() at points where stopping leaves IAM in a state the
 * next run converges from, and stops there with KW_ERR_ABORTED. Commands with such a window
 * (apply, rotate, destroy) install the handlers; read-only commands keep the default (Ctrl-C
 * ends them at once). A second signal ends the
 * process at once, as Terraform does, after a warning on stderr.
 * The handlers are installed without SA_RESTART, so a blocking read or sleep returns early
 * (EINTR) and the caller gets to poll.
 */
#ifndef KW_UTIL_INTERRUPT_H
#define KW_UTIL_INTERRUPT_H

#include <stdbool.h>

struct kw_error;

/* kw_interrupt_install - install the handlers (process-wide; idempotent). */
void kw_interrupt_install(void);

/* kw_interrupted - true once SIGINT, SIGTERM or SIGHUP has been received. Async-signal safe. */
bool kw_interrupted(void);

/*
 * kw_interrupt_check - if interrupted, fill err (KW_ERR_ABORTED, "interrupted (SIGINT)" naming
 * the signal, where = @where) and return -1; otherwise return 0.
 */
int kw_interrupt_check(const char *where, struct kw_error *err);

/* kw_interrupt_reset - forget a received signal (tests). */
void kw_interrupt_reset(void);

#endif
