/*
 * checks.c - the checks of a plan made before its first write (checks.h).
 */
#include "engine/checks.h"

#include <stdio.h>
#include <string.h>

#include "aws/client.h"
#include "aws/iam.h"
#include "engine/state.h"
#include "keys/sink.h"
#include "manifest/manifest.h"
#include "util/error.h"
#include "util/log.h"

/* err, found about the entry at line:col of d's manifest, placed there (manifest.h). */
static int at_entry(struct kw_error *err, const struct kw_desired *d, unsigned line, unsigned col)
{
	if (!d->manifest)
		return kw_error_prefix(err, "%s", d->origin ? d->origin : d->user_name);
	return kw_manifest_error_at(err, d->manifest, line, col);
}

static int at_target(struct kw_error *err, const struct kw_desired *d, size_t j)
{
	const struct kw_deliver *e =
	        d->manifest && j < d->manifest->ndeliver ? &d->manifest->deliver[j] : NULL;

	return at_entry(err, d, e ? e->line : 0, e ? e->col : 0);
}

bool kw_checks_holds_key(const struct kw_plan *plan, size_t i, size_t j)
{
	const struct kw_live_account *l = &plan->live[i];

	return j < l->ntargets && l->targets[j].held == KW_KEY_HELD_KEY;
}

/*
 * Target j of account i holds the key the run signs with, which is not one of the account's
 * own keys: the operator's (a profile target named like the profile keywarden runs as).
 */
static bool holds_operator_key(const struct kw_plan *plan, size_t i, size_t j, const char *signing)
{
	const struct kw_live_account *l = &plan->live[i];

	return signing && *signing && kw_checks_holds_key(plan, i, j) && !l->targets[j].listed &&
	       !strcmp(l->targets[j].id, signing);
}

static struct kw_aws_client *client_of(struct kw_aws_client *c, const struct kw_desired *d)
{
	return d->client ? d->client : c;
}

int kw_checks_targets(struct kw_aws_client *c, const struct kw_plan *plan, const struct kw_aws_options *aws,
                      struct kw_error *err)
{
	for (size_t i = 0; i < plan->nsteps; i++) {
		const struct kw_step *s = &plan->steps[i];
		const struct kw_desired *d = &plan->desired[s->account];
		const char *signing = kw_aws_client_access_key_id(client_of(c, d));

		if (s->resource != KW_RES_ACCESS_KEY || s->action != KW_ACT_CREATE)
			continue;
		for (size_t j = 0; d->sinks && j < d->ndeliver; j++) {
			struct kw_key_sink sink = d->sinks[j];
			char name[512];

			if (holds_operator_key(plan, s->account, j, signing)) {
				kw_error_set(err, KW_ERR_CONFLICT, NULL,
				             "%s holds the access key this run signs with (%s): delivering "
				             "%s's key there would replace the credentials keywarden runs "
				             "with; name another profile",
				             kw_keys_sink_describe(&sink, name, sizeof(name)), signing,
				             d->user_name);
				return at_target(err, d, j);
			}
			sink.aws = d->aws_opts ? d->aws_opts : aws; /* its AWS account's */
			if (kw_keys_preflight(&sink, d->user_name, kw_checks_holds_key(plan, s->account, j),
			                      err))
				return at_target(err, d, j);
		}
	}
	return 0;
}

/* ARNs already found attachable, per client (an account's): each is asked once per run. */
struct seen {
	const struct kw_aws_client *client;
	const char *arn;
};

/*
 * arn (a managed policy the plan attaches, or a boundary it sets) exists and can be attached: 0;
 * 1 when the run may not ask (GetPolicy denied: one warning, and no more asking); -1 with err set.
 */
static int check_policy(struct kw_aws_client *c, const struct kw_desired *d, const char *arn, bool boundary,
                        unsigned line, unsigned col, struct seen *seen, size_t *nseen, size_t cap,
                        struct kw_error *err)
{
	struct kw_aws_client *cc = client_of(c, d);
	const char *what = boundary ? "permissionsBoundary" : "managed policy";
	bool attachable = false;

	for (size_t k = 0; k < *nseen; k++)
		if (seen[k].client == cc && !strcmp(seen[k].arn, arn))
			return 0;
	if (kw_iam_get_policy(cc, arn, &attachable, err)) {
		if (err->kind == KW_ERR_NOT_FOUND) {
			kw_error_set(err, KW_ERR_INVALID, NULL,
			             "%s %s does not exist in IAM (GetPolicy: NoSuchEntity); nothing was "
			             "changed",
			             what, arn);
			return at_entry(err, d, line, col);
		}
		if (strcmp(err->aws_code, "AccessDenied")) /* the read failed: the ARN may be fine */
			return kw_error_prefix(err, "reading %s %s before the first write", what, arn);
		kw_log(KW_LOG_WARN,
		       "cannot check before the first write that the managed policies and boundaries "
		       "exist (iam:GetPolicy is not allowed, e.g. for %s): IAM judges each when it is "
		       "attached",
		       arn);
		kw_error_clear(err);
		return 1;
	}
	if (!attachable) {
		kw_error_set(err, KW_ERR_INVALID, NULL,
		             "%s %s cannot be attached (IsAttachable is false: an AWS service-role "
		             "policy?); nothing was changed",
		             what, arn);
		return at_entry(err, d, line, col);
	}
	if (*nseen < cap)
		seen[(*nseen)++] = (struct seen){cc, arn};
	return 0;
}

static const struct kw_managed_policy *managed_entry(const struct kw_desired *d, const char *arn)
{
	for (size_t k = 0; d->manifest && k < d->manifest->nmanaged; k++)
		if (!strcmp(d->manifest->managed_policies[k].arn, arn))
			return &d->manifest->managed_policies[k];
	return NULL;
}

int kw_checks_policies(struct kw_aws_client *c, const struct kw_plan *plan, struct kw_error *err)
{
	enum { CAP = 64 }; /* distinct ARNs remembered; more are asked again, never skipped */
	struct seen seen[CAP];
	size_t nseen = 0;

	for (size_t i = 0; c && i < plan->nsteps; i++) {
		const struct kw_step *s = &plan->steps[i];
		const struct kw_desired *d = &plan->desired[s->account];
		const struct kw_manifest *m = d->manifest;
		const struct kw_managed_policy *e;
		int r = 0;

		if (s->action == KW_ACT_DELETE)
			continue;
		if (s->resource == KW_RES_GROUP_ATTACHMENT && s->subject) {
			e = managed_entry(d, s->subject);
			r = check_policy(c, d, s->subject, false, e ? e->line : 0, e ? e->col : 0, seen,
			                 &nseen, CAP, err);
		} else if ((s->resource == KW_RES_BOUNDARY && s->after) ||
		           (s->resource == KW_RES_USER && s->action == KW_ACT_CREATE && d->boundary)) {
			r = check_policy(c, d, s->after ? s->after : d->boundary, true,
			                 m ? m->boundary_line : 0, m ? m->boundary_col : 0, seen, &nseen, CAP,
			                 err);
		}
		if (r)
			return r < 0 ? -1 : 0;
	}
	return 0;
}
