/*
 * deadline.h - the no-progress deadline: a run stops when no AWS request has completed for
 * `--no-progress-timeout` (default 90 s), so that a silent or drip-feeding endpoint ends it in
 * well under 2 minutes, while a long healthy run (every answer is progress) is never cut.
 *
 * Rules:
 *  - Progress is an AWS answer that the client accepts or that is final: a 2xx answer of the
 *    right shape, or an error answer not worth another attempt (NoSuchEntity, AccessDenied).
 *    Throttling, 5xx, timeouts and garbled answers are not progress.
 *  - Time spent at a prompt (a yes/no question, an MFA code) does not count: kw_deadline_pause
 *    and kw_deadline_resume bracket it, and the clock starts again when the prompt ends.
 *  - The deadline stops a run only outside the key window (from CreateAccessKey to the key
 *    delivered or deleted, kw_deadline_hold): inside it every request goes on, bounded by its
 *    own per-attempt timeout, so that no key is left that nobody holds.
 *  - The per-attempt timeout of a request (aws/http.c) never reaches past the deadline
 *    (kw_deadline_remaining_ms), so that one silent request cannot hold the run beyond it.
 * The clock is process-wide (every thread of a parallel apply shares it); the hold is per thread.
 */
#ifndef KW_UTIL_DEADLINE_H
#define KW_UTIL_DEADLINE_H

#include <stdbool.h>

struct kw_error;

/* The default no-progress deadline, seconds. */
#define KW_DEADLINE_DEFAULT_S 90.0

/* kw_deadline_set_timeout - set the deadline in seconds (0: none); the clock starts again with
 * the next request. */
void kw_deadline_set_timeout(double seconds);

/* kw_deadline_timeout - the deadline in seconds (0: none). */
double kw_deadline_timeout(void);

/* kw_deadline_note - an AWS request completed: the clock starts again (thread-safe). */
void kw_deadline_note(void);

/* kw_deadline_pause / kw_deadline_resume - around a prompt (nestable, thread-safe). */
void kw_deadline_pause(void);
void kw_deadline_resume(void);

/*
 * kw_deadline_hold - mark this thread inside (true) or outside (false) the key window.
 * Returns the previous value, to be restored when the window ends.
 */
bool kw_deadline_hold(bool hold);

/*
 * kw_deadline_remaining_ms - milliseconds before the deadline for a request of this thread:
 * -1 when unbounded (no deadline, a prompt open, or inside the key window), else >= 0.
 */
long kw_deadline_remaining_ms(void);

/*
 * kw_deadline_check - -1 with err set (KW_ERR_TIMEOUT, where borrowed: "no AWS request
 * completed for 90 s (--no-progress-timeout): stopping") when the deadline has passed for
 * this thread, else 0.
 */
int kw_deadline_check(const char *where, struct kw_error *err);

#endif
