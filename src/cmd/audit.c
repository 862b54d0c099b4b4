/*
 * audit.c - `keywarden audit [NAME...|--all-users] [--prune-unused]`: every access key with
 * its age and last use, findings under stable codes (lifecycle/audit.h), and the removal of
 * keys nobody uses. Live state comes from the engine's reader (engine/live.h) plus
 * GetAccessKeyLastUsed per key; --all-users reads the credential report instead.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/iam.h"
#include "cmd/cmd.h"
#include "cmd/lifecycle.h"
#include "engine/live.h"
#include "engine/state.h"
#include "lifecycle/accounts.h"
#include "lifecycle/audit.h"
#include "lifecycle/names.h"
#include "lifecycle/report.h"
#include "lifecycle/rotation.h"
#include "manifest/manifest.h"
#include "util/error.h"
#include "util/log.h"
#include "util/output.h"

static const char usage[] =
        "usage: keywarden audit [OPTIONS] [NAME...]\n"
        "       keywarden audit [OPTIONS] --all-users\n"
        "\n"
        "List every access key (user, AccessKeyId, status, age, last use) and report findings\n"
        "under stable codes: key-too-old, key-never-used, key-unused, two-active-keys,\n"
        "grace-expired, console-enabled, no-mfa, user-policy, not-in-group, not-managed,\n"
        "key-undelivered.\n"
        "NAME is a manifest file, a folder of manifests, or an IAM user name; without NAME every\n"
        "user tagged managed-by: keywarden is audited.\n"
        "\n"
        "Options:\n"
        "  --all-users          every IAM user, from the credential report (one report, not calls per user)\n"
        "  --unused-days DAYS   a key unused (or never used) this long is a finding (default 90)\n"
        "  --prune-unused       delete keys never used or unused beyond --older-than, and inactive keys\n"
        "                       past their grace period; asks first (lists only, without a terminal)\n"
        "  --older-than DAYS    threshold for --prune-unused (default: --unused-days)\n"
        "  --yes                delete without asking\n"
        "\n"
        "Exit status: 0 clean, 3 findings, 1 an error.\n";

struct opts {
	bool all_users, prune, yes;
	int unused_days, older_than;
};

/* One audited user with its keys (strings owned here or borrowed from live/report). */
struct entry {
	struct kw_lc_subject s;
	struct kw_lc_key *keys;
	size_t nkeys;
	struct kw_iam_access_key_last_used *lu; /* per key (NAME mode) */
	char **ids;                             /* owned ids resolved for report slots, or NULL */
	bool missing;                           /* no such user */
};

struct audit {
	struct kw_ctx *ctx;
	struct opts o;
	struct kw_aws_client *c;
	struct entry *e;
	size_t n;
	time_t now;
	time_t report_time; /* credential report's GeneratedTime, 0 without --all-users */
	struct kw_lc_findings findings;
	struct kw_lc_accounts accts;
	struct kw_desired *desired;
	struct kw_live_account *live;
	struct kw_lc_report report;
	struct kw_iam_authorization_details aad;
	bool failed;
};

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

	if (!kw_lc_grace_tag_key(k->id, key, sizeof(key)) && (v = get(tags, key)) &&
	    kw_lc_grace_parse(v, &k->inactive_since, &k->grace_days)) {
		kw_log(KW_LOG_WARN, "%s: grace tag of %s has an unreadable value, ignored", user, k->id);
		k->inactive_since = 0;
	}
	if (!kw_lc_delivered_tag_key(k->id, key, sizeof(key))) {
		k->delivered_known = true;
		k->delivered = get(tags, key) != NULL;
	}
}

