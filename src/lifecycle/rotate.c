/*
 * rotate.c - the IAM work of rotate (rotate.h): the state machine's operations for service
 * accounts and for local profiles, on top of the one key-issuing path (keys/issue.h).
 */
#include "lifecycle/rotate.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/iam.h"
#include "aws/ini.h"
#include "engine/account.h"
#include "engine/live.h"
#include "engine/runner.h"
#include "keys/issue.h"
#include "keys/record.h"
#include "keys/sink.h"
#include "lifecycle/audit.h"
#include "lifecycle/destroy.h"
#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/wait.h"

/* One event to the caller, one at a time (r: the runner of the accounts, NULL for profiles). */
static void emit(const struct kw_lc_rotate_opts *o, struct kw_runner *r, const struct kw_lc_rotate_event *ev)
{
	if (!o || !o->on_event)
		return;
	kw_runner_lock(r);
	o->on_event(o->ud, ev);
	kw_runner_unlock(r);
}

/* The state machine's safe points (before any change, before CreateAccessKey): Ctrl-C stops there. */
static int check_stop(void *ud, struct kw_error *err)
{
	(void)ud;
	return kw_interrupt_check(NULL, err);
}

/* CreateAccessKey through the one key-issuing path; the secret moves to *secret. */
static int create_key(const struct kw_key_issuer *is, char *id, struct kw_secret **secret, time_t *created,
                      struct kw_error *err)
{
	struct kw_new_key k;

	if (kw_key_create(is, &k, err))
		return -1;
	snprintf(id, KW_LC_KEY_ID_MAX, "%s", k.id);
	*secret = k.secret;
	k.secret = NULL;
	*created = k.created;
	kw_new_key_release(&k);
	return 0;
}

