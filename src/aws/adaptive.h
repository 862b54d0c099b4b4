/*
 * adaptive.h - client-side rate limiting as the AWS SDKs' "adaptive" retry mode does it: a token
 * bucket in front of every attempt whose fill rate follows CUBIC (RFC 8312): cut to 0.7 of the
 * measured send rate on a throttling answer, growing again along the cubic curve after
 * successes, never above twice the measured rate. The bucket only paces once a throttling
 * answer was seen; until then attempts go at once.
 *
 * Invariants and rules:
 *  - One struct kw_adaptive is shared by every thread (and every client) of a run that calls
 *    one service endpoint (IAM throttles per AWS account and API; a run calls one account):
 *    kw_adaptive_shared hands out counted references to a process-wide one per key.
 *    All functions are thread safe.
 *  - The clock is injectable (struct kw_adaptive_clock) so that tests run with a fake one;
 *    NULL members use CLOCK_MONOTONIC and nanosleep.
 *  - Nothing here prints; a cut in rate is logged at -vv (debug).
 *
 * Source: botocore retries/adaptive.py (ClientRateLimiter, RateClocker), bucket.py
 * (TokenBucket), throttling.py (CubicCalculator); AWS SDKs and Tools Reference Guide,
 * "Retry behavior" (adaptive mode).
 */
#ifndef KW_AWS_ADAPTIVE_H
#define KW_AWS_ADAPTIVE_H

#include <stdbool.h>

#define KW_ADAPTIVE_MIN_RATE       0.5 /* tokens a second, the bucket's lowest fill rate */
#define KW_ADAPTIVE_BETA           0.7 /* CUBIC: the rate after a throttle, times the measured */
#define KW_ADAPTIVE_SCALE          0.4 /* CUBIC's C */
#define KW_ADAPTIVE_MAX_SCALE      2.0 /* the rate never exceeds this times the measured rate */
#define KW_ADAPTIVE_SMOOTHING      0.8 /* weight of the newest measurement of the send rate */
#define KW_ADAPTIVE_BUCKET_SECONDS 0.5 /* the send rate is measured over buckets of this size */

/* Clock and sleep; NULL members use the real ones (monotonic seconds). */
struct kw_adaptive_clock {
	double (*now)(void *ctx);                 /* seconds, monotonic */
	void (*sleep)(void *ctx, double seconds); /* wait that long */
	void *ctx;
};

struct kw_adaptive;

/* What a limiter has seen (kw_adaptive_snapshot). */
struct kw_adaptive_stats {
	bool enabled;            /* a throttling answer was seen: the bucket paces */
	double rate;             /* the bucket's fill rate now, tokens (requests) a second */
	double capacity;         /* tokens in the bucket at its last refill */
	double measured_rate;    /* the smoothed send rate measured, requests a second */
	unsigned long acquired;  /* tokens taken (attempts sent through the bucket) */
	unsigned long throttles; /* throttling answers */
	double waited;           /* seconds spent waiting for tokens, summed over threads */
};

/*
 * kw_adaptive_new - a limiter of its own (not shared), for tests.
 * @clock: borrowed for the limiter's life; NULL for the real clock.
 * Returns the limiter (free with kw_adaptive_put), or NULL when out of memory.
 */
struct kw_adaptive *kw_adaptive_new(const struct kw_adaptive_clock *clock);

/*
 * kw_adaptive_shared - the process-wide limiter for key (e.g. "iam https://iam.amazonaws.com"),
 * created on first use; every call adds a reference. Returns it, or NULL when out of memory.
 */
struct kw_adaptive *kw_adaptive_shared(const char *key);

/* kw_adaptive_put - drop a reference; the last one frees the limiter. NULL is ignored. */
void kw_adaptive_put(struct kw_adaptive *a);

/*
 * kw_adaptive_before_send - take a token before an attempt, waiting for one when the bucket
 * paces (botocore's on_sending_request). Returns the seconds waited (0 when not pacing).
 */
double kw_adaptive_before_send(struct kw_adaptive *a);

/*
 * kw_adaptive_after_response - account for an answer (or a failed attempt) and adjust the rate:
 * a throttling answer cuts it and turns pacing on, anything else lets it grow
 * (botocore's on_receiving_response).
 */
void kw_adaptive_after_response(struct kw_adaptive *a, bool throttled);

/* kw_adaptive_snapshot - the limiter's state and counters now. */
void kw_adaptive_snapshot(struct kw_adaptive *a, struct kw_adaptive_stats *out);

#endif
