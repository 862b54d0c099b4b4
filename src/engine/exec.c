#include "engine/exec.h"

#include <errno.h>
#include <pthread.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/iam.h"
#include "aws/sts.h"
#include "engine/checks.h"
#include "engine/live.h"
#include "engine/render.h"
#include "engine/runner.h"
#include "keys/issue.h"
#include "keys/record.h"
#include "keys/sink.h"
#include "lifecycle/rotate.h"
#include "mfa/qr.h"
#include "mfa/seed.h"
#include "util/buf.h"
#include "util/deadline.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/wait.h"

#define MFA_TRIES        3
/* Pairs of typed codes refused before IAM is called, at most, and the window they are checked
 * in: steps of 30 s either side of now (a device clock 5 minutes off, slow typing). */
#define MFA_LOCAL_TRIES  10
#define MFA_LOCAL_WINDOW 10

/* What the jobs of one kw_exec_run share (engine/runner.h runs one job per account). */
struct sched {
	pthread_mutex_t mfa_lock; /* interactive MFA enrolments: one QR code at a time */
	/*
	 * Per account: whether its user exists for sure (made: 0 not yet, 1 CreateUser
	 * answered, or its read-back confirmed it is ours, -1 the user step ended without), so
	 * that its group, created beside the user's read-back, never exists without a tagged user.
	 */
	pthread_mutex_t made_lock;
	pthread_cond_t made_cv;
	signed char *made;
	const struct kw_plan *plan;
	const struct kw_exec_opts *o;
	struct kw_aws_client *c;
	char **user_arn;              /* per account: the user's ARN once known (owned strings) */
	size_t *order;                /* step indices grouped by account, plan order within one */
	size_t *first, *count;        /* per account: its steps are order[first .. first+count) */
	struct kw_exec_result *total; /* under the runner's lock, as err, failed, on_event */
	struct kw_error *err;         /* the first failure */
	bool failed;
};

/* One account's run (one worker thread at a time). */
struct run {
	struct kw_aws_client *c;
	const struct kw_plan *plan;
	const struct kw_exec_opts *o;
	struct sched *sh;
	struct kw_runner *runner;   /* its lock serialises events; prompts go through it */
	struct kw_exec_result *res; /* this account's counts, added to the total at its end */
	char **user_arn;            /* per account: the user's ARN once known (owned strings, sched's) */
	size_t index;               /* the current step */
	int reads;                  /* read-backs of the current step */
	char *serial;               /* MFA step: the serial of the device enabled (owned) */
	/*
	 * From CreateAccessKey until the key is delivered and confirmed, or deleted: a stop
	 * request (Ctrl-C) waits, or a key would be left that nobody holds.
	 */
	bool hold;
};

/* A write: 0 done (or already done), -1 with err set. */
typedef int (*write_fn)(struct run *r, const struct kw_step *s, struct kw_error *err);
/* A read-back: 1 confirmed, 0 not (yet), -1 with err set. */
typedef int (*check_fn)(struct run *r, const struct kw_step *s, struct kw_error *err);

static double now_s(void)
{
	return kw_now_s();
}

/* Whether the run should stop now: a stop request (util/interrupt.h) outside the key window. */
static bool stopping(const struct run *r)
{
	return !r->hold && kw_interrupted();
}

/* -1 with err set (KW_ERR_ABORTED) when the run should stop now, else 0. */
static int stop_check(const struct run *r, const char *where, struct kw_error *err)
{
	return r->hold ? 0 : kw_interrupt_check(where, err);
}

static double timeout_of(const struct run *r)
{
	return r->o->confirm_timeout > 0 ? r->o->confirm_timeout : 30.0;
}

/* A wait of the confirm timeout, interruptible outside the key window (util/wait.h). */
static void wait_begin(const struct run *r, struct kw_wait *w)
{
	kw_wait_begin(w, timeout_of(r), !r->hold);
}

static bool is_code(const struct kw_error *err, const char *code)
{
	return !strcmp(err->aws_code, code);
}

static void emit(struct run *r, enum kw_exec_event_kind kind, const struct kw_step *s, enum kw_exec_status st,
                 double seconds, const char *detail, const char *key_id, const struct kw_error *err)
{
	struct kw_exec_event ev = {.kind = kind,
	                           .step = s,
	                           .index = r->index,
	                           .status = st,
	                           .seconds = seconds,
	                           .detail = detail,
	                           .key_id = key_id,
	                           .err = err};

	if (!r->o->on_event)
		return;
	kw_runner_lock(r->runner); /* one event at a time, from whichever worker */
	r->o->on_event(r->o->ud, &ev);
	kw_runner_unlock(r->runner);
}

/* Run a write, retrying transient failures with backoff until the confirm timeout. */
static int do_write(struct run *r, const struct kw_step *s, write_fn w, struct kw_error *err)
{
	struct kw_wait wt;

	wait_begin(r, &wt);
	for (;;) {
		kw_error_clear(err);
		if (w(r, s, err) == 0)
			return 0;
		if (!kw_wait_retry(&wt, err)) {
			(void)stop_check(r, "apply", err);
			return -1;
		}
	}
}

/* Read back until confirmed, with bounded exponential backoff. */
static int gate_loop(struct run *r, const struct kw_step *s, check_fn chk, struct kw_error *err)
{
	struct kw_wait w;
	double prev;
	int rc;

	wait_begin(r, &w);
	/* one read-back that the client retries never outlasts --confirm-timeout either */
	prev = kw_call_deadline_set(w.deadline);
	for (;;) {
		kw_error_clear(err);
		r->reads++;
		rc = chk(r, s, err);
		if (rc == 1) {
			rc = 0;
			break;
		}
		/* a stale NoSuchEntity (the entity written, not visible yet) is "not yet" in every
		 * read-back alike; checks for which it means "done" (a deletion) say so themselves */
		if (rc < 0 && err->kind == KW_ERR_NOT_FOUND)
			rc = 0;
		if (rc < 0 && !kw_error_transient(err))
			break;
		if (!kw_wait_again(&w)) {
			struct kw_buf t = KW_BUF_INIT;

			rc = -1;
			if (stop_check(r, "apply", err))
				break;
			(void)kw_step_title(r->plan, s, &t);
			kw_error_set(err, KW_ERR_TIMEOUT, t.data,
			             "not confirmed by reading it back: %d read-backs in %.0f s "
			             "(--confirm-timeout)",
			             w.attempt, kw_wait_elapsed(&w));
			kw_buf_release(&t);
			break;
		}
	}
	kw_call_deadline_set(prev);
	return rc < 0 ? -1 : 0;
}

/* gate_loop, counting its read-backs and the time it took into the run's result (--stats). */
static int gate(struct run *r, const struct kw_step *s, check_fn chk, struct kw_error *err)
{
	double start = now_s();
	int reads = r->reads, rc = gate_loop(r, s, chk, err);

	r->res->confirm_reads += (unsigned long)(r->reads - reads);
	r->res->confirm_seconds += now_s() - start;
	return rc;
}

static const struct kw_desired *want(const struct run *r, const struct kw_step *s)
{
	return &r->plan->desired[s->account];
}

static int set_arn(struct run *r, size_t account, const char *arn)
{
	if (!arn || r->user_arn[account])
		return 0;
	r->user_arn[account] = strdup(arn);
	return r->user_arn[account] ? 0 : -1;
}

/* --- 1. user ------------------------------------------------------------------------------ */

/* The desired tags as IAM's type (a new array of borrowed strings; free() it), NULL when out of memory. */
static struct kw_iam_tag *iam_tags(const struct kw_taglist *l)
{
	struct kw_iam_tag *tags = calloc(l->n + 1, sizeof(*tags));

