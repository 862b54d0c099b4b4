/*
 * auditor.c - reading what audit judges, and pruning (auditor.h).
 */
#include "lifecycle/auditor.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/client.h"
#include "aws/iam.h"
#include "engine/live.h"
#include "keys/issue.h"
#include "keys/sink.h"
#include "lifecycle/destroy.h"
#include "lifecycle/names.h"
#include "lifecycle/rotation.h"
#include "manifest/manifest.h"
#include "util/array.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/wait.h"

/* --- reading ------------------------------------------------------------------------------- */

static const char *tag_value(const struct kw_taglist *l, const char *key)
{
	const struct kw_tagkv *t = kw_taglist_find(l, key);

	return t ? t->value : NULL;
}

static const char *iam_tag(const struct kw_iam_user *u, const char *key)
{
	for (size_t i = 0; i < u->tags.n; i++)
		if (!strcasecmp(u->tags.items[i].key, key))
			return u->tags.items[i].value;
	return NULL;
}

/* A user's tag value by key: from the live state (struct kw_taglist) or IAM (struct kw_iam_user). */
typedef const char *(*tag_lookup)(const void *tags, const char *key);

static const char *live_tag(const void *tags, const char *key)
{
	return tag_value(tags, key);
}

static const char *user_tag(const void *user, const char *key)
{
	return iam_tag(user, key);
}

/* The keywarden tags of key k (k->id set) among the user's: grace period, delivered mark. */
static void read_key_tags(const char *user, struct kw_lc_key *k, tag_lookup get, const void *tags)
{
	char key[160];
	const char *v;

	if (!kw_grace_tag_key(k->id, key, sizeof(key)) && (v = get(tags, key)) &&
	    kw_grace_parse(v, &k->inactive_since, &k->grace_days)) {
		kw_log(KW_LOG_WARN, "%s: grace tag of %s has an unreadable value, ignored", user, k->id);
		k->inactive_since = 0;
	}
	if (!kw_delivered_tag_key(k->id, key, sizeof(key))) {
		k->delivered_known = true;
		k->delivered = get(tags, key) != NULL;
	}
}

/* Fill e from live account l (and manifest m, may be NULL). */
static int entry_from_live(struct kw_lc_audit_entry *e, const struct kw_lc_account *a,
                           const struct kw_live_account *l, struct kw_error *err)
{
	const struct kw_live_user *u = &l->user;
	const struct kw_manifest *m = a->manifest;

	e->s.user = a->user;
	e->s.origin = m ? m->file : NULL;
	e->s.group = a->group;
	if (!u->exists) {
		e->missing = true;
		return 0;
	}
	e->s.managed = kw_live_user_managed(u);
	e->s.managed_known = true;
	e->s.console = u->login_profile;
	e->s.mfa_wanted = m && m->mfa == KW_MFA_VIRTUAL;
	e->s.has_mfa = u->mfa.n > 0;
	e->s.details_known = true;
	e->s.in_group = a->group && kw_strlist_find(&u->groups, a->group, true) >= 0;
	e->s.user_policies = u->inline_policies.n + u->managed_arns.n;
	e->s.max_age_days = m ? m->max_age_days : 0;
	e->keys = calloc(u->nkeys ? u->nkeys : 1, sizeof(*e->keys));
	e->lu = calloc(u->nkeys ? u->nkeys : 1, sizeof(*e->lu));
	if (!e->keys || !e->lu)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < u->nkeys; i++) {
		struct kw_lc_key *k = &e->keys[i];

		k->id = u->keys[i].id;
		k->active = u->keys[i].active;
		k->created = u->keys[i].created;
		read_key_tags(a->user, k, live_tag, &u->tags);
		e->nkeys++;
	}
	e->s.keys = e->keys;
	e->s.nkeys = e->nkeys;
	return 0;
}

/* GetAccessKeyLastUsed for every key (no bulk form), on up to KW_LIVE_PARALLELISM threads
 * sharing the client (client.h: thread safe), as the engine's reader does per account. */
