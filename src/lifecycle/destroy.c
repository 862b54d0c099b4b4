/*
 * destroy.c - reading, planning and running the teardown of service accounts (destroy.h).
 */
#include "lifecycle/destroy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/iam.h"
#include "engine/live.h"
#include "engine/runner.h"
#include "keys/record.h"
#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/interrupt.h"
#include "util/vocab.h"
#include "util/wait.h"

static const char **names_of_docs(const struct kw_doclist *l)
{
	const char **v = calloc(l->n ? l->n : 1, sizeof(*v));

	for (size_t i = 0; v && i < l->n; i++)
		v[i] = l->v[i].name;
	return v;
}

static const char **names_of_keys(const struct kw_live_user *u)
{
	const char **v = calloc(u->nkeys ? u->nkeys : 1, sizeof(*v));

	for (size_t i = 0; v && i < u->nkeys; i++)
		v[i] = u->keys[i].id;
	return v;
}

/* Count the group's members other than user (GetGroup, retried while transient). */
static int other_members(struct kw_aws_client *c, const char *group, const char *user, size_t *n,
                         struct kw_error *err)
{
	struct kw_iam_group g = {0};
	struct kw_iam_user_list members = {0};
	struct kw_wait w;

	*n = 0;
	kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
	while (kw_iam_get_group(c, group, &g, &members, err))
		if (err->kind == KW_ERR_NOT_FOUND)
			return 0;
		else if (!kw_wait_retry(&w, err))
			return -1;
	for (size_t i = 0; i < members.n; i++)
		if (strcasecmp(members.items[i].user_name, user))
			++*n;
	kw_iam_group_release(&g);
	kw_iam_user_list_release(&members);
	return 0;
}

/*
 * The user's SSH keys, signing certificates and service-specific credentials, and every MFA
 * device assigned to it: the live picture knows the virtual ones (ListVirtualMFADevices), only
 * ListMFADevices knows hardware tokens. Retried while transient.
 */
static int list_creds(struct kw_aws_client *c, const char *user, const struct kw_live_user *lu,
                      struct kw_lc_destroy_job *j, struct kw_error *err)
{
	struct kw_iam_names *creds = j->creds;
	struct kw_wait w;

	kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
	while (kw_iam_list_mfa_devices(c, user, &j->mfa_listed, err))
		if (!kw_wait_retry(&w, err))
			return kw_error_prefix(err, "listing the MFA devices of %s", user);
	if (!(j->mfa = calloc(lu->mfa.n + j->mfa_listed.n + 1, sizeof(*j->mfa))))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < lu->mfa.n; i++)
		j->mfa[j->nmfa++] = lu->mfa.v[i];
	for (size_t i = 0; i < j->mfa_listed.n; i++) {
		bool known = false;

		for (size_t k = 0; k < lu->mfa.n; k++)
			known |= !strcmp(lu->mfa.v[k], j->mfa_listed.items[i].serial_number);
		if (!known)
			j->mfa[j->nmfa++] = j->mfa_listed.items[i].serial_number;
	}
	for (int kind = KW_IAM_SSH_PUBLIC_KEY; kind <= KW_IAM_SERVICE_CREDENTIAL; kind++) {
		kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
		while (kw_iam_list_user_creds(c, (enum kw_iam_user_cred)kind, user, &creds[kind], err))
			if (!kw_wait_retry(&w, err))
				return kw_error_prefix(err, "listing the other credentials of %s", user);
	}
	return 0;
}

static int plan_job(struct kw_aws_client *c, const struct kw_lc_account *a, const struct kw_live_account *l,
                    struct kw_lc_destroy_job *j, struct kw_error *err)
{
	const struct kw_live_user *lu = &l->user;
	const struct kw_live_group *lg = &l->group;
	const char *orphan[1] = {l->orphan_mfa};

