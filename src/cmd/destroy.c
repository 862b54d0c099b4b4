/*
 * destroy.c - `keywarden destroy NAME...`: take service accounts apart in the order IAM
 * requires (lifecycle/teardown.h), after showing what will go and asking. Only users tagged
 * managed-by: keywarden (and their groups) are touched; what is already gone is skipped, so
 * a second run changes nothing.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/iam.h"
#include "cmd/cmd.h"
#include "cmd/lifecycle.h"
#include "engine/live.h"
#include "engine/state.h"
#include "lifecycle/accounts.h"
#include "lifecycle/teardown.h"
#include "manifest/manifest.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/output.h"

static const char usage[] =
        "usage: keywarden destroy [OPTIONS] NAME...\n"
        "\n"
        "Remove service accounts: access keys, MFA devices (deactivated, then deleted), the console\n"
        "password, group memberships, the group with its policies, the user's own policies and\n"
        "permissions boundary, then the user, in the order IAM requires. Shows the steps and asks\n"
        "first. Only users tagged managed-by: keywarden are touched; running it again changes nothing.\n"
        "NAME is a manifest file, a folder of manifests, or an IAM user name.\n"
        "\n"
        "Options:\n"
        "  --auto-approve   do not ask (needed without a terminal)\n"
        "\n"
        "Ctrl-C stops before the next step; destroy again finishes the job.\n"
        "\n"
        "Exit status: 0 destroyed (or nothing left to destroy), 1 an error, a stop, or not approved.\n";

/* One account's teardown: the picture (borrowed from live) and the steps. */
struct job {
	const struct kw_lc_account *acct;
	const char **keys, **groups, **inl_user, **inl_group, **orphan;
	struct kw_lc_td_user u;
	struct kw_lc_td_group g;
	struct kw_lc_td_step *steps;
	size_t nsteps;
	const char *skip; /* why nothing is done, or NULL */
	bool refuse;      /* an error: the user is not keywarden's */
};

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

static void job_release(struct job *j)
{
	free(j->keys);
	free(j->inl_user);
	free(j->inl_group);
	free(j->steps);
}

/* Count the group's members other than user (GetGroup). */
static int other_members(struct kw_aws_client *c, const char *group, const char *user, size_t *n,
                         struct kw_error *err)
{
	struct kw_iam_group g = {0};
	struct kw_iam_user_list members = {0};

	*n = 0;
	if (kw_iam_get_group(c, group, &g, &members, err))
		return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
	for (size_t i = 0; i < members.n; i++)
		if (strcasecmp(members.items[i].user_name, user))
			++*n;
	kw_iam_group_release(&g);
	kw_iam_user_list_release(&members);
	return 0;
}

static int plan_job(struct kw_aws_client *c, const struct kw_lc_account *a, const struct kw_live_account *l,
                    struct job *j, struct kw_error *err)
{
	const struct kw_live_user *lu = &l->user;
	const struct kw_live_group *lg = &l->group;
	const char *orphan[1] = {l->orphan_mfa};

