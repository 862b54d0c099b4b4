/*
 * runner.c - jobs side by side in worker threads (runner.h).
 */
#include "engine/runner.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "util/error.h"

/* A call handed to the calling thread (kw_runner_on_caller). */
struct call {
	int (*fn)(void *arg);
	void *arg;
	int rc;
	bool answered;
};

struct kw_runner {
	const struct kw_runner_spec *s;
	pthread_mutex_t lock;      /* the caller's: kw_runner_lock */
	pthread_mutex_t sched;     /* next */
	pthread_mutex_t call_lock; /* call, workers */
	pthread_cond_t call_cv;
	size_t next;       /* the next job to look at */
	struct call *call; /* the pending call for the calling thread, or NULL */
	size_t workers;    /* worker threads still running */
	bool direct;       /* no worker thread: calls run where they come up */
};

void kw_runner_lock(struct kw_runner *r)
{
	if (r)
		pthread_mutex_lock(&r->lock);
}

void kw_runner_unlock(struct kw_runner *r)
{
	if (r)
		pthread_mutex_unlock(&r->lock);
}

int kw_runner_on_caller(struct kw_runner *r, int (*fn)(void *arg), void *arg)
{
	struct call c = {.fn = fn, .arg = arg, .rc = -1};

	if (!r || r->direct)
		return fn(arg);
	pthread_mutex_lock(&r->call_lock);
	while (r->call) /* one at a time */
		pthread_cond_wait(&r->call_cv, &r->call_lock);
	r->call = &c;
	pthread_cond_broadcast(&r->call_cv);
	while (!c.answered)
		pthread_cond_wait(&r->call_cv, &r->call_lock);
	pthread_mutex_unlock(&r->call_lock);
	return c.rc;
}

/* The calling thread: answer calls until every worker has ended. */
static void serve(struct kw_runner *r)
{
	pthread_mutex_lock(&r->call_lock);
	for (;;) {
		struct call *c;

		while (!r->call && r->workers)
			pthread_cond_wait(&r->call_cv, &r->call_lock);
		if (!r->call)
			break;
		c = r->call;
		pthread_mutex_unlock(&r->call_lock);
		c->rc = c->fn(c->arg);
		pthread_mutex_lock(&r->call_lock);
		c->answered = true;
		r->call = NULL;
		pthread_cond_broadcast(&r->call_cv);
	}
	pthread_mutex_unlock(&r->call_lock);
}

/* A worker: take the next wanted job until none is left. */
static void *worker(void *arg)
{
	struct kw_runner *r = arg;
	const struct kw_runner_spec *s = r->s;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&r->sched);
		while (r->next < s->n && s->wanted && !s->wanted(s->ud, r->next))
			r->next++;
		i = r->next < s->n ? r->next++ : (size_t)-1;
		pthread_mutex_unlock(&r->sched);
		if (i == (size_t)-1)
			break;
		s->run(s->ud, r, i);
	}
	pthread_mutex_lock(&r->call_lock);
	r->workers--;
	pthread_cond_broadcast(&r->call_cv);
	pthread_mutex_unlock(&r->call_lock);
	return NULL;
}

int kw_runner_run(const struct kw_runner_spec *s, struct kw_error *err)
{
	struct kw_runner r = {.s = s};
	size_t busy = 0, nthreads, started = 0;
	pthread_t *th = NULL;
	sigset_t stop, old;
	int rc = -1;

	for (size_t i = 0; i < s->n; i++)
		busy += !s->wanted || s->wanted(s->ud, i);
	nthreads = s->parallelism > 1 ? (size_t)s->parallelism : 1;
	if (nthreads > busy)
		nthreads = busy;
	if (!nthreads)
		return 0;
	if (!(th = calloc(nthreads, sizeof(*th))))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	if (pthread_mutex_init(&r.lock, NULL)) {
		free(th);
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "cannot create a mutex");
	}
	if (pthread_mutex_init(&r.sched, NULL))
		goto no_sched;
	if (pthread_mutex_init(&r.call_lock, NULL))
		goto no_call_lock;
	if (pthread_cond_init(&r.call_cv, NULL))
		goto no_cv;
	/* the workers (and the threads they start) leave the stop signals to this thread */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	pthread_mutex_lock(&r.call_lock);
	while (started < nthreads && !pthread_create(&th[started], NULL, worker, &r))
		r.workers = ++started;
	pthread_mutex_unlock(&r.call_lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started) {
		serve(&r);
	} else {
		r.direct = true; /* no thread to be had: run them here */
		r.workers = 1;
		(void)worker(&r);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	rc = 0;
	pthread_cond_destroy(&r.call_cv);
no_cv:
	pthread_mutex_destroy(&r.call_lock);
no_call_lock:
	pthread_mutex_destroy(&r.sched);
no_sched:
	pthread_mutex_destroy(&r.lock);
	free(th);
	if (rc)
		kw_error_set(err, KW_ERR_INTERNAL, NULL, "cannot create a mutex");
	return rc;
}
