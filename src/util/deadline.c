/*
 * deadline.c - the no-progress deadline (deadline.h).
 */
#include "util/deadline.h"

#include <pthread.h>

#include "util/error.h"
#include "util/wait.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double timeout_s = KW_DEADLINE_DEFAULT_S;
static double last; /* kw_now_s() of the last progress (0: not started) */
static int paused;  /* prompts open */
static _Thread_local bool held;

void kw_deadline_set_timeout(double seconds)
{
	pthread_mutex_lock(&lock);
	timeout_s = seconds > 0 ? seconds : 0;
	last = 0; /* the clock starts with the first request */
	pthread_mutex_unlock(&lock);
}

double kw_deadline_timeout(void)
{
	double t;

	pthread_mutex_lock(&lock);
	t = timeout_s;
	pthread_mutex_unlock(&lock);
	return t;
}

void kw_deadline_note(void)
{
	pthread_mutex_lock(&lock);
	last = kw_now_s();
	pthread_mutex_unlock(&lock);
}

void kw_deadline_pause(void)
{
	pthread_mutex_lock(&lock);
	paused++;
	pthread_mutex_unlock(&lock);
}

void kw_deadline_resume(void)
{
	pthread_mutex_lock(&lock);
	if (paused > 0)
		paused--;
	last = kw_now_s(); /* the time at the prompt does not count */
	pthread_mutex_unlock(&lock);
}

bool kw_deadline_hold(bool hold)
{
	bool prev = held;

	held = hold;
	return prev;
}

long kw_deadline_remaining_ms(void)
{
	double left = 0;
	bool bounded;

	if (held)
		return -1;
	pthread_mutex_lock(&lock);
	if (!last)
		last = kw_now_s(); /* the first request starts the clock */
	bounded = timeout_s > 0 && !paused;
	if (bounded)
		left = last + timeout_s - kw_now_s();
	pthread_mutex_unlock(&lock);
	if (!bounded)
		return -1;
	return left > 0 ? (long)(left * 1000.0) + 1 : 0;
}

int kw_deadline_check(const char *where, struct kw_error *err)
{
	if (kw_deadline_remaining_ms() != 0)
		return 0;
	return kw_error_set(err, KW_ERR_TIMEOUT, where,
	                    "no AWS request completed for %.0f s (--no-progress-timeout): stopping; "
	                    "the endpoint is silent or too slow",
	                    kw_deadline_timeout());
}