	for (size_t i = 0; tags && i < l->n; i++) {
		tags[i].key = l->v[i].key;
		tags[i].value = l->v[i].value;
	}
	return tags;
}

/* Record that account's user exists for sure (1) or will not be made (-1); the first word counts. */
static void user_made(struct sched *sh, size_t account, signed char made)
{
	pthread_mutex_lock(&sh->made_lock);
	if (!sh->made[account]) {
		sh->made[account] = made;
		pthread_cond_broadcast(&sh->made_cv);
	}
	pthread_mutex_unlock(&sh->made_lock);
}

/* Wait until account's user exists for sure. Returns 1 when it does, 0 when it will not. */
static int wait_user_made(struct sched *sh, size_t account)
{
	int made;

	pthread_mutex_lock(&sh->made_lock);
	while (!sh->made[account])
		pthread_cond_wait(&sh->made_cv, &sh->made_lock);
	made = sh->made[account] > 0;
	pthread_mutex_unlock(&sh->made_lock);
	return made;
}

static int user_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	const struct kw_desired *d = want(r, s);
	struct kw_iam_tag *tags = iam_tags(&d->tags);
	struct kw_iam_create_user_input in = {.user_name = d->user_name,
	                                      .path = d->path,
	                                      .permissions_boundary = d->boundary,
	                                      .tags = tags,
	                                      .ntags = d->tags.n};
	struct kw_iam_user u = {0};
	int rc;

	if (!tags)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	rc = kw_iam_create_user(r->c, &in, &u, err);
	if (rc == 0) {
		rc = set_arn(r, s->account, u.arn) ? kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory")
		                                   : 0;
		user_made(r->sh, s->account, 1); /* tagged in the same call: the group may come */
	} else if (is_code(err, "EntityAlreadyExists"))
		rc = 0; /* an earlier attempt got through; the read-back checks it is ours */
	kw_iam_user_release(&u);
	free(tags);
	return rc;
}

static bool tagged_managed(const struct kw_iam_tag_list *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (kw_tag_is_managed(t->items[i].key, t->items[i].value))
			return true;
	return false;
}

static int user_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	const struct kw_desired *d = want(r, s);
	struct kw_iam_user u = {0};
	int rc;

	if (kw_iam_get_user(r->c, d->user_name, &u, err))
		return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
	if (s->resource == KW_RES_USER) {
		if (!tagged_managed(&u.tags)) {
			rc = kw_error_set(
			        err, KW_ERR_CONFLICT, d->user_name,
			        "user exists without the tag managed-by: keywarden; not touching it");
			goto out;
		}
		if (set_arn(r, s->account, u.arn)) {
			rc = kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
		rc = 1;
	} else { /* boundary */
		const char *have = u.permissions_boundary_arn;

		rc = (!s->after && !have) || (s->after && have && !strcmp(s->after, have));
	}
out:
	kw_iam_user_release(&u);
	return rc;
}

static int boundary_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	if (s->after)
		return kw_iam_put_user_permissions_boundary(r->c, s->subject, s->after, err);
	if (kw_iam_delete_user_permissions_boundary(r->c, s->subject, err))
		return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
	return 0;
}

/* --- 2. group, 3. membership --------------------------------------------------------------- */

static int group_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	if (kw_iam_create_group(r->c, s->subject, want(r, s)->path, NULL, err))
		return is_code(err, "EntityAlreadyExists") ? 0 : -1;
	return 0;
}

static int group_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	struct kw_iam_group g = {0};

	if (kw_iam_get_group(r->c, s->subject, &g, NULL, err))
		return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
	kw_iam_group_release(&g);
	return 1;
}

static int membership_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	const char *user = want(r, s)->user_name;

	if (s->action == KW_ACT_DELETE) {
		if (kw_iam_remove_user_from_group(r->c, s->subject, user, err))
			return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
		return 0;
	}
	return kw_iam_add_user_to_group(r->c, s->subject, user, err);
}

static int membership_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	struct kw_iam_group_list l = {0};
	bool in = false;

	if (kw_iam_list_groups_for_user(r->c, want(r, s)->user_name, &l, err))
		return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
	for (size_t i = 0; i < l.n; i++)
		if (l.items[i].group_name && !strcasecmp(l.items[i].group_name, s->subject))
			in = true;
	kw_iam_group_list_release(&l);
	return in == (s->action != KW_ACT_DELETE);
}

/* --- 4. policies ---------------------------------------------------------------------------- */

static int group_policy_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	const char *group = want(r, s)->group_name;

	if (s->action == KW_ACT_DELETE) {
		if (kw_iam_delete_group_policy(r->c, group, s->subject, err))
			return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
		return 0;
	}
	return kw_iam_put_group_policy(r->c, group, s->subject, s->after, err);
}

static int group_policy_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	struct kw_iam_inline_policy p = {0};
	int rc;

	if (kw_iam_get_group_policy(r->c, want(r, s)->group_name, s->subject, &p, err))
		return err->kind == KW_ERR_NOT_FOUND ? s->action == KW_ACT_DELETE : -1;
	if (s->action == KW_ACT_DELETE)
		rc = 0;
	else
		rc = kw_engine_policy_same(p.document ? p.document : "", s->after, err);
	kw_iam_inline_policy_release(&p);
	return rc;
}

static int attachment_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	const struct kw_desired *d = want(r, s);
	int rc;

	if (s->resource == KW_RES_USER_ATTACHMENT)
		rc = kw_iam_detach_user_policy(r->c, d->user_name, s->subject, err);
	else if (s->action == KW_ACT_DELETE)
		rc = kw_iam_detach_group_policy(r->c, d->group_name, s->subject, err);
	else
		return kw_iam_attach_group_policy(r->c, d->group_name, s->subject, err);
	return rc && err->kind != KW_ERR_NOT_FOUND ? -1 : 0;
}

static int attachment_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	const struct kw_desired *d = want(r, s);
	struct kw_iam_attached_policy_list l = {0};
	bool there = false;

	if (s->resource == KW_RES_USER_ATTACHMENT
	            ? kw_iam_list_attached_user_policies(r->c, d->user_name, &l, err)
	            : kw_iam_list_attached_group_policies(r->c, d->group_name, &l, err))
		return -1;
	for (size_t i = 0; i < l.n; i++)
		if (l.items[i].policy_arn && !strcmp(l.items[i].policy_arn, s->subject))
			there = true;
	kw_iam_attached_policy_list_release(&l);
	return there == (s->action == KW_ACT_CREATE);
}

static int user_policy_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	if (kw_iam_delete_user_policy(r->c, want(r, s)->user_name, s->subject, err))
		return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
	return 0;
}

static int user_policy_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	struct kw_iam_names l = {0};
	bool there = false;

	if (kw_iam_list_user_policies(r->c, want(r, s)->user_name, &l, err))
		return -1;
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.items[i], s->subject))
			there = true;
	kw_iam_names_release(&l);
	return !there;
}

/* --- 5. console, 6. tags ------------------------------------------------------------------- */

static int login_profile_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	if (kw_iam_delete_login_profile(r->c, s->subject, err))
		return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
	return 0;
}

static int login_profile_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	struct kw_iam_login_profile lp = {0};

	if (kw_iam_get_login_profile(r->c, s->subject, &lp, err))
		return err->kind == KW_ERR_NOT_FOUND ? 1 : -1;
	kw_iam_login_profile_release(&lp);
	return 0;
}

