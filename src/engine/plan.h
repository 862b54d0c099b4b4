/*
 * plan.h - desired against live state gives the ordered steps that apply takes.
 *
 * Order (DESIGN.md "Apply: gates before keys"): for every account in turn, phases 1-7 (user,
 * group, membership, policies, console, tags, MFA); then, for every account, phase 8 (access
 * keys). The executor (exec.h) runs accounts side by side and overlaps independent steps of
 * one account, but an account's key is issued only after its own other steps are confirmed.
 * A step already in its desired state does not appear. Only what carries
 * managed-by: keywarden is changed: an existing user without the tag, or a group whose user is
 * not managed, is a conflict unless adopt is set (the adopt step then adds the tag).
 *
 * Groups cannot be tagged in IAM. A group counts as managed when it is named as its manifest
 * says (service-<name>) and its user carries the tag: apply creates the user before the group,
 * and destroy removes the group before the user, so every group keywarden made has a tagged
 * user. An existing group whose user is missing or untagged needs --adopt.
 *
 * Invariants: a plan borrows its desired and live arrays (they must outlive it) and owns its
 * steps and notes; kw_plan_release frees what it owns.
 */
#ifndef KW_ENGINE_PLAN_H
#define KW_ENGINE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "engine/state.h"

struct kw_aws_options;
struct kw_error;

enum kw_step_action {
	KW_ACT_CREATE, /* "+": add something missing */
	KW_ACT_UPDATE, /* "~": change in place */
	KW_ACT_DELETE, /* "-": remove something extra */
};

/* What a step acts on; the order of this list is the phase order of DESIGN.md. */
enum kw_step_resource {
	KW_RES_USER,             /* CreateUser (path, tags, boundary) → GetUser */
	KW_RES_BOUNDARY,         /* Put/DeleteUserPermissionsBoundary → GetUser */
	KW_RES_GROUP,            /* CreateGroup → GetGroup */
	KW_RES_MEMBERSHIP,       /* AddUserToGroup / RemoveUserFromGroup → ListGroupsForUser */
	KW_RES_GROUP_POLICY,     /* Put/DeleteGroupPolicy → GetGroupPolicy, compared semantically */
	KW_RES_GROUP_ATTACHMENT, /* Attach/DetachGroupPolicy → ListAttachedGroupPolicies */
	KW_RES_USER_POLICY,      /* DeleteUserPolicy (policies never sit on the user) → ListUserPolicies */
	KW_RES_USER_ATTACHMENT,  /* DetachUserPolicy → ListAttachedUserPolicies */
	KW_RES_LOGIN_PROFILE,    /* DeleteLoginProfile → GetLoginProfile gives NoSuchEntity */
	KW_RES_TAGS,             /* TagUser / UntagUser → ListUserTags */
	KW_RES_MFA,              /* CreateVirtualMFADevice, two codes, EnableMFADevice → ListMFADevices */
	KW_RES_ACCESS_KEY,       /* CreateAccessKey, deliver, GetCallerIdentity; or DeleteAccessKey;
	                          * update: UpdateAccessKey Status=Inactive and rotate's grace tag
	                          * (before "Active", after "Inactive") */
};

/* The phase number (1-8) of DESIGN.md for a resource. */
int kw_step_phase(enum kw_step_resource res);

/* Stable lowercase names, static storage: "create", "user", "group-policy", ... */
const char *kw_step_action_name(enum kw_step_action a);
const char *kw_step_resource_name(enum kw_step_resource r);

struct kw_step {
	enum kw_step_action action;
	enum kw_step_resource resource;
	size_t account; /* index into the plan's desired/live arrays */
	/*
	 * What the step acts on: user name (user, boundary, tags, login profile), group name
	 * (group, membership), policy name (inline), policy ARN (attachments), MFA device name
	 * (mfa), access key id (key deletion) or user name (key creation).
	 */
	char *subject;
	char *before;            /* IAM's current value: policy document, boundary ARN; or NULL */
	char *after;             /* the desired value: policy document, boundary ARN; or NULL */
	char *replaces;          /* MFA: serial of an unassigned device deleted first; or NULL */
	char *reason;            /* why the step is planned, one line (access-key deactivation); or NULL */
	struct kw_taglist set;   /* tags: keys to add or change with their new values */
	struct kw_strlist unset; /* tags: keys to remove */
};

struct kw_plan_note {
	size_t account;
	char *text; /* shown, never acted on (e.g. an extra key kept without --prune-keys) */
};

struct kw_plan {
	const struct kw_desired *desired; /* borrowed, naccounts */
	/*
	 * Users tagged managed-by: keywarden and keywarden:owner: <the run's owner> that no manifest
	 * of the run names (owned): destroy candidates, destroyed by apply only with prune_accounts.
	 */
	struct kw_strlist orphans;
	/* per orphan: its key files and profiles in the local target record (keys/record.h), as
	 * "file /x, profile y", or "" when none is recorded here (owned, kw_session_plan) */
	struct kw_strlist orphan_targets;
	const char *owner;                  /* the run's owner (borrowed), or NULL */
	bool prune_accounts;                /* orphans are steps (destroy), not notes */
	const struct kw_live_account *live; /* borrowed, naccounts */
	size_t naccounts;
	struct kw_step *steps;
	size_t nsteps;
	struct kw_plan_note *notes;
	size_t nnotes;
};

struct kw_plan_opts {
	time_t now;           /* for key ages, seconds since the epoch (UTC) */
	bool adopt;           /* take over existing untagged users and groups */
	bool prune_keys;      /* delete keys that are not needed */
	const char *owner;    /* the run's owner: tag keywarden:owner on every user; or NULL */
	bool prune_accounts;  /* destroy the owner's users that no manifest names (needs owner) */
	const char *role_arn; /* --role-arn of the run (saved plans keep it), or NULL */
	/* kw_session_plan: reading what the targets hold (engine/held.h) */
	const struct kw_aws_options *aws; /* the operator's client options (borrowed), or NULL */
	double held_timeout;              /* seconds to wait for held keys IAM does not list yet */
};

/*
 * kw_plan_compute - compare every desired account with its live state and fill plan.
 * @plan:      zeroed plan to fill (owned by the caller, free with kw_plan_release).
 * @desired:   naccounts wanted accounts (borrowed for the plan's life).
 * @live:      naccounts live states, same order (borrowed for the plan's life).
 * Returns 0, or -1 with err set: KW_ERR_CONFLICT for an unmanaged user or group without
 * adopt (message names the account and what to do), KW_ERR_INVALID for an inline policy
 * document that is not JSON, KW_ERR_NOMEM.
 */
int kw_plan_compute(struct kw_plan *plan, const struct kw_desired *desired,
                    const struct kw_live_account *live, size_t naccounts, const struct kw_plan_opts *opts,
                    struct kw_error *err);

/* kw_plan_changes - whether applying the plan changes anything (steps, or accounts to prune). */
bool kw_plan_changes(const struct kw_plan *plan);

/* kw_plan_counts - steps to add (create), change (update) and destroy (delete; with
 * prune_accounts, each account to destroy counts as one). */
void kw_plan_counts(const struct kw_plan *plan, size_t *add, size_t *change, size_t *destroy);

/* kw_plan_release - free what plan owns; it becomes all zero. */
void kw_plan_release(struct kw_plan *plan);

/*
 * kw_policy_same - whether two policy documents mean the same (semantic comparison).
 * Returns 1 same, 0 different, -1 with err set when either is not a valid document.
 */
int kw_engine_policy_same(const char *a, const char *b, struct kw_error *err);

#endif
