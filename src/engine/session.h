/*
 * session.h - what plan and apply share: manifests read and checked, turned into desired
 * accounts, live state read from IAM, and the plan computed from both.
 *
 * Invariants: a session owns everything it holds (the manifest set, the desired and live
 * arrays, the plan) and frees it in kw_session_release. The plan borrows the desired and live
 * arrays, so they are never reallocated once the plan exists.
 */
#ifndef KW_ENGINE_SESSION_H
#define KW_ENGINE_SESSION_H

#include <stddef.h>

#include "engine/account.h"
#include "engine/plan.h"
#include "engine/state.h"

struct kw_aws_client;
struct kw_error;
struct kw_manifest;
struct kw_manifest_set;

struct kw_session {
	struct kw_manifest_set *set;  /* manifests read (diagnostics too, also when invalid) */
	struct kw_desired *desired;   /* n accounts, in manifest order */
	struct kw_live_account *live; /* n, filled by kw_session_plan */
	size_t n;
	struct kw_plan plan;
	char *owner;      /* the run's owner (--owner or keywarden.yaml), or NULL (owned) */
	char *owner_file; /* the keywarden.yaml read, or NULL (owned; saved plans digest it) */
	/* the AWS accounts reached through --role-arn (owned; desired[i].client borrows from it) */
	struct kw_accounts accounts;
};

/*
 * kw_desired_from_manifest - fill d (zeroed) with what manifest m asks for. d borrows m's
 * delivery target strings (sinks), so m must outlive d.
 * Returns 0, or -1 with err set (KW_ERR_NOMEM).
 */
int kw_desired_from_manifest(const struct kw_manifest *m, struct kw_desired *d, struct kw_error *err);

/*
 * kw_session_load - read and check the manifests at paths (files or folders) and build the
 * desired accounts. On KW_ERR_INVALID, s->set still holds the diagnostics to print.
 * Returns 0, or -1 with err set (KW_ERR_INVALID, KW_ERR_IO, KW_ERR_NOMEM).
 */
int kw_session_load(struct kw_session *s, const char *const *paths, size_t npaths, struct kw_error *err);

/*
 * kw_session_plan - read live state (kw_live_read, parallelism threads) and what the delivery
 * targets hold (engine/held.h: waiting up to opts->held_timeout for held keys IAM does not
 * list yet), and compute the plan.
 * Returns 0, or -1 with err set (AWS errors, KW_ERR_CONFLICT from the plan).
 */
int kw_session_plan(struct kw_session *s, struct kw_aws_client *c, int parallelism,
                    const struct kw_plan_opts *opts, struct kw_error *err);

/*
 * kw_session_set_owner - the run's owner: every desired account also gets the tag
 * keywarden:owner: owner. Call after kw_session_load, before kw_session_plan.
 * @file: the keywarden.yaml it came from, or NULL (--owner). Both copied.
 * Returns 0, or -1 with err set (KW_ERR_NOMEM).
 */
int kw_session_set_owner(struct kw_session *s, const char *owner, const char *file, struct kw_error *err);

/* kw_session_release - free everything s holds; s becomes all zero. */
void kw_session_release(struct kw_session *s);

#endif
