/*
 * wait.c - deadlines, backoff with jitter, interruptible sleeps (wait.h).
 */
#include "util/wait.h"

#include <errno.h>
#include <openssl/rand.h>
#include <time.h>

#include "aws/retry.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"

static _Thread_local double call_deadline, call_paced0; /* the deadline, paced when it was set */
static _Thread_local double paced;                      /* seconds held back (kw_wait_paced) */

void kw_wait_paced(double seconds)
{
	if (seconds > 0)
		paced += seconds;
}

double kw_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long kw_backoff_delay_ms(int attempt, long remaining_ms)
{
	long d = 250;

	for (int i = 1; i < attempt && d < 2000; i++)
		d *= 2;
	if (d > 2000)
		d = 2000;
	if (d > remaining_ms)
		d = remaining_ms;
	return d < 0 ? 0 : d;
}

void kw_sleep_ms(long ms, bool interruptible)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	if (ms <= 0)
		return;
	while (!(interruptible && kw_interrupted()) && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void kw_wait_begin(struct kw_wait *w, double timeout_s, bool interruptible)
{
	w->start = kw_now_s();
	w->deadline = w->start + (timeout_s > 0 ? timeout_s : 0);
	w->paced0 = paced;
	w->attempt = 0;
	w->interruptible = interruptible;
}

double kw_wait_elapsed(const struct kw_wait *w)
{
	return kw_now_s() - w->start;
}

static double jitter(void)
{
	unsigned int v = 0;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		return 0.5;
	return (double)v / 4294967296.0;
}

bool kw_wait_again(struct kw_wait *w)
{
	long left, d;

	w->deadline += paced - w->paced0; /* time held back by the bucket is not the wait's */
	w->paced0 = paced;
	left = (long)((w->deadline - kw_now_s()) * 1000);

	w->attempt++;
	if (left <= 0 || (w->interruptible && kw_interrupted()))
		return false;
	d = kw_backoff_delay_ms(w->attempt, 1L << 30);
	d = d / 2 + (long)(jitter() * (double)(d / 2)); /* equal jitter */
	kw_sleep_ms(d < left ? d : left, w->interruptible);
	return !(w->interruptible && kw_interrupted());
}

bool kw_error_transient(const struct kw_error *err)
{
	enum kw_retry_class c;

	if (err->kind == KW_ERR_NETWORK)
		return true;
	if (err->kind != KW_ERR_AWS)
		return false;
	c = kw_retry_classify(err->http_status, err->aws_code, false);
	return c == KW_RETRY_THROTTLE || c == KW_RETRY_TRANSIENT || c == KW_RETRY_CONNECTION;
}

bool kw_wait_retry(struct kw_wait *w, const struct kw_error *err)
{
	if (!kw_error_transient(err))
		return false;
	kw_log(KW_LOG_INFO, "%s failed (%s), trying again", err->where[0] ? err->where : "call",
	       err->aws_code[0] ? err->aws_code : kw_error_kind_name(err->kind));
	return kw_wait_again(w);
}

double kw_call_deadline_set(double deadline)
{
	double prev = kw_call_deadline();

	call_deadline = deadline;
	call_paced0 = paced;
	return prev;
}

double kw_call_deadline(void)
{
	return call_deadline > 0 ? call_deadline + (paced - call_paced0) : 0;
}
