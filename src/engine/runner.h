/*
 * runner.h - the one loop over accounts of apply, rotate and destroy: independent jobs (one
 * per account) run side by side, up to a parallelism of worker threads, each taking the next
 * job from a queue in order until none is left. A job's failure is its own: the runner never
 * stops the others, so each job reports its own result (through its caller's events).
 *
 * Threads: the workers (and any thread a job starts) block SIGINT, SIGTERM and SIGHUP; the
 * thread that called kw_runner_run is the only one that takes them, so that a stop request
 * (util/interrupt.h) interrupts a prompt that thread reads (kw_runner_on_caller). Stop requests
 * themselves are the jobs' business: each polls kw_interrupted() at its own safe points, and a
 * job that finds one before its first step reports itself not started.
 * Every call a job makes through one kw_aws_client shares that client's adaptive token bucket
 * (aws/adaptive.h: one per endpoint in the process), so the run as a whole follows IAM's rate.
 *
 * Invariants: jobs are run at most once each, in index order of their start; kw_runner_lock
 * serialises whatever the caller wants one at a time (events: a line printed under it is never
 * interleaved with another job's).
 */
#ifndef KW_ENGINE_RUNNER_H
#define KW_ENGINE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

struct kw_error;
struct kw_runner;

struct kw_runner_spec {
	size_t n;        /* jobs 0 .. n-1 */
	int parallelism; /* jobs at once; <= 1: one after another (still in a worker thread) */
	/* Whether job i has anything to do (NULL: every job has); jobs without are not run. */
	bool (*wanted)(void *ud, size_t i);
	/* Run job i, in a worker thread. r is for kw_runner_lock and kw_runner_on_caller. */
	void (*run)(void *ud, struct kw_runner *r, size_t i);
	void *ud;
};

/*
 * kw_runner_run - run every wanted job of s (borrowed) and return once all have ended.
 * Returns 0, or -1 with err set when the runner could not be set up (no job was run then).
 * When no worker thread can be started, the jobs run one after another on the calling thread.
 */
int kw_runner_run(const struct kw_runner_spec *s, struct kw_error *err);

/* kw_runner_lock, kw_runner_unlock - the run's one lock (not recursive); NULL r: no-op. */
void kw_runner_lock(struct kw_runner *r);
void kw_runner_unlock(struct kw_runner *r);

/*
 * kw_runner_on_caller - from a job: run fn(arg) on the thread that called kw_runner_run (the
 * one that takes Ctrl-C: a prompt's read is interrupted by it) and return its result. One call
 * at a time; the job waits meanwhile, the other jobs go on. NULL r: fn runs here.
 */
int kw_runner_on_caller(struct kw_runner *r, int (*fn)(void *arg), void *arg);

#endif
