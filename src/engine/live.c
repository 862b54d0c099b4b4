#include "engine/live.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/iam.h"
#include "engine/exec.h"
#include "util/error.h"
#include "util/log.h"
#include "util/vocab.h"
#include "util/wait.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

#define DUP(dst, src)                                \
	do {                                         \
		if ((src) && !((dst) = strdup(src))) \
			goto nomem;                  \
	} while (0)

/* The inline policies (with their documents) and the managed policy ARNs of a user or group; -1 OOM. */
static int fill_policies(struct kw_doclist *inline_policies, struct kw_strlist *managed_arns,
                         const struct kw_iam_inline_policy_list *policies,
                         const struct kw_iam_attached_policy_list *attached)
{
	for (size_t i = 0; i < policies->n; i++)
		if (kw_doclist_add(inline_policies, policies->items[i].policy_name,
		                   policies->items[i].document))
			return -1;
	for (size_t i = 0; i < attached->n; i++)
		if (kw_strlist_add(managed_arns, attached->items[i].policy_arn))
			return -1;
	return 0;
}

static int fill_user(struct kw_live_user *u, const struct kw_iam_user_detail *d, struct kw_error *err)
{
	u->exists = true;
	DUP(u->name, d->user.user_name);
	DUP(u->path, d->user.path);
	DUP(u->arn, d->user.arn);
	DUP(u->id, d->user.user_id);
	DUP(u->boundary, d->user.permissions_boundary_arn);
	for (size_t i = 0; i < d->user.tags.n; i++)
		if (kw_taglist_add(&u->tags, d->user.tags.items[i].key, d->user.tags.items[i].value))
			goto nomem;
	for (size_t i = 0; i < d->groups.n; i++)
		if (kw_strlist_add(&u->groups, d->groups.items[i]))
			goto nomem;
	if (fill_policies(&u->inline_policies, &u->managed_arns, &d->policies, &d->attached))
		goto nomem;
	return 0;
nomem:
	return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

static int fill_group(struct kw_live_group *g, const struct kw_iam_group_detail *d, struct kw_error *err)
{
	g->exists = true;
	DUP(g->name, d->group.group_name);
	DUP(g->path, d->group.path);
	DUP(g->arn, d->group.arn);
	if (fill_policies(&g->inline_policies, &g->managed_arns, &d->policies, &d->attached))
		goto nomem;
	return 0;
nomem:
	return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

/* The device name of an MFA serial "arn:aws:iam::123456789012:mfa/path/name": the last part. */
static const char *mfa_name(const char *serial)
{
	const char *slash = strrchr(serial, '/');

	return slash ? slash + 1 : serial;
}

/* Extra tries of a read that failed transiently after the client's own retries. */
#define READ_TRIES 4

/* Whether to try a failed read again (try is 1-based); sleeps before saying yes. */
static bool again(int try, const struct kw_error *err)
{
	if (try >= READ_TRIES || !kw_error_transient(err))
		return false;
	kw_log(KW_LOG_INFO, "%s failed (%s), reading again", err->where[0] ? err->where : "read",
	       err->aws_code[0] ? err->aws_code : kw_error_kind_name(err->kind));
	kw_sleep_ms(kw_backoff_delay_ms(try + 1, 4000), false);
	return true;
}

/* Whether u carries the delivered tag of key id (KW_DELIVERED_TAG_PREFIX). */
static bool delivered_tagged(const struct kw_live_user *u, const char *id)
{
	size_t n = strlen(KW_DELIVERED_TAG_PREFIX);

	for (size_t i = 0; i < u->tags.n; i++)
		if (!strncmp(u->tags.v[i].key, KW_DELIVERED_TAG_PREFIX, n) &&
		    !strcmp(u->tags.v[i].key + n, id))
			return true;
	return false;
}

/*
 * Mark the active keys nobody can hold: no delivered tag and never used (one
 * GetAccessKeyLastUsed per active key without the tag; none for tagged keys).
 */
static int mark_undelivered(struct kw_aws_client *c, struct kw_live_user *u, struct kw_error *err)
{
	for (size_t i = 0; i < u->nkeys; i++) {
		struct kw_live_key *k = &u->keys[i];
		struct kw_iam_access_key_last_used lu = {0};
		int try;

		if (!k->active || delivered_tagged(u, k->id))
			continue;
		for (try = 1; kw_iam_get_access_key_last_used(c, k->id, &lu, err); try++) {
			if (err->kind == KW_ERR_NOT_FOUND)
				break; /* deleted meanwhile */
			if (!again(try, err))
				return -1;
		}
		k->undelivered = lu.user_name && lu.last_used_date == 0;
		kw_iam_access_key_last_used_release(&lu);
	}
	kw_error_clear(err);
	return 0;
}

/* Per-account reads that have no bulk form: access keys and the login profile. */
static int read_account(struct kw_aws_client *c, struct kw_live_account *a, struct kw_error *err)
{
	struct kw_iam_access_key_list keys = {0};
	struct kw_iam_login_profile lp = {0};
	int rc = -1;

	if (!a->user.exists)
		return 0;
	for (int try = 1; kw_iam_list_access_keys(c, a->user.name, &keys, err); try++)
		if (!again(try, err))
			goto out;
	a->user.keys_read = true;
	for (size_t i = 0; i < keys.n; i++)
		if (kw_live_add_key(&a->user, keys.items[i].access_key_id,
		                    keys.items[i].status == KW_IAM_KEY_ACTIVE, keys.items[i].create_date)) {
			kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
	if (mark_undelivered(c, &a->user, err))
		goto out;
	for (int try = 1;; try++) {
		if (kw_iam_get_login_profile(c, a->user.name, &lp, err) == 0) {
			a->user.login_profile = true;
			break;
		}
		if (err->kind == KW_ERR_NOT_FOUND)
			break;
		if (!again(try, err))
			goto out;
	}
	rc = 0;
out:
	kw_iam_access_key_list_release(&keys);
	kw_iam_login_profile_release(&lp);
	return rc;
}

struct pool {
	struct kw_aws_client *c;
	struct kw_live_account *out;
	size_t n, next;
	bool failed;
	struct kw_error err; /* the first failure */
	pthread_mutex_t mu;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct kw_error err;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->mu);
		if (p->failed || p->next >= p->n) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		kw_error_clear(&err);
		if (read_account(p->c, &p->out[i], &err)) {
			pthread_mutex_lock(&p->mu);
			if (!p->failed) {
				p->failed = true;
				p->err = err;
			}
			pthread_mutex_unlock(&p->mu);
		}
	}
}

/*
 * The MFA devices of user_name from every device of the account (mfa) into a: those assigned
 * to the user, and the first unassigned virtual one named like the user (orphan_mfa).
 */
static int fill_mfa(struct kw_live_account *a, const char *user_name,
                    const struct kw_iam_mfa_device_list *mfa, struct kw_error *err)
{
	for (size_t k = 0; k < mfa->n; k++) {
		const struct kw_iam_mfa_device *m = &mfa->items[k];

		if (!m->serial_number)
			continue;
		if (m->user_name && !strcasecmp(m->user_name, user_name)) {
			if (kw_strlist_add(&a->user.mfa, m->serial_number))
				return kw_error_nomem(err);
		} else if (!m->user_name && !strcasecmp(mfa_name(m->serial_number), user_name) &&
		           !a->orphan_mfa) {
			if (!(a->orphan_mfa = dup_or_null(m->serial_number)))
				return kw_error_nomem(err);
		}
	}
	return 0;
}

static int read_parallel(struct kw_aws_client *c, struct kw_live_account *out, size_t n, int parallelism,
                         struct kw_error *err)
{
	struct pool p = {.c = c, .out = out, .n = n};
	pthread_t th[KW_LIVE_PARALLELISM_MAX];
	size_t nth = 0, want;

	if (parallelism < 1)
		parallelism = 1;
	if (parallelism > KW_LIVE_PARALLELISM_MAX)
		parallelism = KW_LIVE_PARALLELISM_MAX;
	want = n < (size_t)parallelism ? n : (size_t)parallelism;
	pthread_mutex_init(&p.mu, NULL);
	/* the calling thread works too; extra threads only when there is more than one account */
	for (size_t i = 1; i < want; i++) {
		if (pthread_create(&th[nth], NULL, worker, &p))
			break; /* fewer threads is still correct */
		nth++;
	}
	worker(&p);
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	if (p.failed) {
		*err = p.err;
		return -1;
	}
	return 0;
}

/* Whether an IAM user is the owner's, managed by keywarden, and named by no desired account. */
static bool orphan(const struct kw_iam_user_detail *u, const char *owner, const struct kw_desired *desired,
                   size_t n)
{
	bool managed = false, owned = false;

	if (!u->user.user_name)
		return false;
	for (size_t i = 0; i < u->user.tags.n; i++) {
		const char *k = u->user.tags.items[i].key, *v = u->user.tags.items[i].value;

		managed |= kw_tag_is_managed(k, v);
		owned |= kw_tag_key_eq(k, KW_OWNER_TAG_KEY) && !strcmp(v, owner);
	}
	if (!managed || !owned)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(desired[i].user_name, u->user.user_name))
			return false;
	return true;
}

