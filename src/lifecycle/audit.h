/*
 * audit.h - findings about service accounts and their access keys, computed from a plain
 * in-memory picture of IAM (no I/O here: src/cmd/audit.c fills the picture from the live
 * state or the credential report, then prints what this module finds).
 *
 * Invariants: every string in these structs is borrowed from the caller and must outlive the
 * calls that read it, except the findings list, which owns its strings (kw_lc_findings_release).
 * Times are seconds since the Unix epoch, UTC; 0 means "none" (never used, no grace tag).
 * Nothing here is secret: access key ids are not secrets, and no secret is ever stored here.
 *
 * Finding codes are stable (scripts and the JSON output rely on them):
 *   key-too-old      an active key older than maxAgeDays (AWS Config: access-keys-rotated)
 *   key-never-used   a key never used and created more than unused_days ago
 *   key-unused       a key last used more than unused_days ago
 *                    (AWS Config: iam-user-unused-credentials-check)
 *   two-active-keys  two active keys outside a rotation (the newer one older than the
 *                    rotation window, KW_LC_ROTATION_WINDOW)
 *   grace-expired    an inactive key whose grace period (keywarden:inactive:<id>) has passed
 *   console-enabled  a service account with a console password (login profile)
 *   no-mfa           MFA wanted (manifest mfa: virtual) but no device assigned
 *   user-policy      policies attached to the user (inline or managed) instead of the group
 *   not-in-group     the user is not a member of its group
 *   not-managed      the user lacks the tag managed-by: keywarden
 *   key-undelivered  an active key of a managed user, never used and without the tag
 *                    keywarden:delivered:<id> that apply and rotate write once a key reached
 *                    every target: nobody may hold it (plan replaces such a key)
 */
#ifndef KW_LIFECYCLE_AUDIT_H
#define KW_LIFECYCLE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define KW_LC_DAY 86400L

/* Defaults, as the AWS Config rules: access-keys-rotated and iam-user-unused-credentials-check. */
#define KW_LC_DEFAULT_MAX_AGE_DAYS 90
#define KW_LC_DEFAULT_UNUSED_DAYS  90

/* Two active keys whose newer one is younger than this (seconds) are a rotation in progress. */
#define KW_LC_ROTATION_WINDOW 3600L

/* One access key as IAM reports it (ListAccessKeys + GetAccessKeyLastUsed, or the report). */
struct kw_lc_key {
	const char *id;           /* AccessKeyId; NULL when unknown (credential report slot) */
	int slot;                 /* 1 or 2 in the credential report, 0 otherwise */
	bool active;              /* Status Active */
	time_t created;           /* CreateDate (report: access_key_N_last_rotated) */
	time_t last_used;         /* LastUsedDate, 0 = never used */
	const char *last_service; /* ServiceName, NULL or "N/A" when never used */
	const char *last_region;  /* Region, NULL or "N/A" when never used */
	time_t inactive_since;    /* from the grace tag keywarden:inactive:<id>; 0 = none */
	int grace_days;           /* grace period from that tag (days); meaningful when inactive_since */
	bool delivered_known;     /* the user's tags were read for this key (id known) */
	bool delivered;           /* carries keywarden:delivered:<id> */
};

/* What the audit knows about one IAM user. Fields marked "known" gate the checks using them. */
struct kw_lc_subject {
	const char *user;     /* IAM user name */
	const char *origin;   /* manifest file it came from, or NULL (user name, --all-users) */
	const char *group;    /* the group the user should be in, or NULL when unknown */
	bool managed;         /* carries managed-by: keywarden */
	bool managed_known;   /* tags were read (false from the credential report alone) */
	bool console;         /* a login profile (console password) exists */
	bool mfa_wanted;      /* the manifest asks for MFA (mfa: virtual) */
	bool has_mfa;         /* an MFA device is assigned */
	bool in_group;        /* member of group (meaningful when group != NULL and details) */
	bool details_known;   /* groups and user policies were read */
	size_t user_policies; /* inline + managed policies on the user */
	int max_age_days;     /* the manifest's maxAgeDays; 0 = default; < 0 = no limit */
	const struct kw_lc_key *keys;
	size_t nkeys;
};

/* Thresholds of one audit run. */
struct kw_lc_audit_opts {
	time_t now;      /* the time the audit judges against */
	int unused_days; /* key-never-used / key-unused threshold; 0 = KW_LC_DEFAULT_UNUSED_DAYS */
};

enum kw_lc_code {
	KW_LC_KEY_TOO_OLD,
	KW_LC_KEY_NEVER_USED,
	KW_LC_KEY_UNUSED,
	KW_LC_TWO_ACTIVE_KEYS,
	KW_LC_GRACE_EXPIRED,
	KW_LC_CONSOLE_ENABLED,
	KW_LC_NO_MFA,
	KW_LC_USER_POLICY,
	KW_LC_NOT_IN_GROUP,
	KW_LC_NOT_MANAGED,
	KW_LC_KEY_UNDELIVERED,
	KW_LC_NCODES
};