	j->acct = a;
	if (lu->arn && kw_live_account_id(lu->arn, j->account_id, sizeof(j->account_id)))
		j->account_id[0] = '\0';
	if (!lu->exists) {
		j->missing = true;
		j->skip = lg->exists && a->group
		                  ? "the user is gone; its group is left alone (keywarden knows a group "
		                    "through its tagged user)"
		                  : "nothing left to destroy";
		return 0;
	}
	if (!kw_live_user_managed(lu)) {
		j->refuse = true;
		kw_error_set(&j->error, KW_ERR_CONFLICT, a->user,
		             "not tagged %s: %s, so keywarden leaves it alone", KW_MANAGED_TAG_KEY,
		             KW_MANAGED_TAG_VALUE);
		return 0;
	}
	if (list_creds(c, a->user, lu, j, err))
		return -1;
	j->keys = names_of_keys(lu);
	j->inl_user = names_of_docs(&lu->inline_policies);
	j->inl_group = names_of_docs(&lg->inline_policies);
	j->steps = calloc(KW_LC_TD_MAX_STEPS, sizeof(*j->steps));
	if (!j->keys || !j->inl_user || !j->inl_group || !j->steps)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	j->u = (struct kw_lc_td_user){
	        .name = a->user,
	        .exists = true,
	        .keys = {j->keys, lu->nkeys},
	        .creds = {{(const char *const *)j->creds[0].items, j->creds[0].n},
	                  {(const char *const *)j->creds[1].items, j->creds[1].n},
	                  {(const char *const *)j->creds[2].items, j->creds[2].n}},
	        .mfa = {j->mfa, j->nmfa},
	        .login_profile = lu->login_profile,
	        .groups = {(const char *const *)lu->groups.v, lu->groups.n},
	        .inline_policies = {j->inl_user, lu->inline_policies.n},
	        .managed_arns = {(const char *const *)lu->managed_arns.v, lu->managed_arns.n},
	        .boundary = lu->boundary != NULL,
	};
	if (a->group && lg->exists) {
		j->g = (struct kw_lc_td_group){
		        .name = a->group,
		        .exists = true,
		        .inline_policies = {j->inl_group, lg->inline_policies.n},
		        .managed_arns = {(const char *const *)lg->managed_arns.v, lg->managed_arns.n},
		};
		if (other_members(c, a->group, a->user, &j->g.other_members, err))
			return -1;
	}
	if (kw_lc_teardown_plan(&j->u, &j->g, (struct kw_lc_names){orphan, l->orphan_mfa ? 1 : 0}, j->steps,
	                        KW_LC_TD_MAX_STEPS, &j->nsteps))
		return kw_error_set(err, KW_ERR_INVALID, a->user, "more than %d steps", KW_LC_TD_MAX_STEPS);
	return 0;
}

/* Planning every account's teardown (its reads), accounts side by side (engine/runner.h). */
struct planning {
	struct kw_aws_client *c;
	const struct kw_lc_accounts *accts;
	struct kw_lc_destroy *out;
	struct kw_error *err; /* the first failure (under the runner's lock) */
	bool failed;
};

static void plan_one(void *ud, struct kw_runner *r, size_t i)
{
	struct planning *p = ud;
	struct kw_error err;

	kw_error_clear(&err);
	if (!p->accts->v[i].group)
		p->out->live[i].group.exists = false;
	/* through its AWS account's client (--role-arn), else the run's */
	if (!plan_job(p->accts->v[i].client ? p->accts->v[i].client : p->c, &p->accts->v[i], &p->out->live[i],
	              &p->out->jobs[i], &err))
		return;
	kw_runner_lock(r);
	if (!p->failed)
		*p->err = err;
	p->failed = true;
	kw_runner_unlock(r);
}

static int plan_jobs(struct kw_aws_client *c, const struct kw_lc_accounts *accts, struct kw_lc_destroy *out,
                     struct kw_error *err)
{
	struct planning p = {c, accts, out, err, false};
	struct kw_runner_spec rs = {
	        .n = accts->n, .parallelism = KW_LIVE_PARALLELISM, .run = plan_one, .ud = &p};

	if (kw_runner_run(&rs, err) || p.failed)
		return -1;
	for (size_t i = 0; i < accts->n; i++)
		out->total += out->jobs[i].nsteps;
	return 0;
}