struct lu_pool {
	struct kw_lc_auditor *A;
	struct kw_lc_audit_entry **e; /* job i: key k[i] of entry e[i] */
	size_t *k, n, next;
	pthread_mutex_t mu;
	struct kw_error err; /* the first failure */
	bool failed;
};

/* GetAccessKeyLastUsed, retried while transient. */
static int last_used(struct kw_aws_client *c, const char *id, struct kw_iam_access_key_last_used *lu,
                     struct kw_error *err)
{
	struct kw_wait w;

	kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
	while (kw_iam_get_access_key_last_used(c, id, lu, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	return 0;
}

/* GetAccountAuthorizationDetails (users), retried while transient. */
static int read_aad(struct kw_lc_auditor *A, struct kw_error *err)
{
	struct kw_wait w;

	kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
	while (kw_iam_get_account_authorization_details(A->c, KW_IAM_AAD_USER, 0, &A->aad, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	return 0;
}

static void *lu_worker(void *arg)
{
	struct lu_pool *p = arg;

	for (;;) {
		struct kw_error err;
		size_t i;

		pthread_mutex_lock(&p->mu);
		i = p->failed ? p->n : p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return NULL;
		if (last_used(p->A->c, p->e[i]->keys[p->k[i]].id, &p->e[i]->lu[p->k[i]], &err)) {
			pthread_mutex_lock(&p->mu);
			if (!p->failed) {
				p->err = err;
				kw_error_prefix(&p->err, "%s", p->e[i]->s.user);
				p->failed = true;
			}
			pthread_mutex_unlock(&p->mu);
		}
	}
}

static int read_last_used(struct kw_lc_auditor *A, struct kw_error *err)
{
	struct lu_pool p = {.A = A, .mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t th[KW_LIVE_PARALLELISM];
	size_t total = 0, nth = 0;
	int rc = -1;

	for (size_t i = 0; i < A->n; i++)
		total += A->e[i].nkeys;
	p.e = calloc(total ? total : 1, sizeof(*p.e));
	p.k = calloc(total ? total : 1, sizeof(*p.k));
	if (!p.e || !p.k) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < A->n; i++)
		for (size_t k = 0; k < A->e[i].nkeys; k++) {
			p.e[p.n] = &A->e[i];
			p.k[p.n++] = k;
		}
	for (; nth < KW_LIVE_PARALLELISM && nth < p.n; nth++)
		if (pthread_create(&th[nth], NULL, lu_worker, &p))
			break;
	if (p.n && !nth)
		lu_worker(&p); /* no thread could start: do it here */
	for (size_t t = 0; t < nth; t++)
		pthread_join(th[t], NULL);
	if (p.failed) {
		*err = p.err;
		goto out;
	}
	for (size_t j = 0; j < p.n; j++) {
		struct kw_lc_key *key = &p.e[j]->keys[p.k[j]];
		const struct kw_iam_access_key_last_used *lu = &p.e[j]->lu[p.k[j]];

		key->last_used = lu->last_used_date;
		key->last_service = lu->service_name;
		key->last_region = lu->region;
	}
	rc = 0;
out:
	free(p.e);
	free(p.k);
	return rc;
}

/* Without NAME: every user tagged managed-by: keywarden, found with one bulk read. */
static int discover_managed(struct kw_lc_auditor *A, struct kw_error *err)
{
	struct kw_lc_account *v;

	if (read_aad(A, err))
		return -1;
	for (size_t i = 0; i < A->aad.nusers; i++) {
		const struct kw_iam_user *u = &A->aad.users[i].user;
		bool managed = false;

		for (size_t t = 0; t < u->tags.n; t++)
			managed |= kw_tag_is_managed(u->tags.items[t].key, u->tags.items[t].value);
		if (!managed)
			continue;
		v = kw_array_grow(&A->accts.v, &A->accts.n, sizeof(*v));
		if (!v)
			return kw_error_nomem(err);
		*v = (struct kw_lc_account){u->user_name, kw_lc_group_for_user(u->user_name), NULL, NULL,
		                            NULL};
	}
	return 0;
}

static int read_accounts(struct kw_lc_auditor *A, struct kw_error *err)
{
	size_t n = A->accts.n;

	A->desired = calloc(n ? n : 1, sizeof(*A->desired));
	A->live = calloc(n ? n : 1, sizeof(*A->live));
	A->e = calloc(n ? n : 1, sizeof(*A->e));
	if (!A->desired || !A->live || !A->e)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		A->desired[i].name = (char *)A->accts.v[i].user;
		A->desired[i].user_name = (char *)A->accts.v[i].user;
		A->desired[i].group_name =
		        (char *)(A->accts.v[i].group ? A->accts.v[i].group : A->accts.v[i].user);
	}
	if (n && kw_live_read(A->c, A->desired, n, KW_LIVE_PARALLELISM, A->live, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		A->n++;
		if (entry_from_live(&A->e[i], &A->accts.v[i], &A->live[i], err))
			return -1;
	}
	return read_last_used(A, err);
}

/* Seconds a credential report may take to generate. */
#define REPORT_WAIT_SECONDS 120.0

/*
 * GenerateCredentialReport until COMPLETE, then GetCredentialReport (ReportInProgress: not
 * yet), polled with the one wait (util/wait.h) for up to REPORT_WAIT_SECONDS; transient
 * failures are retried within the same deadline.
 */
static int fetch_report(struct kw_lc_auditor *A, struct kw_iam_credential_report *r, struct kw_error *err)
{
	enum kw_iam_report_state st = KW_IAM_REPORT_STARTED;
	struct kw_wait w;

	kw_wait_begin(&w, REPORT_WAIT_SECONDS, true);
	for (;;) {
		kw_error_clear(err);
		if (kw_iam_generate_credential_report(A->c, &st, err)) {
			if (!kw_wait_retry(&w, err))
				return -1;
			continue;
		}
		if (st == KW_IAM_REPORT_COMPLETE) {
			if (!kw_iam_get_credential_report(A->c, r, err))
				return 0;
			if (strcmp(err->aws_code, "ReportInProgress") && !kw_error_transient(err))
				return -1;
		}
		if (!kw_wait_again(&w)) {
			if (kw_interrupt_check("audit", err))
				return -1;
			return kw_error_set(err, KW_ERR_TIMEOUT, "iam:GenerateCredentialReport",
			                    "the credential report was not ready after %.0f s",
			                    REPORT_WAIT_SECONDS);
		}
	}
}

static const struct kw_iam_user_detail *aad_user(const struct kw_lc_auditor *A, const char *name)
{
	for (size_t i = 0; i < A->aad.nusers; i++)
		if (A->aad.users[i].user.user_name && !strcasecmp(A->aad.users[i].user.user_name, name))
			return &A->aad.users[i];
	return NULL;
}

/* Give report slots their AccessKeyIds (ListAccessKeys, matched by CreateDate) and grace tags. */
static int resolve_slots(struct kw_lc_auditor *A, struct kw_lc_audit_entry *e, const struct kw_iam_user *u,
                         struct kw_error *err)
{
	struct kw_iam_access_key_list l = {0};
	struct kw_wait w;

	kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
	while (kw_iam_list_access_keys(A->c, e->s.user, &l, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	e->ids = calloc(2, sizeof(*e->ids));
	for (size_t k = 0; e->ids && k < e->nkeys; k++)
		for (size_t i = 0; i < l.n; i++)
			if (llabs((long long)(l.items[i].create_date - e->keys[k].created)) <= 1) {
				e->ids[k] = strdup(l.items[i].access_key_id);
				e->keys[k].id = e->ids[k];
				if (e->ids[k])
					read_key_tags(e->s.user, &e->keys[k], user_tag, u);
			}
	kw_iam_access_key_list_release(&l);
	return e->ids ? 0 : kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

static int read_report(struct kw_lc_auditor *A, struct kw_error *err)
{
	struct kw_iam_credential_report r = {0};
	int rc = -1;

	if (fetch_report(A, &r, err) || kw_lc_report_parse(r.csv, r.len, &A->report, err))
		goto out;
	A->report_time = r.generated_time;
	if (read_aad(A, err))
		goto out;
	A->e = calloc(A->report.n ? A->report.n : 1, sizeof(*A->e));
	if (!A->e) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < A->report.n; i++) {
		const struct kw_lc_report_row *row = &A->report.rows[i];
		const struct kw_iam_user_detail *d;
		struct kw_lc_audit_entry *e;
		bool service, has_inactive = false;

		if (row->root)
			continue;
		e = &A->e[A->n++];
		d = aad_user(A, row->user);
		service = !strncmp(row->user, "service-", 8);
		e->s.user = row->user;
		e->s.group = kw_lc_group_for_user(row->user);
		e->s.console = row->console;
		e->s.has_mfa = row->mfa;
		if (d) {
			const char *mb = iam_tag(&d->user, KW_MANAGED_TAG_KEY);
			e->s.managed = kw_tag_is_managed(KW_MANAGED_TAG_KEY, mb);
			/* service-account checks only for keywarden's users and users named like them */
			e->s.managed_known = service;
			e->s.details_known = e->s.managed || service;
			e->s.user_policies = d->policies.n + d->attached.n;
			for (size_t g = 0; e->s.group && g < d->groups.n; g++)
				e->s.in_group |= !strcasecmp(d->groups.items[g], e->s.group);
		}
		if (!e->s.managed && !service)
			e->s.console = false; /* a person's console password is not a finding here */
		e->keys = calloc(2, sizeof(*e->keys));
		if (!e->keys) {
			kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
		for (int k = 0; k < 2; k++) {
			const struct kw_lc_report_key *rk = &row->key[k];
			struct kw_lc_key *key = &e->keys[e->nkeys];

			if (!rk->present)
				continue;
			key->slot = k + 1;
			key->active = rk->active;
			key->created = rk->created;
			key->last_used = rk->last_used;
			key->last_service = rk->service;
			key->last_region = rk->region;
			has_inactive |= !rk->active;
			e->nkeys++;
		}
		e->s.keys = e->keys;
		e->s.nkeys = e->nkeys;
		/* keywarden's users: name the keys, so grace tags and --prune-unused can use them */
		if (d && e->s.managed && e->nkeys && (has_inactive || A->prune) &&
		    resolve_slots(A, e, &d->user, err))
			goto out;
	}
	rc = 0;
out:
	kw_iam_credential_report_release(&r);
	return rc;
}

int kw_lc_auditor_read(struct kw_lc_auditor *A, const struct kw_aws_options *aws_opts, struct kw_error *err)
{
	if (kw_aws_client_new(aws_opts, &A->c, err))
		return -1;
	A->aws_opts = aws_opts;
	A->now = time(NULL);
	if (A->all_users)
		return read_report(A, err);
	if (!A->accts.n && discover_managed(A, err))
		return -1;
	return read_accounts(A, err);
}

/* --- judging ------------------------------------------------------------------------------- */

int kw_lc_auditor_judge(struct kw_lc_auditor *A, struct kw_error *err)
{
	struct kw_lc_audit_opts o = {.now = A->now, .unused_days = A->unused_days};

	for (size_t i = 0; i < A->n; i++)
		if (!A->e[i].missing && kw_lc_audit(&A->e[i].s, &o, &A->findings))
			return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

json_t *kw_lc_auditor_config_json(const struct kw_lc_auditor *A, int max_access_key_age)
{
	json_t *users = json_array();

	for (size_t i = 0; i < A->n; i++)
		if (!A->e[i].missing)
			json_array_append_new(users,
			                      json_pack("{s:s, s:s, s:s}", "user", A->e[i].s.user,
			                                "resource_type", "AWS::IAM::User", "compliance_type",
			                                kw_lc_compliance_name(kw_lc_user_access_keys_rotated(
			                                        &A->e[i].s, max_access_key_age, A->now))));
	return json_pack("{s:s, s:i, s:o}", "rule", "access-keys-rotated", "max_access_key_age",
	                 max_access_key_age, "users", users);
}

/* --- pruning ------------------------------------------------------------------------------- */

/* Whether a delivery target of account i's manifest holds key id (read from the target). */
static bool held_by_target(const struct kw_lc_auditor *A, size_t i, const char *id)
{
	const struct kw_manifest *m = !A->all_users && i < A->accts.n ? A->accts.v[i].manifest : NULL;

	for (size_t j = 0; m && j < m->ndeliver; j++) {
		struct kw_key_sink sink;
		char held[KW_KEYS_ID_MAX];

		kw_keys_sink_from_manifest(m, &m->deliver[j], NULL, &sink);
		sink.aws = A->aws_opts;
		if (kw_keys_held(&sink, held, NULL) == KW_KEY_HELD_KEY && !strcmp(held, id)) {
			kw_log(KW_LOG_INFO, "%s: key %s is held by a delivery target: not pruned",
			       A->accts.v[i].user, id);
			return true;
		}
	}
	return false;
}

size_t kw_lc_auditor_prune_list(struct kw_lc_auditor *A, struct kw_lc_prune_item **out)
{
	struct kw_lc_prune_item *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < A->n; i++)
		for (size_t k = 0; k < A->e[i].nkeys; k++) {
			struct kw_lc_key *key = &A->e[i].keys[k];
			enum kw_lc_prune why = kw_lc_prune_reason(&A->e[i].s, key, A->older_than, A->now);
			struct kw_lc_prune_item *p;

			if (why == KW_LC_PRUNE_KEEP || !key->id || held_by_target(A, i, key->id))
				continue;
			p = realloc(v, (n + 1) * sizeof(*v));
			if (!p)
				break;
			v = p;
			v[n++] = (struct kw_lc_prune_item){&A->e[i], key, why, "would delete"};
		}
	*out = v;
	return n;
}

int kw_lc_auditor_prune_one(struct kw_lc_auditor *A, struct kw_lc_prune_item *p, struct kw_error *err)
{
	struct kw_iam_access_key_last_used lu = {0};
	struct kw_lc_key fresh = *p->k;
	struct kw_key_issuer is = {A->c, p->e->s.user, NULL, KW_LC_RETRY_SECONDS, true, NULL, 0};
	struct kw_wait w;

	p->result = "failed";
	kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
	while (kw_iam_get_access_key_last_used(A->c, p->k->id, &lu, err))
		if (!kw_wait_retry(&w, err))
			return kw_error_prefix(err, "%s", p->e->s.user);
	fresh.last_used = lu.last_used_date;
	kw_iam_access_key_last_used_release(&lu);
	if (kw_lc_prune_reason(&p->e->s, &fresh, A->older_than, A->now) == KW_LC_PRUNE_KEEP) {
		p->result = "kept: used meanwhile";
		return 0;
	}
	if (kw_key_delete(&is, p->k->id, err)) /* and its keywarden tags */
		return kw_error_prefix(err, "%s", p->e->s.user);
	p->result = "deleted";
	return 0;
}

/* --- command ------------------------------------------------------------------------------- */

void kw_lc_auditor_release(struct kw_lc_auditor *A)
{
	for (size_t i = 0; A->e && i < A->n; i++) {
		for (size_t k = 0; A->e[i].lu && k < A->e[i].nkeys; k++)
			kw_iam_access_key_last_used_release(&A->e[i].lu[k]);
		for (size_t k = 0; A->e[i].ids && k < 2; k++)
			free(A->e[i].ids[k]);
		free(A->e[i].ids);
		free(A->e[i].lu);
		free(A->e[i].keys);
	}
	free(A->e);
	for (size_t i = 0; A->live && i < A->accts.n; i++)
		kw_live_release(&A->live[i]);
	free(A->live);
	free(A->desired);
	kw_lc_findings_release(&A->findings);
	kw_lc_report_release(&A->report);
	kw_iam_authorization_details_release(&A->aad);
	kw_lc_accounts_release(&A->accts);
	kw_aws_client_free(A->c);
}
