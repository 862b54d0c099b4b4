/*
 * held.c - what the delivery targets hold, and the wait for held keys IAM does not list yet
 * (held.h).
 */
#include "engine/held.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/live.h"
#include "keys/record.h"
#include "keys/sink.h"
#include "manifest/manifest.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/vocab.h"
#include "util/wait.h"

size_t kw_held_mark(struct kw_live_account *a)
{
	struct kw_live_user *u = &a->user;
	size_t missing = 0;

	for (size_t k = 0; k < u->nkeys; k++)
		u->keys[k].held = false;
	for (size_t t = 0; t < a->ntargets; t++) {
		struct kw_live_target *tg = &a->targets[t];

		tg->listed = false;
		if (tg->held != KW_KEY_HELD_KEY)
			continue;
		for (size_t k = 0; u->exists && k < u->nkeys; k++)
			if (!strcmp(u->keys[k].id, tg->id)) {
				u->keys[k].held = tg->listed = true;
				break;
			}
		missing += !tg->listed;
	}
	return missing;
}

/* Read the targets of d into a->targets. Returns 0, or -1 with err set (KW_ERR_NOMEM). */
static int read_targets(const struct kw_desired *d, const struct kw_aws_options *aws,
                        struct kw_live_account *a, struct kw_error *err)
{
	free(a->targets);
	a->ntargets = 0;
	if (!(a->targets = calloc(d->ndeliver ? d->ndeliver : 1, sizeof(*a->targets))))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t j = 0; j < d->ndeliver; j++) {
		struct kw_key_sink sink = d->sinks[j];
		struct kw_live_target *t = &a->targets[j];
		struct kw_error why;
		char name[512];

		sink.aws = d->aws_opts ? d->aws_opts : aws; /* its AWS account's (--role-arn) */
		t->held = kw_keys_held(&sink, t->id, &why);
		kw_keys_sink_describe(&sink, name, sizeof(name));
		if (t->held == KW_KEY_HELD_UNKNOWN && why.kind != KW_ERR_NONE)
			kw_log(KW_LOG_INFO,
			       "%s: %s cannot be read (%s): its key is told by the delivered tag",
			       d->user_name, name, why.msg);
		else if (t->held == KW_KEY_HELD_KEY)
			kw_log(KW_LOG_DEBUG, "%s: %s holds access key %s", d->user_name, name, t->id);
	}
	a->ntargets = d->ndeliver;
	return 0;
}

/*
 * The AWS account of desired[i] into buf ("" when unknown): its metadata.account, else that of
 * a user IAM lists for a manifest acting through the same client.
 */
static void account_of(const struct kw_desired *desired, const struct kw_live_account *live, size_t n,
                       size_t i, char *buf, size_t size)
{
	buf[0] = '\0';
	if (desired[i].manifest && desired[i].manifest->account) {
		snprintf(buf, size, "%s", desired[i].manifest->account);
		return;
	}
	for (size_t k = 0; k < n && !buf[0]; k++)
		if (desired[k].client == desired[i].client && live[k].user.arn &&
		    kw_live_account_id(live[k].user.arn, buf, size))
			buf[0] = '\0';
}

/*
 * When this machine's target record (keys/record.h) says keywarden delivered the key a target
 * of d holds to that target, for d's user in account (NULL: whichever has a record): the time
 * it wrote it there (ISO 8601 in the record); else 0. Such a user that IAM does not list is not
 * visible yet (an earlier run created it seconds ago), not gone. A record that cannot be read
 * counts as none.
 */