int kw_lc_destroy_prepare(struct kw_aws_client *c, const struct kw_lc_accounts *accts,
                          struct kw_lc_destroy *out, struct kw_error *err)
{
	size_t n = accts->n;

	memset(out, 0, sizeof(*out));
	out->desired = calloc(n ? n : 1, sizeof(*out->desired));
	out->live = calloc(n ? n : 1, sizeof(*out->live));
	out->jobs = calloc(n ? n : 1, sizeof(*out->jobs));
	if (!out->desired || !out->live || !out->jobs)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		const struct kw_lc_account *a = &accts->v[i];

		/* only the names matter to the reader; an unknown group reads as the user's name and is ignored */
		out->desired[i].name = (char *)a->user;
		out->desired[i].user_name = (char *)a->user;
		out->desired[i].group_name = (char *)(a->group ? a->group : a->user);
		out->desired[i].client = a->client; /* its AWS account's (--role-arn), or NULL */
	}
	if (kw_live_read(c, out->desired, n, KW_LIVE_PARALLELISM, out->live, err))
		return -1;
	return plan_jobs(c, accts, out, err);
}

static int run_step(struct kw_aws_client *c, const struct kw_lc_td_step *s, struct kw_error *err)
{
	switch (s->op) {
	case KW_LC_TD_DELETE_ACCESS_KEY: return kw_iam_delete_access_key(c, s->subject, s->arg, err);
	case KW_LC_TD_DELETE_SSH_KEY:
		return kw_iam_delete_user_cred(c, KW_IAM_SSH_PUBLIC_KEY, s->subject, s->arg, err);
	case KW_LC_TD_DELETE_SIGNING_CERT:
		return kw_iam_delete_user_cred(c, KW_IAM_SIGNING_CERTIFICATE, s->subject, s->arg, err);
	case KW_LC_TD_DELETE_SERVICE_CRED:
		return kw_iam_delete_user_cred(c, KW_IAM_SERVICE_CREDENTIAL, s->subject, s->arg, err);
	case KW_LC_TD_DEACTIVATE_MFA: return kw_iam_deactivate_mfa_device(c, s->subject, s->arg, err);
	case KW_LC_TD_DELETE_VIRTUAL_MFA: return kw_iam_delete_virtual_mfa_device(c, s->arg, err);
	case KW_LC_TD_DELETE_LOGIN_PROFILE: return kw_iam_delete_login_profile(c, s->subject, err);
	case KW_LC_TD_REMOVE_FROM_GROUP: return kw_iam_remove_user_from_group(c, s->arg, s->subject, err);
	case KW_LC_TD_DELETE_USER_POLICY: return kw_iam_delete_user_policy(c, s->subject, s->arg, err);
	case KW_LC_TD_DETACH_USER_POLICY: return kw_iam_detach_user_policy(c, s->subject, s->arg, err);
	case KW_LC_TD_DELETE_BOUNDARY: return kw_iam_delete_user_permissions_boundary(c, s->subject, err);
	case KW_LC_TD_DELETE_USER: return kw_iam_delete_user(c, s->subject, err);
	case KW_LC_TD_DELETE_GROUP_POLICY: return kw_iam_delete_group_policy(c, s->subject, s->arg, err);
	case KW_LC_TD_DETACH_GROUP_POLICY: return kw_iam_detach_group_policy(c, s->subject, s->arg, err);
	case KW_LC_TD_DELETE_GROUP: return kw_iam_delete_group(c, s->subject, err);
	}
	return kw_error_set(err, KW_ERR_INTERNAL, NULL, "unknown step");
}

/* One step, retried while transient; NoSuchEntity: someone got there first, done. */
static int run_step_retrying(struct kw_aws_client *c, const struct kw_lc_td_step *s, struct kw_error *err)
{
	struct kw_wait w;

	kw_wait_begin(&w, KW_LC_RETRY_SECONDS, true);
	for (;;) {
		kw_error_clear(err);
		if (!run_step(c, s, err) || err->kind == KW_ERR_NOT_FOUND)
			return 0;
		if (!kw_wait_retry(&w, err))
			return -1;
	}
}

