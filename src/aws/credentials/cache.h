/*
 * cache.h - the AWS CLI's credential cache (~/.aws/cli/cache/<sha1>.json, botocore
 * JSONFileCache with the CachedCredentialFetcher key): assumed-role credentials are kept
 * there so that a second run within their hour makes no AssumeRole call, and so that
 * keywarden and the AWS CLI share them. Files are 0600, written atomically (a run killed
 * mid-write leaves the old file or none), read into wiped buffers; an unreadable,
 * foreign or expired entry is ignored (and replaced).
 * Internal to src/aws/credentials.
 */
#ifndef KW_AWS_CREDENTIALS_CACHE_H
#define KW_AWS_CREDENTIALS_CACHE_H

#include <stddef.h>
#include <time.h>

struct kw_aws_credentials;
struct kw_error;

/* Entries with less than this many seconds left are not used (botocore's expiry window). */
#define KW_CRED_CACHE_WINDOW (15 * 60)

/* Parameters of AssumeRole that make the cache key; NULL/0 when absent. */
struct kw_cred_cache_key {
	const char *role_arn;
	const char *role_session_name; /* only when configured (a generated name is left out) */
	const char *external_id;
	const char *serial_number;
	int duration_seconds;
};

/*
 * kw_cred_cache_path - the entry's path: ~/.aws/cli/cache/ + sha1 hex of the key's JSON
 * (sorted keys, Python's json.dumps separators) + ".json", as botocore names it.
 * Returns a new malloc'd path, or NULL when out of memory.
 */
char *kw_cred_cache_path(const struct kw_cred_cache_key *key);

/*
 * kw_cred_cache_load - the cached credentials at path when they have more than
 * KW_CRED_CACHE_WINDOW seconds left at now. @arn receives AssumedRoleUser.Arn (malloc'd, may
 * be NULL). Returns 1 found, 0 when there is no usable entry (none, unreadable, expired).
 */
int kw_cred_cache_load(const char *path, time_t now, struct kw_aws_credentials *out, char **arn);

/*
 * kw_cred_cache_store - write c (and the assumed-role arn, may be NULL) to path as the AWS CLI
 * does, 0600, atomically, creating ~/.aws/cli/cache (0700). Returns 0, or -1 with err set.
 */
int kw_cred_cache_store(const char *path, const struct kw_aws_credentials *c, const char *arn,
                        struct kw_error *err);

#endif
