/*
 * plan.c - `keywarden plan PATH...`: read live IAM state for the manifests' accounts and print
 * the ordered steps apply would take. Exit 0 no changes, 2 changes, 1 error.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "cmd/cmd.h"
#include "cmd/engine_cmd.h"
#include "cmd/options.h"
#include "cmd/review.h"
#include "engine/render.h"
#include "engine/saved.h"
#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/output.h"

static const char usage[] =
        "usage: keywarden plan [--adopt] [--prune-keys] [--owner NAME [--prune-accounts]] [--parallelism N]\n"
        "                      [--stats] [--role-arn ARN] [--out FILE] PATH...\n";

static const char intro[] =
        "Read what IAM holds for the accounts of the manifests at PATH (files or folders) and print\n"
        "the ordered steps that 'keywarden apply' would take. Nothing is changed.\n";

static const char outro[] = "Exit status: 0 no changes, 2 changes planned, 1 error.\n";

/* The manifest line of the account whose manifest file is origin (0 when not known). */
static unsigned origin_line(const struct kw_session *s, const char *origin)
{
	for (size_t i = 0; origin && s->set && i < s->set->n; i++)
		if (!strcmp(s->set->items[i]->file, origin))
			return s->set->items[i]->line;
	return 0;
}

/*
 * -o sarif / -o github: the manifests' diagnostics, every step and note as a note at the
 * manifest that names its account, and a failure (a conflict at its manifest, else the run's).
 */
static int print_review(struct kw_ctx *ctx, const struct kw_session *s, const struct kw_error *failed)
{
	struct kw_review rv = {0};
	struct kw_buf t = KW_BUF_INIT, rule = KW_BUF_INIT;
	const struct kw_plan *p = &s->plan;
	int rc = -1;

	if (kw_review_add_diags(&rv, s->set))
		goto out;
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct kw_step *st = &p->steps[i];
		const struct kw_desired *d = &p->desired[st->account];

		kw_buf_reset(&t);
		kw_buf_reset(&rule);
		if (kw_buf_appendf(&rule, "KWPLAN-%s-%s", kw_step_action_name(st->action),
		                   kw_step_resource_name(st->resource)) ||
		    kw_buf_appendf(&t, "plan: %s ", kw_step_symbol(st)) || kw_step_title(p, st, &t) ||
		    kw_review_add(&rv, rule.data, KW_SEV_INFO, d->origin, origin_line(s, d->origin), 0,
		                  t.data, NULL))
			goto out;
	}
	for (size_t i = 0; i < p->orphans.n; i++) {
		kw_buf_reset(&t);
		if (kw_orphan_text(p, i, &t) ||
		    kw_review_add(&rv, p->prune_accounts ? "KWPLAN-delete-account" : "KWPLAN-note",
		                  KW_SEV_INFO, s->owner_file, 0, 0, t.data, NULL))
			goto out;
	}
	for (size_t i = 0; i < p->nnotes; i++) {
		const struct kw_desired *d = &p->desired[p->notes[i].account];

		if (kw_review_add(&rv, "KWPLAN-note", KW_SEV_INFO, d->origin, origin_line(s, d->origin), 0,
		                  p->notes[i].text, NULL))
			goto out;
	}
	/* a load that failed on its diagnostics has them above already */
	if (failed && (failed->kind != KW_ERR_INVALID || !s->set || !s->set->nerrors)) {
		if (origin_line(s, failed->where)) {
			if (kw_review_add(&rv, "KWPLAN-error", KW_SEV_ERROR, failed->where,
			                  origin_line(s, failed->where), 0, failed->msg, NULL))
				goto out;
		} else if (kw_review_fail(&rv, failed->msg)) {
			goto out;
		}
	}
	rc = kw_review_print(&rv, ctx->output == KW_OUTPUT_SARIF, ctx->out);
out:
	kw_buf_release(&t);
	kw_buf_release(&rule);
	kw_review_release(&rv);
	return rc;
}

/* --out FILE: the saved plan (engine/saved.h), with the account of the credentials. */
static int save_plan(struct kw_ctx *ctx, const struct kw_engine_args *a, const struct kw_session *s,
                     struct kw_aws_client *client, const char *path)
{
	struct kw_plan_opts po = {.now = time(NULL),
	                          .adopt = a->adopt,
	                          .prune_keys = a->prune_keys,
	                          .owner = s->owner,
	                          .prune_accounts = a->prune_accounts,
	                          .role_arn = a->role_arn};
	struct kw_buf text = KW_BUF_INIT, md = KW_BUF_INIT;
	struct kw_error err;
	char *account = NULL;
	json_t *doc = NULL;
	int rc = -1;