static int tags_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	struct kw_iam_tag *tags;
	int rc = 0;

	if (s->unset.n &&
	    kw_iam_untag_user(r->c, s->subject, (const char *const *)s->unset.v, s->unset.n, err))
		return -1;
	if (!s->set.n)
		return 0;
	tags = calloc(s->set.n, sizeof(*tags));
	if (!tags)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < s->set.n; i++) {
		tags[i].key = s->set.v[i].key;
		tags[i].value = s->set.v[i].value;
	}
	rc = kw_iam_tag_user(r->c, s->subject, tags, s->set.n, err);
	free(tags);
	return rc;
}

static int tags_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	struct kw_iam_tag_list l = {0};
	int ok = 1;

	if (kw_iam_list_user_tags(r->c, s->subject, &l, err))
		return -1;
	for (size_t i = 0; i < s->set.n && ok; i++) {
		bool found = false;

		for (size_t k = 0; k < l.n; k++)
			if (!strcmp(l.items[k].key, s->set.v[i].key) &&
			    !strcmp(l.items[k].value, s->set.v[i].value))
				found = true;
		ok = found;
	}
	for (size_t i = 0; i < s->unset.n && ok; i++) {
		bool reset = false;

		for (size_t k = 0; k < s->set.n; k++)
			if (!strcasecmp(s->set.v[k].key, s->unset.v[i]))
				reset = true;
		for (size_t k = 0; k < l.n && !reset; k++)
			if (!strcmp(l.items[k].key, s->unset.v[i]))
				ok = 0;
	}
	kw_iam_tag_list_release(&l);
	return ok;
}

/* --- 7. MFA -------------------------------------------------------------------------------- */

static int mfa_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	struct kw_iam_mfa_device_list l = {0};
	int rc = 0;

	if (kw_iam_list_mfa_devices(r->c, s->subject, &l, err))
		return -1;
	for (size_t i = 0; i < l.n; i++)
		if (l.items[i].serial_number && r->serial && !strcmp(l.items[i].serial_number, r->serial))
			rc = 1;
	kw_iam_mfa_device_list_release(&l);
	return rc;
}

/* Delete a virtual MFA device, retrying transient failures; NoSuchEntity counts as done. */
static int mfa_delete(struct run *r, const char *serial, struct kw_error *err)
{
	struct kw_wait w;

	kw_wait_begin(&w, timeout_of(r), false); /* a clean-up: finished even after a stop request */
	for (;;) {
		if (kw_iam_delete_virtual_mfa_device(r->c, serial, err) == 0 || err->kind == KW_ERR_NOT_FOUND)
			return 0;
		if (!kw_wait_retry(&w, err))
			return -1;
	}
}

/* The device's ARN as IAM names it: arn:PARTITION:iam::ACCOUNT:mfa{path}{name}. */
static char *mfa_serial_guess(const struct run *r, const struct kw_step *s)
{
	const char *arn = r->user_arn[s->account];
	const struct kw_desired *d = want(r, s);
	struct kw_buf b = KW_BUF_INIT;
	const char *colon;

	/* arn:aws:iam::123456789012:user/path/name → keep "arn:aws:iam::123456789012:" */
	if (!arn || !(colon = strstr(arn, ":user/")))
		return NULL;
	if (kw_buf_appendf(&b, "%.*s:mfa%s%s", (int)(colon - arn), arn, d->path ? d->path : "/",
	                   d->user_name)) {
		kw_buf_release(&b);
		return NULL;
	}
	return kw_buf_detach(&b);
}

static int mfa_create_retrying(struct run *r, const struct kw_desired *d, struct kw_iam_virtual_mfa *dev,
                               struct kw_error *err)
{
	struct kw_iam_tag *tags = iam_tags(&d->tags); /* the user's tags, managed-by included */
	struct kw_wait w;
	int rc = -1;

	if (!tags)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	/* the client sends it once; a lost answer shows as EntityAlreadyExists (mfa_create) */
	wait_begin(r, &w);
	for (;;) {
		kw_error_clear(err);
		if (kw_iam_create_virtual_mfa_device_tagged(r->c, d->user_name, d->path, tags, d->tags.n, dev,
		                                            err) == 0) {
			rc = 0;
			break;
		}
		if (!kw_wait_retry(&w, err)) {
			(void)stop_check(r, "apply", err);
			break;
		}
	}
	free(tags);
	return rc;
}

static int mfa_create(struct run *r, const struct kw_step *s, struct kw_iam_virtual_mfa *dev,
                      struct kw_error *err)
{
	const struct kw_desired *d = want(r, s);

	for (int attempt = 1;; attempt++) {
		char *stale;

		if (mfa_create_retrying(r, d, dev, err) == 0)
			return 0;
		if (!is_code(err, "EntityAlreadyExists") || attempt > 1)
			return -1;
		/* a device of that name without a seed we hold (an interrupted earlier attempt):
		 * it is not enabled (the plan saw no device on the user), so replace it */
		stale = mfa_serial_guess(r, s);
		if (!stale)
			return -1;
		kw_log(KW_LOG_INFO, "replacing the unassigned MFA device %s", stale);
		if (mfa_delete(r, stale, err)) {
			free(stale);
			return -1;
		}
		free(stale);
	}
}

/* Whether IAM lists serial among user's MFA devices: 1 yes, 0 no, -1 with err set. */
static int mfa_on_user(struct run *r, const char *user, const char *serial, struct kw_error *err)
{
	struct kw_iam_mfa_device_list l = {0};
	int rc = 0;

	if (kw_iam_list_mfa_devices(r->c, user, &l, err))
		return -1;
	for (size_t i = 0; i < l.n; i++)
		if (l.items[i].serial_number && !strcmp(l.items[i].serial_number, serial))
			rc = 1;
	kw_iam_mfa_device_list_release(&l);
	return rc;
}

/*
 * After EnableMFADevice failed: whether an earlier request (one whose answer was lost, e.g. a
 * retry inside the client) enabled the device after all. EntityAlreadyExists ("MFA Device is
 * already in use") says so, and IAM may take a while to show it: then read back until the
 * confirm timeout; for any other error one read-back. 1 enabled, 0 not (or not known).
 */
static int mfa_enabled_after_all(struct run *r, const char *user, const char *serial,
                                 const struct kw_error *why)
{
	bool likely = is_code(why, "EntityAlreadyExists");
	struct kw_error e2;
	struct kw_wait w;

	wait_begin(r, &w);
	for (;;) {
		int on;

		kw_error_clear(&e2);
		r->reads++;
		on = mfa_on_user(r, user, serial, &e2);
		if (on == 1) {
			kw_log(KW_LOG_INFO, "EnableMFADevice answered %s, but %s is enabled on %s",
			       why->aws_code[0] ? why->aws_code : kw_error_kind_name(why->kind), serial,
			       user);
			return 1;
		}
		if ((!likely && (on == 0 || !kw_error_transient(&e2))) || stopping(r) || !kw_wait_again(&w))
			return 0;
	}
}

/*
 * EnableMFADevice, retrying transient failures. Whatever the failure, IAM is asked first
 * whether the device is enabled on the user (a lost answer): then it counts as done.
 */
static int mfa_enable(struct run *r, const char *user, const char *serial, const char *c1, const char *c2,
                      struct kw_error *err)
{
	struct kw_wait w;

	wait_begin(r, &w);
	for (;;) {
		kw_error_clear(err);
		if (kw_iam_enable_mfa_device(r->c, user, serial, c1, c2, err) == 0)
			return 0;
		if (mfa_enabled_after_all(r, user, serial, err) == 1) {
			kw_error_clear(err);
			return 0;
		}
		if (!kw_wait_retry(&w, err)) {
			(void)stop_check(r, "apply", err);
			return -1;
		}
	}
}

/* --- per-user output files (--mfa-seed-out, --qr-png, --qr-svg) --------------------------- */