static time_t delivered_here(const struct kw_desired *d, const char *account, const struct kw_live_account *a)
{
	struct kw_key_record rec = {0};
	struct kw_error e;
	time_t at = 0;

	kw_error_clear(&e);
	if (kw_key_record_load(account, d->user_name, &rec, &e))
		kw_log(KW_LOG_DEBUG, "%s: %s", d->user_name, e.msg);
	for (size_t j = 0; j < a->ntargets && !at; j++)
		for (size_t r = 0; r < rec.n && !at; r++)
			if (a->targets[j].held == KW_KEY_HELD_KEY && rec.v[r].key_id && rec.v[r].written &&
			    !strcmp(rec.v[r].key_id, a->targets[j].id) &&
			    kw_key_record_names(&rec.v[r], &d->sinks[j]) &&
			    kw_iso8601_parse(rec.v[r].written, &at))
				at = 0;
	kw_key_record_release(&rec);
	return at;
}

/* Read the accounts idx[0..np) from IAM again, keeping their targets. Returns 0 or -1. */
static int reread(struct kw_aws_client *c, const struct kw_desired *desired, const size_t *idx, size_t np,
                  int parallelism, struct kw_live_account *live, struct kw_error *err)
{
	struct kw_desired *d = calloc(np, sizeof(*d));
	struct kw_live_account *l = calloc(np, sizeof(*l));
	int rc = -1;

	if (!d || !l) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < np; k++)
		d[k] = desired[idx[k]]; /* shallow: borrowed for the read only */
	if (kw_live_read(c, d, np, parallelism, l, err))
		goto out;
	for (size_t k = 0; k < np; k++) {
		struct kw_live_account *a = &live[idx[k]];

		l[k].targets = a->targets;
		l[k].ntargets = a->ntargets;
		a->targets = NULL;
		kw_live_release(a);
		*a = l[k];
		memset(&l[k], 0, sizeof(l[k]));
	}
	rc = 0;
out:
	for (size_t k = 0; l && k < np; k++)
		kw_live_release(&l[k]);
	free(l);
	free(d);
	return rc;
}

int kw_held_read(struct kw_aws_client *c, const struct kw_desired *desired, size_t n,
                 const struct kw_held_opts *o, struct kw_live_account *live, struct kw_error *err)
{
	size_t *idx = calloc(n ? n : 1, sizeof(*idx)), np = 0;
	time_t *until = calloc(n ? n : 1, sizeof(*until)); /* users IAM does not list: wait until */
	struct kw_wait w;
	int rc = -1;

	if (!idx || !until) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (read_targets(&desired[i], o->aws, &live[i], err))
			goto out;
	/* a user IAM does not list at all is waited for only when the record says this machine
	 * delivered the key its target holds, and for the timeout from then: otherwise that key
	 * is of a user that is gone */
	for (size_t i = 0; i < n; i++) {
		char account[16];
		time_t at;

		if (live[i].user.exists || !kw_held_mark(&live[i]))
			continue;
		account_of(desired, live, n, i, account, sizeof(account));
		if ((at = delivered_here(&desired[i], account[0] ? account : NULL, &live[i])))
			until[i] = at + (time_t)o->timeout + 1;
	}
	kw_wait_begin(&w, o->timeout, true);
	for (;;) {
		np = 0;
		for (size_t i = 0; i < n; i++)
			if (kw_held_mark(&live[i]) && (live[i].user.exists || time(NULL) < until[i]))
				idx[np++] = i;
		if (!np)
			break;
		for (size_t k = 0; k < np && w.attempt == 0; k++)
			kw_log(KW_LOG_INFO,
			       "%s: a delivery target holds an access key IAM does not list yet: waiting for "
			       "it (eventual consistency, up to %.0f s)",
			       desired[idx[k]].user_name, o->timeout);
		if (!kw_wait_again(&w)) {
			if (kw_interrupt_check(NULL, err))
				goto out;
			for (size_t k = 0; k < np; k++)
				kw_log(KW_LOG_INFO,
				       "%s: a delivery target holds an access key IAM still does not list "
				       "after %.0f s: no longer in IAM",
				       desired[idx[k]].user_name, kw_wait_elapsed(&w));
			break;
		}
		if (reread(c, desired, idx, np, o->parallelism, live, err))
			goto out;
	}
	rc = 0;
out:
	free(until);
	free(idx);
	return rc;
}