/* Fill e from live account l (and manifest m, may be NULL). */
static int entry_from_live(struct entry *e, const struct kw_lc_account *a, const struct kw_live_account *l,
                           struct kw_error *err)
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
	struct audit *A;
	struct entry **e; /* job i: key k[i] of entry e[i] */
	size_t *k, n, next;
	pthread_mutex_t mu;
	struct kw_error err; /* the first failure */
	bool failed;
};

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
		if (kw_iam_get_access_key_last_used(p->A->c, p->e[i]->keys[p->k[i]].id, &p->e[i]->lu[p->k[i]],
		                                    &err)) {
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

static int read_last_used(struct audit *A, struct kw_error *err)
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
static int discover_managed(struct audit *A, struct kw_error *err)
{
	struct kw_lc_account *v;

	if (kw_iam_get_account_authorization_details(A->c, KW_IAM_AAD_USER, 0, &A->aad, err))
		return -1;
	for (size_t i = 0; i < A->aad.nusers; i++) {
		const struct kw_iam_user *u = &A->aad.users[i].user;
		bool managed = false;

		for (size_t t = 0; t < u->tags.n; t++)
			managed |= !strcmp(u->tags.items[t].key, KW_MANAGED_TAG_KEY) &&
			           !strcmp(u->tags.items[t].value, KW_MANAGED_TAG_VALUE);
		if (!managed)
			continue;
		v = realloc(A->accts.v, (A->accts.n + 1) * sizeof(*v));
		if (!v)
			return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		A->accts.v = v;
		v[A->accts.n++] =
		        (struct kw_lc_account){u->user_name, kw_lc_group_for_user(u->user_name), NULL};
	}
	return 0;
}

static int read_accounts(struct audit *A, struct kw_error *err)
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

/* GenerateCredentialReport until COMPLETE (bounded), then GetCredentialReport. */
static int fetch_report(struct audit *A, struct kw_iam_credential_report *r, struct kw_error *err)
{
	enum kw_iam_report_state st = KW_IAM_REPORT_STARTED;
	long delay = 250, waited = 0;

	for (;;) {
		if (kw_iam_generate_credential_report(A->c, &st, err))
			return -1;
		if (st == KW_IAM_REPORT_COMPLETE) {
			if (!kw_iam_get_credential_report(A->c, r, err))
				return 0;
			if (strcmp(err->aws_code, "ReportInProgress"))
				return -1;
		}
		if (waited > 120000)
			return kw_error_set(err, KW_ERR_TIMEOUT, "iam:GenerateCredentialReport",
			                    "the credential report was not ready after 2 minutes");
		struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		waited += delay;
		delay = delay * 2 > 4000 ? 4000 : delay * 2;
	}
}

static const struct kw_iam_user_detail *aad_user(const struct audit *A, const char *name)
{
	for (size_t i = 0; i < A->aad.nusers; i++)
		if (A->aad.users[i].user.user_name && !strcasecmp(A->aad.users[i].user.user_name, name))
			return &A->aad.users[i];
	return NULL;
}

/* Give report slots their AccessKeyIds (ListAccessKeys, matched by CreateDate) and grace tags. */
static int resolve_slots(struct audit *A, struct entry *e, const struct kw_iam_user *u, struct kw_error *err)
{
	struct kw_iam_access_key_list l = {0};

	if (kw_iam_list_access_keys(A->c, e->s.user, &l, err))
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

static int read_report(struct audit *A, struct kw_error *err)
{
	struct kw_iam_credential_report r = {0};
	int rc = -1;

	if (fetch_report(A, &r, err) || kw_lc_report_parse(r.csv, r.len, &A->report, err))
		goto out;
	A->report_time = r.generated_time;
	if (kw_iam_get_account_authorization_details(A->c, KW_IAM_AAD_USER, 0, &A->aad, err))
		goto out;
	A->e = calloc(A->report.n ? A->report.n : 1, sizeof(*A->e));
	if (!A->e) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < A->report.n; i++) {
		const struct kw_lc_report_row *row = &A->report.rows[i];
		const struct kw_iam_user_detail *d;
		struct entry *e;
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
			e->s.managed = mb && !strcmp(mb, KW_MANAGED_TAG_VALUE);
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
		if (d && e->s.managed && e->nkeys && (has_inactive || A->o.prune) &&
		    resolve_slots(A, e, &d->user, err))
			goto out;
	}
	rc = 0;
out:
	kw_iam_credential_report_release(&r);
	return rc;
}

/* --- output -------------------------------------------------------------------------------- */

static void day(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d", &tm))
		snprintf(buf, size, "never");
}

static const char *key_label(const struct kw_lc_key *k, char *buf, size_t size)
{
	if (k->id)
		return k->id;
	snprintf(buf, size, "access_key_%d", k->slot);
	return buf;
}

static const char *or_dash(const char *s)
{
	return s && *s && strcmp(s, "N/A") ? s : "-";
}

static json_t *key_json(const struct entry *e, const struct kw_lc_key *k, time_t now)
{
	char created[32], used[32], slot[32];
	json_t *o;

	kw_lc_iso8601(k->created, created, sizeof(created));
	kw_lc_iso8601(k->last_used, used, sizeof(used));
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s?, s:s?, s:s?}", "user", e->s.user, "access_key_id",
	              key_label(k, slot, sizeof(slot)), "status", k->active ? "Active" : "Inactive",
	              "age_days", (json_int_t)kw_lc_age_days(k->created, now), "created", created,
	              "last_used", k->last_used ? used : NULL, "last_used_service",
	              k->last_used && strcmp(or_dash(k->last_service), "-") ? k->last_service : NULL,
	              "last_used_region",
	              k->last_used && strcmp(or_dash(k->last_region), "-") ? k->last_region : NULL);
	if (o && k->inactive_since) {
		char since[32];
		kw_lc_iso8601(k->inactive_since, since, sizeof(since));
		json_object_set_new(o, "inactive_since", json_string(since));
		json_object_set_new(o, "grace_days", json_integer(k->grace_days));
	}
	return o;
}