int kw_lc_destroy_run(struct kw_aws_client *c, const struct kw_lc_destroy_job *job,
                      void (*on_event)(void *ud, const struct kw_lc_destroy_event *ev), void *ud,
                      size_t *done)
{
	struct kw_error err;

	if (job->acct->client) /* its AWS account's (--role-arn) */
		c = job->acct->client;
	*done = 0;
	for (size_t i = 0; i < job->nsteps; i++) {
		struct kw_lc_destroy_event ev = {KW_LC_DESTROY_STEP_DONE, job, &job->steps[i], *done, &err};

		kw_error_clear(&err);
		if (kw_interrupt_check(NULL, &err))
			ev.kind = KW_LC_DESTROY_STOPPED;
		else if (run_step_retrying(c, &job->steps[i], &err))
			/* a stop request ended the wait for a transient failure: a stop, not a failure */
			ev.kind = kw_error_transient(&err) && kw_interrupt_check(NULL, &err)
			                  ? KW_LC_DESTROY_STOPPED
			                  : KW_LC_DESTROY_FAILED;
		if (on_event)
			on_event(ud, &ev);
		if (ev.kind != KW_LC_DESTROY_STEP_DONE)
			return -1;
		++*done;
	}
	return 0;
}

/* One target dealt with: tell on_event (what it did, or why it failed; why: a note or NULL). */
static void told(const struct kw_lc_destroy_job *job, const struct kw_key_sink *sink,
                 enum kw_key_removed what, const struct kw_error *err, const char *why,
                 void (*on_event)(void *, const struct kw_lc_target_event *), void *ud)
{
	struct kw_lc_target_event ev = {job, NULL, what, err, why};
	char name[512];

	/* a profile is keywarden's when it holds one of the user's keys: none known, none provable */
	if (sink->kind == KW_KEY_SINK_PROFILE && what == KW_KEY_REMOVED_FOREIGN && !sink->nheld)
		ev.why =
		        job->missing
		                ? "kept: IAM has no such user any more, so whether the key it holds was this "
		                  "account's cannot be told; remove it by hand"
		                : "kept: the user had no access key, so the key it holds is not this "
		                  "account's";
	ev.target = kw_keys_sink_describe(sink, name, sizeof(name));
	if (on_event)
		on_event(ud, &ev);
}

/* The keys a target may hold to be this account's: IAM's, and those the record delivered. */
struct held_keys {
	const char **v; /* owned array of borrowed ids */
	size_t n;
};

/* Remove what sink holds for job's user; kept: the note when it is kept. 0, or -1 (told why). */
static int remove_target(const struct kw_lc_destroy_job *job, struct kw_key_sink *sink,
                         const struct held_keys *hk, const char *kept,
                         void (*on_event)(void *, const struct kw_lc_target_event *), void *ud)
{
	enum kw_key_removed what = KW_KEY_REMOVED_NOTHING;
	struct kw_error err;

	kw_error_clear(&err);
	sink->held = hk->v;
	sink->nheld = hk->n;
	if (kw_keys_remove(sink, job->acct->user, &what, &err)) {
		told(job, sink, what, &err, NULL, on_event, ud);
		return -1;
	}
	if (what != KW_KEY_REMOVED_NOTHING)
		told(job, sink, what, NULL, what == KW_KEY_REMOVED_FOREIGN ? kept : NULL, on_event, ud);
	return 0;
}

static bool same(const char *a, const char *b)
{
	return a ? b && !strcmp(a, b) : !b;
}

/* Whether place p is among the first n of v (same region and profile, NULL matching NULL). */
static bool place_seen(const struct kw_lc_store_place *v, size_t n, const struct kw_lc_store_place *p)
{
	for (size_t i = 0; i < n; i++)
		if (same(v[i].region, p->region) && same(v[i].profile, p->profile))
			return true;
	return false;
}

/*
 * The tagged entries of both store kinds at place: each found one removed (kw_keys_remove checks
 * its tags again); a listing that fails is told as the target "secretsManager secrets tagged
 * keywarden:user (REGION)". The region searched is appended to regions (", " between).
 */
