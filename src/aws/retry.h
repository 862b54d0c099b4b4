/*
 * retry.h - the AWS SDKs' "standard" retry mode: which failures are retried, full-jitter
 * exponential backoff capped at 20 s, and the retry-quota token bucket. The loop takes its
 * clock, sleep and random source from a struct kw_retry_env so tests can run it with fakes.
 *
 * Source: AWS SDKs and Tools Reference Guide, "Retry behavior" (standard mode);
 * botocore retries/standard.py (RetryQuotaChecker, ExponentialBackoff, error lists).
 */
#ifndef KW_AWS_RETRY_H
#define KW_AWS_RETRY_H

#include <pthread.h>
#include <stdbool.h>

struct kw_error;

#define KW_RETRY_MAX_BACKOFF      20.0 /* seconds */
#define KW_RETRY_QUOTA_INITIAL    500
#define KW_RETRY_COST             5
#define KW_RETRY_TIMEOUT_COST     10
#define KW_RETRY_NO_RETRY_REFUND  1
#define KW_RETRY_DEFAULT_ATTEMPTS 3

/* How one failed attempt may be retried. */
enum kw_retry_class {
	KW_RETRY_SUCCESS = 0, /* the attempt worked */
	KW_RETRY_NEVER,       /* client error, LimitExceeded, ...: give up now */
	KW_RETRY_THROTTLE,    /* Throttling and friends */
	KW_RETRY_TRANSIENT,   /* HTTP 500/502/503/504, RequestTimeout, IAM's 409
	                         ConcurrentModification / EntityTemporarilyUnmodifiable, ... */
	KW_RETRY_CONNECTION,  /* connect/DNS/TLS/timeout: costs KW_RETRY_TIMEOUT_COST */
};

/*
 * kw_retry_classify - class of a failed attempt from its HTTP status (0 when no answer),
 * AWS error code ("" when none) and whether the transport failed.
 */
enum kw_retry_class kw_retry_classify(int http_status, const char *aws_code, bool transport_error);

/* The retry-quota token bucket, shared by every call of one client (thread safe). */
struct kw_retry_quota {
	pthread_mutex_t lock;
	int tokens;
};

/* kw_retry_quota_init - full bucket (KW_RETRY_QUOTA_INITIAL). Returns 0 or -1. */
int kw_retry_quota_init(struct kw_retry_quota *q);

/* kw_retry_quota_destroy - release the mutex. */
void kw_retry_quota_destroy(struct kw_retry_quota *q);

/* Clock, sleep and random source; NULL members use the real ones. */
struct kw_retry_env {
	double (*random)(void *ctx);              /* uniform in [0, 1) */
	void (*sleep)(void *ctx, double seconds); /* wait */
	void *ctx;
};

/*
 * kw_retry_backoff - delay before the attempt after attempt number `attempt` (1-based) failed:
 * min(r * 2^(attempt-1), KW_RETRY_MAX_BACKOFF) seconds, r uniform in [0, 1).
 */
double kw_retry_backoff(int attempt, double r);

/*
 * One attempt: returns its class (KW_RETRY_SUCCESS or a failure class with err filled).
 * @attempt: 1-based attempt number.
 */
typedef enum kw_retry_class (*kw_retry_attempt_fn)(void *ctx, int attempt, struct kw_error *err);

/* What kw_retry_run did, for statistics and tests. */
struct kw_retry_report {
	int attempts;         /* attempts made */
	int retries;          /* attempts - 1 */
	double slept;         /* seconds of backoff */
	bool quota_exhausted; /* stopped because the bucket was empty */
};

/*
 * kw_retry_run - run fn until it succeeds, fails with a non-retryable class, max_attempts
 * attempts were made, the quota refuses a retry, or the next attempt would start after the
 * thread's call deadline (util/wait.h kw_call_deadline). Each retry is logged at -v (info) with
 * label (e.g. "iam:ListUsers"), the error code and the delay.
 * @quota: bucket (may be NULL for no quota).
 * @env:   clock/random (NULL for the real ones).
 * @report: filled (may be NULL).
 * Returns 0, or -1 with err as the last attempt left it.
 */
int kw_retry_run(const char *label, int max_attempts, struct kw_retry_quota *quota,
                 const struct kw_retry_env *env, kw_retry_attempt_fn fn, void *ctx,
                 struct kw_retry_report *report, struct kw_error *err);

#endif
