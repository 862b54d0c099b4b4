/*
 * retry.c - standard-mode retries (retry.h).
 */
#include "aws/retry.h"

#include <errno.h>
#include <math.h>
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

#include "util/error.h"
#include "util/log.h"
#include "util/wait.h"

static const char *const throttle_codes[] = {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException", /* not IAM's LimitExceeded, which is a hard quota */
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
};

static const char *const transient_codes[] = {
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "InternalError",
        "ServiceUnavailable",
        /* IAM, HTTP 409: another request is changing the entity; it was not carried out */
        "ConcurrentModification",
        "EntityTemporarilyUnmodifiable",
};

static bool in(const char *code, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(code, list[i]))
			return true;
	return false;
}

enum kw_retry_class kw_retry_classify(int http_status, const char *aws_code, bool transport_error)
{
	const char *code = aws_code ? aws_code : "";

	if (transport_error)
		return KW_RETRY_CONNECTION;
	if (http_status >= 200 && http_status < 300)
		return KW_RETRY_SUCCESS;
	if (in(code, throttle_codes, sizeof(throttle_codes) / sizeof(throttle_codes[0])))
		return KW_RETRY_THROTTLE;
	if (in(code, transient_codes, sizeof(transient_codes) / sizeof(transient_codes[0])))
		return KW_RETRY_TRANSIENT;
	if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504)
		return KW_RETRY_TRANSIENT;
	return KW_RETRY_NEVER;
}

int kw_retry_quota_init(struct kw_retry_quota *q)
{
	q->tokens = KW_RETRY_QUOTA_INITIAL;
	return pthread_mutex_init(&q->lock, NULL) ? -1 : 0;
}

void kw_retry_quota_destroy(struct kw_retry_quota *q)
{
	pthread_mutex_destroy(&q->lock);
}

/* Take cost tokens; false when the bucket has fewer. */
static bool quota_acquire(struct kw_retry_quota *q, int cost)
{
	bool ok;

	if (!q)
		return true;
	pthread_mutex_lock(&q->lock);
	ok = q->tokens >= cost;
	if (ok)
		q->tokens -= cost;
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static void quota_release(struct kw_retry_quota *q, int amount)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->tokens += amount;
	if (q->tokens > KW_RETRY_QUOTA_INITIAL)
		q->tokens = KW_RETRY_QUOTA_INITIAL;
	pthread_mutex_unlock(&q->lock);
}

double kw_retry_backoff(int attempt, double r)
{
	double d = r * pow(2.0, attempt > 1 ? attempt - 1 : 0);

	return d < KW_RETRY_MAX_BACKOFF ? d : KW_RETRY_MAX_BACKOFF;
}

static double real_random(void *ctx)
{
	unsigned long long v = 0;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		return 0.5;
	return (double)(v >> 11) / 9007199254740992.0; /* 53 bits into [0, 1) */
}

static void real_sleep(void *ctx, double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static const char *class_name(enum kw_retry_class c)
{
	switch (c) {
	case KW_RETRY_THROTTLE: return "throttled";
	case KW_RETRY_TRANSIENT: return "transient error";
	case KW_RETRY_CONNECTION: return "connection error";
	default: return "error";
	}
}

int kw_retry_run(const char *label, int max_attempts, struct kw_retry_quota *quota,
                 const struct kw_retry_env *env, kw_retry_attempt_fn fn, void *ctx,
                 struct kw_retry_report *report, struct kw_error *err)
{
	double (*rnd)(void *) = env && env->random ? env->random : real_random;
	void (*slp)(void *, double) = env && env->sleep ? env->sleep : real_sleep;
	void *ectx = env ? env->ctx : NULL;
	struct kw_retry_report rep = {0};
	int last_cost = 0, rc = -1;

	if (max_attempts < 1)
		max_attempts = 1;
	for (int attempt = 1;; attempt++) {
		enum kw_retry_class cls;
		int cost;
		double delay;

		rep.attempts = attempt;
		cls = fn(ctx, attempt, err);
		if (cls == KW_RETRY_SUCCESS) {
			/* a success refunds the last retry's cost, or adds a token when none was taken */
			quota_release(quota, last_cost ? last_cost : KW_RETRY_NO_RETRY_REFUND);
			rc = 0;
			break;
		}
		if (cls == KW_RETRY_NEVER || attempt >= max_attempts)
			break;
		cost = cls == KW_RETRY_CONNECTION ? KW_RETRY_TIMEOUT_COST : KW_RETRY_COST;
		if (!quota_acquire(quota, cost)) {
			rep.quota_exhausted = true;
			kw_log(KW_LOG_INFO, "%s: not retrying (%s): retry quota exhausted", label,
			       class_name(cls));
			break;
		}
		last_cost = cost;
		delay = kw_retry_backoff(attempt, rnd(ectx));
		if (kw_call_deadline() > 0 && kw_now_s() + delay >= kw_call_deadline()) {
			/* the caller's budget (e.g. --confirm-timeout) ends before the next attempt */
			quota_release(quota, cost);
			kw_log(KW_LOG_INFO, "%s: not retrying (%s): the caller's deadline comes first", label,
			       class_name(cls));
			break;
		}
		kw_log(KW_LOG_INFO, "%s: retrying after %s%s%s (attempt %d of %d failed), waiting %.2f s",
		       label, class_name(cls), err && err->aws_code[0] ? " " : "", err ? err->aws_code : "",
		       attempt, max_attempts, delay);
		rep.retries++;
		rep.slept += delay;
		slp(ectx, delay);
	}
	if (report)
		*report = rep;
	return rc;
}