/* A key --prune-unused would delete (and what happened to it). */
struct prune {
	struct entry *e;
	struct kw_lc_key *k;
	enum kw_lc_prune reason;
	const char *result; /* "would delete", "deleted", "kept: ...", "failed" */
};

static void print_results(struct audit *A, const struct prune *p, size_t np)
{
	struct kw_ctx *ctx = A->ctx;
	enum kw_output_format fmt = kw_cmd_output_format(ctx, ctx->out);
	static const char *const kcols[] = {"User",     "AccessKeyId", "Status", "AgeDays",
	                                    "LastUsed", "Service",     "Region"};
	static const char *const fcols[] = {"Code", "User", "Resource", "Message"};
	static const char *const pcols[] = {"User", "AccessKeyId", "Reason", "LastUsed", "Result"};
	struct kw_table *kt = NULL, *ft = NULL, *pt = NULL;
	bool color = kw_cmd_color(ctx);
	char slot[32], age[32], used[32];

	if (fmt == KW_OUTPUT_JSON) {
		json_t *root = json_object(), *keys = json_array(), *fs = json_array(), *pr = json_array();

		for (size_t i = 0; i < A->n; i++)
			for (size_t k = 0; k < A->e[i].nkeys; k++)
				json_array_append_new(keys, key_json(&A->e[i], &A->e[i].keys[k], A->now));
		for (size_t i = 0; i < A->findings.n; i++) {
			const struct kw_lc_finding *f = &A->findings.v[i];
			json_array_append_new(fs, json_pack("{s:s, s:s, s:s, s:s}", "code",
			                                    kw_lc_code_name(f->code), "user", f->user,
			                                    "resource", f->resource, "message", f->message));
		}
		for (size_t i = 0; i < np; i++)
			json_array_append_new(
			        pr, json_pack("{s:s, s:s, s:s, s:s}", "user", p[i].e->s.user, "access_key_id",
			                      key_label(p[i].k, slot, sizeof(slot)), "reason",
			                      kw_lc_prune_name(p[i].reason), "result", p[i].result));
		json_object_set_new(root, "keys", keys);
		json_object_set_new(root, "findings", fs);
		if (A->o.prune)
			json_object_set_new(root, "prune", pr);
		else
			json_decref(pr);
		if (A->report_time) {
			char gen[32];
			kw_lc_iso8601(A->report_time, gen, sizeof(gen));
			json_object_set_new(
			        root, "credential_report",
			        json_pack(
			                "{s:s, s:I}", "generated", gen, "age_seconds",
			                (json_int_t)(A->now > A->report_time ? A->now - A->report_time : 0)));
		}
		kw_json_print(root, ctx->out);
		json_decref(root);
		return;
	}
	kt = kw_table_new("Access keys", 7, kcols);
	ft = kw_table_new("Findings", 4, fcols);
	pt = kw_table_new("Unused keys", 5, pcols);
	if (!kt || !ft || !pt)
		goto out;
	for (size_t i = 0; i < A->n; i++)
		for (size_t k = 0; k < A->e[i].nkeys; k++) {
			const struct kw_lc_key *key = &A->e[i].keys[k];
			snprintf(age, sizeof(age), "%ld", kw_lc_age_days(key->created, A->now));
			day(key->last_used, used, sizeof(used));
			kw_table_add_row(
			        kt, (const char *const[]){A->e[i].s.user, key_label(key, slot, sizeof(slot)),
			                                  key->active ? "Active" : "Inactive", age, used,
			                                  key->last_used ? or_dash(key->last_service) : "-",
			                                  key->last_used ? or_dash(key->last_region) : "-"});
		}
	for (size_t i = 0; i < A->findings.n; i++) {
		const struct kw_lc_finding *f = &A->findings.v[i];
		kw_table_add_row(ft, (const char *const[]){kw_lc_code_name(f->code), f->user, f->resource,
		                                           f->message});
	}
	for (size_t i = 0; i < np; i++) {
		day(p[i].k->last_used, used, sizeof(used));
		kw_table_add_row(pt,
		                 (const char *const[]){p[i].e->s.user, key_label(p[i].k, slot, sizeof(slot)),
		                                       kw_lc_prune_name(p[i].reason), used, p[i].result});
	}
	if (fmt == KW_OUTPUT_TEXT) {
		/* the AWS CLI's text output: one line per row, tab-separated, led by the record kind */
		for (size_t i = 0; i < A->n; i++)
			for (size_t k = 0; k < A->e[i].nkeys; k++) {
				const struct kw_lc_key *key = &A->e[i].keys[k];
				day(key->last_used, used, sizeof(used));
				fprintf(ctx->out, "KEY\t%s\t%s\t%s\t%ld\t%s\t%s\t%s\n", A->e[i].s.user,
				        key_label(key, slot, sizeof(slot)),
				        key->active ? "Active" : "Inactive",
				        kw_lc_age_days(key->created, A->now), used,
				        key->last_used ? or_dash(key->last_service) : "-",
				        key->last_used ? or_dash(key->last_region) : "-");
			}
		for (size_t i = 0; i < A->findings.n; i++)
			fprintf(ctx->out, "FINDING\t%s\t%s\t%s\t%s\n", kw_lc_code_name(A->findings.v[i].code),
			        A->findings.v[i].user, A->findings.v[i].resource, A->findings.v[i].message);
		for (size_t i = 0; i < np; i++)
			fprintf(ctx->out, "PRUNE\t%s\t%s\t%s\t%s\n", p[i].e->s.user,
			        key_label(p[i].k, slot, sizeof(slot)), kw_lc_prune_name(p[i].reason),
			        p[i].result);
		goto out;
	}
	kw_table_print(kt, KW_OUTPUT_TABLE, ctx->out, color);
	if (kw_table_rows(ft))
		kw_table_print(ft, KW_OUTPUT_TABLE, ctx->out, color);
	if (kw_table_rows(pt))
		kw_table_print(pt, KW_OUTPUT_TABLE, ctx->out, color);
out:
	kw_table_free(kt);
	kw_table_free(ft);
	kw_table_free(pt);
}

