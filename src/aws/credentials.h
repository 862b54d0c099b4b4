/*
 * credentials.h - AWS credentials and the chain that finds them, in botocore's order
 * (botocore/credentials.py create_credential_resolver):
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN, or the
 *      legacy AWS_SECURITY_TOKEN), skipped when --profile was given (an explicit profile
 *      negates the environment; AWS_PROFILE alone does not);
 *   2. assume role: the profile's role_arn with source_profile or credential_source;
 *   3. the credentials file's [NAME]: aws_access_key_id, aws_secret_access_key,
 *      aws_session_token (or the legacy aws_security_token);
 *   4. credential_process of the profile (credentials file, then config file), run without a
 *      shell (arguments split like a POSIX shell would), its stdout JSON Version 1;
 *   5. the config file's [profile NAME] static keys.
 * Each provider is one module under src/aws/credentials/ behind struct kw_cred_provider
 * (credentials/provider.h); the chain is one table there. Temporary credentials carry the
 * provider that made them and are refreshed through it before they expire.
 * A profile with an access key id but no secret (or the reverse) is an error naming the file
 * and line; so is a credential setting keywarden does not support (login_session, an unknown
 * credential_source), never "no credentials found". Source: AWS SDKs and Tools Reference
 * Guide, "Standardized credential providers", "Process credential provider"; botocore
 * credentials.py.
 */
#ifndef KW_AWS_CREDENTIALS_H
#define KW_AWS_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct kw_error;
struct kw_secret;
struct kw_aws_profile;
struct kw_aws_options;
struct kw_ini_section;
struct kw_cred_provider;
struct kw_aws_client;

/* Refresh temporary credentials this many seconds before they expire. */
#define KW_CRED_REFRESH_MARGIN 300

struct kw_aws_credentials {
	char *access_key_id;             /* owned; not a secret */
	struct kw_secret *secret;        /* owned */
	struct kw_secret *session_token; /* owned, NULL for long-term keys */
	time_t expiration;               /* 0: does not expire */
	const char *source;              /* static, the provider's name: "environment",
	                                  * "assume-role", "shared-credentials-file",
	                                  * "credential-process", "config-file", "static" */
	char *chain; /* how they were reached, for whoami and -vv, never a secret (owned, may be
	              * NULL): "profile ops -> assume arn:aws:iam::1:role/x (cached until ...)" */
	const struct kw_cred_provider *provider; /* refreshes them; NULL: cannot be refreshed */
	void *state;                             /* the provider's refresh state (owned) */
};

/* kw_aws_credentials_release - wipe and free everything (the refresh state too), zero. */
void kw_aws_credentials_release(struct kw_aws_credentials *c);

/*
 * kw_aws_credentials_resolve - walk the chain for profile p.
 * @opt: the client's options (region, --endpoint-url, --mfa-code for STS calls of role
 *       providers); may be NULL. @now: current time (for Expiration checks).
 * Returns 0, or -1 with err set: KW_ERR_AUTH when no credentials were found or a provider
 * failed (credential_process, AssumeRole); KW_ERR_INVALID for partial credentials or an
 * unsupported or invalid credential setting ("file:line"); KW_ERR_NOMEM.
 */
int kw_aws_credentials_resolve(const struct kw_aws_profile *p, const struct kw_aws_options *opt, time_t now,
                               struct kw_aws_credentials *out, struct kw_error *err);

/*
 * kw_aws_credentials_assume - the credentials of role_arn, assumed (STS AssumeRole) with the
 * credentials of client via, as the assume-role provider does for a profile: from the AWS CLI's
 * cache when an entry for the role (a session name keywarden generates, no external id, MFA
 * or duration: botocore's cache key of {"RoleArn"}) has more than 15 minutes left, else
 * assumed and cached; refreshed through via before they expire. For --role-arn (one role per
 * AWS account a run reaches).
 * @via: borrowed; must outlive out (it signs every refresh). @out: zeroed, filled; its chain
 *       is via's chain (or its source) "→ assume ROLE (assumed|cached until ...)".
 * Returns 0, or -1 with err set (as kw_sts_assume_role, prefixed "assume ROLE").
 * Source: botocore credentials.py AssumeRoleCredentialFetcher; AWS STS API: AssumeRole.
 */
int kw_aws_credentials_assume(struct kw_aws_client *via, const char *role_arn, time_t now,
                              struct kw_aws_credentials *out, struct kw_error *err);

/*
 * kw_aws_credentials_expiring - whether c are temporary, refreshable and within
 * KW_CRED_REFRESH_MARGIN seconds of their expiration at now.
 */
bool kw_aws_credentials_expiring(const struct kw_aws_credentials *c, time_t now);

/*
 * kw_aws_credentials_refresh - new credentials from the provider that made cur (the token
 * file re-read, the role assumed again, the process run again). On success the refresh state
 * moves from cur to out (cur can then no longer be refreshed, but stays usable by calls that
 * hold it). Returns 0, or -1 with err set (as kw_aws_credentials_resolve); cur is unchanged.
 */
int kw_aws_credentials_refresh(struct kw_aws_credentials *cur, time_t now, struct kw_aws_credentials *out,
                               struct kw_error *err);

/*
 * kw_aws_section_session_token - whether sec holds a session token (aws_session_token or the
 * legacy aws_security_token): temporary credentials, which rotate must refuse.
 */
bool kw_aws_section_has_session_token(const struct kw_ini_section *sec);

/*
 * kw_aws_credential_process_parse - read credential_process output (JSON Version 1:
 * AccessKeyId, SecretAccessKey, optional SessionToken and Expiration).
 * @json: output bytes (borrowed; a secret), @where: for errors ("file:line").
 * Returns 0, or -1 with err set (KW_ERR_AUTH for bad JSON, wrong Version, missing keys,
 * expired credentials). Messages never quote the output.
 */
int kw_aws_credential_process_parse(const char *json, size_t len, const char *where, time_t now,
                                    struct kw_aws_credentials *out, struct kw_error *err);

/*
 * kw_aws_credential_process_run - run command (split like a shell, no shell), read its stdout
 * into a secret buffer (at most 64 KiB), wait, and parse it. Its stderr goes to ours.
 * Returns 0, or -1 with err set (KW_ERR_AUTH when it cannot run, exits non-zero, or prints
 * something unusable).
 */
int kw_aws_credential_process_run(const char *command, const char *where, time_t now,
                                  struct kw_aws_credentials *out, struct kw_error *err);

/*
 * kw_aws_split_command - split a command line into words as a POSIX shell would for plain
 * words, 'single' and "double" quotes and backslashes (no expansions). Returns a
 * NULL-terminated malloc'd argv (free each and the array), or NULL on a syntax error or when
 * out of memory.
 */
char **kw_aws_split_command(const char *command);

#endif