static int sweep(const struct kw_lc_destroy_job *job, const struct kw_aws_options *aws,
                 const struct kw_lc_store_place *place, const struct held_keys *hk, struct kw_buf *regions,
                 void (*on_event)(void *, const struct kw_lc_target_event *), void *ud)
{
	static const enum kw_key_sink_kind kinds[] = {KW_KEY_SINK_SECRETS_MANAGER, KW_KEY_SINK_SSM_PARAMETER};
	static const char *const what[] = {"secrets", "parameters"};
	int rc = 0;

	for (size_t k = 0; k < 2; k++) {
		struct kw_key_sink where = {
		        .kind = kinds[k], .region = place->region, .profile = place->profile, .aws = aws};
		struct kw_key_stores_found found = {0};
		struct kw_error err;
		char label[256];

		kw_error_clear(&err);
		if (kw_keys_find_stores(&where, job->acct->user, &found, &err)) {
			struct kw_key_sink shown = where;

			snprintf(label, sizeof(label), "%s tagged %s: %s", what[k], KW_STORE_USER_TAG,
			         job->acct->user);
			shown.target = label;
			shown.region = found.region ? found.region : where.region;
			told(job, &shown, KW_KEY_REMOVED_NOTHING, &err, NULL, on_event, ud);
			rc = -1;
		}
		if (k == 0 && found.region && !strstr(regions->data ? regions->data : "", found.region))
			kw_buf_appendf(regions, "%s%s", regions->len ? ", " : "", found.region);
		for (size_t i = 0; i < found.n; i++) {
			struct kw_key_sink s = where;

			s.target = found.names[i];
			s.region = found.region;
			if (remove_target(job, &s, hk, NULL, on_event, ud))
				rc = -1;
		}
		kw_keys_stores_found_release(&found);
	}
	return rc;
}

/* Whether recorded target t is one of m's own targets (dealt with already). */
static bool manifest_names(const struct kw_manifest *m, const struct kw_key_record_target *t)
{
	for (size_t i = 0; m && i < m->ndeliver; i++) {
		struct kw_key_sink sink;

		kw_keys_sink_from_manifest(m, &m->deliver[i], NULL, &sink);
		if (kw_key_record_names(t, &sink))
			return true;
	}
	return false;
}

/*
 * The file and profile targets of the user's record (keys/record.h) that its manifest does not
 * name: each removed while it holds one of hk's keys, else kept with a note; then the record
 * goes, unless a removal failed (a rerun finishes). Returns 0, or -1 (told why).
 */
static int recorded(const struct kw_lc_destroy_job *job, const struct kw_key_record *rec,
                    const struct held_keys *hk, void (*on_event)(void *, const struct kw_lc_target_event *),
                    void *ud)
{
	static const char kept[] = "kept: it no longer holds this account's key (it changed after "
	                           "keywarden delivered there)";
	struct kw_error err;
	int rc = 0;

	for (size_t i = 0; i < rec->n; i++) {
		struct kw_key_sink sink;

		if (manifest_names(job->acct->manifest, &rec->v[i]))
			continue;
		kw_key_record_sink(&rec->v[i], &sink);
		if (remove_target(job, &sink, hk, kept, on_event, ud))
			rc = -1;
	}
	kw_error_clear(&err);
	if (!rc && kw_key_record_forget(rec, &err)) {
		struct kw_key_sink shown = {.kind = KW_KEY_SINK_FILE, .target = rec->path};

		told(job, &shown, KW_KEY_REMOVED_NOTHING, &err, NULL, on_event, ud);
		rc = -1;
	}
	return rc;
}

/* The record of job's user (into rec) and the keys its targets may hold (into hk). */
static int load_record(const struct kw_lc_destroy_job *job, struct kw_key_record *rec, struct held_keys *hk,
                       void (*on_event)(void *, const struct kw_lc_target_event *), void *ud)
{
	struct kw_error err;

	kw_error_clear(&err);
	if (kw_key_record_load(job->account_id[0] ? job->account_id : NULL, job->acct->user, rec, &err)) {
		struct kw_key_sink shown = {.kind = KW_KEY_SINK_FILE, .target = "the target record"};

		told(job, &shown, KW_KEY_REMOVED_NOTHING, &err, NULL, on_event, ud);
		return -1;
	}
	if (!(hk->v = calloc(job->u.keys.n + rec->n + 1, sizeof(*hk->v))))
		return -1;
	for (size_t i = 0; i < job->u.keys.n; i++)
		hk->v[hk->n++] = job->u.keys.v[i];
	for (size_t i = 0; i < rec->n; i++)
		hk->v[hk->n++] = rec->v[i].key_id;
	return 0;
}