/* --- pruning ------------------------------------------------------------------------------- */

static size_t collect_prune(struct audit *A, struct prune **out)
{
	struct prune *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < A->n; i++)
		for (size_t k = 0; k < A->e[i].nkeys; k++) {
			struct kw_lc_key *key = &A->e[i].keys[k];
			enum kw_lc_prune why = kw_lc_prune_reason(&A->e[i].s, key, A->o.older_than, A->now);
			struct prune *p;

			if (why == KW_LC_PRUNE_KEEP || !key->id)
				continue;
			p = realloc(v, (n + 1) * sizeof(*v));
			if (!p)
				break;
			v = p;
			v[n++] = (struct prune){&A->e[i], key, why, "would delete"};
		}
	*out = v;
	return n;
}

/* Delete one key after reading its last use again: a key used meanwhile is kept. */
static void prune_one(struct audit *A, struct prune *p)
{
	struct kw_iam_access_key_last_used lu = {0};
	struct kw_lc_key fresh = *p->k;
	struct kw_error err;

	if (kw_iam_get_access_key_last_used(A->c, p->k->id, &lu, &err)) {
		kw_error_print(&err, A->ctx->err);
		p->result = "failed";
		A->failed = true;
		return;
	}
	fresh.last_used = lu.last_used_date;
	kw_iam_access_key_last_used_release(&lu);
	if (kw_lc_prune_reason(&p->e->s, &fresh, A->o.older_than, A->now) == KW_LC_PRUNE_KEEP) {
		p->result = "kept: used meanwhile";
		return;
	}
	if (kw_iam_delete_access_key(A->c, p->e->s.user, p->k->id, &err) && err.kind != KW_ERR_NOT_FOUND) {
		kw_error_print(&err, A->ctx->err);
		p->result = "failed";
		A->failed = true;
		return;
	}
	p->result = "deleted";
	if (kw_cmd_untag_key(A->c, p->e->s.user, p->k->id, &err))
		kw_log(KW_LOG_WARN, "%s: key %s deleted, but not its keywarden tags: %s", p->e->s.user,
		       p->k->id, err.msg);
}

