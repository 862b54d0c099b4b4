/*
 * credentials.h - AWS credentials and the chain that finds them, as botocore does:
 *   1. environment AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), skipped
 *      when --profile was given (an explicit profile negates the environment; AWS_PROFILE
 *      alone does not);
 *   2. the credentials file's [NAME]: aws_access_key_id, aws_secret_access_key,
 *      aws_session_token;
 *   3. credential_process of the profile (config file, or credentials file), run without a
 *      shell (arguments split like a POSIX shell would), its stdout JSON Version 1;
 *   4. the config file's [profile NAME] static keys.
 * A profile with an access key id but no secret (or the reverse) is an error naming the file
 * and line. Source: AWS SDKs and Tools Reference Guide, "Standardized credential providers",
 * "Process credential provider"; botocore credentials.py.
 */
#ifndef KW_AWS_CREDENTIALS_H
#define KW_AWS_CREDENTIALS_H

#include <stddef.h>
#include <time.h>

struct kw_error;
struct kw_secret;
struct kw_aws_profile;

struct kw_aws_credentials {
	char *access_key_id;             /* owned; not a secret */
	struct kw_secret *secret;        /* owned */
	struct kw_secret *session_token; /* owned, NULL for long-term keys */
	time_t expiration;               /* 0: does not expire */
	const char *source;              /* static: "environment", "shared-credentials-file",
	                                  * "credential-process", "config-file", "static" */
	char *process;                   /* credential_process command when source is that (owned) */
	char *process_where;             /* "file:line" of the credential_process setting (owned) */
};

/* kw_aws_credentials_release - wipe and free everything, zero. */
void kw_aws_credentials_release(struct kw_aws_credentials *c);

/*
 * kw_aws_credentials_resolve - walk the chain for profile p.
 * @now: current time (for credential_process Expiration).
 * Returns 0, or -1 with err set: KW_ERR_AUTH when no credentials were found or
 * credential_process failed; KW_ERR_INVALID for partial credentials ("file:line"); KW_ERR_NOMEM.
 */
int kw_aws_credentials_resolve(const struct kw_aws_profile *p, time_t now, struct kw_aws_credentials *out,
                               struct kw_error *err);

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