/* Whether spec names a folder: it ends in '/' or is an existing directory. */
static bool is_folder(const char *spec)
{
	struct stat st;
	size_t n = strlen(spec);

	return (n && spec[n - 1] == '/') || (!stat(spec, &st) && S_ISDIR(st.st_mode));
}

/* spec with every "{user}" replaced by user, appended to out. Returns 0, or -1 (out of memory). */
static int expand_user(const char *spec, const char *user, struct kw_buf *out)
{
	const char *p = spec, *hit;

	while ((hit = strstr(p, KW_EXEC_USER_PLACEHOLDER))) {
		if (kw_buf_appendf(out, "%.*s%s", (int)(hit - p), p, user))
			return -1;
		p = hit + strlen(KW_EXEC_USER_PLACEHOLDER);
	}
	return kw_buf_puts(out, p);
}

int kw_exec_user_path(const char *spec, const char *user, const char *ext, struct kw_buf *out,
                      struct kw_error *err)
{
	size_t n = strlen(spec);
	int rc;

	kw_buf_reset(out);
	if (is_folder(spec))
		rc = kw_buf_appendf(out, "%s%s%s.%s", spec, spec[n - 1] == '/' ? "" : "/", user, ext);
	else
		rc = expand_user(spec, user, out);
	return rc ? kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory") : 0;
}

/* The folder that must exist for path (len bytes of it, trailing '/' ignored) into dir: "." for none. */
static int folder_of(const char *path, size_t len, struct kw_buf *dir)
{
	const char *slash;

	while (len > 1 && path[len - 1] == '/')
		len--;
	kw_buf_reset(dir);
	for (slash = path + len; slash > path && slash[-1] != '/'; slash--)
		;
	if (slash == path)
		return kw_buf_puts(dir, ".");
	return kw_buf_appendf(dir, "%.*s", slash - 1 == path ? 1 : (int)(slash - 1 - path), path);
}

/* Create the folder of a folder spec ending in '/' when missing (mode 0700). */
static int make_folder(const char *spec, struct kw_error *err)
{
	size_t n = strlen(spec);

	if (!n || spec[n - 1] != '/' || !mkdir(spec, 0700) || errno == EEXIST)
		return 0;
	return kw_error_set(err, KW_ERR_IO, spec, "cannot create the folder: %s", strerror(errno));
}

/* One output option against every MFA step of plan (see kw_exec_check_outputs). */
static int check_output(const struct kw_plan *plan, size_t nmfa, const char *opt, const char *spec,
                        const char *ext, bool no_clobber, struct kw_error *err)
{
	struct kw_buf path = KW_BUF_INIT, dir = KW_BUF_INIT;
	bool folder = is_folder(spec);
	struct stat st;
	int rc = 0;

	if (nmfa > 1 && !folder && !strstr(spec, KW_EXEC_USER_PLACEHOLDER))
		return kw_error_set(err, KW_ERR_USAGE, opt,
		                    "the plan enrolls %zu MFA devices, and '%s' is one file: give a folder "
		                    "(DIR/: one USER.%s each) or a name with " KW_EXEC_USER_PLACEHOLDER,
		                    nmfa, spec, ext);
	for (size_t i = 0; i < plan->nsteps && rc == 0; i++) {
		const struct kw_step *s = &plan->steps[i];

		if (s->resource != KW_RES_MFA)
			continue;
		if (kw_exec_user_path(spec, plan->desired[s->account].user_name, ext, &path, err)) {
			rc = -1;
			break;
		}
		if (no_clobber && !lstat(path.data, &st)) {
			rc = kw_error_set(
			        err, KW_ERR_CONFLICT, opt,
			        "%s exists: an MFA seed file is never overwritten; nothing was changed",
			        path.data);
			break;
		}
		/* the file's folder must exist; a missing DIR/ is created, so its parent must */
		if (folder && stat(spec, &st) ? folder_of(spec, strlen(spec), &dir)
		                              : folder_of(path.data, path.len, &dir)) {
			rc = kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			break;
		}
		if (stat(dir.data, &st) || !S_ISDIR(st.st_mode))
			rc = kw_error_set(err, KW_ERR_IO, opt, "no folder %s for %s; nothing was changed",
			                  dir.data, path.data);
	}
	kw_buf_release(&path);
	kw_buf_release(&dir);
	return rc;
}

void kw_exec_sweep_targets(const struct kw_plan *plan)
{
	for (size_t i = 0; i < plan->naccounts; i++)
		for (size_t j = 0; plan->desired[i].sinks && j < plan->desired[i].ndeliver; j++)
			kw_keys_sweep(&plan->desired[i].sinks[j]);
}

/* The AWS account of a user's ARN into account (16 bytes), "" when arn is NULL or not one. */
static const char *account_of(const char *arn, char account[16])
{
	if (!arn || kw_live_account_id(arn, account, 16))
		account[0] = '\0';
	return account;
}

void kw_exec_record_targets(const struct kw_plan *plan)
{
	char account[16];

	for (size_t i = 0; i < plan->naccounts; i++) {
		const struct kw_live_account *l = &plan->live[i];
		const struct kw_desired *d = &plan->desired[i];

		for (size_t j = 0; l->user.exists && l->user.arn && j < l->ntargets && j < d->ndeliver; j++)
			if (l->targets[j].held == KW_KEY_HELD_KEY && l->targets[j].listed)
				kw_key_record_note(account_of(l->user.arn, account), d->user_name,
				                   l->targets[j].id, &d->sinks[j], 1);
	}
}

int kw_exec_check_outputs(struct kw_aws_client *c, const struct kw_plan *plan, const struct kw_exec_opts *o,
                          struct kw_error *err)
{
	size_t nmfa = 0;

	if (kw_checks_targets(c, plan, o->aws_opts, err))
		return -1;

	for (size_t i = 0; i < plan->nsteps; i++)
		nmfa += plan->steps[i].resource == KW_RES_MFA;
	if (!nmfa)
		return 0;
	if (o->mfa_seed_out && check_output(plan, nmfa, "--mfa-seed-out", o->mfa_seed_out, "seed", true, err))
		return -1;
	if (o->qr_png && check_output(plan, nmfa, "--qr-png", o->qr_png, "png", false, err))
		return -1;
	if (o->qr_svg && check_output(plan, nmfa, "--qr-svg", o->qr_svg, "svg", false, err))
		return -1;
	return 0;
}

/* Where an output option puts user's file (a new path in out), creating a DIR/ folder. */
static int user_output(const char *spec, const char *user, const char *ext, struct kw_buf *out,
                       struct kw_error *err)
{
	if (make_folder(spec, err))
		return -1;
	return kw_exec_user_path(spec, user, ext, out, err);
}

bool kw_exec_needs_mfa_input(const struct kw_plan *plan, const struct kw_exec_opts *o)
{
	if (o->mfa_seed_out || o->mfa_seed_exec || (o->interactive && o->ask_codes))
		return false;
	for (size_t i = 0; i < plan->nsteps; i++)
		if (plan->steps[i].resource == KW_RES_MFA)
			return true;
	return false;
}

/*
 * Typed codes that cannot be what EnableMFADevice wants: 1 with *why set (a sentence for the
 * person), 0 when they may be, -1 with err set.
 */
static int typed_codes_refused(const struct kw_secret *seed, const char *c1, const char *c2, const char **why,
                               struct kw_error *err)
{
	enum kw_totp_pair found;