static void prune(struct audit *A, struct prune *p, size_t np)
{
	int yes = 1;
	char slot[32];

	if (!np)
		return;
	if (!A->o.yes) {
		fprintf(A->ctx->err, "Unused keys:\n");
		for (size_t i = 0; i < np; i++)
			fprintf(A->ctx->err, "  - %s %s (%s)\n", p[i].e->s.user,
			        key_label(p[i].k, slot, sizeof(slot)), kw_lc_prune_name(p[i].reason));
		yes = kw_cmd_ask(A->ctx, "Delete these keys? [y/N] ");
		if (yes < 0)
			fprintf(A->ctx->err, "note: no terminal to ask: listed only (add --yes to delete)\n");
		else if (!yes)
			fprintf(A->ctx->err, "nothing deleted\n");
	}
	if (yes <= 0)
		return;
	for (size_t i = 0; i < np; i++)
		prune_one(A, &p[i]);
}

/* --- command ------------------------------------------------------------------------------- */

static void audit_release(struct audit *A)
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

int cmd_audit(int argc, char **argv, struct kw_ctx *ctx)
{
	enum { OPT_ALL = 256, OPT_UNUSED, OPT_PRUNE, OPT_OLDER, OPT_YES };
	static const struct option longopts[] = {
	        {"all-users", no_argument, NULL, OPT_ALL},
	        {"unused-days", required_argument, NULL, OPT_UNUSED},
	        {"prune-unused", no_argument, NULL, OPT_PRUNE},
	        {"older-than", required_argument, NULL, OPT_OLDER},
	        {"yes", no_argument, NULL, OPT_YES},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct audit A = {.ctx = ctx, .o = {.unused_days = KW_LC_DEFAULT_UNUSED_DAYS}};
	struct kw_aws_options aopt;
	struct kw_lc_audit_opts ao;
	struct prune *p = NULL;
	struct kw_error err = {0};
	size_t np = 0;
	int opt, rc = KW_EXIT_ERROR;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h': fprintf(ctx->out, "%s\n%s", usage, kw_common_options_help); return KW_EXIT_OK;
		case OPT_ALL: A.o.all_users = true; break;
		case OPT_PRUNE: A.o.prune = true; break;
		case OPT_YES: A.o.yes = true; break;
		case OPT_UNUSED:
			if (kw_cmd_parse_days(optarg, 1, 36500, &A.o.unused_days))
				return kw_cmd_usage_error(ctx, usage,
				                          "--unused-days wants whole days from 1");
			break;
		case OPT_OLDER:
			if (kw_cmd_parse_days(optarg, 1, 36500, &A.o.older_than))
				return kw_cmd_usage_error(ctx, usage, "--older-than wants whole days from 1");
			break;
		default: return kw_cmd_bad_option(ctx, usage, "audit", "h", longopts, argv);
		}
	}
	if (A.o.all_users && optind < argc)
		return kw_cmd_usage_error(ctx, usage, "--all-users reads every user: give no NAME");
	if (!A.o.prune && (A.o.older_than || A.o.yes))
		return kw_cmd_usage_error(ctx, usage, "--older-than and --yes go with --prune-unused");
	if (!A.o.older_than)
		A.o.older_than = A.o.unused_days;

	if (optind < argc && kw_cmd_resolve_accounts(ctx, argv + optind, (size_t)(argc - optind), &A.accts))
		goto out;
	kw_cmd_aws_options(ctx, ctx->profile, &aopt);
	if (kw_aws_client_new(&aopt, &A.c, &err))
		goto fail;
	A.now = time(NULL);
	if (A.o.all_users) {
		if (read_report(&A, &err))
			goto fail;
	} else if ((optind == argc && discover_managed(&A, &err)) || read_accounts(&A, &err)) {
		goto fail;
	}
	if (A.report_time) {
		char gen[32];
		long age = A.now > A.report_time ? (long)(A.now - A.report_time) : 0;
		kw_lc_iso8601(A.report_time, gen, sizeof(gen));
		fprintf(ctx->err, "credential report generated %s (%ld minute%s ago)\n", gen, age / 60,
		        age / 60 == 1 ? "" : "s");
	}
	ao = (struct kw_lc_audit_opts){.now = A.now, .unused_days = A.o.unused_days};
	for (size_t i = 0; i < A.n; i++) {
		if (A.e[i].missing && A.e[i].s.origin) {
			fprintf(ctx->err, "note: %s: no such user yet (apply creates it)\n", A.e[i].s.user);
			continue;
		}
		if (A.e[i].missing) { /* a bare NAME that names nobody: a bad NAME (exit 1) */
			kw_error_set(&err, KW_ERR_NOT_FOUND, A.e[i].s.user, "no such IAM user");
			kw_error_print(&err, ctx->err);
			A.failed = true;
			continue;
		}
		if (kw_lc_audit(&A.e[i].s, &ao, &A.findings)) {
			kw_error_set(&err, KW_ERR_NOMEM, NULL, "out of memory");
			goto fail;
		}
	}
	if (A.o.prune) {
		np = collect_prune(&A, &p);
		prune(&A, p, np);
	}
	print_results(&A, p, np);
	rc = A.failed ? KW_EXIT_ERROR : A.findings.n ? KW_EXIT_FINDINGS : KW_EXIT_OK;
	goto out;
fail:
	kw_error_print(&err, ctx->err);
out:
	free(p);
	audit_release(&A);
	return rc;
}