int kw_lc_destroy_targets_in(const struct kw_lc_destroy_job *job, const struct kw_aws_options *aws,
                             const struct kw_lc_store_place *places, size_t nplaces,
                             void (*on_event)(void *ud, const struct kw_lc_target_event *ev), void *ud)
{
	const struct kw_manifest *m = job->acct->manifest;
	size_t nm = m ? m->ndeliver : 0, n = 0;
	struct kw_lc_store_place *all = calloc(1 + nm + nplaces, sizeof(*all));
	struct kw_buf regions = KW_BUF_INIT;
	struct kw_key_record rec = {0};
	struct held_keys hk = {0};
	int rc = 0;

	if (!all || load_record(job, &rec, &hk, on_event, ud)) {
		free(all);
		kw_key_record_release(&rec);
		return -1;
	}
	/* the manifest's own targets */
	for (size_t i = 0; i < nm; i++) {
		struct kw_key_sink sink;

		kw_keys_sink_from_manifest(m, &m->deliver[i], NULL, &sink);
		sink.aws = aws;
		if (remove_target(job, &sink, &hk, NULL, on_event, ud))
			rc = -1;
	}
	/* the files and profiles recorded where keywarden delivered, that the manifest no longer names */
	if (recorded(job, &rec, &hk, on_event, ud))
		rc = -1;
	/* then every secret and parameter tagged for the user: in the operator's region, in the
	 * regions (and with the profiles) of the manifest's stores, and in the places given */
	all[n++] = (struct kw_lc_store_place){NULL, NULL};
	for (size_t i = 0; i < nm; i++) {
		struct kw_lc_store_place p = {m->deliver[i].region, m->deliver[i].store_profile};

		if ((m->deliver[i].kind == KW_DELIVER_SECRETS_MANAGER ||
		     m->deliver[i].kind == KW_DELIVER_SSM_PARAMETER) &&
		    !place_seen(all, n, &p))
			all[n++] = p;
	}
	for (size_t i = 0; i < nplaces; i++)
		if (!place_seen(all, n, &places[i]))
			all[n++] = places[i];
	for (size_t i = 0; i < n; i++)
		if (sweep(job, aws, &all[i], &hk, &regions, on_event, ud))
			rc = -1;
	if (!m && !rec.path && on_event) {
		/* no manifest and no record here: its key files and profiles are not known; say so */
		struct kw_buf dir = KW_BUF_INIT;
		char why[1024];
		struct kw_lc_target_event ev = {job, "key files and profiles", KW_KEY_REMOVED_NOTHING, NULL,
		                                why};

		(void)kw_key_record_dir(&dir, NULL);
		snprintf(why, sizeof(why),
		         "not removed: no record of them in %s/targets (each machine records where it "
		         "delivered; destroy there, or destroy the manifest); secrets and parameters tagged "
		         "for it were looked for in %s",
		         dir.data ? dir.data : "the state folder",
		         regions.len ? regions.data : "the operator's region");
		on_event(ud, &ev);
		kw_buf_release(&dir);
	}
	kw_buf_release(&regions);
	kw_key_record_release(&rec);
	free(hk.v);
	free(all);
	return rc;
}

int kw_lc_destroy_targets(const struct kw_lc_destroy_job *job, const struct kw_aws_options *aws,
                          void (*on_event)(void *ud, const struct kw_lc_target_event *ev), void *ud)
{
	return kw_lc_destroy_targets_in(job, aws, NULL, 0, on_event, ud);
}