	if (kw_totp_pair_check(seed, (int64_t)time(NULL), MFA_LOCAL_WINDOW, MFA_LOCAL_WINDOW, c1, c2, &found,
	                       err))
		return -1;
	switch (found) {
	case KW_TOTP_PAIR_OK: return 0;
	case KW_TOTP_PAIR_SAME:
		*why = "the two codes are the same: the second must be the next code the app shows";
		break;
	case KW_TOTP_PAIR_NOT_CONSECUTIVE:
		*why = "the codes are not consecutive: type the code the app shows right after the first";
		break;
	case KW_TOTP_PAIR_UNKNOWN:
		*why = "the codes are not this device's (is it the entry named above? is the phone's "
		       "clock right?)";
		break;
	}
	kw_log(KW_LOG_WARN, "MFA codes refused before calling IAM: %s", *why);
	return 1;
}

/* One prompt for the thread that called kw_exec_run (engine/runner.h kw_runner_on_caller). */
struct ask {
	const struct kw_exec_opts *o;
	const struct kw_mfa_prompt *p;
	char *code1, *code2;
	struct kw_error *err;
};

static int answer(void *arg)
{
	struct ask *a = arg;

	return a->o->ask_codes(a->o->ud, a->p, a->code1, a->code2, a->err);
}

/* o->ask_codes, run by the thread that takes Ctrl-C, so that a stop interrupts its read. */
static int ask_codes(struct run *r, const struct kw_mfa_prompt *p, char code1[KW_TOTP_CODE_MAX],
                     char code2[KW_TOTP_CODE_MAX], struct kw_error *err)
{
	struct ask a = {.o = r->o, .p = p, .code1 = code1, .code2 = code2, .err = err};

	return kw_runner_on_caller(r->runner, answer, &a);
}

static int mfa_step(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	const struct kw_exec_opts *o = r->o;
	const struct kw_desired *d = want(r, s);
	struct kw_iam_virtual_mfa dev = {0};
	struct kw_secret *uri = NULL;
	char c1[KW_TOTP_CODE_MAX] = "", c2[KW_TOTP_CODE_MAX] = "", acct[64];
	const char *label = o->account_label;
	bool computed = o->mfa_seed_out || o->mfa_seed_exec, seed_written = false, qr_locked = false;
	struct kw_buf seed_path = KW_BUF_INIT, scratch = KW_BUF_INIT; /* QR file, seed command */
	struct kw_mfa_prompt prompt;
	int rc = -1, attempt, local_refusals = 0;

	if (!computed && !(o->interactive && o->ask_codes))
		return kw_error_set(
		        err, KW_ERR_USAGE, d->user_name,
		        "enrolling a virtual MFA device needs a terminal (QR code, two codes from the "
		        "authenticator app) or --mfa-seed-out FILE / --mfa-seed-exec CMD");
	if (s->replaces && mfa_delete(r, s->replaces, err))
		return kw_error_prefix(err, "deleting the unassigned device %s", s->replaces);
	if (mfa_create(r, s, &dev, err))
		goto out;
	if (!label && r->user_arn[s->account] &&
	    !kw_live_account_id(r->user_arn[s->account], acct, sizeof(acct)))
		label = acct;
	if (kw_otpauth_uri(d->user_name, label ? label : "aws", dev.seed_base32, &uri, err))
		goto cleanup;
	if (o->qr_png && (user_output(o->qr_png, d->user_name, "png", &scratch, err) ||
	                  kw_qr_write_png(uri, scratch.data, 0, err)))
		goto cleanup;
	if (o->qr_svg && (user_output(o->qr_svg, d->user_name, "svg", &scratch, err) ||
	                  kw_qr_write_svg(uri, scratch.data, err)))
		goto cleanup;
	if (o->mfa_seed_out) {
		if (user_output(o->mfa_seed_out, d->user_name, "seed", &seed_path, err) ||
		    kw_mfa_seed_write(seed_path.data, dev.seed_base32, err))
			goto cleanup;
		seed_written = true;
	}
	if (o->mfa_seed_exec) {
		kw_buf_reset(&scratch);
		if (expand_user(o->mfa_seed_exec, d->user_name, &scratch)) {
			kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			goto cleanup;
		}
		if (kw_mfa_seed_exec(scratch.data, dev.seed_base32, err))
			goto cleanup;
	}
	prompt = (struct kw_mfa_prompt){.device = d->user_name,
	                                .account = label ? label : "aws",
	                                .uri = uri,
	                                .seed_b32 = dev.seed_base32};
	if (!computed) {
		pthread_mutex_lock(&r->sh->mfa_lock); /* one QR code on the screen at a time */
		qr_locked = true;
	}
	for (attempt = 1; attempt <= MFA_TRIES; attempt++) {
		int en;

		prompt.attempt = attempt;
		if (computed ? kw_totp_enable_codes(dev.seed_base32, (int64_t)time(NULL), c1, c2, err)
		             : ask_codes(r, &prompt, c1, c2, err))
			goto cleanup;
		if (!computed) {
			int bad = typed_codes_refused(dev.seed_base32, c1, c2, &prompt.refused, err);

			if (bad < 0)
				goto cleanup;
			if (bad) {
				OPENSSL_cleanse(c1, sizeof(c1));
				OPENSSL_cleanse(c2, sizeof(c2));
				if (++local_refusals >= MFA_LOCAL_TRIES) {
					kw_error_set(err, KW_ERR_ABORTED, d->user_name,
					             "MFA codes refused %d times before IAM was called: %s",
					             local_refusals, prompt.refused);
					goto cleanup;
				}
				attempt--; /* IAM was not asked: not one of its tries */
				continue;
			}
		}
		en = mfa_enable(r, d->user_name, dev.serial_number, c1, c2, err);
		OPENSSL_cleanse(c1, sizeof(c1));
		OPENSSL_cleanse(c2, sizeof(c2));
		if (en == 0)
			break;
		if (!is_code(err, "InvalidAuthenticationCode"))
			goto cleanup;
		kw_log(KW_LOG_WARN, "IAM refused the MFA codes (try %d of %d)", attempt, MFA_TRIES);
		prompt.refused = "IAM refused the codes (InvalidAuthenticationCode)";
		if (computed)
			kw_sleep_ms(1000, !r->hold);
		if (stop_check(r, "apply", err))
			goto cleanup;
	}
	if (qr_locked) {
		pthread_mutex_unlock(&r->sh->mfa_lock);
		qr_locked = false;
	}
	if (attempt > MFA_TRIES) {
		kw_error_prefix(err, "MFA codes refused %d times", MFA_TRIES);
		goto cleanup;
	}
	free(r->serial);
	if (!(r->serial = strdup(dev.serial_number))) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	rc = 0;
	goto out;
cleanup:
	if (qr_locked)
		pthread_mutex_unlock(&r->sh->mfa_lock);
	/*
	 * enabling failed: no unenabled device is left behind, nor the seed of a device that is
	 * gone. The seed file goes only once the device is deleted: a device IAM still has (it may
	 * be enabled after all, DeleteConflict) keeps its seed, or nobody could ever use it.
	 */
	if (dev.serial_number) {
		struct kw_error e2;

		if (mfa_delete(r, dev.serial_number, &e2)) {
			kw_log(KW_LOG_WARN, "could not delete the MFA device %s: %s", dev.serial_number,
			       e2.msg);
			if (seed_written)
				kw_log(KW_LOG_WARN, "kept its seed in %s", seed_path.data);
			seed_written = false;
		} else {
			kw_log(KW_LOG_INFO, "deleted the unenabled MFA device %s", dev.serial_number);
		}
	}
	if (seed_written)
		(void)unlink(seed_path.data);
out:
	OPENSSL_cleanse(c1, sizeof(c1));
	OPENSSL_cleanse(c2, sizeof(c2));
	kw_buf_release(&seed_path);
	kw_buf_release(&scratch);
	kw_secret_free(uri);
	kw_iam_virtual_mfa_release(&dev);
	return rc;
}

/* --- 8. access keys ------------------------------------------------------------------------ */