int kw_live_read(struct kw_aws_client *c, const struct kw_desired *desired, size_t n, int parallelism,
                 struct kw_live_account *out, struct kw_error *err)
{
	return kw_live_read_owned(c, desired, n, parallelism, NULL, out, NULL, err);
}

static int read_owned(struct kw_aws_client *c, const struct kw_desired *desired, size_t n, int parallelism,
                      const char *owner, struct kw_live_account *out, struct kw_strlist *orphans,
                      struct kw_error *err);

/* The client desired[i] is read through: its AWS account's, else the run's. */
static struct kw_aws_client *client_of(struct kw_aws_client *c, const struct kw_desired *d)
{
	return d->client ? d->client : c;
}

/*
 * Accounts in several AWS accounts (--role-arn): one read per AWS account, each of its own
 * accounts only (the bulk reads and the orphans are per AWS account), results moved back.
 */
static int read_grouped(struct kw_aws_client *c, const struct kw_desired *desired, size_t n, int parallelism,
                        const char *owner, struct kw_live_account *out, struct kw_strlist *orphans,
                        struct kw_error *err)
{
	struct kw_desired *d = calloc(n, sizeof(*d));
	struct kw_live_account *o = calloc(n, sizeof(*o));
	size_t *idx = calloc(n, sizeof(*idx));
	bool *done = calloc(n, sizeof(*done));
	int rc = 0;

