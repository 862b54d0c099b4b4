/*
 * client.h - the AWS client that the rest of keywarden uses to talk to AWS services (IAM, STS,
 * Secrets Manager, SSM, SNS; the table in services.c): credentials, endpoints, signing, the Query
 * and JSON 1.1 protocols, HTTP with retries and statistics, behind one opaque handle. The typed
 * operations are in iam.h, sts.h, secretsmanager.h, ssm.h and sns.h; nothing outside src/aws sees
 * HTTP, XML, protocol JSON or signing.
 *
 * Invariants and rules:
 *  - A struct kw_aws_client is created once per command and freed with kw_aws_client_free.
 *    Operations on ONE client may be called from several threads at once (the engine reads
 *    live state with up to 8 threads): connections are shared through a CURLSH (connections,
 *    DNS, TLS sessions), each call uses its own easy handle from a small pool, and the retry
 *    quota, signing-key cache and statistics sit behind a mutex. Creating and freeing a client
 *    are not concurrent with its use.
 *  - Credentials live in struct kw_secret buffers inside the client; nothing here hands a
 *    secret back except where an API says so (iam.h CreateAccessKey, CreateVirtualMFADevice).
 *  - Every failed operation returns -1 with a struct kw_error filled as follows:
 *      AWS answered with an error: kind KW_ERR_AWS, http_status, aws_code (e.g. "Throttling",
 *        "LimitExceeded", "EntityAlreadyExists", "DeleteConflict", "AccessDenied"),
 *        request_id, where = the action ("iam:CreateUser"), msg = "<Code>: <Message>";
 *        except: aws_code "NoSuchEntity" -> kind KW_ERR_NOT_FOUND, and credentials the service
 *        rejected ("SignatureDoesNotMatch", "InvalidClientTokenId", "ExpiredToken",
 *        "IncompleteSignature", "UnrecognizedClientException") -> kind KW_ERR_AUTH; aws_code,
 *        http_status and request_id are filled in every case, so callers can switch on aws_code.
 *      Transport (connect, DNS, TLS, timeout) after the last attempt: KW_ERR_NETWORK.
 *      No credentials found, or a broken credential_process: KW_ERR_AUTH.
 *      Bad config/credentials file: KW_ERR_INVALID with where = "file:line".
 *    Error messages never contain secrets (kw_error_set redacts as well).
 *  - Retry mode (AWS_RETRY_MODE, the profile's retry_mode, else the command's default):
 *    "adaptive" adds to standard mode a client-side token bucket before every attempt,
 *    shared by every client of the process that calls the same service endpoint, whose rate
 *    follows CUBIC (aws/adaptive.h); "legacy" is treated as "standard".
 *  - Retries follow the AWS SDKs' "standard" mode: at most max_attempts attempts per call
 *    (AWS_MAX_ATTEMPTS, the profile's max_attempts, default 3), full-jitter exponential backoff
 *    (base 1 s... min(20 s, 2^attempt)), a retry-quota token bucket per client (500 tokens,
 *    5 per retry, 10 per timeout retry, 1 back per success), only for throttling codes
 *    (Throttling, ThrottlingException, RequestLimitExceeded, RequestThrottled,
 *    TooManyRequestsException, ...), transient ones (RequestTimeout, HTTP 500/502/503/504) and
 *    connection errors. IAM's LimitExceeded and other client errors are never retried. Each
 *    retry is logged at -v. CreateAccessKey and CreateVirtualMFADevice are sent once: a lost
 *    answer may hide what IAM created, and only the caller can list and reconcile
 *    (keys/issue.h). No retry starts after the thread's call deadline (util/wait.h).
 *
 * Source: AWS SDKs and Tools Reference Guide: "Standardized credential providers", "Retry
 * behavior", "Service-specific endpoints", "Shared config and credentials files".
 */
#ifndef KW_AWS_CLIENT_H
#define KW_AWS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct kw_error;
struct kw_secret;

struct kw_aws_client;

/* The services keywarden calls; each has a row in services.c (names, signing, protocol). */
enum kw_aws_service {
	KW_AWS_IAM,
	KW_AWS_STS,
	KW_AWS_SECRETSMANAGER,
	KW_AWS_SSM,
	KW_AWS_SNS,
	KW_AWS_NSERVICES
};

/*
 * Options for kw_aws_client_new. Every pointer is borrowed for the duration of the call only
 * (strings are copied). Zero/NULL fields take the documented default. The first three come
 * straight from struct kw_ctx (cmd.h).
 */
