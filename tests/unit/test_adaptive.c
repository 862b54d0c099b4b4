/*
 * Unit tests for src/aws/adaptive: the adaptive retry mode's token bucket with a fake clock —
 * no pacing before the first throttle, the cut to 0.7 of the measured rate, sends spaced at the
 * bucket's rate, recovery along the cubic curve, the cap at twice the measured rate, and the
 * process-wide sharing per key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "aws/adaptive.h"

struct fake {
	double t;     /* seconds */
	double slept; /* summed sleeps */
	int sleeps;
};

static double fake_now(void *ctx)
{
	return ((struct fake *)ctx)->t;
}

static void fake_sleep(void *ctx, double s)
{
	struct fake *f = ctx;

	f->t += s;
	f->slept += s;
	f->sleeps++;
}

/* A bucket on the fake clock, which starts at t = 1000 s (the tests' fixture). */
struct fixture {
	struct fake f;
	struct kw_adaptive_clock clk;
	struct kw_adaptive *a;
};

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	x->f.t = 1000;
	x->clk = (struct kw_adaptive_clock){fake_now, fake_sleep, &x->f};
	x->a = kw_adaptive_new(&x->clk);
	if (!x->a) {
		free(x);
		return -1;
	}
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;

	kw_adaptive_put(x->a);
	free(x);
	return 0;
}

/* n answers without throttling, one every dt seconds, each after a send */
static void steady(struct fixture *x, int n, double dt)
{
	for (int i = 0; i < n; i++) {
		x->f.t += dt;
		(void)kw_adaptive_before_send(x->a);
		kw_adaptive_after_response(x->a, false);
	}
}

static void adaptive_does_not_pace_before_a_throttle(void **state)
{
	struct fixture *x = *state;
	struct kw_adaptive *a = x->a;
	struct fake *f = &x->f;
	struct kw_adaptive_stats st;

	for (int i = 0; i < 1000; i++) {
		assert_true(kw_adaptive_before_send(a) == 0);
		kw_adaptive_after_response(a, false);
	}
	kw_adaptive_snapshot(a, &st);
	assert_false(st.enabled);
	assert_int_equal(f->sleeps, 0);
	assert_int_equal(st.throttles, 0);
}

static void adaptive_cuts_to_beta_of_measured_rate_and_paces(void **state)
{
	struct fixture *x = *state;
	struct kw_adaptive *a = x->a;
	struct fake *f = &x->f;
	struct kw_adaptive_stats before, st;
	double waited = 0, t0;

	/* 10 requests a second for 3 s: the measured rate approaches 10 */
	steady(x, 30, 0.1);
	kw_adaptive_snapshot(a, &before);
	assert_true(before.measured_rate > 9.9 && before.measured_rate <= 10.0 + 1e-9);
	/* a throttling answer inside the same half-second bucket: rate = 0.7 * measured */
	f->t += 0.05;
	kw_adaptive_after_response(a, true);
	kw_adaptive_snapshot(a, &st);
	assert_true(st.enabled);
	assert_int_equal(st.throttles, 1);
	assert_true(fabs(st.rate - KW_ADAPTIVE_BETA * before.measured_rate) < 1e-9);
	assert_true(st.capacity <= st.rate + 1e-9);
	/* 20 sends without answers in between: they take (20 - tokens in the bucket) / rate */
	t0 = f->t;
	for (int i = 0; i < 20; i++)
		waited += kw_adaptive_before_send(a);
	assert_true(fabs((f->t - t0) - (20 - st.capacity) / st.rate) < 1e-6);
	assert_true(fabs(waited - f->slept) < 1e-9);
	kw_adaptive_snapshot(a, &st);
	assert_int_equal(st.acquired, 20);
	assert_true(fabs(st.waited - f->slept) < 1e-9);
	assert_true(st.capacity < 1);
}

static void adaptive_second_throttle_uses_the_lower_of_measured_and_bucket_rate(void **state)
{
	struct fixture *x = *state;
	struct kw_adaptive *a = x->a;
	struct fake *f = &x->f;
	struct kw_adaptive_stats st, st2;

	steady(x, 30, 0.1);
	f->t += 0.05;
	kw_adaptive_after_response(a, true);
	kw_adaptive_snapshot(a, &st); /* ~7 a second, measured ~10 */
	f->t += 0.01;
	kw_adaptive_after_response(a, true); /* same bucket: measured unchanged, the bucket's is lower */
	kw_adaptive_snapshot(a, &st2);
	assert_true(fabs(st2.rate - KW_ADAPTIVE_BETA * st.rate) < 1e-9);
	assert_int_equal(st2.throttles, 2);
	/* never below the bucket's minimum rate */
	for (int i = 0; i < 40; i++) {
		f->t += 0.001;
		kw_adaptive_after_response(a, true);
	}
	kw_adaptive_snapshot(a, &st2);
	assert_true(st2.rate == KW_ADAPTIVE_MIN_RATE);
}

/* answers (no sends) every 10 ms up to time t, keeping the measured rate near 100/s */
static void answers_until(struct fixture *x, double t)
{
	while (x->f.t + 0.01 <= t + 1e-9) {
		x->f.t += 0.01;
		kw_adaptive_after_response(x->a, false);
	}
}