	if (!d || !o || !idx || !done) {
		rc = kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		struct kw_aws_client *g = client_of(c, &desired[i]);
		size_t k = 0;

		if (done[i])
			continue;
		for (size_t j = i; j < n; j++)
			if (!done[j] && client_of(c, &desired[j]) == g) {
				done[j] = true;
				idx[k] = j;
				d[k++] = desired[j]; /* a shallow copy, read only */
			}
		rc = read_owned(g, d, k, parallelism, owner, o, orphans, err);
		for (size_t j = 0; j < k; j++) { /* moved, also on failure (the caller releases) */
			out[idx[j]] = o[j];
			memset(&o[j], 0, sizeof(o[j]));
		}
	}
out:
	free(d);
	free(o);
	free(idx);
	free(done);
	return rc;
}

int kw_live_read_owned(struct kw_aws_client *c, const struct kw_desired *desired, size_t n, int parallelism,
                       const char *owner, struct kw_live_account *out, struct kw_strlist *orphans,
                       struct kw_error *err)
{
	for (size_t i = 1; i < n; i++)
		if (client_of(c, &desired[i]) != client_of(c, &desired[0]))
			return read_grouped(c, desired, n, parallelism, owner, out, orphans, err);
	return read_owned(n ? client_of(c, &desired[0]) : c, desired, n, parallelism, owner, out, orphans,
	                  err);
}

static int read_owned(struct kw_aws_client *c, const struct kw_desired *desired, size_t n, int parallelism,
                      const char *owner, struct kw_live_account *out, struct kw_strlist *orphans,
                      struct kw_error *err)
{
	struct kw_iam_authorization_details det = {0};
	struct kw_iam_mfa_device_list mfa = {0};
	int rc = -1;

	for (int try = 1;
	     kw_iam_get_account_authorization_details(c, KW_IAM_AAD_USER | KW_IAM_AAD_GROUP, 0, &det, err);
	     try++)
		if (!again(try, err))
			goto out;
	for (int try = 1; kw_iam_list_virtual_mfa_devices(c, KW_IAM_ASSIGNMENT_ANY, 0, &mfa, err); try++)
		if (!again(try, err))
			goto out;
	for (size_t i = 0; i < n; i++) {
		const struct kw_desired *d = &desired[i];
		struct kw_live_account *a = &out[i];

		/* IAM names are unique regardless of case */
		for (size_t k = 0; k < det.nusers && !a->user.exists; k++)
			if (det.users[k].user.user_name &&
			    !strcasecmp(det.users[k].user.user_name, d->user_name) &&
			    fill_user(&a->user, &det.users[k], err))
				goto out;
		for (size_t k = 0; k < det.ngroups && !a->group.exists; k++)
			if (det.groups[k].group.group_name &&
			    !strcasecmp(det.groups[k].group.group_name, d->group_name) &&
			    fill_group(&a->group, &det.groups[k], err))
				goto out;
		if (fill_mfa(a, d->user_name, &mfa, err))
			goto out;
	}
	for (size_t k = 0; owner && orphans && k < det.nusers; k++)
		if (orphan(&det.users[k], owner, desired, n) &&
		    kw_strlist_add(orphans, det.users[k].user.user_name)) {
			kw_error_nomem(err);
			goto out;
		}
	rc = read_parallel(c, out, n, parallelism, err);
out:
	kw_iam_authorization_details_release(&det);
	kw_iam_mfa_device_list_release(&mfa);
	return rc;
}

int kw_live_account_id(const char *arn, char *buf, size_t size)
{
	/* arn:PARTITION:iam::ACCOUNT:... */
	const char *p = arn;
	size_t len;

	for (int i = 0; i < 4 && p; i++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	len = strcspn(p, ":");
	if (len == 0 || len >= size || p[len] != ':')
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}