/* The client options of step s's account: its AWS account's (--role-arn), else the run's. */
static const struct kw_aws_options *opts_of(const struct run *r, const struct kw_step *s)
{
	const struct kw_desired *d = want(r, s);

	return d->aws_opts ? d->aws_opts : r->o->aws_opts;
}

/* The issuer of step s's keys: the run's client, the account's user, --confirm-timeout. */
static struct kw_key_issuer issuer_of(const struct run *r, const struct kw_step *s)
{
	return (struct kw_key_issuer){.c = r->c,
	                              .user = want(r, s)->user_name,
	                              .aws_opts = opts_of(r, s),
	                              .timeout = timeout_of(r),
	                              .tags = true};
}

/* Delivery to the account's targets (keys/issue.h kw_key_deliver_fn). */
struct key_delivery {
	struct run *r;
	const struct kw_step *s;
};

static int key_deliver(void *ud, const struct kw_access_key *ak, size_t *written, struct kw_error *err)
{
	struct key_delivery *kd = ud;
	const struct kw_desired *d = want(kd->r, kd->s);
	char name[512];

	*written = 0;
	for (size_t i = 0; i < d->ndeliver; i++) {
		struct kw_key_sink sink = d->sinks[i];

		if (sink.kind == KW_KEY_SINK_STDOUT)
			sink.fp = kd->r->o->stdout_sink ? kd->r->o->stdout_sink : stdout;
		sink.aws = opts_of(kd->r, kd->s);
		kw_keys_sink_describe(&sink, name, sizeof(name));
		if ((kw_checks_holds_key(kd->r->plan, kd->s->account, i) ? kw_keys_replace
		                                                         : kw_keys_deliver)(&sink, ak, err))
			return kw_error_prefix(err, "delivering the new key to %s", name);
		*written = i + 1;
		emit(kd->r, KW_EV_DELIVERED, kd->s, KW_EXEC_RUNNING, 0, name, ak->access_key_id, NULL);
	}
	return 0;
}

/* After the new key was deleted: a file this run created holds a dead key, and would refuse
 * the next run's key. */
static void key_undeliver(void *ud, size_t written)
{
	struct key_delivery *kd = ud;
	const struct kw_desired *d = want(kd->r, kd->s);

	for (size_t i = 0; i < written; i++)
		if (d->sinks[i].kind == KW_KEY_SINK_FILE && d->sinks[i].target && !unlink(d->sinks[i].target))
			kw_log(KW_LOG_INFO, "removed %s, which held the deleted key", d->sinks[i].target);
}

/* Step 8: the key, through the one key-issuing path (keys/issue.h): deliver, then prove. */
static int key_step(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	const struct kw_desired *d = want(r, s);
	struct kw_key_issuer is = issuer_of(r, s);
	struct key_delivery kd = {r, s};
	const struct kw_live_account *l = &r->plan->live[s->account];
	const char **held = calloc(l->ntargets ? l->ntargets : 1, sizeof(*held));
	struct kw_key_issue_result res;
	char account[16];
	int rc;

	if (!held)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	if (!d->ndeliver || !d->sinks) {
		free(held);
		return kw_error_set(err, KW_ERR_INTERNAL, d->user_name,
		                    "an access key without delivery targets");
	}
	/* the keys the targets hold are never taken for a lost answer's (keys/issue.h) */
	for (size_t j = 0; j < l->ntargets; j++)
		if (l->targets[j].held == KW_KEY_HELD_KEY)
			held[is.nheld++] = l->targets[j].id;
	is.held = held;
	rc = kw_key_issue(&is, r->user_arn[s->account], key_deliver, key_undeliver, &kd, &res, err);
	free(held);
	if (!rc && res.id[0]) /* where it went, for pruning without the manifest (keys/record.h) */
		kw_key_record_note(account_of(r->user_arn[s->account], account), d->user_name, res.id,
		                   d->sinks, d->ndeliver);
	if (res.created && !res.deleted)
		r->res->keys_created++;
	r->reads += (int)res.proofs;
	r->res->confirm_reads += res.proofs;
	r->res->confirm_seconds += res.proof_seconds;
	return rc;
}

/* After step s deleted a key: remove its keywarden tags (delivered, grace) that the user has
 * (best effort). */
static void untag_deleted(struct run *r, const struct kw_step *s)
{
	const char *user = want(r, s)->user_name;
	char names[2][160];
	const char *keys[2];
	size_t n = 0;
	struct kw_error e2;

	if (!kw_delivered_tag_key(s->subject, names[0], sizeof(names[0])) &&
	    kw_taglist_find(&r->plan->live[s->account].user.tags, names[0]))
		keys[n++] = names[0];
	if (!kw_grace_tag_key(s->subject, names[1], sizeof(names[1])) &&
	    kw_taglist_find(&r->plan->live[s->account].user.tags, names[1]))
		keys[n++] = names[1];
	if (n && kw_iam_untag_user(r->c, user, keys, n, &e2))
		kw_log(KW_LOG_WARN, "could not remove the keywarden tags of deleted key %s of %s: %s",
		       s->subject, user, e2.msg);
}

static int key_gone_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	struct kw_key_issuer is = issuer_of(r, s);

	is.tags = false; /* only the tags the user has: untag_deleted */
	if (kw_key_delete(&is, s->subject, err))
		return -1;
	untag_deleted(r, s);
	return 0;
}

/* Whether IAM lists the key step s names (*there) and as active (*active). Returns 0 or -1. */
static int key_listed(struct run *r, const struct kw_step *s, bool *there, bool *active, struct kw_error *err)
{
	struct kw_iam_access_key_list l = {0};

	*there = *active = false;
	if (kw_iam_list_access_keys(r->c, want(r, s)->user_name, &l, err))
		return -1;
	for (size_t i = 0; i < l.n; i++)
		if (l.items[i].access_key_id && !strcmp(l.items[i].access_key_id, s->subject)) {
			*there = true;
			*active = l.items[i].status == KW_IAM_KEY_ACTIVE;
		}
	kw_iam_access_key_list_release(&l);
	return 0;
}

static int key_gone_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	bool there, active;

	return key_listed(r, s, &there, &active, err) ? -1 : !there;
}

/*
 * The key the new key replaced, or a rotation's leftover (plan.h: update access-key): read the
 * targets again first — never a key a target holds, nor while a target cannot be read, and
 * only once a target holds another key — then deactivated and kept for rotate's grace period,
 * by rotate's own code (lifecycle/rotate.h kw_lc_rotate_retire).
 */
static int key_retire_write(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	const struct kw_desired *d = want(r, s);
	struct kw_key_issuer is = issuer_of(r, s);
	struct kw_lc_rot_result res;
	char holds[KW_KEYS_ID_MAX] = "";

	for (size_t i = 0; i < d->ndeliver; i++) {
		struct kw_key_sink sink = d->sinks[i];
		char id[KW_KEYS_ID_MAX], name[512];
		enum kw_key_held h;

		sink.aws = opts_of(r, s);
		h = kw_keys_held(&sink, id, NULL);
		kw_keys_sink_describe(&sink, name, sizeof(name));
		if (h == KW_KEY_HELD_UNKNOWN || (h == KW_KEY_HELD_KEY && !strcmp(id, s->subject)))
			return kw_error_set(err, KW_ERR_CONFLICT, d->user_name,
			                    "access key %s is left active: %s %s", s->subject, name,
			                    h == KW_KEY_HELD_KEY ? "holds it" : "cannot be read");
		if (h == KW_KEY_HELD_KEY && !holds[0])
			snprintf(holds, sizeof(holds), "%s", id);
	}
	if (!holds[0])
		return kw_error_set(err, KW_ERR_CONFLICT, d->user_name,
		                    "access key %s is left active: no delivery target holds another key",
		                    s->subject);
	if (kw_lc_rotate_retire(&is, s->subject, holds, KW_DEFAULT_GRACE_DAYS, &res, err))
		return -1;
	kw_log(KW_LOG_INFO, "%s: access key %s deactivated, inactive until %s (the targets hold %s)",
	       d->user_name, s->subject, res.grace_until, holds);
	return 0;
}

