#include "engine/session.h"

#include <stdlib.h>
#include <string.h>

#include "engine/held.h"
#include "engine/live.h"
#include "keys/record.h"
#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"

#define DUP(dst, src)                                \
	do {                                         \
		if ((src) && !((dst) = strdup(src))) \
			goto nomem;                  \
	} while (0)

static int describe_sinks(struct kw_desired *d)
{
	struct kw_buf b = KW_BUF_INIT;
	char name[512];

	for (size_t i = 0; i < d->ndeliver; i++)
		if ((i && kw_buf_puts(&b, ", ")) ||
		    kw_buf_puts(&b, kw_keys_sink_describe(&d->sinks[i], name, sizeof(name)))) {
			kw_buf_release(&b);
			return -1;
		}
	d->deliver_summary = kw_buf_detach(&b);
	return d->deliver_summary ? 0 : -1;
}

int kw_desired_from_manifest(const struct kw_manifest *m, struct kw_desired *d, struct kw_error *err)
{
	DUP(d->name, m->name);
	DUP(d->origin, m->file);
	d->manifest = m;
	DUP(d->user_name, m->user_name);
	DUP(d->group_name, m->group_name);
	DUP(d->path, m->path ? m->path : "/");
	for (size_t i = 0; i < m->ntags; i++)
		if (kw_taglist_add(&d->tags, m->tags[i].key, m->tags[i].value))
			goto nomem;
	for (size_t i = 0; i < m->ninline; i++)
		if (kw_doclist_add(&d->inline_policies, m->inline_policies[i].name,
		                   m->inline_policies[i].document))
			goto nomem;
	for (size_t i = 0; i < m->nmanaged; i++)
		if (kw_strlist_add(&d->managed_arns, m->managed_policies[i].arn))
			goto nomem;
	DUP(d->boundary, m->permissions_boundary);
	d->mfa = m->mfa == KW_MFA_VIRTUAL;
	d->max_age_days = m->max_age_days;
	d->ndeliver = m->ndeliver;
	if (m->ndeliver) {
		d->sinks = calloc(m->ndeliver, sizeof(*d->sinks));
		if (!d->sinks)
			goto nomem;
	}
	/* the stdout sink's stream is set when applying; exec targets run in the manifest's folder */
	for (size_t i = 0; i < m->ndeliver; i++)
		kw_keys_sink_from_manifest(m, &m->deliver[i], NULL, &d->sinks[i]);
	if (describe_sinks(d))
		goto nomem;
	return 0;
nomem:
	return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

int kw_session_load(struct kw_session *s, const char *const *paths, size_t npaths, struct kw_error *err)
{
	if (kw_manifest_load_paths(paths, npaths, &s->set, err))
		return -1;
	s->n = s->set->n;
	s->desired = calloc(s->n ? s->n : 1, sizeof(*s->desired));
	s->live = calloc(s->n ? s->n : 1, sizeof(*s->live));
	if (!s->desired || !s->live)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		if (kw_desired_from_manifest(s->set->items[i], &s->desired[i], err))
			return -1;
	return 0;
}

int kw_session_set_owner(struct kw_session *s, const char *owner, const char *file, struct kw_error *err)
{
	if (!(s->owner = strdup(owner)) || (file && !(s->owner_file = strdup(file))))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		if (kw_taglist_add(&s->desired[i].tags, KW_OWNER_TAG_KEY, owner))
			return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

/*
 * The recorded key files and profiles of each account without a manifest (keys/record.h), in
 * the run's AWS account (that of a user it read), else in whichever has a record of the name.
 * A record that cannot be read is warned and shown as none.
 */
static int orphan_targets(struct kw_session *s, struct kw_error *err)
{
	char account[16] = "";

	for (size_t i = 0; !account[0] && i < s->n; i++)
		if (s->live[i].user.arn && kw_live_account_id(s->live[i].user.arn, account, sizeof(account)))
			account[0] = '\0';
	for (size_t i = 0; i < s->plan.orphans.n; i++) {
		struct kw_key_record rec;
		struct kw_buf text = KW_BUF_INIT;
		struct kw_error e;
		int rc;

		kw_error_clear(&e);
		if (kw_key_record_load(account[0] ? account : NULL, s->plan.orphans.v[i], &rec, &e))
			kw_log(KW_LOG_WARN, "%s: %s", e.where, e.msg);
		rc = kw_key_record_describe(&rec, &text) ||
		     kw_strlist_add(&s->plan.orphan_targets, text.data ? text.data : "");
		kw_key_record_release(&rec);
		kw_buf_release(&text);
		if (rc)
			return kw_error_nomem(err);
	}
	return 0;
}

int kw_session_plan(struct kw_session *s, struct kw_aws_client *c, int parallelism,
                    const struct kw_plan_opts *opts, struct kw_error *err)
{
	struct kw_strlist orphans = {0};

	struct kw_held_opts ho = {opts->aws, opts->held_timeout, parallelism};

	if (kw_live_read_owned(c, s->desired, s->n, parallelism, opts->owner, s->live, &orphans, err) ||
	    kw_held_read(c, s->desired, s->n, &ho, s->live, err) ||
	    kw_plan_compute(&s->plan, s->desired, s->live, s->n, opts, err)) {
		kw_strlist_release(&orphans);
		return -1;
	}
	s->plan.orphans = orphans;
	return orphan_targets(s, err);
}

void kw_session_release(struct kw_session *s)
{
	kw_plan_release(&s->plan);
	for (size_t i = 0; s->desired && i < s->n; i++)
		kw_desired_release(&s->desired[i]);
	for (size_t i = 0; s->live && i < s->n; i++)
		kw_live_release(&s->live[i]);
	free(s->desired);
	free(s->live);
	kw_manifest_set_free(s->set);
	kw_accounts_release(&s->accounts);
	free(s->owner);
	free(s->owner_file);
	memset(s, 0, sizeof(*s));
}