static void adaptive_recovers_along_the_cubic_curve(void **state)
{
	struct fixture *x = *state;
	struct kw_adaptive *a = x->a;
	struct fake *f = &x->f;
	struct kw_adaptive_stats st;
	double w_max, k, tf;

	steady(x, 30, 0.1);
	f->t += 0.05;
	kw_adaptive_snapshot(a, &st);
	w_max = st.measured_rate;
	tf = f->t;
	kw_adaptive_after_response(a, true);
	k = cbrt(w_max * (1 - KW_ADAPTIVE_BETA) / KW_ADAPTIVE_SCALE);
	/* back at w_max after k seconds, then C * (t - k)^3 above it */
	answers_until(x, tf + k);
	kw_adaptive_snapshot(a, &st);
	assert_true(fabs(st.rate - (KW_ADAPTIVE_SCALE * pow(f->t - tf - k, 3) + w_max)) < 1e-6);
	assert_true(fabs(st.rate - w_max) < 0.01);
	answers_until(x, tf + k + 2);
	kw_adaptive_snapshot(a, &st);
	assert_true(fabs(st.rate - (KW_ADAPTIVE_SCALE * pow(f->t - tf - k, 3) + w_max)) < 1e-6);
	assert_true(st.rate > w_max + 3);
}

static void adaptive_rate_never_exceeds_twice_the_measured(void **state)
{
	struct fixture *x = *state;
	struct kw_adaptive *a = x->a;
	struct fake *f = &x->f;
	struct kw_adaptive_stats st;

	steady(x, 30, 0.1);
	f->t += 0.05;
	kw_adaptive_after_response(a, true);
	/* 20 s of answers at 2 a second: the cubic curve would allow far more */
	for (int i = 0; i < 40; i++) {
		f->t += 0.5;
		kw_adaptive_after_response(a, false);
	}
	kw_adaptive_snapshot(a, &st);
	assert_true(st.rate <= KW_ADAPTIVE_MAX_SCALE * st.measured_rate + 1e-9);
	assert_true(st.measured_rate < 2.5);
}

static void adaptive_shared_per_key(void **state)
{
	struct kw_adaptive *a = kw_adaptive_shared("iam http://127.0.0.1:1");
	struct kw_adaptive *b = kw_adaptive_shared("iam http://127.0.0.1:1");
	struct kw_adaptive *c = kw_adaptive_shared("sts http://127.0.0.1:1");
	struct kw_adaptive_stats st;

	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	kw_adaptive_after_response(a, true);
	kw_adaptive_snapshot(b, &st);
	assert_true(st.enabled);
	kw_adaptive_snapshot(c, &st);
	assert_false(st.enabled);
	kw_adaptive_put(a);
	kw_adaptive_put(b);
	kw_adaptive_put(c);
	/* all references gone: a new one starts afresh */
	a = kw_adaptive_shared("iam http://127.0.0.1:1");
	kw_adaptive_snapshot(a, &st);
	assert_false(st.enabled);
	kw_adaptive_put(a);
}

/* Several threads on the real clock: the bucket holds them to its rate together. */
static void *sender(void *arg)
{
	for (int i = 0; i < 5; i++) {
		(void)kw_adaptive_before_send(arg);
	}
	return NULL;
}

static void adaptive_threads_share_the_bucket(void **state)
{
	struct kw_adaptive *a = kw_adaptive_new(NULL);
	struct kw_adaptive_stats st;
	pthread_t th[4];
	struct timespec t0, t1;
	double rate, secs;

	/* throttled at once: nothing measured yet (or 1 request in the half second since the
	 * whole second the clocker started at), so the rate drops to about its minimum */
	kw_adaptive_after_response(a, true);
	kw_adaptive_snapshot(a, &st);
	rate = st.rate;
	assert_true(rate >= KW_ADAPTIVE_MIN_RATE && rate <= KW_ADAPTIVE_BETA * 1.6 + 1e-9);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sender, a), 0);
	/* keep answering at 40 a second so that the rate grows from 0.5 */
	for (int i = 0; i < 400; i++) {
		struct timespec d = {0, 25 * 1000000L};

		kw_adaptive_snapshot(a, &st);
		if (st.acquired == 20)
			break;
		nanosleep(&d, NULL);
		kw_adaptive_after_response(a, false);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	kw_adaptive_snapshot(a, &st);
	assert_int_equal(st.acquired, 20);
	assert_true(st.waited > 0);
	/* 20 tokens at a rate that starts at 0.5/s cannot come at once */
	assert_true(secs > 0.5);
	kw_adaptive_put(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(adaptive_does_not_pace_before_a_throttle, setup, teardown),
	        cmocka_unit_test_setup_teardown(adaptive_cuts_to_beta_of_measured_rate_and_paces, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                adaptive_second_throttle_uses_the_lower_of_measured_and_bucket_rate, setup, teardown),
	        cmocka_unit_test_setup_teardown(adaptive_recovers_along_the_cubic_curve, setup, teardown),
	        cmocka_unit_test_setup_teardown(adaptive_rate_never_exceeds_twice_the_measured, setup,
	                                        teardown),
	        cmocka_unit_test(adaptive_shared_per_key),
	        cmocka_unit_test(adaptive_threads_share_the_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