struct kw_aws_options {
	const char *profile;      /* --profile; NULL: AWS_PROFILE, then "default" */
	const char *region;       /* --region; NULL: AWS_REGION, AWS_DEFAULT_REGION, the profile's
	                           * region, then us-east-1 */
	const char *endpoint_url; /* --endpoint-url for every service; NULL: see endpoint rules */
	long connect_timeout_ms;  /* 0: 10000 ms */
	long timeout_ms;          /* whole attempt (connect + transfer); 0: 60000 ms */
	int max_attempts;         /* 0: AWS_MAX_ATTEMPTS, the profile's max_attempts, then 3 */
	const char *mfa_code;     /* --mfa-code: the first code an assume-role profile with
	                           * mfa_serial asks for (later ones are asked on the terminal) */
	/* retry mode when neither AWS_RETRY_MODE nor the profile's retry_mode names one: true for
	 * "adaptive" (apply, rotate, destroy), false for "standard" */
	bool adaptive_default;
	/* the AWS account the client acts in, when a run reaches several (--role-arn): the
	 * adaptive bucket is one per service endpoint and account, as IAM throttles per account;
	 * NULL: the run's one account */
	const char *account;
	/* with role_via: the client's credentials are role_arn's, assumed with role_via's
	 * (kw_aws_client_new_role); what --role-arn gives each account's options, so that every
	 * client made from them (secret stores, key proofs) acts in that account. Borrowed. */
	struct kw_aws_client *role_via;
	const char *role_arn;
};

/*
 * kw_aws_client_new - resolve credentials, region and endpoints and create a client.
 * @opt: options (borrowed; may be NULL for all defaults).
 * @out: receives the client (free with kw_aws_client_free); NULL on error.
 * Credentials: the chain of credentials.h in botocore's order (environment unless a profile
 *   was given on the command line, assume role, shared credentials file, credential_process,
 *   config file); temporary credentials are refreshed through their provider shortly before
 *   they expire. Files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials),
 *   AWS_CONFIG_FILE (default ~/.aws/config); a missing file is skipped; a profile named
 *   explicitly that exists in neither is an error (KW_ERR_INVALID).
 * Settings are checked before anything is signed: a region that is not a region name
 *   ("eu-west-1 # primary"), an unknown retry_mode or a max_attempts that is not a number is
 *   KW_ERR_INVALID with where = "file:line" (or "environment NAME") and the setting named.
 * Endpoints (per service, first match wins): opt->endpoint_url; AWS_ENDPOINT_URL_<ID>
 *   (IAM, STS, SECRETS_MANAGER, SSM, SNS); AWS_ENDPOINT_URL; the profile's `services` section's
 *   iam/sts/secrets_manager/ssm endpoint_url; the profile's endpoint_url; unless
 *   AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's ignore_configured_endpoint_urls) is
 *   true, which skips all but opt->endpoint_url. Then the partition default: IAM
 *   https://iam.amazonaws.com (signed for us-east-1), https://iam.cn-north-1.amazonaws.com.cn
 *   (cn-north-1) for cn-*, and https://iam.us-gov.amazonaws.com (us-gov-west-1) for
 *   us-gov-*; the regional services https://PREFIX.REGION.amazonaws.com(.cn) (sts,
 *   secretsmanager, ssm). An override URL is signed for the client's region (IAM: the
 *   partition's signing region). Only https:// is accepted, and http:// for loopback hosts
 *   (127.0.0.0/8, ::1, localhost). CA bundle: AWS_CA_BUNDLE, then the profile's ca_bundle.
 * Returns 0, or -1 with err set (KW_ERR_AUTH, KW_ERR_INVALID, KW_ERR_IO, KW_ERR_NOMEM).
 * Source: AWS SDKs and Tools Reference Guide (credential providers, endpoints, retries).
 */
int kw_aws_client_new(const struct kw_aws_options *opt, struct kw_aws_client **out, struct kw_error *err);

/*
 * kw_aws_client_new_static - create a client that signs with the given static credentials
 * instead of the chain (region, endpoints, retries and CA bundle resolve as above, using
 * opt->profile's config when present). Used to confirm that a freshly issued access key works
 * (sts.h kw_sts_get_caller_identity) and to rotate a profile's own key.
 * @access_key_id: access key id (copied).
 * @secret:        secret access key (borrowed; copied into the client's own secret buffer).
 * @session_token: session token, or NULL (borrowed, copied).
 * Returns 0, or -1 with err set (KW_ERR_INVALID, KW_ERR_NOMEM).
 */
int kw_aws_client_new_static(const struct kw_aws_options *opt, const char *access_key_id,
                             const struct kw_secret *secret, const struct kw_secret *session_token,
                             struct kw_aws_client **out, struct kw_error *err);