	kw_error_clear(&err);
	if (kw_plan_render_text(&s->plan, false, &text) || kw_plan_render_markdown(&s->plan, &md)) {
		kw_error_set(&err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (kw_saved_run_accounts(client, s, &account, &err) ||
	    !(doc = kw_saved_plan_new(s, (const char *const *)a->paths, (size_t)a->npaths, &po, account,
	                              text.data ? text.data : "", md.data ? md.data : "", &err)) ||
	    kw_saved_plan_write(path, doc, &err))
		goto out;
	fprintf(ctx->err, "Saved the plan to %s: 'keywarden apply --plan %s' applies exactly this plan.\n",
	        path, path);
	rc = 0;
out:
	if (rc)
		kw_error_print(&err, ctx->err);
	json_decref(doc);
	free(account);
	kw_buf_release(&text);
	kw_buf_release(&md);
	return rc;
}

static const struct kw_cmd_spec spec = {.name = "plan", .usage = usage, .intro = intro, .outro = outro};

int cmd_plan(int argc, char **argv, struct kw_ctx *ctx)
{
	struct kw_engine_args a = {0};
	struct kw_session s = {0};
	struct kw_aws_client *client = NULL;
	struct kw_buf out = KW_BUF_INIT;
	struct kw_error failure;
	bool review = ctx->output == KW_OUTPUT_SARIF || ctx->output == KW_OUTPUT_GITHUB;
	const char *out_path = NULL;
	const struct kw_opt opts[] = {
	        KW_ENGINE_OPTIONS(&a,
	                          "also plan the deletion of access keys that are not needed (an inactive\n"
	                          "key in its rotation grace period is kept until it ends)"),
	        KW_SECONDS("confirm-timeout", "SECS", &a.confirm_timeout, 0.001, 3600,
	                   "how long to wait for a key a target holds that IAM does not list\n"
	                   "yet (eventual consistency; default 30; 90s, 2m)"),
	        KW_STRING("out", "FILE", &out_path,
	                  "also save the plan to FILE (JSON, 0600, no secrets) with digests of\n"
	                  "every file read and of the IAM state it depends on, for\n"
	                  "'keywarden apply --plan FILE' and 'keywarden show FILE'"),
	        KW_TEXT("-o json", "the plan as one JSON document"),
	        KW_TEXT("-o markdown",
	                "a summary for a pull-request comment (table of accounts, policy diffs)"),
	        KW_TEXT("-o sarif", "SARIF 2.1.0: manifest and lint findings, and each step as a note at\n"
	                            "its manifest (code scanning); -o github: workflow commands likewise"),
	        KW_OPTS_END,
	};
	int optind_ = kw_opts_parse(ctx, &spec, opts, argc, argv), rc = KW_EXIT_ERROR;

	if (optind_ < 0)
		return kw_opts_exit(optind_);
	if (optind_ >= argc)
		return kw_opts_error(ctx, &spec, "no manifest given");
	a.paths = argv + optind_;
	a.npaths = argc - optind_;

	a.failure = &failure;
	kw_error_clear(&failure);
	if (kw_engine_prepare(ctx, &a, &s, &client)) {
		if (review && print_review(ctx, &s, &failure))
			fputs("error: out of memory\n", ctx->err);
		goto out;
	}
	if (out_path && save_plan(ctx, &a, &s, client, out_path))
		goto out;
	if (review) {
		if (print_review(ctx, &s, NULL)) {
			fputs("error: out of memory\n", ctx->err);
			goto out;
		}
	} else if (ctx->output == KW_OUTPUT_MARKDOWN) {
		if (kw_plan_render_markdown(&s.plan, &out)) {
			fputs("error: out of memory\n", ctx->err);
			goto out;
		}
		fputs(out.data ? out.data : "", ctx->out);
	} else if (ctx->output == KW_OUTPUT_JSON) {
		json_t *j = kw_plan_json(&s.plan);

		if (!j || kw_json_print(j, ctx->out)) {
			json_decref(j);
			fputs("error: out of memory\n", ctx->err);
			goto out;
		}
		json_decref(j);
	} else {
		if (kw_plan_render_text(&s.plan, kw_cmd_color(ctx), &out)) {
			fputs("error: out of memory\n", ctx->err);
			goto out;
		}
		fputs(out.data ? out.data : "", ctx->out);
	}
	rc = kw_plan_changes(&s.plan) ? KW_EXIT_CHANGES : KW_EXIT_OK;
out:
	fflush(ctx->out);
	kw_engine_print_stats(ctx, &a, client, &s);
	kw_buf_release(&out);
	kw_session_release(&s);
	kw_aws_client_free(client);
	return rc;
}
