/*
 * adaptive.c - the adaptive retry mode's client-side rate limiter (adaptive.h), a transcription
 * of botocore's TokenBucket, CubicCalculator, RateClocker and ClientRateLimiter.
 */
#include "aws/adaptive.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/wait.h"

struct kw_adaptive {
	pthread_mutex_t lock;
	struct kw_adaptive_clock clock;
	/* TokenBucket */
	double fill_rate, max_capacity, capacity, last_refill;
	bool refilled; /* last_refill is set */
	/* CubicCalculator */
	double w_max, k, last_fail;
	/* RateClocker */
	double measured, last_bucket;
	unsigned long count;
	/* ClientRateLimiter */
	bool enabled;
	/* statistics */
	unsigned long acquired, throttles;
	double waited;
	/* the process-wide registry (kw_adaptive_shared) */
	char *key;
	int refs;
	struct kw_adaptive *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kw_adaptive *registry;

/* The real clock and sleep: util/wait's (a sleep rounded up to whole milliseconds). */
static double real_now(void *ctx)
{
	return kw_now_s();
}

static void real_sleep(void *ctx, double seconds)
{
	kw_sleep_ms((long)ceil(seconds * 1000), false);
}

static double now_of(const struct kw_adaptive *a)
{
	return a->clock.now(a->clock.ctx);
}

/* TokenBucket._refill: tokens accrue at fill_rate up to max_capacity. */
static void refill(struct kw_adaptive *a, double t)
{
	if (!a->refilled) {
		a->last_refill = t;
		a->refilled = true;
		return;
	}
	a->capacity = fmin(a->max_capacity, a->capacity + (t - a->last_refill) * a->fill_rate);
	a->last_refill = t;
}

/* TokenBucket.max_rate setter: refill at the old rate first, then change it. */
static void set_rate(struct kw_adaptive *a, double rate, double t)
{
	refill(a, t);
	a->fill_rate = fmax(rate, KW_ADAPTIVE_MIN_RATE);
	a->max_capacity = rate >= 1 ? rate : 1;
	a->capacity = fmin(a->capacity, a->max_capacity);
}

/* CubicCalculator._calculate_zero_point */
static double zero_point(double w_max)
{
	return cbrt(w_max * (1 - KW_ADAPTIVE_BETA) / KW_ADAPTIVE_SCALE);
}

/* RateClocker.record: the smoothed rate of attempts, per KW_ADAPTIVE_BUCKET_SECONDS bucket. */
static double clock_record(struct kw_adaptive *a, double t)
{
	double scale = 1 / KW_ADAPTIVE_BUCKET_SECONDS, bucket = floor(t * scale) / scale;

	a->count++;
	if (bucket > a->last_bucket) {
		double current = (double)a->count / (bucket - a->last_bucket);

		a->measured = current * KW_ADAPTIVE_SMOOTHING + a->measured * (1 - KW_ADAPTIVE_SMOOTHING);
		a->count = 0;
		a->last_bucket = bucket;
	}
	return a->measured;
}

static struct kw_adaptive *create(const struct kw_adaptive_clock *clock)
{
	struct kw_adaptive *a = calloc(1, sizeof(*a));
	double t;

	if (!a)
		return NULL;
	if (pthread_mutex_init(&a->lock, NULL)) {
		free(a);
		return NULL;
	}
	a->clock.now = clock && clock->now ? clock->now : real_now;
	a->clock.sleep = clock && clock->sleep ? clock->sleep : real_sleep;
	a->clock.ctx = clock ? clock->ctx : NULL;
	a->refs = 1;
	t = now_of(a);
	/* botocore: CubicCalculator(starting_max_rate=0, start_time=now), TokenBucket(max_rate=1) */
	a->w_max = 0;
	a->k = zero_point(0);
	a->last_fail = t;
	set_rate(a, 1, t);
	a->last_bucket = floor(t);
	return a;
}

struct kw_adaptive *kw_adaptive_new(const struct kw_adaptive_clock *clock)
{
	return create(clock);
}

struct kw_adaptive *kw_adaptive_shared(const char *key)
{
	struct kw_adaptive *a;