struct kw_lc_finding {
	enum kw_lc_code code;
	char *user;     /* owned */
	char *resource; /* owned: the AccessKeyId, "access_key_N" for a report slot, or the user name */
	char *message;  /* owned: one line, lowercase, no full stop */
};

struct kw_lc_findings {
	struct kw_lc_finding *v;
	size_t n;
};

/* kw_lc_code_name - the stable code ("key-too-old", ...), static storage. */
const char *kw_lc_code_name(enum kw_lc_code code);

/* kw_lc_age_days - whole days from t to now (0 when t is later than now). */
long kw_lc_age_days(time_t t, time_t now);

/*
 * kw_lc_audit - append the findings about s (borrowed) to out, in a stable order: user-level
 * findings first (not-managed, console-enabled, no-mfa, user-policy, not-in-group,
 * two-active-keys), then per key in the order given.
 * Returns 0, or -1 when out of memory (out keeps what was appended before).
 */
int kw_lc_audit(const struct kw_lc_subject *s, const struct kw_lc_audit_opts *o, struct kw_lc_findings *out);

/* kw_lc_findings_release - free every finding; l becomes empty. */
void kw_lc_findings_release(struct kw_lc_findings *l);

/*
 * How AWS Config's managed rule access-keys-rotated (ACCESS_KEYS_ROTATED) judges a key: an
 * active key whose days since creation exceed maxAccessKeyAge is NON_COMPLIANT (and so is its
 * user); inactive keys are not judged. Names as AWS Config's ComplianceType.
 */
enum kw_lc_compliance {
	KW_LC_NOT_APPLICABLE, /* an inactive key; a user without active keys */
	KW_LC_COMPLIANT,
	KW_LC_NON_COMPLIANT,
};

/* kw_lc_compliance_name - "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE" (static storage). */
const char *kw_lc_compliance_name(enum kw_lc_compliance c);

/*
 * kw_lc_access_keys_rotated - key k judged as access-keys-rotated with maxAccessKeyAge
 * max_access_key_age days (> 0; AWS's default KW_LC_DEFAULT_MAX_AGE_DAYS) at now: whole days
 * since CreateDate above max_access_key_age -> NON_COMPLIANT. The same comparison as
 * key-too-old, so that maxAgeDays == maxAccessKeyAge gives the same keys.
 * Source: AWS Config Developer Guide, "access-keys-rotated".
 */
enum kw_lc_compliance kw_lc_access_keys_rotated(const struct kw_lc_key *k, int max_access_key_age,
                                                time_t now);

/* kw_lc_user_access_keys_rotated - the user's result: NON_COMPLIANT when any key is, COMPLIANT
 * when it has an active key, NOT_APPLICABLE without one. */
enum kw_lc_compliance kw_lc_user_access_keys_rotated(const struct kw_lc_subject *s, int max_access_key_age,
                                                     time_t now);

/*
 * kw_lc_key_due - whether active key k is due for rotation: older than max_age_days (the same
 * rule as key-too-old) at now, or will be within within_days (>= 0) from now. False for an
 * inactive key and for max_age_days < 0 (no limit); 0 means KW_LC_DEFAULT_MAX_AGE_DAYS.
 */
bool kw_lc_key_due(const struct kw_lc_key *k, int max_age_days, int within_days, time_t now);

/* Why kw_lc_prune_reason() would delete a key. */
enum kw_lc_prune {
	KW_LC_PRUNE_KEEP = 0,
	KW_LC_PRUNE_NEVER_USED,    /* never used, created more than older_than_days ago */
	KW_LC_PRUNE_UNUSED,        /* last used more than older_than_days ago */
	KW_LC_PRUNE_GRACE_EXPIRED, /* inactive, grace period over */
};

/*
 * kw_lc_prune_reason - whether `audit --prune-unused` deletes key k of s, and why. Every key
 * of a user not known to be managed by keywarden is kept. An inactive key past its grace
 * period goes (it cannot have been used since its tagged deactivation); otherwise a key used
 * within older_than_days, or created within it and never used, is always kept.
 * @older_than_days: threshold; 0 = KW_LC_DEFAULT_UNUSED_DAYS.
 */
enum kw_lc_prune kw_lc_prune_reason(const struct kw_lc_subject *s, const struct kw_lc_key *k,
                                    int older_than_days, time_t now);

/* kw_lc_prune_name - "never-used", "unused", "grace-expired" or "keep", static storage. */
const char *kw_lc_prune_name(enum kw_lc_prune reason);

/*
 * kw_lc_grace_expired - whether inactive key k's grace period (k->grace_days from its tag)
 * has passed at now: false for an active key or a key without grace tag.
 */
bool kw_lc_grace_expired(const struct kw_lc_key *k, time_t now);

#endif