/* Read-back of a deactivation: IAM lists the key as Inactive (or no longer). */
static int key_inactive_check(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	bool there, active;

	return key_listed(r, s, &there, &active, err) ? -1 : !active;
}

/* --- the run ------------------------------------------------------------------------------- */

static int run_step(struct run *r, const struct kw_step *s, struct kw_error *err)
{
	write_fn w = NULL;
	check_fn chk = NULL;

	switch (s->resource) {
	case KW_RES_USER: w = user_write, chk = user_check; break;
	case KW_RES_BOUNDARY: w = boundary_write, chk = user_check; break;
	case KW_RES_GROUP: w = group_write, chk = group_check; break;
	case KW_RES_MEMBERSHIP: w = membership_write, chk = membership_check; break;
	case KW_RES_GROUP_POLICY: w = group_policy_write, chk = group_policy_check; break;
	case KW_RES_GROUP_ATTACHMENT:
	case KW_RES_USER_ATTACHMENT: w = attachment_write, chk = attachment_check; break;
	case KW_RES_USER_POLICY: w = user_policy_write, chk = user_policy_check; break;
	case KW_RES_LOGIN_PROFILE: w = login_profile_write, chk = login_profile_check; break;
	case KW_RES_TAGS: w = tags_write, chk = tags_check; break;
	case KW_RES_MFA:
		if (mfa_step(r, s, err))
			return -1;
		return gate(r, s, mfa_check, err);
	case KW_RES_ACCESS_KEY:
		if (s->action == KW_ACT_CREATE) {
			bool held;
			int rc;

			r->hold = true; /* from CreateAccessKey to delivered and confirmed, or deleted */
			held = kw_deadline_hold(true); /* nor does the no-progress deadline stop it */
			rc = key_step(r, s, err);
			kw_deadline_hold(held);
			r->hold = false;
			return rc;
		}
		if (s->action == KW_ACT_UPDATE)
			w = key_retire_write, chk = key_inactive_check;
		else
			w = key_gone_write, chk = key_gone_check;
		break;
	}
	if (!w || !chk)
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "no executor for step kind %d",
		                    (int)s->resource);
	if (do_write(r, s, w, err))
		return -1;
	return gate(r, s, chk, err);
}

/*
 * Overlap inside an account: steps run in waves, the steps of one wave at the same time, a
 * wave only once the one before it is confirmed. 0: the user and the group (everything else
 * acts on them). The group is created once the user exists for sure (CreateUser answered, or
 * the user's read-back confirmed it is ours), beside the user's read-back: every group
 * keywarden made has a tagged user (plan.h). 1: what acts on the user or the group
 * (boundary, console, tags, user policies, MFA, membership, group policies); 2: access keys,
 * one after another in plan order, after every other step is confirmed.
 */
#define WAVES 3

static int wave_of(const struct kw_step *s)
{
	switch (s->resource) {
	case KW_RES_USER:
	case KW_RES_GROUP: return 0;
	case KW_RES_ACCESS_KEY: return 2;
	default: return 1;
	}
}

/* Steps of one account that run one after another in one thread. */
struct lane {
	struct sched *sh;
	struct kw_runner *runner;
	bool user_step;      /* the account's user step runs beside this lane (its group waits for it) */
	const size_t *steps; /* plan step indices (borrowed) */
	size_t n;
	struct kw_exec_result res;
	struct kw_error err;
	bool failed, stopped; /* a step failed; a stop request came first */
	pthread_t th;
	bool threaded; /* th runs it */
};

/* The lane's steps from from on are not run: counted and reported. */
static void not_run_from(struct run *r, const size_t *steps, size_t n, size_t from)
{
	for (size_t j = from; j < n; j++) {
		r->index = steps[j];
		r->res->not_run++;
		emit(r, KW_EV_STEP, &r->plan->steps[steps[j]], KW_EXEC_NOT_RUN, 0, NULL, NULL, NULL);
	}
}

/* The client the steps of account a run through: its AWS account's (--role-arn), else the run's. */
static struct kw_aws_client *client_of(const struct sched *sh, size_t a)
{
	return sh->plan->desired[a].client ? sh->plan->desired[a].client : sh->c;
}

static void *run_lane(void *arg)
{
	struct lane *l = arg;
	struct sched *sh = l->sh;
	struct run r = {.c = l->n ? client_of(sh, sh->plan->steps[l->steps[0]].account) : sh->c,
	                .plan = sh->plan,
	                .o = sh->o,
	                .sh = sh,
	                .runner = l->runner,
	                .res = &l->res,
	                .user_arn = sh->user_arn};

	kw_error_clear(&l->err);
	for (size_t j = 0; j < l->n; j++) {
		const struct kw_step *s = &sh->plan->steps[l->steps[j]];
		double t0 = now_s();
		char detail[96];

		r.index = l->steps[j];
		r.reads = 0;
		if (s->resource == KW_RES_GROUP && l->user_step && !wait_user_made(sh, s->account)) {
			/* the user step ended without a user: the group is not made either */
			l->stopped = true;
			not_run_from(&r, l->steps, l->n, j);
			break;
		}
		if (stop_check(&r, "apply", &l->err)) {
			/* a stop request between steps: what is done stays done, the rest is not run */
			l->stopped = true;
			not_run_from(&r, l->steps, l->n, j);
			break;
		}
		emit(&r, KW_EV_STEP, s, KW_EXEC_RUNNING, 0, NULL, NULL, NULL);
		if (run_step(&r, s, &l->err)) {
			l->res.failed++;
			l->failed = true;
			emit(&r, KW_EV_STEP, s, KW_EXEC_FAILED, now_s() - t0, NULL, NULL, &l->err);
			not_run_from(&r, l->steps, l->n, j + 1);
			break;
		}
		l->res.done++;
		if (s->resource == KW_RES_USER)
			user_made(sh, s->account, 1); /* confirmed: ours */
		if (snprintf(detail, sizeof(detail), "confirmed by %d read-back%s", r.reads,
		             r.reads == 1 ? "" : "s") >= (int)sizeof(detail))
			detail[0] = '\0';
		emit(&r, KW_EV_STEP, s, KW_EXEC_DONE, now_s() - t0, detail, NULL, NULL);
	}
	for (size_t j = 0; j < l->n; j++) /* a user step that ended otherwise: no user to wait for */
		if (sh->plan->steps[l->steps[j]].resource == KW_RES_USER)
			user_made(sh, sh->plan->steps[l->steps[j]].account, -1);
	free(r.serial);
	return NULL;
}

static void add_result(struct kw_exec_result *to, const struct kw_exec_result *from)
{
	to->done += from->done;
	to->failed += from->failed;
	to->not_run += from->not_run;
	to->keys_created += from->keys_created;
	to->confirm_reads += from->confirm_reads;
	to->confirm_seconds += from->confirm_seconds;
}

/*
 * Run one wave: a lane per step (the key wave: one lane), side by side. Adds to res; the first
 * failure goes to err (when none yet). Returns 1 when the account must stop, else 0.
 */
