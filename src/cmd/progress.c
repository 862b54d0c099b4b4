/* Output of concurrent runs: whole lines, account prefixes, held lines, the progress line. */
#include "cmd/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/error.h"

struct kw_progress {
	pthread_mutex_t lock;
	FILE *fp;
	bool prefix, live, drawn, hold;
	size_t naccounts, nsteps, started, done, failed, steps;
	struct kw_buf held; /* lines written while a QR code is shown */
	struct timespec t0;
};

struct kw_progress *kw_progress_new(FILE *fp, size_t naccounts, size_t nsteps, bool prefix, bool live)
{
	struct kw_progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return NULL;
	}
	p->fp = fp;
	p->naccounts = naccounts;
	p->nsteps = nsteps;
	p->prefix = prefix;
	p->live = live && isatty(fileno(fp));
	kw_buf_init(&p->held);
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	return p;
}

static void clear_line(struct kw_progress *p)
{
	if (!p->drawn)
		return;
	fputs("\r\033[K", p->fp);
	p->drawn = false;
}

static void draw(struct kw_progress *p)
{
	struct timespec t;
	double secs;

	if (!p->live || p->hold)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	secs = (double)(t.tv_sec - p->t0.tv_sec) + (double)(t.tv_nsec - p->t0.tv_nsec) / 1e9;
	fprintf(p->fp, "\r\033[K[%zu/%zu accounts done, %zu running, %zu failed; %zu", p->done, p->naccounts,
	        p->started - p->done - p->failed, p->failed, p->steps);
	if (p->nsteps) /* 0: not known beforehand (rotate) */
		fprintf(p->fp, "/%zu", p->nsteps);
	fprintf(p->fp, " steps; %.0f s]", secs);
	fflush(p->fp);
	p->drawn = true;
}

void kw_progress_line(struct kw_progress *p, const char *account, const char *text)
{
	struct kw_buf b = KW_BUF_INIT;

	if (!p)
		return;
	if (p->prefix && account) /* "ACCOUNT: text", the indentation of a lone run dropped */
		while (*text == ' ')
			text++;
	if ((p->prefix && account && kw_buf_appendf(&b, "%s: ", account)) || kw_buf_puts(&b, text) ||
	    kw_buf_putc(&b, '\n')) {
		kw_buf_release(&b);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (p->hold) {
		(void)kw_buf_append(&p->held, b.data, b.len);
	} else {
		clear_line(p);
		fwrite(b.data, 1, b.len, p->fp); /* the whole line in one call */
		fflush(p->fp);
		draw(p);
	}
	pthread_mutex_unlock(&p->lock);
	kw_buf_release(&b);
}

void kw_progress_linef(struct kw_progress *p, const char *account, const char *fmt, ...)
{
	char text[1200];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) >= (int)sizeof(text))
		memcpy(text + sizeof(text) - 4, "...", 4);
	va_end(ap);
	kw_progress_line(p, account, text);
}

void kw_progress_error(struct kw_progress *p, const struct kw_error *err)
{
	struct kw_buf b = KW_BUF_INIT;
	const char *msg = err->msg[0] ? err->msg : "unknown error";

	if (!(err->where[0] ? kw_buf_appendf(&b, "error: %s: %s", err->where, msg)
	                    : kw_buf_appendf(&b, "error: %s", msg)))
		kw_progress_line(p, NULL, b.data);
	kw_buf_release(&b);
}

static void count(struct kw_progress *p, size_t *field)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	(*field)++;
	draw(p);
	pthread_mutex_unlock(&p->lock);
}

void kw_progress_account_started(struct kw_progress *p)
{
	count(p, p ? &p->started : NULL);
}

void kw_progress_step_done(struct kw_progress *p)
{
	count(p, p ? &p->steps : NULL);
}

void kw_progress_account_done(struct kw_progress *p, bool ok)
{
	count(p, p ? (ok ? &p->done : &p->failed) : NULL);
}

/* Write the held lines (lock held). */
static void flush_held(struct kw_progress *p)
{
	if (!p->held.len)
		return;
	clear_line(p);
	fwrite(p->held.data, 1, p->held.len, p->fp);
	fflush(p->fp);
	kw_buf_reset(&p->held);
}

void kw_progress_hold(struct kw_progress *p, bool on)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (on) {
		clear_line(p);
		fflush(p->fp);
	} else {
		flush_held(p);
	}
	p->hold = on;
	draw(p);
	pthread_mutex_unlock(&p->lock);
}

void kw_progress_free(struct kw_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->hold = false;
	flush_held(p);
	clear_line(p);
	fflush(p->fp);
	pthread_mutex_unlock(&p->lock);
	kw_buf_release(&p->held);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
