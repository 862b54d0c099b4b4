/*
 * Unit tests for src/aws/retry: which failures are retried, the full-jitter backoff schedule
 * with a fake random source and a fake sleep, the attempt budget, and the retry-quota bucket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "aws/retry.h"
#include "util/error.h"
#include "util/vocab.h"
#include "util/wait.h"

static void retry_classifies_as_standard_mode(void **state)
{
	assert_int_equal(kw_retry_classify(200, "", false), KW_RETRY_SUCCESS);
	assert_int_equal(kw_retry_classify(400, "Throttling", false), KW_RETRY_THROTTLE);
	assert_int_equal(kw_retry_classify(400, "ThrottlingException", false), KW_RETRY_THROTTLE);
	assert_int_equal(kw_retry_classify(503, "RequestLimitExceeded", false), KW_RETRY_THROTTLE);
	assert_int_equal(kw_retry_classify(400, "RequestThrottled", false), KW_RETRY_THROTTLE);
	assert_int_equal(kw_retry_classify(500, "InternalFailure", false), KW_RETRY_TRANSIENT);
	assert_int_equal(kw_retry_classify(502, "", false), KW_RETRY_TRANSIENT);
	assert_int_equal(kw_retry_classify(503, "ServiceUnavailable", false), KW_RETRY_TRANSIENT);
	assert_int_equal(kw_retry_classify(504, "", false), KW_RETRY_TRANSIENT);
	assert_int_equal(kw_retry_classify(400, "RequestTimeout", false), KW_RETRY_TRANSIENT);
	assert_int_equal(kw_retry_classify(0, "", true), KW_RETRY_CONNECTION);
	/* IAM's LimitExceeded is a hard quota: never retried */
	assert_int_equal(kw_retry_classify(409, "LimitExceeded", false), KW_RETRY_NEVER);
	assert_int_equal(kw_retry_classify(409, "EntityAlreadyExists", false), KW_RETRY_NEVER);
	assert_int_equal(kw_retry_classify(403, "AccessDenied", false), KW_RETRY_NEVER);
	assert_int_equal(kw_retry_classify(404, "NoSuchEntity", false), KW_RETRY_NEVER);
	assert_int_equal(kw_retry_classify(403, "SignatureDoesNotMatch", false), KW_RETRY_NEVER);
}

static void retry_backoff_is_full_jitter_capped_at_20s(void **state)
{
	assert_true(kw_retry_backoff(1, 0.5) == 0.5);
	assert_true(kw_retry_backoff(2, 0.5) == 1.0);
	assert_true(kw_retry_backoff(3, 0.5) == 2.0);
	assert_true(kw_retry_backoff(5, 0.25) == 4.0);
	assert_true(kw_retry_backoff(6, 0.999) == KW_RETRY_MAX_BACKOFF);
	assert_true(kw_retry_backoff(30, 0.999) == KW_RETRY_MAX_BACKOFF);
	assert_true(kw_retry_backoff(3, 0.0) == 0.0);
}

/* A scripted run: outcomes per attempt, random values per retry, sleeps recorded. */
struct script {
	const enum kw_retry_class *outcomes;
	size_t n;
	int calls;
	const double *randoms;
	int nrandom;
	double sleeps[128];
	int nsleeps;
};

static enum kw_retry_class scripted(void *ctx, int attempt, struct kw_error *err)
{
	struct script *s = ctx;
	enum kw_retry_class c = s->outcomes[(size_t)s->calls < s->n ? (size_t)s->calls : s->n - 1];

	assert_int_equal(attempt, s->calls + 1);
	s->calls++;
	if (c != KW_RETRY_SUCCESS) {
		kw_error_set(err, KW_ERR_AWS, "iam:Test", "attempt %d failed", attempt);
		snprintf(err->aws_code, sizeof(err->aws_code), "Throttling");
	}
	return c;
}

static double fake_random(void *ctx)
{
	struct script *s = ctx;

	return s->randoms[s->nrandom++];
}

static void fake_sleep(void *ctx, double seconds)
{
	struct script *s = ctx;

	s->sleeps[s->nsleeps++] = seconds;
}

static void retry_schedule_with_fake_clock_and_random(void **state)
{
	const enum kw_retry_class outcomes[] = {KW_RETRY_THROTTLE, KW_RETRY_TRANSIENT, KW_RETRY_THROTTLE,
	                                        KW_RETRY_SUCCESS};
	const double randoms[] = {0.25, 0.75, 0.5};
	struct script s = {outcomes, 4, 0, randoms, 0, {0}, 0};
	struct kw_retry_env env = {fake_random, fake_sleep, &s};
	struct kw_retry_quota q;
	struct kw_retry_report rep;
	struct kw_error err;

	assert_int_equal(kw_retry_quota_init(&q), 0);
	assert_int_equal(kw_retry_run("iam:Test", 5, &q, &env, scripted, &s, &rep, &err), 0);
	assert_int_equal(s.calls, 4);
	assert_int_equal(rep.attempts, 4);
	assert_int_equal(rep.retries, 3);
	assert_int_equal(s.nsleeps, 3);
	assert_true(s.sleeps[0] == 0.25); /* 0.25 * 2^0 */
	assert_true(s.sleeps[1] == 1.5);  /* 0.75 * 2^1 */
	assert_true(s.sleeps[2] == 2.0);  /* 0.5 * 2^2 */
	assert_true(rep.slept == 3.75);
	/* three retries cost 15 tokens; the success refunded the last cost (5) */
	assert_int_equal(q.tokens, KW_RETRY_QUOTA_INITIAL - 10);
	kw_retry_quota_destroy(&q);
}