static int run_wave(struct sched *sh, struct kw_runner *runner, const size_t *steps, size_t n, bool serial,
                    bool user_step, struct kw_exec_result *res, struct kw_error *err, bool *failed,
                    bool *stopped)
{
	struct lane one, *lanes = NULL;
	size_t nl = serial || n == 1 ? 1 : n;

	if (nl == 1) {
		lanes = &one;
	} else if (!(lanes = calloc(nl, sizeof(*lanes)))) {
		lanes = &one;
		nl = 1; /* no memory for lanes: one after another */
	}
	memset(lanes, 0, nl * sizeof(*lanes));
	for (size_t i = 0; i < nl; i++) {
		lanes[i].sh = sh;
		lanes[i].runner = runner;
		lanes[i].user_step = user_step;
		lanes[i].steps = nl == 1 ? steps : &steps[i];
		lanes[i].n = nl == 1 ? n : 1;
	}
	/* lanes 1.. in threads of their own, lane 0 here; a lane without a thread runs here too */
	for (size_t i = 1; i < nl; i++)
		lanes[i].threaded = !pthread_create(&lanes[i].th, NULL, run_lane, &lanes[i]);
	for (size_t i = 0; i < nl; i++)
		if (!lanes[i].threaded)
			run_lane(&lanes[i]);
	for (size_t i = 1; i < nl; i++)
		if (lanes[i].threaded)
			pthread_join(lanes[i].th, NULL);
	for (size_t i = 0; i < nl; i++) {
		add_result(res, &lanes[i].res);
		if ((lanes[i].failed || lanes[i].stopped) && !*failed && !*stopped)
			*err = lanes[i].err;
		*failed |= lanes[i].failed;
		*stopped |= lanes[i].stopped;
	}
	if (lanes != &one)
		free(lanes);
	return *failed || *stopped;
}

/*
 * Run one account: its steps in waves (gates before its key); a failure or a stop request
 * stops this account only. Reports KW_EV_ACCOUNT at the end and adds its counts to the total.
 */
static void run_account(void *ud, struct kw_runner *runner, size_t account)
{
	struct sched *sh = ud;
	const size_t *mine = &sh->order[sh->first[account]];
	size_t n = sh->count[account], nw[WAVES] = {0}, *w[WAVES] = {NULL}, *buf;
	struct kw_exec_result res = {0};
	struct kw_error err;
	enum kw_exec_status st;
	struct kw_exec_event ev;
	bool user_step = false, failed = false, stopped = false;

	kw_error_clear(&err);
	for (size_t j = 0; j < n; j++)
		user_step |= sh->plan->steps[mine[j]].resource == KW_RES_USER;
	buf = calloc(n ? n : 1, sizeof(*buf));
	if (!buf) { /* no memory for waves: the plan order, one after another */
		(void)run_wave(sh, runner, mine, n, true, false, &res, &err, &failed, &stopped);
	} else {
		size_t at = 0;

		for (int k = 0; k < WAVES; k++) {
			w[k] = buf + at;
			for (size_t j = 0; j < n; j++)
				if (wave_of(&sh->plan->steps[mine[j]]) == k)
					w[k][nw[k]++] = mine[j];
			at += nw[k];
		}
		for (int k = 0; k < WAVES; k++) {
			if (!nw[k])
				continue;
			if (failed || stopped) { /* an earlier wave stopped the account */
				struct run r = {.plan = sh->plan,
				                .o = sh->o,
				                .sh = sh,
				                .runner = runner,
				                .res = &res};

				not_run_from(&r, w[k], nw[k], 0);
				continue;
			}
			(void)run_wave(sh, runner, w[k], nw[k], k == WAVES - 1, user_step, &res, &err,
			               &failed, &stopped);
		}
	}
	free(buf);
	st = failed || (stopped && res.done) ? KW_EXEC_FAILED : stopped ? KW_EXEC_NOT_RUN : KW_EXEC_DONE;
	ev = (struct kw_exec_event){.kind = KW_EV_ACCOUNT,
	                            .account = account,
	                            .step = &sh->plan->steps[mine[0]],
	                            .index = mine[0],
	                            .status = st,
	                            .err = st == KW_EXEC_DONE ? NULL : &err};
	kw_runner_lock(runner);
	if (sh->o->on_event)
		sh->o->on_event(sh->o->ud, &ev);
	add_result(sh->total, &res);
	sh->total->accounts_done += st == KW_EXEC_DONE;
	sh->total->accounts_failed += st == KW_EXEC_FAILED;
	sh->total->accounts_not_run += st == KW_EXEC_NOT_RUN;
	if (st != KW_EXEC_DONE && !sh->failed) {
		sh->failed = true;
		*sh->err = err;
	}
	kw_runner_unlock(runner);
}

/* Whether an account has steps: accounts without are not run (engine/runner.h wanted). */
static bool has_steps(void *ud, size_t account)
{
	const struct sched *sh = ud;

	return sh->count[account] > 0;
}

/* Group the plan's steps by account, keeping plan order inside each (sh->order, first, count). */
static int group_steps(struct sched *sh)
{
	const struct kw_plan *plan = sh->plan;
	size_t n = plan->naccounts ? plan->naccounts : 1, *fill;

	sh->order = calloc(plan->nsteps ? plan->nsteps : 1, sizeof(size_t));
	sh->first = calloc(n, sizeof(size_t));
	sh->count = calloc(n, sizeof(size_t));
	fill = calloc(n, sizeof(size_t));
	if (!sh->order || !sh->first || !sh->count || !fill) {
		free(fill);
		return -1;
	}
	for (size_t i = 0; i < plan->nsteps; i++)
		sh->count[plan->steps[i].account]++;
	for (size_t a = 1; a < plan->naccounts; a++)
		sh->first[a] = sh->first[a - 1] + sh->count[a - 1];
	for (size_t i = 0; i < plan->nsteps; i++) {
		size_t a = plan->steps[i].account;

		sh->order[sh->first[a] + fill[a]++] = i;
	}
	free(fill);
	return 0;
}

int kw_exec_run(struct kw_aws_client *c, const struct kw_plan *plan, const struct kw_exec_opts *o,
                struct kw_exec_result *res, struct kw_error *err)
{
	struct sched sh = {.plan = plan, .o = o, .c = c, .total = res, .err = err};
	struct kw_runner_spec rs = {.n = plan->naccounts,
	                            .parallelism = o->parallelism,
	                            .wanted = has_steps,
	                            .run = run_account,
	                            .ud = &sh};
	int rc = -1;

	memset(res, 0, sizeof(*res));
	kw_error_clear(err);
	if (pthread_mutex_init(&sh.mfa_lock, NULL))
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "cannot create a mutex");
	if (pthread_mutex_init(&sh.made_lock, NULL) || pthread_cond_init(&sh.made_cv, NULL)) {
		pthread_mutex_destroy(&sh.mfa_lock);
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "cannot create a mutex");
	}
	sh.user_arn = calloc(plan->naccounts ? plan->naccounts : 1, sizeof(char *));
	sh.made = calloc(plan->naccounts ? plan->naccounts : 1, sizeof(*sh.made));
	if (!sh.user_arn || !sh.made || group_steps(&sh)) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < plan->naccounts; i++) {
		if (plan->live[i].user.arn && !(sh.user_arn[i] = strdup(plan->live[i].user.arn))) {
			kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
	}
	if (kw_runner_run(&rs, err))
		goto out;
	rc = sh.failed ? -1 : 0;
out:
	for (size_t i = 0; sh.user_arn && i < plan->naccounts; i++)
		free(sh.user_arn[i]);
	free(sh.user_arn);
	free(sh.order);
	free(sh.first);
	free(sh.count);
	free(sh.made);
	pthread_cond_destroy(&sh.made_cv);
	pthread_mutex_destroy(&sh.made_lock);
	pthread_mutex_destroy(&sh.mfa_lock);
	return rc;
}
