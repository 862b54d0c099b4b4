/*
 * wait.h - the one way keywarden waits and retries above the AWS client: read-back gates, key
 * propagation, credential-report polling, retries of calls that failed transiently after the
 * client's own attempts. A wait has a deadline, sleeps with capped exponential backoff and
 * jitter between attempts, and ends early on a stop request (Ctrl-C, util/interrupt.h) unless
 * it runs inside the window where stopping would leave a key nobody holds.
 *
 * Idiom:
 *     struct kw_wait w;
 *     kw_wait_begin(&w, timeout_s, true);
 *     while (kw_iam_list_access_keys(c, user, &l, err) && kw_wait_retry(&w, err))
 *             ;
 *
 * The call deadline (kw_call_deadline_set) bounds the client's own retries too, so that one
 * read-back that the client retries never outlasts the caller's budget (--confirm-timeout).
 * Source: AWS SDKs and Tools Reference Guide, "Retry behavior" (backoff with jitter).
 */
#ifndef KW_UTIL_WAIT_H
#define KW_UTIL_WAIT_H

#include <stdbool.h>

struct kw_error;

struct kw_wait {
	double start;       /* CLOCK_MONOTONIC seconds at kw_wait_begin */
	double deadline;    /* start + timeout, moved on by the time paced since (kw_wait_paced) */
	double paced0;      /* this thread's paced seconds at kw_wait_begin */
	int attempt;        /* attempts made so far (kw_wait_again counts them) */
	bool interruptible; /* a stop request ends the wait (false inside the key window) */
};

/* kw_now_s - CLOCK_MONOTONIC in seconds. */
double kw_now_s(void);

/* kw_wait_begin - start a wait of timeout_s seconds (<= 0: no retry at all). */
void kw_wait_begin(struct kw_wait *w, double timeout_s, bool interruptible);

/*
 * kw_wait_again - after a failed attempt: sleep the backoff (kw_backoff_delay_ms with equal
 * jitter: half fixed, half random), never past the deadline. Returns true when another attempt
 * may be made, false when the deadline has passed or a stop was requested (interruptible).
 */
bool kw_wait_again(struct kw_wait *w);

/*
 * kw_wait_retry - kw_wait_again when err is transient (kw_error_transient), else false.
 * Logs the retry at -v with err's action and code.
 */
bool kw_wait_retry(struct kw_wait *w, const struct kw_error *err);

/* kw_wait_elapsed - seconds since kw_wait_begin. */
double kw_wait_elapsed(const struct kw_wait *w);

/*
 * kw_backoff_delay_ms - the base delay before attempt number attempt + 1 (attempt is 1-based):
 * 250 ms doubling, capped at 2 s, and never past the deadline (remaining_ms; never negative).
 */
long kw_backoff_delay_ms(int attempt, long remaining_ms);

/*
 * kw_sleep_ms - sleep ms milliseconds; with interruptible, a stop request ends it early.
 */
void kw_sleep_ms(long ms, bool interruptible);

/*
 * kw_error_transient - THE classification of a failure worth another try (the client's own
 * retries use the same rule, aws/retry.h kw_retry_classify): connection trouble, throttling,
 * HTTP 5xx, RequestTimeout, and IAM's 409s ConcurrentModification and
 * EntityTemporarilyUnmodifiable. A stale NoSuchEntity is not transient here: read-backs treat
 * it as "not yet" themselves.
 */
bool kw_error_transient(const struct kw_error *err);

/*
 * kw_call_deadline_set - set this thread's call deadline (CLOCK_MONOTONIC seconds, 0 = none);
 * the AWS client makes no retry that would start after it. Returns the previous value, to be
 * restored with another kw_call_deadline_set when the bounded section ends.
 */
double kw_call_deadline_set(double deadline);

/* kw_call_deadline - this thread's call deadline, 0 when none (moved on as kw_wait_paced says). */
double kw_call_deadline(void);

/*
 * kw_wait_paced - this thread was held back seconds (>= 0) by keywarden's own pacing, the
 * adaptive retry mode's token bucket (aws/adaptive.h). A deadline measures how long IAM may
 * take (a write to show, a key to work), not how long keywarden keeps its own requests back to
 * stay inside IAM's rate: every deadline of this thread (its kw_wait deadlines, its call
 * deadline) moves on by the time paced. Each attempt still counts, so waits stay bounded.
 */
void kw_wait_paced(double seconds);

#endif