static void retry_stops_at_budget_and_on_non_retryable(void **state)
{
	const enum kw_retry_class always[] = {KW_RETRY_THROTTLE};
	const enum kw_retry_class never[] = {KW_RETRY_NEVER};
	const double randoms[16] = {0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999};
	struct script s = {always, 1, 0, randoms, 0, {0}, 0};
	struct kw_retry_env env = {fake_random, fake_sleep, &s};
	struct kw_retry_report rep;
	struct kw_error err;

	assert_int_equal(kw_retry_run("iam:Test", 3, NULL, &env, scripted, &s, &rep, &err), -1);
	assert_int_equal(s.calls, 3);
	assert_int_equal(rep.retries, 2);
	assert_string_equal(err.msg, "attempt 3 failed"); /* the last attempt's error */
	/* the cap shows at attempt 6 and later */
	s = (struct script){always, 1, 0, randoms, 0, {0}, 0};
	assert_int_equal(kw_retry_run("iam:Test", 8, NULL, &env, scripted, &s, &rep, &err), -1);
	assert_int_equal(s.nsleeps, 7);
	assert_true(s.sleeps[5] == KW_RETRY_MAX_BACKOFF);
	assert_true(s.sleeps[6] == KW_RETRY_MAX_BACKOFF);
	/* not retryable: one attempt, no sleep */
	s = (struct script){never, 1, 0, randoms, 0, {0}, 0};
	assert_int_equal(kw_retry_run("iam:Test", 5, NULL, &env, scripted, &s, &rep, &err), -1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.nsleeps, 0);
	/* max_attempts 1: no retry */
	s = (struct script){always, 1, 0, randoms, 0, {0}, 0};
	assert_int_equal(kw_retry_run("iam:Test", 1, NULL, &env, scripted, &s, &rep, &err), -1);
	assert_int_equal(s.calls, 1);
}

/* No retry starts after the thread's call deadline: one read-back never outlasts its budget. */
static void retry_stops_at_the_callers_deadline(void **state)
{
	const enum kw_retry_class outcomes[] = {KW_RETRY_THROTTLE};
	const double randoms[] = {0.9, 0.9, 0.9};
	struct script s = {outcomes, 1, 0, randoms, 0, {0}, 0};
	struct kw_retry_env env = {fake_random, fake_sleep, &s};
	struct kw_retry_report rep;
	struct kw_error err;
	double prev = kw_call_deadline_set(kw_now_s() + 0.5); /* a first backoff of 0.9 s passes it */

	assert_int_equal(kw_retry_run("iam:Test", 10, NULL, &env, scripted, &s, &rep, &err), -1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.nsleeps, 0);
	kw_call_deadline_set(0);
	s = (struct script){outcomes, 1, 0, randoms, 0, {0}, 0};
	assert_int_equal(kw_retry_run("iam:Test", 3, NULL, &env, scripted, &s, &rep, &err), -1);
	assert_int_equal(s.calls, 3); /* without a deadline: the attempt budget */
	kw_call_deadline_set(prev);
}