	pthread_mutex_lock(&registry_lock);
	for (a = registry; a; a = a->next)
		if (!strcmp(a->key, key)) {
			a->refs++;
			goto out;
		}
	a = create(NULL);
	if (a && !(a->key = strdup(key))) {
		kw_adaptive_put(a);
		a = NULL;
	}
	if (a) {
		a->next = registry;
		registry = a;
	}
out:
	pthread_mutex_unlock(&registry_lock);
	return a;
}

void kw_adaptive_put(struct kw_adaptive *a)
{
	bool last;

	if (!a)
		return;
	if (a->key)
		pthread_mutex_lock(&registry_lock);
	last = --a->refs == 0;
	if (last && a->key) {
		struct kw_adaptive **p = &registry;

		while (*p && *p != a)
			p = &(*p)->next;
		if (*p)
			*p = a->next;
	}
	if (a->key)
		pthread_mutex_unlock(&registry_lock);
	if (!last)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a->key);
	free(a);
}

double kw_adaptive_before_send(struct kw_adaptive *a)
{
	double waited = 0;

	pthread_mutex_lock(&a->lock);
	if (!a->enabled) {
		pthread_mutex_unlock(&a->lock);
		return 0;
	}
	for (;;) {
		double need;

		refill(a, now_of(a));
		/* a token refilled over exactly the time slept may fall short by a rounding error */
		if (a->capacity >= 1 - 1e-9) {
			a->capacity = fmax(a->capacity - 1, 0);
			break;
		}
		/* TokenBucket._sleep_amount; sleeping unlocked, then looking again, so that a
		 * change of rate meanwhile and the other threads' takings count */
		need = (1 - a->capacity) / a->fill_rate;
		pthread_mutex_unlock(&a->lock);
		a->clock.sleep(a->clock.ctx, need);
		waited += need;
		pthread_mutex_lock(&a->lock);
	}
	a->acquired++;
	a->waited += waited;
	pthread_mutex_unlock(&a->lock);
	return waited;
}

void kw_adaptive_after_response(struct kw_adaptive *a, bool throttled)
{
	double t, measured, rate;

	pthread_mutex_lock(&a->lock);
	t = now_of(a);
	measured = clock_record(a, t);
	if (!throttled) {
		/* CubicCalculator.success_received */
		rate = KW_ADAPTIVE_SCALE * pow(t - a->last_fail - a->k, 3) + a->w_max;
	} else {
		double use = a->enabled ? fmin(measured, a->fill_rate) : measured;

		/* CubicCalculator.error_received */
		a->w_max = use;
		a->k = zero_point(use);
		a->last_fail = t;
		rate = use * KW_ADAPTIVE_BETA;
		a->enabled = true;
		a->throttles++;
		kw_log(KW_LOG_DEBUG, "aws: throttled: sending at %.2f requests/s (measured %.2f)",
		       fmin(rate, KW_ADAPTIVE_MAX_SCALE * measured), measured);
	}
	set_rate(a, fmin(rate, KW_ADAPTIVE_MAX_SCALE * measured), t);
	pthread_mutex_unlock(&a->lock);
}

void kw_adaptive_snapshot(struct kw_adaptive *a, struct kw_adaptive_stats *out)
{
	pthread_mutex_lock(&a->lock);
	*out = (struct kw_adaptive_stats){.enabled = a->enabled,
	                                  .rate = a->fill_rate,
	                                  .capacity = a->capacity,
	                                  .measured_rate = a->measured,
	                                  .acquired = a->acquired,
	                                  .throttles = a->throttles,
	                                  .waited = a->waited};
	pthread_mutex_unlock(&a->lock);
}