/* One destroy run over accounts: what every job shares (engine/runner.h). */
struct batch {
	struct kw_aws_client *c;
	struct kw_lc_destroy *d;
	const struct kw_lc_destroy_opts *o;
	struct kw_runner *r; /* in each job's copy: the runner whose lock serialises the callbacks */
};

/* The caller's callbacks, one call at a time. */
static void step_event(void *ud, const struct kw_lc_destroy_event *ev)
{
	struct batch *b = ud;

	kw_runner_lock(b->r);
	if (b->o->on_event)
		b->o->on_event(b->o->ud, ev);
	kw_runner_unlock(b->r);
}

static void target_event(void *ud, const struct kw_lc_target_event *ev)
{
	struct batch *b = ud;

	kw_runner_lock(b->r);
	if (b->o->on_target)
		b->o->on_target(b->o->ud, ev);
	kw_runner_unlock(b->r);
}

static void account_event(struct batch *b, struct kw_runner *r, const struct kw_lc_destroy_job *j)
{
	kw_runner_lock(r);
	if (b->o->on_account)
		b->o->on_account(b->o->ud, j);
	kw_runner_unlock(r);
}

/* How job j ends, before any target is removed. */
static enum kw_lc_destroy_end run_job(struct batch *b, struct kw_lc_destroy_job *j)
{
	if (j->refuse)
		return KW_LC_END_REFUSED;
	if (j->missing && !b->o->missing_ok)
		return KW_LC_END_NOT_FOUND;
	if (j->skip)
		return KW_LC_END_NOTHING;
	if (kw_interrupted())
		return KW_LC_END_NOT_STARTED;
	if (kw_lc_destroy_run(b->c, j, step_event, b, &j->done))
		return kw_interrupted() && j->done < j->nsteps ? KW_LC_END_STOPPED : KW_LC_END_FAILED;
	return KW_LC_END_DESTROYED;
}

static void destroy_job(void *ud, struct kw_runner *r, size_t i)
{
	struct batch *b = ud;
	struct kw_lc_destroy_job *j = &b->d->jobs[i];
	struct batch mine = *b;

	mine.r = r;
	j->end = KW_LC_END_RUNNING;
	account_event(&mine, r, j);
	j->end = run_job(&mine, j);
	/* the user is gone: what keywarden delivered for it goes too (secrets, parameters, files) */
	if (!j->refuse && !(j->missing && !b->o->missing_ok) && !kw_interrupted() &&
	    (j->skip || j->end == KW_LC_END_DESTROYED) &&
	    kw_lc_destroy_targets(j, j->acct->aws_opts ? j->acct->aws_opts : b->o->aws, /* its account's */
	                          target_event, &mine))
		j->end = KW_LC_END_TARGETS_LEFT;
	account_event(&mine, r, j);
}

int kw_lc_destroy_accounts(struct kw_aws_client *c, struct kw_lc_destroy *d,
                           const struct kw_lc_destroy_opts *o, struct kw_error *err)
{
	struct batch b = {c, d, o, NULL};
	struct kw_runner_spec rs = {.n = d->n, .parallelism = o->parallelism, .run = destroy_job, .ud = &b};

	if (kw_runner_run(&rs, err))
		return -1;
	for (size_t i = 0; i < d->n; i++)
		if (d->jobs[i].end != KW_LC_END_DESTROYED && d->jobs[i].end != KW_LC_END_NOTHING)
			return 1;
	return 0;
}

void kw_lc_destroy_release(struct kw_lc_destroy *d)
{
	for (size_t i = 0; d->jobs && i < d->n; i++) {
		free(d->jobs[i].keys);
		free(d->jobs[i].inl_user);
		free(d->jobs[i].inl_group);
		free(d->jobs[i].steps);
		for (int k = 0; k < 3; k++)
			kw_iam_names_release(&d->jobs[i].creds[k]);
		kw_iam_mfa_device_list_release(&d->jobs[i].mfa_listed);
		free(d->jobs[i].mfa);
	}
	for (size_t i = 0; d->live && i < d->n; i++)
		kw_live_release(&d->live[i]);
	free(d->jobs);
	free(d->live);
	free(d->desired);
	memset(d, 0, sizeof(*d));
}