/* THE transient rule (util/wait.h) is the client's: 409s of IAM included, client errors not. */
static void transient_rule_is_shared_with_the_client(void **state)
{
	static const struct {
		int status;
		const char *code;
		bool transient;
	} cases[] = {
	        {409, "ConcurrentModification", true},
	        {409, "EntityTemporarilyUnmodifiable", true},
	        {400, "Throttling", true},
	        {503, "ServiceUnavailable", true},
	        {500, "InternalFailure", true},
	        {409, "EntityAlreadyExists", false},
	        {409, "LimitExceeded", false},
	        {404, "NoSuchEntity", false},
	        {403, "AccessDenied", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kw_error e = {.kind = KW_ERR_AWS, .http_status = cases[i].status};
		enum kw_retry_class c = kw_retry_classify(cases[i].status, cases[i].code, false);

		snprintf(e.aws_code, sizeof(e.aws_code), "%s", cases[i].code);
		assert_int_equal(kw_error_transient(&e), cases[i].transient);
		assert_int_equal(c == KW_RETRY_THROTTLE || c == KW_RETRY_TRANSIENT, cases[i].transient);
	}
	assert_true(kw_error_transient(&(struct kw_error){.kind = KW_ERR_NETWORK}));
	assert_false(kw_error_transient(&(struct kw_error){.kind = KW_ERR_AUTH}));
}

/* kw_wait: a deadline, and a stop request that ends an interruptible wait only. */
static void wait_has_a_deadline(void **state)
{
	struct kw_wait w;
	double t0 = kw_now_s();
	int tries = 0;

	kw_wait_begin(&w, 0.6, true);
	while (kw_wait_again(&w))
		tries++;
	assert_true(tries >= 1);
	assert_true(kw_now_s() - t0 >= 0.55 && kw_now_s() - t0 < 10.0);
	kw_wait_begin(&w, 0, true);
	assert_false(kw_wait_again(&w)); /* no budget: no retry */
}

/* Time held back by keywarden's own pacing (the adaptive bucket) moves every deadline on. */
static void paced_time_moves_deadlines_on(void **state)
{
	struct kw_wait w;
	double d0, cd;

	kw_wait_begin(&w, 0.2, true);
	d0 = w.deadline;
	cd = kw_call_deadline_set(d0);
	assert_true(kw_call_deadline() == d0);
	kw_wait_paced(5.0); /* as if a send had waited 5 s on the bucket */
	assert_true(kw_call_deadline() == d0 + 5.0);
	kw_sleep_ms(300, false); /* past the wait's own 0.2 s: still inside with the pacing */
	assert_true(kw_wait_again(&w));
	assert_true(w.deadline == d0 + 5.0);
	kw_wait_paced(-1); /* nothing negative */
	assert_true(kw_call_deadline() == d0 + 5.0);
	kw_call_deadline_set(cd);
}

/* The vocabulary: one managed-by rule (key case-insensitive, value exact), ISO 8601 both ways. */
static void vocabulary_is_defined_once(void **state)
{
	char buf[KW_ISO8601_MAX];
	time_t t;

	assert_true(kw_tag_is_managed("managed-by", "keywarden"));
	assert_true(kw_tag_is_managed("Managed-By", "keywarden"));
	assert_false(kw_tag_is_managed("managed-by", "Keywarden"));
	assert_false(kw_tag_is_managed(NULL, "keywarden"));
	kw_iso8601_format(1764611700, buf, sizeof(buf));
	assert_string_equal(buf, "2025-12-01T17:55:00Z");
	assert_int_equal(kw_iso8601_parse(buf, &t), 0);
	assert_int_equal(t, 1764611700);
	assert_int_equal(kw_iso8601_parse("2025-12-01T18:55:00+01:00", &t), 0);
	assert_int_equal(t, 1764611700);
	assert_int_equal(kw_iso8601_parse("2025-12-01 17:55:00Z", &t), -1);
}

static void retry_quota_bucket_empties_and_refills(void **state)
{
	const enum kw_retry_class conn[] = {KW_RETRY_CONNECTION};
	const enum kw_retry_class ok[] = {KW_RETRY_SUCCESS};
	static double randoms[128];
	struct script s = {conn, 1, 0, randoms, 0, {0}, 0};
	struct kw_retry_env env = {fake_random, fake_sleep, &s};
	struct kw_retry_quota q;
	struct kw_retry_report rep;
	struct kw_error err;

	assert_int_equal(kw_retry_quota_init(&q), 0);
	/* connection errors cost 10: 500 tokens allow 50 retries, then the bucket refuses */
	assert_int_equal(kw_retry_run("iam:Test", 100, &q, &env, scripted, &s, &rep, &err), -1);
	assert_int_equal(rep.retries, 50);
	assert_int_equal(s.calls, 51);
	assert_true(rep.quota_exhausted);
	assert_int_equal(q.tokens, 0);
	/* a success without retries adds one token */
	s = (struct script){ok, 1, 0, randoms, 0, {0}, 0};
	assert_int_equal(kw_retry_run("iam:Test", 3, &q, &env, scripted, &s, &rep, &err), 0);
	assert_int_equal(q.tokens, 1);
	/* and the bucket never grows beyond its size */
	q.tokens = KW_RETRY_QUOTA_INITIAL;
	s = (struct script){ok, 1, 0, randoms, 0, {0}, 0};
	assert_int_equal(kw_retry_run("iam:Test", 3, &q, &env, scripted, &s, &rep, &err), 0);
	assert_int_equal(q.tokens, KW_RETRY_QUOTA_INITIAL);
	kw_retry_quota_destroy(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(retry_classifies_as_standard_mode),
	        cmocka_unit_test(retry_backoff_is_full_jitter_capped_at_20s),
	        cmocka_unit_test(retry_schedule_with_fake_clock_and_random),
	        cmocka_unit_test(retry_stops_at_budget_and_on_non_retryable),
	        cmocka_unit_test(retry_quota_bucket_empties_and_refills),
	        cmocka_unit_test(retry_stops_at_the_callers_deadline),
	        cmocka_unit_test(transient_rule_is_shared_with_the_client),
	        cmocka_unit_test(wait_has_a_deadline),
	        cmocka_unit_test(paced_time_moves_deadlines_on),
	        cmocka_unit_test(vocabulary_is_defined_once),
	};

	return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
