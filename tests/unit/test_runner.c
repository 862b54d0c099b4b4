/*
 * Unit tests for src/engine/runner: every wanted job runs exactly once and the others never;
 * at most `parallelism` jobs at once, and more than one really at once; jobs are taken in index
 * order (a job may record its start a little after a later one: at most `parallelism` places off);
 * kw_runner_on_caller runs its function on the thread that called kw_runner_run, one at a
 * time; the workers block SIGINT (the caller takes it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "engine/runner.h"
#include "util/error.h"

#define N 40

struct state {
	pthread_t caller;
	int runs[N];
	size_t started[N]; /* start order */
	size_t nstarted;
	int now, peak; /* jobs running at once */
	int on_caller_wrong, on_caller_now, on_caller_peak, sigint_open;
	bool skip_odd;
	bool await_second; /* the first job waits (up to 2 s) until a second one has started */
};

static void nap(long ms)
{
	struct timespec ts = {0, ms * 1000000L};

	nanosleep(&ts, NULL);
}

static bool wanted(void *ud, size_t i)
{
	const struct state *s = ud;

	return !(s->skip_odd && i % 2);
}

static int on_caller(void *arg)
{
	struct state *s = arg;

	/* counted without the lock: one call at a time is what is tested */
	s->on_caller_wrong += !pthread_equal(pthread_self(), s->caller);
	s->on_caller_now++;
	if (s->on_caller_now > s->on_caller_peak)
		s->on_caller_peak = s->on_caller_now;
	nap(2);
	s->on_caller_now--;
	return 7;
}

static void job(void *ud, struct kw_runner *r, size_t i)
{
	struct state *s = ud;
	sigset_t mask;

	kw_runner_lock(r);
	s->runs[i]++;
	s->started[s->nstarted++] = i;
	if (++s->now > s->peak)
		s->peak = s->now;
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	s->sigint_open += !sigismember(&mask, SIGINT);
	kw_runner_unlock(r);
	/* side by side, not one after another: a sequential runner lets this wait run out */
	for (int waited = 0; s->await_second && waited < 2000; waited++) {
		kw_runner_lock(r);
		bool second = s->nstarted >= 2;
		kw_runner_unlock(r);
		if (second)
			break;
		nap(1);
	}
	nap(5);
	assert_int_equal(kw_runner_on_caller(r, on_caller, s), 7);
	kw_runner_lock(r);
	s->now--;
	kw_runner_unlock(r);
}

static void run(struct state *s, int parallelism)
{
	struct kw_runner_spec spec = {
	        .n = N, .parallelism = parallelism, .wanted = wanted, .run = job, .ud = s};
	struct kw_error err;

	s->caller = pthread_self();
	kw_error_clear(&err);
	assert_int_equal(kw_runner_run(&spec, &err), 0);
}

static void test_every_wanted_job_once_at_most_parallelism_at_once(void **unused)
{
	struct state s = {.skip_odd = true, .await_second = true};

	(void)unused;
	run(&s, 6);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(s.runs[i], i % 2 ? 0 : 1);
	assert_int_equal(s.nstarted, N / 2);
	for (size_t k = 0; k < s.nstarted; k++) { /* taken in index order: job 2r is the r-th */
		size_t r = s.started[k] / 2;

		assert_true(r < k + 6 && k < r + 6);
	}
	assert_true(s.peak <= 6);
	assert_true(s.peak >= 2); /* side by side, not one after another */
	assert_int_equal(s.on_caller_wrong, 0);
	assert_int_equal(s.on_caller_peak, 1);
	assert_int_equal(s.sigint_open, 0); /* the workers leave SIGINT to the caller */
}

static void test_parallelism_one_runs_one_after_another(void **unused)
{
	struct state s = {0};

	(void)unused;
	run(&s, 1);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(s.runs[i], 1);
	assert_int_equal(s.peak, 1);
	assert_int_equal(s.on_caller_wrong, 0);
}

static void test_no_job_wanted_runs_nothing(void **unused)
{
	struct kw_runner_spec spec = {.n = 0, .parallelism = 8, .run = job};
	struct kw_error err;

	(void)unused;
	kw_error_clear(&err);
	assert_int_equal(kw_runner_run(&spec, &err), 0);
	assert_int_equal(kw_runner_on_caller(NULL, on_caller, &(struct state){.caller = pthread_self()}), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_wanted_job_once_at_most_parallelism_at_once),
	        cmocka_unit_test(test_parallelism_one_runs_one_after_another),
	        cmocka_unit_test(test_no_job_wanted_runs_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
