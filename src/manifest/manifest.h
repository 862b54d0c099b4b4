/*
 * manifest.h - service-account manifests (YAML, apiVersion keywarden/v1, kind ServiceAccount)
 * read strictly into structs, with every name and limit checked offline.
 *
 * Invariants: every string in these structs is owned by the struct that holds it and freed
 * by kw_manifest_set_free(); arrays are (pointer, count). A kw_manifest that reaches a set's
 * items[] passed every check: names match IAM's patterns and lengths, tags hold
 * `managed-by: keywarden` last, inline policy documents are templated, grammatical, within
 * IAM's size quota, and their lint findings are accepted or below warning.
 * Positions (line, col) are 1-based, as editors show them.
 *
 * Format: docs/manifest.md (every field) and docs/manifest.schema.json. Sources for limits:
 * AWS IAM API Reference (CreateUser, CreateGroup, PutGroupPolicy, AttachGroupPolicy, TagUser)
 * and IAM User Guide, "IAM and AWS STS quotas".
 *
 * Nothing here prints or exits.
 */
#ifndef KW_MANIFEST_MANIFEST_H
#define KW_MANIFEST_MANIFEST_H

#include "util/vocab.h" /* KW_MANAGED_TAG_KEY */
#include <stdbool.h>
#include <stddef.h>

#include "keys/format.h"
#include "policy/policy.h"

struct kw_error;

#define KW_MANIFEST_API_VERSION     "keywarden/v1"
#define KW_MANIFEST_KIND            "ServiceAccount"
/*
 * IAM's quota of tags per user (TagsPerUser), and the tags keywarden itself may keep on a
 * service user besides the manifest's (util/vocab.h): managed-by, keywarden:owner (a run with an
 * owner), keywarden:delivered:<id> for each of the two access keys IAM allows a user (both exist
 * during a rotation), and rotate's keywarden:inactive:<id> grace marker of the old key. validate reserves room for all of them,
 * so that a valid manifest never makes a later apply or rotate hit the quota.
 */
#define KW_IAM_TAGS_PER_USER        50
#define KW_MANIFEST_RESERVED_TAGS   5
#define KW_MANIFEST_MAX_TAGS        (KW_IAM_TAGS_PER_USER - KW_MANIFEST_RESERVED_TAGS) /* spec.tags */
#define KW_MANIFEST_MAX_MANAGED     10    /* managed policies attached to one group */
#define KW_MANIFEST_DEFAULT_AGE     90    /* accessKeys.maxAgeDays */
#define KW_MANIFEST_MAX_ALIAS_NODES 10000 /* YAML nodes visited per document (alias bombs) */

/* One user tag, in manifest order. */
struct kw_tag {
	char *key;
	char *value;
};

/* A lint finding the manifest accepts for one inline policy, with the reason given. */
struct kw_lint_allow {
	char *code; /* "KWP020" */
	char *reason;
	unsigned line, col;
	bool used; /* set when a finding matched it */
};

struct kw_inline_policy {
	char *file;         /* policy file, resolved against the manifest's folder */
	char *name;         /* PolicyName for PutGroupPolicy: `name:` or the file's base name without .json */
	char *document;     /* templated document, canonical key order, compact: what PutGroupPolicy sends */
	json_t *normalized; /* kw_policy_normalize() of the document (owned reference) */
	struct kw_lint_allow *allow;
	size_t nallow;
	unsigned line, col; /* of the entry in the manifest */
};

struct kw_managed_policy {
	char *arn;
	unsigned line, col;
};

enum kw_deliver_kind {
	KW_DELIVER_PROFILE,         /* ~/.aws/credentials profile (+ config region/output) */
	KW_DELIVER_FILE,            /* a 0600 file */
	KW_DELIVER_STDOUT,          /* the key on stdout */
	KW_DELIVER_EXEC,            /* a command that reads the key on stdin */
	KW_DELIVER_SECRETS_MANAGER, /* secretsManager: {name, region, kmsKeyId, format, profile} */
	KW_DELIVER_SSM_PARAMETER,   /* ssmParameter: {name, region, kmsKeyId, tier, format, profile} */
};

struct kw_deliver {
	enum kw_deliver_kind kind;
	char *profile;       /* PROFILE: profile name */
	char *region;        /* PROFILE: optional region for ~/.aws/config; stores: the store's region
	                * (from the ARN when a secret is named by ARN); else NULL */
	char *output;        /* PROFILE: optional output format for ~/.aws/config, else NULL */
	char *path;          /* FILE: resolved against the manifest's folder */
	char *command;       /* EXEC: command line, run with the manifest's folder as working directory */
	char *store_name;    /* stores: secret name or ARN, parameter name */
	char *kms_key_id;    /* stores: optional KMS key id, ARN or alias */
	char *tier;          /* SSM_PARAMETER: optional Standard, Advanced, Intelligent-Tiering */
	char *store_profile; /* stores: optional profile whose credentials write the store */
	enum kw_key_format format; /* FILE, STDOUT, EXEC, stores: default json */
	char *tmpl;                /* format template: the template text */
	unsigned line, col;
};

enum kw_mfa_mode {
	KW_MFA_VIRTUAL, /* enroll a virtual MFA device */
	KW_MFA_NONE,
};