/*
 * kw_aws_client_new_anonymous - a client whose requests are not signed (region, endpoints,
 * retries as above), for the STS calls that take no AWS credentials:
 * AssumeRoleWithWebIdentity. Returns 0, or -1 with err set.
 */
int kw_aws_client_new_anonymous(const struct kw_aws_options *opt, struct kw_aws_client **out,
                                struct kw_error *err);

/*
 * kw_aws_client_new_role - a client whose credentials are role_arn's, assumed with via's
 * credentials (credentials.h kw_aws_credentials_assume: the AWS CLI's cache, refreshed
 * through via); region, endpoints and retries resolve from opt as kw_aws_client_new's, and
 * opt->account scopes its adaptive bucket. For --role-arn: one client per AWS account.
 * @via: borrowed; must outlive the new client. Returns 0, or -1 with err set.
 */
int kw_aws_client_new_role(const struct kw_aws_options *opt, struct kw_aws_client *via, const char *role_arn,
                           struct kw_aws_client **out, struct kw_error *err);

/* kw_aws_client_free - close connections, wipe credentials and signing keys, free; NULL ok. */
void kw_aws_client_free(struct kw_aws_client *c);

/* kw_aws_client_region - the resolved region, e.g. "us-east-1" (borrowed from c). */
const char *kw_aws_client_region(const struct kw_aws_client *c);

/* kw_aws_client_endpoint - the resolved endpoint URL of svc (borrowed from c). */
const char *kw_aws_client_endpoint(const struct kw_aws_client *c, enum kw_aws_service svc);

/*
 * kw_aws_client_access_key_id - the access key id the client signs with (borrowed), e.g. so
 * that rotate can tell the profile's own key apart. Not a secret.
 */
const char *kw_aws_client_access_key_id(const struct kw_aws_client *c);

/*
 * kw_aws_client_credential_source - where the credentials came from, for -v and whoami
 * (borrowed): "environment", "shared-credentials-file", "config-file", "credential-process",
 * "static".
 */
const char *kw_aws_client_credential_source(const struct kw_aws_client *c);

/*
 * kw_aws_client_credential_chain - how role credentials were reached, for whoami and -v
 * (borrowed, may be NULL for credentials that are not a role's), e.g. "profile ops
 * (shared-credentials-file) → assume arn:aws:iam::1:role/x (assumed until 2026-12-01T10:42:00Z)".
 * Never a secret.
 */
const char *kw_aws_client_credential_chain(const struct kw_aws_client *c);

/*
 * kw_aws_answer_date - the Date header of the last answer this thread received from AWS: the
 * service's clock (IAM's for IAM calls, on which its CreateDate values are), whole seconds since
 * the epoch, UTC; 0 when no answer carried one. Thread-local: a thread sees its own calls only.
 * Source: RFC 9110 section 6.6.1 (Date).
 */
time_t kw_aws_answer_date(void);

/* Calls of one action (e.g. "iam:ListUsers") for --stats. */
struct kw_aws_action_stats {
	char *action;            /* "service:Action", owned */
	unsigned long calls;     /* operations started (one per API call, pages counted each) */
	unsigned long retries;   /* extra attempts after a retryable failure */
	unsigned long failures;  /* calls that ended in an error after all attempts */
	unsigned long attempts;  /* requests sent (calls + retries) */
	unsigned long throttles; /* attempts answered with a throttling code */
	double seconds;          /* summed wall time of the calls, retries and backoff included */
	double bucket_wait;      /* seconds waited on the adaptive mode's token bucket */
};

struct kw_aws_stats {
	struct kw_aws_action_stats *actions; /* owned, sorted by action */
	size_t nactions;
	unsigned long calls, retries, failures; /* totals over all actions */
	unsigned long attempts, throttles;      /* totals over all actions */
	double bucket_wait;                     /* seconds, summed over threads */
	const char *retry_mode;                 /* "standard" or "adaptive" (static) */
	double wall_seconds;                    /* from the client's creation to this snapshot */
};

/*
 * kw_aws_client_stats - snapshot of the per-action statistics so far (thread safe).
 * @out: filled; release with kw_aws_stats_release.
 * Returns 0, or -1 with err set (KW_ERR_NOMEM).
 */
int kw_aws_client_stats(struct kw_aws_client *c, struct kw_aws_stats *out, struct kw_error *err);

/* kw_aws_stats_release - free what a stats snapshot owns and zero it. */
void kw_aws_stats_release(struct kw_aws_stats *s);

#endif