	j->acct = a;
	if (!lu->exists) {
		j->skip = lg->exists && a->group
		                  ? "the user is gone; its group is left alone (keywarden knows a group "
		                    "through its tagged user)"
		                  : "nothing left to destroy";
		return 0;
	}
	if (!kw_live_user_managed(lu)) {
		j->refuse = true;
		return kw_error_set(err, KW_ERR_CONFLICT, a->user,
		                    "not tagged %s: %s, so keywarden leaves it alone", KW_MANAGED_TAG_KEY,
		                    KW_MANAGED_TAG_VALUE);
	}
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
	        .mfa = {(const char *const *)lu->mfa.v, lu->mfa.n},
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

static int run_step(struct kw_aws_client *c, const struct kw_lc_td_step *s, struct kw_error *err)
{
	switch (s->op) {
	case KW_LC_TD_DELETE_ACCESS_KEY: return kw_iam_delete_access_key(c, s->subject, s->arg, err);
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

/*
 * Run j's steps; NoSuchEntity counts as done (someone got there first). A stop request
 * (Ctrl-C) is honoured between steps: every prefix of the order is one a second destroy
 * finishes (teardown.h). Returns 0 or -1.
 */
static int run_job(struct kw_ctx *ctx, struct kw_aws_client *c, struct job *j, size_t *done)
{
	char line[1024];
	struct kw_error err;

	*done = 0;
	for (size_t i = 0; i < j->nsteps; i++) {
		kw_lc_td_describe(&j->steps[i], line, sizeof(line));
		if (kw_interrupt_check(NULL, &err) ||
		    (run_step(c, &j->steps[i], &err) && err.kind != KW_ERR_NOT_FOUND)) {
			if (err.kind == KW_ERR_ABORTED) {
				fprintf(ctx->err,
				        "note: %s: stopped before \"%s\" after %zu of %zu steps; run destroy "
				        "again to finish\n",
				        j->acct->user, line, *done, j->nsteps);
				return -1;
			}
			kw_error_print(&err, ctx->err);
			fprintf(ctx->err,
			        "note: %s: stopped at \"%s\" after %zu of %zu steps; run destroy again once "
			        "fixed\n",
			        j->acct->user, line, *done, j->nsteps);
			return -1;
		}
		kw_log(KW_LOG_INFO, "%s", line);
		++*done;
	}
	return 0;
}

static void print_plan(struct kw_ctx *ctx, const struct job *jobs, size_t n)
{
	char line[1024];

	for (size_t i = 0; i < n; i++) {
		if (jobs[i].refuse)
			continue;
		if (jobs[i].skip) {
			fprintf(ctx->err, "%s: %s\n", jobs[i].acct->user, jobs[i].skip);
			continue;
		}
		fprintf(ctx->err, "%s: %zu steps\n", jobs[i].acct->user, jobs[i].nsteps);
		for (size_t k = 0; k < jobs[i].nsteps; k++) {
			kw_lc_td_describe(&jobs[i].steps[k], line, sizeof(line));
			fprintf(ctx->err, "  - %s\n", line);
		}
		if (jobs[i].g.other_members)
			fprintf(ctx->err, "  (group %s stays: %zu other member%s)\n", jobs[i].g.name,
			        jobs[i].g.other_members, jobs[i].g.other_members == 1 ? "" : "s");
	}
}

int cmd_destroy(int argc, char **argv, struct kw_ctx *ctx)
{
	enum { OPT_AUTO = 256 };
	static const struct option longopts[] = {
	        {"auto-approve", no_argument, NULL, OPT_AUTO},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	static const char *const cols[] = {"Account", "Result", "Steps"};
	struct kw_lc_accounts accts = {0};
	struct kw_aws_options aopt;
	struct kw_aws_client *c = NULL;
	struct kw_desired *desired = NULL;
	struct kw_live_account *live = NULL;
	struct job *jobs = NULL;
	struct kw_table *t = NULL;
	struct kw_error err = {0};
	bool auto_approve = false, failed = false, stopped = false, unstarted = false;
	size_t total = 0;
	int opt, rc = KW_EXIT_ERROR;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h': fprintf(ctx->out, "%s\n%s", usage, kw_common_options_help); return KW_EXIT_OK;
		case OPT_AUTO: auto_approve = true; break;
		default: return kw_cmd_bad_option(ctx, usage, "destroy", "h", longopts, argv);
		}
	}
	if (optind == argc)
		return kw_cmd_usage_error(ctx, usage, "destroy what? give NAME...");
	/* Ctrl-C from here on is a request to stop between steps (util/interrupt.h) */
	kw_interrupt_install();
	if (kw_cmd_resolve_accounts(ctx, argv + optind, (size_t)(argc - optind), &accts))
		goto out;
	desired = calloc(accts.n, sizeof(*desired));
	live = calloc(accts.n, sizeof(*live));
	jobs = calloc(accts.n, sizeof(*jobs));
	t = kw_table_new("Destroyed", 3, cols);
	if (!desired || !live || !jobs || !t) {
		kw_error_set(&err, KW_ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < accts.n; i++) {
		/* only the names matter to the reader; an unknown group reads as the user's name and is ignored */
		desired[i].name = (char *)accts.v[i].user;
		desired[i].user_name = (char *)accts.v[i].user;
		desired[i].group_name = (char *)(accts.v[i].group ? accts.v[i].group : accts.v[i].user);
	}
	kw_cmd_aws_options(ctx, ctx->profile, &aopt);
	aopt.adaptive_default = true;
	if (kw_aws_client_new(&aopt, &c, &err) ||
	    kw_live_read(c, desired, accts.n, KW_LIVE_PARALLELISM, live, &err))
		goto fail;
	for (size_t i = 0; i < accts.n; i++) {
		if (!accts.v[i].group)
			live[i].group.exists = false;
		if (plan_job(c, &accts.v[i], &live[i], &jobs[i], &err)) {
			kw_error_print(&err, ctx->err);
			failed = true;
			if (!jobs[i].refuse)
				goto out;
		}
		total += jobs[i].nsteps;
	}
	print_plan(ctx, jobs, accts.n);
	if (total && !auto_approve) {
		int yes = kw_cmd_ask(ctx, "Destroy these accounts? [y/N] ");
		if (kw_interrupt_check("destroy", &err))
			goto fail_unchanged;
		if (yes <= 0) {
			fprintf(ctx->err, yes < 0 ? "error: no terminal to ask: rerun with --auto-approve\n"
			                          : "destroy cancelled: nothing was changed\n");
			goto out;
		}
	}
	if (kw_interrupt_check("destroy", &err))
		goto fail_unchanged;
	for (size_t i = 0; i < accts.n; i++) {
		char steps[64];
		size_t done = 0;
		const char *result;

		if (jobs[i].refuse)
			result = "refused (not managed by keywarden)";
		else if (jobs[i].skip)
			result = "nothing to do";
		else if (kw_interrupted()) {
			result = "not started (stopped)";
			failed = stopped = unstarted = true;
		} else if (run_job(ctx, c, &jobs[i], &done)) {
			stopped |= kw_interrupted() && done < jobs[i].nsteps;
			result = stopped ? "stopped" : "failed";
			failed = true;
		} else
			result = "destroyed";
		snprintf(steps, sizeof(steps), "%zu/%zu", done, jobs[i].nsteps);
		if (kw_table_add_row(t, (const char *const[]){accts.v[i].user, result, steps}))
			failed = true;
	}
	kw_table_print(t, kw_cmd_output_format(ctx, ctx->out), ctx->out, kw_cmd_color(ctx));
	if (kw_interrupt_check("destroy", &err) && stopped) {
		kw_error_print(&err, ctx->err);
		if (unstarted)
			fputs("note: accounts \"not started (stopped)\" were left as they were: run destroy "
			      "again to finish\n",
			      ctx->err);
	} else if (kw_interrupted() && !failed) {
		fprintf(ctx->err,
		        "note: %s during the last step: it was completed, nothing is left to destroy\n",
		        err.msg);
	}
	rc = failed ? KW_EXIT_ERROR : KW_EXIT_OK;
	goto out;
fail_unchanged:
	kw_error_print(&err, ctx->err);
	fputs("note: stopped before any change: nothing was destroyed\n", ctx->err);
	goto out;
fail:
	kw_error_print(&err, ctx->err);
out:
	for (size_t i = 0; jobs && i < accts.n; i++)
		job_release(&jobs[i]);
	for (size_t i = 0; live && i < accts.n; i++)
		kw_live_release(&live[i]);
	free(jobs);
	free(live);
	free(desired);
	kw_table_free(t);
	kw_aws_client_free(c);
	kw_lc_accounts_release(&accts);
	return rc;
}
