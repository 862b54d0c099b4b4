/*
 * state.h - the two sides a plan compares: what a manifest wants (struct kw_desired) and what
 * IAM holds (struct kw_live_account), for one service account each.
 *
 * Invariants: every char * here is owned by the struct that holds it (NULL allowed where
 * noted) and freed by the matching _release function; lists own their elements. Nothing here
 * is secret: access key ids, MFA serials and policy documents are not secrets. Times are
 * seconds since the Unix epoch, UTC. A kw_desired is built from a manifest (engine.h) or by
 * hand (unit tests); a kw_live_account is filled from IAM (live.h) or by hand.
 */
#ifndef KW_ENGINE_STATE_H
#define KW_ENGINE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "keys/sink.h"
#include "util/vocab.h"

struct kw_aws_client;
struct kw_aws_options;
struct kw_manifest;

/* Tags under this prefix are keywarden's own bookkeeping (rotate's grace periods): never drift. */
#define KW_INTERNAL_TAG_PREFIX  "keywarden:"
/* The managed-by tag and keywarden's key tags (delivered, inactive): util/vocab.h. */
/*
 * Groups keywarden may change memberships of: those named service-... (the operator policy,
 * policies/keywarden-operator.json, allows RemoveUserFromGroup only on such groups). A service
 * user's membership in any other group is shown as a note, for a person to remove by hand.
 */
#define KW_SERVICE_GROUP_PREFIX "service-"

/* A list of owned strings. */
struct kw_strlist {
	char **v;
	size_t n;
};

struct kw_tagkv {
	char *key;
	char *value;
};

/* A list of owned tags, in the order given (keys unique regardless of case). */
struct kw_taglist {
	struct kw_tagkv *v;
	size_t n;
};

/* A named policy document (inline policy): the JSON text as IAM holds or should hold it. */
struct kw_namedoc {
	char *name;
	char *document;
};

struct kw_doclist {
	struct kw_namedoc *v;
	size_t n;
};

/* kw_strlist_add - append a copy of s. Returns 0, or -1 when out of memory. */
int kw_strlist_add(struct kw_strlist *l, const char *s);
/* kw_strlist_find - index of s in l (exact, or case-insensitive when nocase), or -1. */
long kw_strlist_find(const struct kw_strlist *l, const char *s, bool nocase);
/* kw_strlist_release - free every string and the array; l becomes empty. */
void kw_strlist_release(struct kw_strlist *l);

/* kw_taglist_add - append a copy of key=value. Returns 0, or -1 when out of memory. */
int kw_taglist_add(struct kw_taglist *l, const char *key, const char *value);
/* kw_taglist_find - the tag whose key equals key (case-insensitive, as IAM), or NULL. */
const struct kw_tagkv *kw_taglist_find(const struct kw_taglist *l, const char *key);
void kw_taglist_release(struct kw_taglist *l);

/* kw_doclist_add - append copies of name and document. Returns 0, or -1 when out of memory. */
int kw_doclist_add(struct kw_doclist *l, const char *name, const char *document);
/* kw_doclist_find - the document named name (exact, as IAM policy names), or NULL. */
const struct kw_namedoc *kw_doclist_find(const struct kw_doclist *l, const char *name);
void kw_doclist_release(struct kw_doclist *l);

/* What one manifest asks for. */
struct kw_desired {
	char *name;             /* metadata.name, e.g. "ansible" */
	char *origin;           /* where it came from, e.g. "manifests/service-ansible.yaml" (may be NULL) */
	char *user_name;        /* service-<name> */
	char *group_name;       /* service-<name> */
	char *path;             /* IAM path, "/" by default */
	struct kw_taglist tags; /* user tags, including managed-by: keywarden */
	struct kw_doclist inline_policies; /* group inline policies with their final documents */
	struct kw_strlist managed_arns;    /* managed policies attached to the group */
	char *boundary;                    /* permissions boundary ARN, or NULL */
	bool mfa;                          /* enroll a virtual MFA device */
	int max_age_days;                  /* an active key older than this is stale; 0 = no limit */
	size_t ndeliver;                   /* number of delivery targets (0 = no key is issued) */
	char *deliver_summary;             /* e.g. "profile service-ansible, stdout" (may be NULL) */
	struct kw_key_sink *sinks; /* ndeliver targets: array owned, strings borrowed from the manifest */
	/* the client of the AWS account it is for, when a run reaches several (--role-arn;
	 * engine/account.h): borrowed, never freed here; NULL: the run's client */
	struct kw_aws_client *client;
	const struct kw_aws_options *aws_opts; /* that account's client options, or NULL: the run's */
	/* the manifest it was read from (borrowed, owned by the session): the file:line:col of its
	 * entries for errors found before the first write; NULL when not made from one */
	const struct kw_manifest *manifest;
};

/* kw_desired_release - free what d owns (not d itself, not d->manifest). */
void kw_desired_release(struct kw_desired *d);

struct kw_live_key {
	char *id;       /* AccessKeyId */
	bool active;    /* Status Active */
	time_t created; /* CreateDate */
	/*
	 * Issued but never confirmed delivered: active, without the user's delivered tag
	 * (KW_DELIVERED_TAG_PREFIX) and never used (GetAccessKeyLastUsed). Nobody holds it.
	 */
	bool undelivered;
	bool held; /* a delivery target of the account holds it, read from the target (held.h) */
};

struct kw_live_user {
	bool exists;
	char *name, *path, *arn, *id; /* as IAM holds them (NULL when !exists) */
	char *boundary;               /* PermissionsBoundaryArn, or NULL */
	struct kw_taglist tags;
	struct kw_strlist groups;          /* names of the groups the user is in */
	struct kw_doclist inline_policies; /* inline user policies (never wanted) */
	struct kw_strlist managed_arns;    /* managed policies attached to the user (never wanted) */
	bool keys_read;                    /* ListAccessKeys was read (false when the user is missing) */
	struct kw_live_key *keys;
	size_t nkeys;
	bool login_profile;    /* GetLoginProfile found one */
	struct kw_strlist mfa; /* serials of the MFA devices assigned (enabled) to the user */
};

struct kw_live_group {
	bool exists;
	char *name, *path, *arn;
	struct kw_doclist inline_policies;
	struct kw_strlist managed_arns;
};

/* What one delivery target holds, read from the target itself (engine/held.h). */
struct kw_live_target {
	enum kw_key_held held;   /* keys/sink.h kw_keys_held */
	char id[KW_KEYS_ID_MAX]; /* the key it holds ("" unless KW_KEY_HELD_KEY) */
	bool listed;             /* KW_KEY_HELD_KEY: IAM lists that key for the user */
};

/* What IAM holds for one account (user and group named as its kw_desired says). */
struct kw_live_account {
	struct kw_live_user user;
	struct kw_live_group group;
	char *orphan_mfa; /* serial of an unassigned virtual MFA device named like the user, or NULL */
	/* its delivery targets, in the kw_desired's sinks order (ntargets = ndeliver once read;
	 * 0 when they were not read: every target then counts as KW_KEY_HELD_UNKNOWN) */
	struct kw_live_target *targets;
	size_t ntargets;
};

/* kw_live_add_key - append a key. Returns 0, or -1 when out of memory. */
int kw_live_add_key(struct kw_live_user *u, const char *id, bool active, time_t created);

/* kw_live_release - free what a owns (not a itself); a becomes all zero. */
void kw_live_release(struct kw_live_account *a);

/* kw_live_user_managed - whether the user carries managed-by: keywarden. */
bool kw_live_user_managed(const struct kw_live_user *u);

#endif