/* UpdateAccessKey Status=Inactive, retried while transient. */
static int deactivate(const struct kw_key_issuer *is, const char *id, struct kw_error *err)
{
	struct kw_wait w;

	kw_wait_begin(&w, is->timeout, false);
	while (kw_iam_update_access_key(is->c, is->user, id, KW_IAM_KEY_INACTIVE, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	return 0;
}

/* The user's keys (retried while transient) with what their grace tags say. keys[i].id borrows from list. */
static int read_keys(struct kw_aws_client *c, const char *user, const struct kw_iam_tag_list *tags,
                     struct kw_iam_access_key_list *list, struct kw_lc_rot_key **keys, struct kw_error *err)
{
	struct kw_wait w;

	kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
	while (kw_iam_list_access_keys(c, user, list, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	*keys = calloc(list->n ? list->n : 1, sizeof(**keys));
	if (!*keys)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < list->n; i++) {
		struct kw_lc_rot_key *k = &(*keys)[i];
		char tagkey[160];

		k->id = list->items[i].access_key_id;
		k->active = list->items[i].status == KW_IAM_KEY_ACTIVE;
		k->created = list->items[i].create_date;
		if (!tags || kw_grace_tag_key(k->id, tagkey, sizeof(tagkey)))
			continue;
		for (size_t j = 0; j < tags->n; j++)
			if (!strcasecmp(tags->items[j].key, tagkey) &&
			    kw_grace_parse(tags->items[j].value, &k->inactive_since, &k->grace_days))
				kw_log(KW_LOG_WARN, "%s: tag %s has an unreadable value, ignored", user,
				       tagkey);
	}
	return 0;
}

static struct kw_lc_rot_opts rot_opts(const struct kw_lc_rotate_opts *o, bool delete_old)
{
	return (struct kw_lc_rot_opts){.delete_inactive = o->delete_inactive,
	                               .delete_old = delete_old,
	                               .grace_days = o->grace_days,
	                               .now = time(NULL)};
}

/* What the operations of both kinds of rotation share; first member of struct svc and struct self. */
struct common {
	struct kw_key_issuer is; /* who issues the keys, for whom */
	time_t created;          /* the new key's CreateDate */
	struct kw_buf delivered; /* "profile x, file y" */
	/* where the events go */
	const struct kw_lc_rotate_opts *o;
	struct kw_runner *runner; /* NULL: one account at a time */
	size_t index;
	const char *account;
};

/* A call of the rotation was done (rc 0): the event for it. Returns rc. */
static int step_done(struct common *k, int rc, enum kw_lc_rotate_action what, const char *id)
{
	if (rc == 0)
		emit(k->o, k->runner,
		     &(struct kw_lc_rotate_event){.kind = KW_LC_ROTATE_STEP,
		                                  .index = k->index,
		                                  .account = k->account,
		                                  .action = what,
		                                  .key_id = id,
		                                  .delivered = k->delivered.data ? k->delivered.data : ""});
	return rc;
}

static int op_create(void *ud, char *id, struct kw_secret **secret, time_t *created, struct kw_error *err)
{
	struct common *k = ud;

	if (create_key(&k->is, id, secret, created, err))
		return -1;
	k->created = *created;
	return step_done(k, 0, KW_LC_ROTATE_CREATED, id);
}

static int op_deactivate(void *ud, const char *id, struct kw_error *err)
{
	struct common *k = ud;

	return step_done(k, deactivate(&k->is, id, err), KW_LC_ROTATE_DEACTIVATED, id);
}

static int op_delete(void *ud, const char *id, struct kw_error *err)
{
	struct common *k = ud;

	/* the machine's untag removes the tags */
	return step_done(k, kw_key_delete(&k->is, id, err), KW_LC_ROTATE_DELETED, id);
}

/* Note that target what now holds the new key. Returns 0, or -1 with err set. */
static int delivered_to(struct common *k, const char *what, struct kw_error *err)
{
	if ((k->delivered.len && kw_buf_puts(&k->delivered, ", ")) || kw_buf_puts(&k->delivered, what))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

/* The rotation of one account ran: tell the caller. */
static void emit_done(const struct kw_lc_rotate_opts *o, const char *account, int rc,
                      const struct kw_lc_rot_result *res, const struct common *k, const struct kw_error *err)
{
	emit(o, k->runner,
	     &(struct kw_lc_rotate_event){.kind = KW_LC_ROTATE_DONE,
	                                  .index = k->index,
	                                  .account = account,
	                                  .rc = rc,
	                                  .res = res,
	                                  .delivered = k->delivered.data ? k->delivered.data : "",
	                                  .err = err});
}

/*
 * --due: whether the account must rotate now. When not, the NOT_DUE event tells why (the oldest
 * active key among the only ones that count, those for which only[i] is true, or all keys when
 * only is NULL). Returns true when due (or without --due).
 */
static bool due_or_report(const struct common *c, int max_age_days, const struct kw_iam_access_key_list *list,
                          const char *only)
{
	const struct kw_lc_rotate_opts *o = c->o;
	const struct kw_iam_access_key *oldest = NULL;
	time_t now = time(NULL);
	long age = 0;

	if (!o->due)
		return true;
	if (!max_age_days)
		max_age_days = KW_LC_DEFAULT_MAX_AGE_DAYS;
	for (size_t i = 0; i < list->n; i++) {
		const struct kw_iam_access_key *k = &list->items[i];
		struct kw_lc_key lk = {.id = k->access_key_id,
		                       .active = k->status == KW_IAM_KEY_ACTIVE,
		                       .created = k->create_date};

		if (only && strcmp(only, k->access_key_id))
			continue;
		if (kw_lc_key_due(&lk, max_age_days, o->within_days, now))
			return true;
		if (lk.active && (!oldest || k->create_date < oldest->create_date))
			oldest = k;
	}
	if (oldest)
		age = kw_lc_age_days(oldest->create_date, now);
	emit(o, c->runner,
	     &(struct kw_lc_rotate_event){.kind = KW_LC_ROTATE_NOT_DUE,
	                                  .index = c->index,
	                                  .account = c->account,
	                                  .key_id = oldest ? oldest->access_key_id : NULL,
	                                  .age_days = age,
	                                  .max_age_days = max_age_days,
	                                  .due_in_days = max_age_days + 1 - age});
	return false;
}

/* --- service accounts ---------------------------------------------------------------------- */

struct svc {
	struct common k; /* is: the admin's client, the account's user */
	const struct kw_lc_rotate_opts *o;
	const struct kw_lc_account *acct;
	char account[16]; /* the user's AWS account (its ARN), for the target record (keys/record.h) */
	/* finishing a delivery that stopped part way: the key some targets hold already, taken
	 * for the new key instead of a CreateAccessKey (svc_create) */
	const struct kw_lc_rot_key *adopt;
	struct kw_lc_rot_key adopt_key; /* what adopt points to */
	struct kw_secret *adopt_secret; /* owned until the machine takes it */
};

static int svc_confirm(void *ud, const char *id, const struct kw_secret *secret, struct kw_error *err)
{
	struct svc *s = ud;

	return step_done(&s->k, kw_key_prove(&s->k.is, id, secret, NULL, true, NULL, NULL, err),
	                 KW_LC_ROTATE_CONFIRMED, id);
}

/* Before CreateAccessKey: every target can take the key (src/keys/sink.h kw_keys_preflight). */
static int svc_create(void *ud, char *id, struct kw_secret **secret, time_t *created, struct kw_error *err)
{
	struct svc *s = ud;
	const struct kw_manifest *m = s->acct->manifest;

	for (size_t i = 0; m && i < m->ndeliver; i++) {
		struct kw_key_sink sink;

		kw_keys_sink_from_manifest(m, &m->deliver[i], s->o->stdout_sink, &sink);
		sink.aws = s->acct->aws_opts ? s->acct->aws_opts : s->o->aws_opts;
		if (kw_keys_preflight(&sink, s->acct->user, true, err))
			return kw_manifest_error_at(err, m, m->deliver[i].line, m->deliver[i].col);
	}
	if (s->adopt) { /* the key some targets hold: the others get it too */
		snprintf(id, KW_LC_KEY_ID_MAX, "%s", s->adopt->id);
		*secret = s->adopt_secret;
		s->adopt_secret = NULL;
		*created = s->k.created = s->adopt->created;
		return 0;
	}
	return op_create(ud, id, secret, created, err);
}

/* DeleteAccessKey, never of the key some targets hold (the undo of a finished delivery). */
static int svc_delete(void *ud, const char *id, struct kw_error *err)
{
	struct svc *s = ud;

	if (s->adopt && !strcmp(id, s->adopt->id))
		return kw_error_set(err, KW_ERR_CONFLICT, NULL, "key %s is held by a delivery target: kept",
		                    id);
	return op_delete(ud, id, err);
}

static int svc_deliver_all(struct svc *s, const char *id, const struct kw_secret *secret, size_t *written,
                           struct kw_error *err)
{
	struct kw_access_key key = {id, secret, s->acct->user, s->k.created};
	const struct kw_manifest *m = s->acct->manifest;
	char what[PATH_MAX + 32];

	*written = 0;
	if (!m) { /* a bare user name: --stdout was required */
		if (kw_keys_deliver_stream(s->o->stdout_sink, &key, err))
			return -1;
		*written = 1;
		return delivered_to(&s->k, "stdout", err);
	}
	for (size_t i = 0; i < m->ndeliver; i++) {
		struct kw_key_sink sink;

		kw_keys_sink_from_manifest(m, &m->deliver[i], s->o->stdout_sink, &sink);
		sink.aws = s->acct->aws_opts ? s->acct->aws_opts : s->o->aws_opts;
		kw_keys_sink_describe(&sink, what, sizeof(what));
		/* a file target holds the old key: replaced, where apply would refuse to overwrite */
		if (kw_keys_replace(&sink, &key, err))
			return kw_error_prefix(err, "%s", what);
		++*written;
		kw_log(KW_LOG_INFO, "%s: key %s delivered to %s", s->acct->user, id, what);
		if (delivered_to(&s->k, what, err))
			return -1;
	}
	return 0;
}

static int svc_deliver(void *ud, const char *id, const struct kw_secret *secret, size_t *written,
                       struct kw_error *err)
{
	struct svc *s = ud;

	return step_done(&s->k, svc_deliver_all(s, id, secret, written, err), KW_LC_ROTATE_DELIVERED, id);
}

/* TagUser keywarden:inactive:<id> = value on the issuer's user, retried while transient. */
static int op_tag_grace(void *ud, const char *id, const char *value, struct kw_error *err)
{
	struct common *k = ud;
	char key[160];
	struct kw_iam_tag tag = {key, (char *)value};
	struct kw_wait w;

	if (kw_grace_tag_key(id, key, sizeof(key)))
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "tag key too long");
	kw_wait_begin(&w, k->is.timeout, false);
	while (kw_iam_tag_user(k->is.c, k->is.user, &tag, 1, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	return step_done(k, 0, KW_LC_ROTATE_GRACE_TAGGED, id);
}

static int op_untag(void *ud, const char *id, struct kw_error *err)
{
	struct common *k = ud;

	return kw_key_untag(&k->is, id, err);
}

/* The manifest's file and profile targets now hold key id: recorded (keys/record.h). */
static void svc_record(const struct svc *s, const char *id)
{
	const struct kw_manifest *m = s->acct->manifest;
	struct kw_key_sink *sinks = m ? calloc(m->ndeliver + 1, sizeof(*sinks)) : NULL;

	for (size_t i = 0; sinks && i < m->ndeliver; i++)
		kw_keys_sink_from_manifest(m, &m->deliver[i], NULL, &sinks[i]);
	if (sinks)
		kw_key_record_note(s->account, s->acct->user, id, sinks, m->ndeliver);
	free(sinks);
}

static int svc_tag_delivered(void *ud, const char *id, struct kw_error *err)
{
	struct svc *s = ud;

	svc_record(s, id);
	return kw_key_tag_delivered(&s->k.is, id, err);
}

/* What the manifest's delivery targets hold (keys/sink.h kw_keys_held), one per target. */
struct held {
	enum kw_key_held *what;
	char (*id)[KW_KEYS_ID_MAX];
	const char **ids; /* the ids of the keys held, for the issuer (keys/issue.h) */
	size_t n;
	bool unknown; /* a target is write-only or cannot be read (or there is no manifest) */
};

static void held_release(struct held *h)
{
	free(h->what);
	free(h->id);
	free(h->ids);
	memset(h, 0, sizeof(*h));
}

static int read_held(const struct svc *s, struct held *h, struct kw_error *err)
{
	const struct kw_manifest *m = s->acct->manifest;

	h->unknown = !m;
	if (!m)
		return 0;
	h->what = calloc(m->ndeliver ? m->ndeliver : 1, sizeof(*h->what));
	h->id = calloc(m->ndeliver ? m->ndeliver : 1, sizeof(*h->id));
	h->ids = calloc(m->ndeliver ? m->ndeliver : 1, sizeof(*h->ids));
	if (!h->what || !h->id || !h->ids)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < m->ndeliver; i++) {
		struct kw_key_sink sink;

		kw_keys_sink_from_manifest(m, &m->deliver[i], s->o->stdout_sink, &sink);
		sink.aws = s->o->aws_opts;
		h->what[i] = kw_keys_held(&sink, h->id[i], NULL);
		h->unknown |= h->what[i] == KW_KEY_HELD_UNKNOWN;
	}
	h->n = m->ndeliver;
	return 0;
}

/* Targets holding a key that list does not have (not visible yet, or no longer in IAM). */
static size_t held_unlisted(const struct held *h, const struct kw_iam_access_key_list *list)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n; i++) {
		bool found = false;

		for (size_t k = 0; h->what[i] == KW_KEY_HELD_KEY && k < list->n && !found; k++)
			found = list->items[k].access_key_id &&
			        !strcmp(list->items[k].access_key_id, h->id[i]);
		n += h->what[i] == KW_KEY_HELD_KEY && !found;
	}
	return n;
}

/* keys[i].held from h, keys[i].delivered_at from the user's delivered tags. */
static void mark_held(const struct held *h, const struct kw_iam_tag_list *tags, struct kw_lc_rot_key *keys,
                      size_t nkeys)
{
	for (size_t k = 0; k < nkeys; k++) {
		char name[160];

		for (size_t i = 0; i < h->n && !keys[k].held; i++)
			keys[k].held = h->what[i] == KW_KEY_HELD_KEY && !strcmp(h->id[i], keys[k].id);
		if (kw_delivered_tag_key(keys[k].id, name, sizeof(name)))
			continue;
		for (size_t j = 0; j < tags->n; j++)
			if (!strcasecmp(tags->items[j].key, name) &&
			    kw_iso8601_parse(tags->items[j].value, &keys[k].delivered_at))
				keys[k].delivered_at =
				        1; /* tagged, time unreadable: delivered all the same */
	}
}

/*
 * A delivery stopped part way (docs/key-state.md): readable targets hold two different active
 * keys. The newer one (never tagged delivered while the other is, else delivered later) is read
 * from a target holding it and becomes the rotation's new key (s->adopt): the machine proves it,
 * delivers it to every target, deactivates and retires the other, which keys[0] becomes alone
 * (*nkeys 1). A tie is left to the machine, which refuses it. Returns 0, or -1 with err set.
 */
static int finish_delivery(struct svc *s, const struct held *h, struct kw_lc_rot_key *keys, size_t *nkeys,
                           struct kw_error *err)
{
	const struct kw_manifest *m = s->acct->manifest;
	long a = -1, b = -1, newer;
	struct kw_lc_rot_key old;
	int later;

	for (size_t k = 0; k < *nkeys; k++)
		if (keys[k].active && keys[k].held) {
			if (a < 0)
				a = (long)k;
			else
				b = (long)k;
		}
	if (a < 0 || b < 0 || !m)
		return 0;
	if (keys[a].delivered_at && !keys[b].delivered_at)
		newer = b;
	else if (keys[b].delivered_at && !keys[a].delivered_at)
		newer = a;
	else if ((later = kw_lc_delivered_later(keys[a].delivered_at, keys[a].created, keys[b].delivered_at,
	                                        keys[b].created)))
		newer = later > 0 ? a : b;
	else
		return 0;
	for (size_t i = 0; i < h->n && !s->adopt_secret; i++) {
		struct kw_key_sink sink;
		struct kw_error e2;

		if (h->what[i] != KW_KEY_HELD_KEY || strcmp(h->id[i], keys[newer].id))
			continue;
		kw_keys_sink_from_manifest(m, &m->deliver[i], s->o->stdout_sink, &sink);
		sink.aws = s->o->aws_opts;
		if (kw_keys_held_secret(&sink, keys[newer].id, &s->adopt_secret, &e2))
			kw_log(KW_LOG_INFO, "%s: cannot take key %s from target %zu: %s", s->acct->user,
			       keys[newer].id, i + 1, e2.msg);
	}
	if (!s->adopt_secret)
		return kw_error_set(err, KW_ERR_CONFLICT, s->acct->user,
		                    "some delivery targets hold key %s and others key %s (a rotation stopped "
		                    "part way through delivery), and no target that holds %s can be read "
		                    "for it: rewrite the targets that hold %s by hand, then rotate again",
		                    keys[newer].id, keys[newer == a ? b : a].id, keys[newer].id,
		                    keys[newer == a ? b : a].id);
	kw_log(KW_LOG_INFO, "%s: finishing a delivery that stopped part way: key %s goes to every target",
	       s->acct->user, keys[newer].id);
	old = keys[newer == a ? b : a];
	s->adopt_key = keys[newer];
	s->adopt = &s->adopt_key;
	keys[0] = old;
	*nkeys = 1;
	return 0;
}

static bool user_managed(const struct kw_iam_user *u)
{
	for (size_t i = 0; i < u->tags.n; i++)
		if (kw_tag_is_managed(u->tags.items[i].key, u->tags.items[i].value))
			return true;
	return false;
}

/* Whether a can be rotated at all, and the user (GetUser, retried). Returns 0, or -1 with err set. */
static int svc_check(const struct kw_lc_rotate_opts *o, struct kw_aws_client *admin,
                     const struct kw_lc_account *a, struct kw_iam_user *user, struct kw_error *err)
{
	struct kw_wait w;

	if (a->manifest && !a->manifest->ndeliver)
		return kw_error_set(
		        err, KW_ERR_INVALID, a->manifest->file,
		        "%s: the manifest has no accessKeys.deliver targets, so a new key would reach nobody",
		        a->user);
	if (!a->manifest && !o->to_stdout)
		return kw_error_set(
		        err, KW_ERR_USAGE, NULL,
		        "%s: no manifest names where the new key goes: name the manifest, or add --stdout",
		        a->user);
	kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
	while (kw_iam_get_user(admin, a->user, user, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	if (!user_managed(user))
		return kw_error_set(err, KW_ERR_CONFLICT, a->user,
		                    "not tagged %s: %s, so keywarden leaves it alone", KW_MANAGED_TAG_KEY,
		                    KW_MANAGED_TAG_VALUE);
	return 0;
}

/* An error names its account first ("service-x: exec: ..."): several accounts run at once. */
static void where_account(struct kw_error *err, const char *account)
{
	char where[sizeof(err->where)];

	if (!strncmp(err->where, account, strlen(account))) /* already */
		return;
	if (snprintf(where, sizeof(where), "%s%s%s", account, err->where[0] ? ": " : "", err->where) <
	    (int)sizeof(where))
		memcpy(err->where, where, sizeof(where));
}

/* One rotate run over accounts: what every job shares (engine/runner.h). */
struct batch {
	const struct kw_lc_rotate_opts *o;
	const struct kw_lc_accounts *accts;
	struct kw_aws_client *admin;
	int rc; /* 1 once an account did not rotate (under the runner's lock) */
};

static int rotate_account(struct batch *b, struct kw_runner *runner, size_t index)
{
	const struct kw_lc_rotate_opts *o = b->o;
	const struct kw_lc_account *a = &b->accts->v[index];
	struct kw_aws_client *admin = a->client ? a->client : b->admin; /* its AWS account's */
	struct svc s = {.k = {.is = {admin, a->user, a->aws_opts ? a->aws_opts : o->aws_opts,
	                             o->confirm_timeout, false, NULL, 0},
	                      .o = o,
	                      .runner = runner,
	                      .index = index,
	                      .account = a->user},
	                .o = o,
	                .acct = a};
	struct kw_lc_rot_ops ops = {&s,         svc_create,   svc_confirm, svc_deliver, op_deactivate,
	                            svc_delete, op_tag_grace, op_untag,    check_stop,  svc_tag_delivered};
	struct kw_lc_rot_opts ro = rot_opts(o, o->delete_old);
	struct kw_iam_user user = {0};
	struct kw_iam_access_key_list list = {0};
	struct kw_lc_rot_key *keys = NULL;
	struct kw_lc_rot_result res = {0};
	struct kw_error err = {0};
	struct held held = {0};
	struct kw_wait w;
	size_t nkeys;
	int rc = -1;

	kw_buf_init(&s.k.delivered);
	emit(o, runner,
	     &(struct kw_lc_rotate_event){.kind = KW_LC_ROTATE_STARTED, .index = index, .account = a->user});
	if (svc_check(o, admin, a, &user, &err) || read_held(&s, &held, &err) ||
	    read_keys(admin, a->user, &user.tags, &list, &keys, &err))
		goto refused;
	if (!user.arn || kw_live_account_id(user.arn, s.account, sizeof(s.account)))
		s.account[0] = '\0';
	/* a key a target holds that IAM does not list yet: wait for it (eventual consistency) */
	kw_wait_begin(&w, o->confirm_timeout, true);
	while (held_unlisted(&held, &list) && kw_wait_again(&w)) {
		kw_log(KW_LOG_INFO,
		       "%s: a delivery target holds an access key IAM does not list yet: waiting", a->user);
		free(keys);
		keys = NULL;
		kw_iam_access_key_list_release(&list);
		if (read_keys(admin, a->user, &user.tags, &list, &keys, &err))
			goto refused;
	}
	if (kw_interrupt_check(NULL, &err))
		goto refused;
	mark_held(&held, &user.tags, keys, list.n);
	ro.targets_unknown = held.unknown;
	ro.resume = true;
	/* the keys the targets hold are never taken for a lost answer's (keys/issue.h) */
	for (size_t i = 0; i < held.n; i++)
		if (held.what[i] == KW_KEY_HELD_KEY)
			held.ids[s.k.is.nheld++] = held.id[i];
	s.k.is.held = held.ids;
	nkeys = list.n;
	if (finish_delivery(&s, &held, keys, &nkeys, &err))
		goto refused;
	if (s.adopt)
		ro.resume = false; /* the rotation that stopped part way is what runs now */
	if (!due_or_report(&s.k, a->manifest ? a->manifest->max_age_days : o->max_age_days, &list, NULL)) {
		rc = 0;
		goto out;
	}
	rc = kw_lc_rotate(keys, nkeys, &ro, &ops, &res, &err);
	if (rc)
		where_account(&err, a->user);
	emit_done(o, a->user, rc, &res, &s.k, &err);
	goto out;
refused:
	emit(o, runner,
	     &(struct kw_lc_rotate_event){
	             .kind = KW_LC_ROTATE_REFUSED, .index = index, .account = a->user, .err = &err});
out:
	kw_secret_free(s.adopt_secret);
	held_release(&held);
	kw_buf_release(&s.k.delivered);
	free(keys);
	kw_iam_access_key_list_release(&list);
	kw_iam_user_release(&user);
	return rc;
}

/* One account, in a worker of the runner: not started after a stop request. */
static void rotate_job(void *ud, struct kw_runner *runner, size_t index)
{
	struct batch *b = ud;
	int rc = 1;

	if (kw_interrupted())
		emit(b->o, runner,
		     &(struct kw_lc_rotate_event){.kind = KW_LC_ROTATE_NOT_STARTED,
		                                  .index = index,
		                                  .account = b->accts->v[index].user});
	else
		rc = rotate_account(b, runner, index) ? 1 : 0;
	if (rc) {
		kw_runner_lock(runner);
		b->rc = 1;
		kw_runner_unlock(runner);
	}
}

int kw_lc_rotate_accounts(const struct kw_lc_accounts *accts, const struct kw_lc_rotate_opts *o,
                          struct kw_error *err)
{
	struct kw_lc_accounts mine = {0};
	struct kw_accounts reach = {0};
	struct batch b = {.o = o, .accts = &mine};
	struct kw_runner_spec rs = {
	        .n = accts->n, .parallelism = o->parallelism, .run = rotate_job, .ud = &b};
	int rc = -1;

	if (kw_aws_client_new(o->aws_opts, &b.admin, err))
		return -1;
	/* a copy of the list, whose accounts get their AWS account's client (--role-arn) */
	mine.n = accts->n;
	mine.v = calloc(accts->n ? accts->n : 1, sizeof(*mine.v));
	if (!mine.v) {
		kw_aws_client_free(b.admin);
		return kw_error_nomem(err);
	}
	memcpy(mine.v, accts->v, accts->n * sizeof(*mine.v));
	if (!kw_lc_accounts_reach(b.admin, o->aws_opts, o->role_arn, &mine, &reach, err) &&
	    !kw_runner_run(&rs, err))
		rc = b.rc;
	kw_accounts_release(&reach);
	free(mine.v);
	kw_aws_client_free(b.admin);
	return rc;
}

int kw_lc_rotate_retire(const struct kw_key_issuer *is, const char *old_id, const char *held_id,
                        int grace_days, struct kw_lc_rot_result *res, struct kw_error *err)
{
	struct common k = {.is = *is, .account = is->user};
	struct kw_lc_rot_ops ops = {.ctx = &k,
	                            .deactivate = op_deactivate,
	                            .delete_key = op_delete,
	                            .tag_grace = op_tag_grace,
	                            .untag = op_untag};
	struct kw_lc_rot_opts ro = {.grace_days = grace_days, .now = time(NULL)};
	struct kw_lc_rot_key old = {.id = old_id, .active = true};

	memset(res, 0, sizeof(*res));
	return kw_lc_retire_old(&old, held_id, &ro, &ops, res, err);
}

/* --- local profiles: the key rotates itself -------------------------------------------------- */

struct self {
	struct common k;             /* is: the caller's own keys, through new once confirmed, else old */
	struct kw_aws_client *old;   /* signs with the old key */
	struct kw_aws_client *new;   /* signs with the new key, once confirmed */
	const char *const *profiles; /* every profile holding the old key */
	size_t nprofiles;
	const char *user;
};

static int self_confirm(void *ud, const char *id, const struct kw_secret *secret, struct kw_error *err)
{
	struct self *s = ud;
	struct kw_key_issuer is = s->k.is;

	is.user = s->user; /* the new key must sign as the profile's user */
	if (kw_key_prove(&is, id, secret, NULL, true, &s->new, NULL, err))
		return -1;
	s->k.is.c = s->new;
	return step_done(&s->k, 0, KW_LC_ROTATE_CONFIRMED, id);
}

static int self_deliver(void *ud, const char *id, const struct kw_secret *secret, size_t *written,
                        struct kw_error *err)
{
	struct self *s = ud;
	struct kw_access_key key = {id, secret, s->user, s->k.created};
	char what[PATH_MAX + 16];

	*written = 0;
	for (size_t i = 0; i < s->nprofiles; i++) {
		if (kw_keys_deliver_profile(s->profiles[i], &key, NULL, NULL, err))
			return kw_error_prefix(err, "profile %s", s->profiles[i]);
		++*written;
		snprintf(what, sizeof(what), "profile %s", s->profiles[i]);
		if (delivered_to(&s->k, what, err))
			return -1;
	}
	return step_done(&s->k, 0, KW_LC_ROTATE_DELIVERED, id);
}

/* Whether section sec of the credentials file holds static long-term keys; why not in *why. */
static bool has_static_keys(const struct kw_ini_section *sec, const char **why)
{
	if (!sec) {
		*why = "not in the credentials file";
		return false;
	}
	if (!kw_ini_get(sec, "aws_access_key_id", NULL) || !kw_ini_get(sec, "aws_secret_access_key", NULL)) {
		*why = "no static keys";
		return false;
	}
	if (kw_aws_section_has_session_token(sec)) {
		*why = "temporary credentials (a session token) are not rotated";
		return false;
	}
	return true;
}

/* Copy the access key id of sec into buf (not a secret). */
static void key_id_of(const struct kw_ini_section *sec, char *buf, size_t size)
{
	const struct kw_ini_entry *e = kw_ini_get(sec, "aws_access_key_id", NULL);
	size_t n = e->value.len < size - 1 ? e->value.len : size - 1;

	memcpy(buf, e->value.ptr, n);
	buf[n] = '\0';
}

static int rotate_profile(const struct kw_lc_rotate_opts *o, const char *const *profiles, size_t nprofiles)
{
	struct self s = {.profiles = profiles, .nprofiles = nprofiles};
	struct kw_lc_rot_ops ops = {&s,        op_create, self_confirm, self_deliver, op_deactivate,
	                            op_delete, NULL,      NULL,         check_stop,   NULL};
	/* a profile's old key is deleted at once unless --grace asks to keep it */
	struct kw_lc_rot_opts ro = rot_opts(o, !o->grace_set || o->delete_old);
	struct kw_aws_options aopt = *o->aws_opts;
	struct kw_iam_access_key_list list = {0};
	struct kw_lc_rot_key *keys = NULL;
	struct kw_lc_rot_result res = {0};
	struct kw_error err = {0};
	char account[512];
	int rc = -1;

	snprintf(account, sizeof(account), "profile %s", profiles[0]);
	s.k.o = o;
	s.k.account = account;
	kw_buf_init(&s.k.delivered);
	aopt.profile = profiles[0];
	if (kw_aws_client_new(&aopt, &s.old, &err))
		goto refused;
	ro.current = kw_aws_client_access_key_id(s.old);
	s.k.is = (struct kw_key_issuer){s.old, NULL, &aopt, o->confirm_timeout, false, NULL, 0};
	if (read_keys(s.old, NULL, NULL, &list, &keys, &err))
		goto refused;
	if (list.n)
		s.user = list.items[0].user_name;
	/* a profile is due by its own key's age (the one in the credentials file) */
	if (!due_or_report(&s.k, o->max_age_days, &list, ro.current)) {
		rc = 0;
		goto out;
	}
	rc = kw_lc_rotate(keys, list.n, &ro, &ops, &res, &err);
	if (rc && err.where[0] == '\0')
		snprintf(err.where, sizeof(err.where), "%s", account);
	emit_done(o, account, rc, &res, &s.k, &err);
	goto out;
refused:
	kw_error_prefix(&err, "%s", account);
	emit(o, NULL,
	     &(struct kw_lc_rotate_event){.kind = KW_LC_ROTATE_REFUSED, .account = account, .err = &err});
out:
	kw_buf_release(&s.k.delivered);
	free(keys);
	kw_iam_access_key_list_release(&list);
	kw_aws_client_free(s.new);
	kw_aws_client_free(s.old);
	return rc;
}

int kw_lc_rotate_profiles(const char *const *given, size_t ngiven, bool all,
                          const struct kw_lc_rotate_opts *o, struct kw_error *err)
{
	struct kw_buf path = KW_BUF_INIT;
	struct kw_ini *ini = NULL;
	const char **names = NULL, **group = NULL;
	char(*ids)[KW_LC_KEY_ID_MAX] = NULL;
	bool *done = NULL;
	size_t n = 0;
	int rc = -1;

	if (kw_keys_credentials_path(&path, err) || kw_ini_load(path.data, &ini, err))
		goto out;
	n = all ? ini->nsections : ngiven;
	names = calloc(n ? n : 1, sizeof(*names));
	group = calloc(n ? n : 1, sizeof(*group));
	ids = calloc(n ? n : 1, sizeof(*ids));
	done = calloc(n ? n : 1, sizeof(*done));
	if (!names || !group || !ids || !done) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = all ? ini->sections[i].name : given[i];
		const struct kw_ini_section *sec = kw_ini_profile(ini, KW_INI_CREDENTIALS, name);
		const char *why = NULL;

		names[i] = name;
		if (!has_static_keys(sec, &why)) {
			emit(o, NULL,
			     &(struct kw_lc_rotate_event){.kind = KW_LC_ROTATE_SKIPPED,
			                                  .profile = name,
			                                  .why = why,
			                                  .failure = !all});
			done[i] = true;
			if (!all)
				rc = 1;
			continue;
		}
		key_id_of(sec, ids[i], sizeof(ids[i]));
	}
	for (size_t i = 0; i < n; i++) {
		size_t ng = 0;

		if (done[i])
			continue;
		done[i] = true;
		if (kw_interrupted()) {
			emit(o, NULL,
			     &(struct kw_lc_rotate_event){.kind = KW_LC_ROTATE_NOT_STARTED,
			                                  .profile = names[i]});
			rc = 1;
			continue;
		}
		group[ng++] = names[i];
		for (size_t j = i + 1; j < n; j++) {
			if (done[j])
				continue;
			if (!strcmp(names[j], names[i])) {
				done[j] = true; /* the same profile named twice */
			} else if (!strcmp(ids[j], ids[i])) {
				group[ng++] = names[j]; /* holds the same key: gets the new one too */
				done[j] = true;
			}
		}
		if (rotate_profile(o, group, ng))
			rc = 1;
	}
out:
	free(names);
	free(group);
	free(ids);
	free(done);
	kw_ini_free(ini);
	kw_buf_release(&path);
	return rc;
}