struct kw_manifest {
	char *file;         /* the manifest file as given (path joined with the folder argument) */
	char *dir;          /* its folder, for resolving relative paths */
	unsigned doc_index; /* 0-based index of the YAML document in the file */
	unsigned line, col; /* where the document starts */

	char *name;    /* metadata.name */
	char *account; /* metadata.account: the 12-digit AWS account it is for, or NULL */
	unsigned account_line, account_col; /* where metadata.account is written */
	char *user_name;                    /* "service-<name>" */
	char *group_name;                   /* "service-<name>" */
	char *path;                         /* spec.path, default "/" */

	struct kw_tag *tags; /* spec.tags in order, then managed-by: keywarden */
	size_t ntags;

	struct kw_inline_policy *inline_policies;
	size_t ninline;
	struct kw_managed_policy *managed_policies;
	size_t nmanaged;

	char *permissions_boundary;           /* ARN, or NULL */
	unsigned boundary_line, boundary_col; /* where it is written */
	bool console;                         /* always false: "disabled" is the only value accepted */
	enum kw_mfa_mode mfa;                 /* default KW_MFA_VIRTUAL */
	int max_age_days;                     /* accessKeys.maxAgeDays, default 90, 1..3650 */
	struct kw_deliver *deliver;
	size_t ndeliver;
};

/* A diagnostic: an error in a manifest or policy, or a lint finding. */
struct kw_diag {
	enum kw_severity severity;
	const char *code;   /* lint code (static storage), or NULL for manifest errors */
	char *file;         /* owned */
	unsigned line, col; /* 1-based; 0 when unknown */
	char *message;      /* lowercase, no full stop (owned) */
	bool accepted;      /* a lint finding accepted by the manifest's allow: */
	char *reason;       /* the accepted reason, or NULL (owned) */
};

struct kw_diags {
	struct kw_diag *items;
	size_t n, cap;
};

struct kw_manifest_set {
	struct kw_manifest **items; /* valid manifests, in load order (sorted paths) */
	size_t n;
	struct kw_diags diags; /* every problem found, in load order */
	size_t nfiles;         /* manifest files read */
	size_t nerrors;        /* diagnostics that make the set invalid (errors and unaccepted warnings) */
};

/*
 * kw_manifest_load_paths - read manifest files and folders (every *.yaml / *.yml below a
 * folder, recursively, in byte-sorted order; hidden entries skipped), check everything
 * (schema, names, limits, policy files, templates, lint), and collect ALL problems.
 * @paths, @n: files or folders (borrowed).
 * @out: receives the set (free with kw_manifest_set_free) whenever the result is 0, and also
 *       with -1 and KW_ERR_INVALID, so the caller can print out->diags. NULL otherwise.
 * Two manifests for the same account (metadata.name) are an error naming both places.
 * Returns 0 when no diagnostic is blocking (warnings that are not accepted block, as errors
 * do); -1 with err set: KW_ERR_INVALID (err->where/msg = the first problem, "(and N more)"),
 * KW_ERR_IO for an unreadable argument, KW_ERR_NOMEM.
 */
int kw_manifest_load_paths(const char *const *paths, size_t n, struct kw_manifest_set **out,
                           struct kw_error *err);

/*
 * kw_manifest_load_buffer - like kw_manifest_load_paths() for YAML text in memory (tests,
 * fuzzing). @file names it in messages and is the base of relative paths (its folder).
 */
int kw_manifest_load_buffer(const char *text, size_t len, const char *file, struct kw_manifest_set **out,
                            struct kw_error *err);

/* kw_manifest_set_free - free the set, its manifests and diagnostics; NULL is allowed. */
void kw_manifest_set_free(struct kw_manifest_set *set);

/*
 * kw_manifest_find_user - the manifest whose user_name is @user_name (borrowed result), or
 * NULL.
 */
const struct kw_manifest *kw_manifest_find_user(const struct kw_manifest_set *set, const char *user_name);

/*
 * kw_manifest_find_name - the manifest whose metadata.name is @name, or NULL (borrowed).
 */
const struct kw_manifest *kw_manifest_find_name(const struct kw_manifest_set *set, const char *name);

/*
 * kw_manifest_error_at - place err, found before any write about what the entry of m at
 * line:col asks for (a delivery target, a policy ARN), at that entry: err->where becomes
 * "file:line:col", as manifest errors are, and its old where, unless the message names it
 * already, starts the message. Without a position (m NULL, line 0) the manifest's file (or
 * "manifest") starts the message instead. Returns -1.
 */
int kw_manifest_error_at(struct kw_error *err, const struct kw_manifest *m, unsigned line, unsigned col);

/*
 * kw_diag_format - "error: file:line:col: message" (severity word first; for lint findings
 * "warning: file:line:col: KWP020 message"; accepted findings end with " (accepted: reason)").
 * New string, caller frees; NULL when out of memory.
 */
char *kw_diag_format(const struct kw_diag *d);

/*
 * kw_diags_add - append a diagnostic (strings copied; code is borrowed static storage).
 * Returns 0 or -1 when out of memory.
 */
int kw_diags_add(struct kw_diags *d, enum kw_severity sev, const char *code, const char *file, unsigned line,
                 unsigned col, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* kw_diags_release - free every diagnostic and empty the list. */
void kw_diags_release(struct kw_diags *d);

#endif
