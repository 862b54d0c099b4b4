/*
 * provider.h - one credential provider of the chain (botocore credentials.py's
 * CredentialProvider): the interface every module under src/aws/credentials/ implements, and
 * the helpers they share. Internal to src/aws; the rest of keywarden uses credentials.h.
 *
 * A provider resolves credentials for one profile lookup; it answers 1 (found), 0 (does not
 * apply: the chain goes on) or -1 (it applies and failed: the chain stops, as botocore's
 * does). A provider of temporary credentials sets out->provider to itself and out->state to
 * what refresh needs, so the client can refresh them before they expire.
 * To add a provider: a new file here defining a struct kw_cred_provider, and one entry in the
 * table in chain.c.
 */
#ifndef KW_AWS_CREDENTIALS_PROVIDER_H
#define KW_AWS_CREDENTIALS_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/sigv4.h"

struct kw_error;
struct kw_secret;
struct kw_ini;
struct kw_ini_entry;
struct kw_ini_section;

/* Longest source_profile chain followed (botocore has no limit; a loop is detected anyway). */
#define KW_CRED_MAX_CHAIN 16

/* One lookup: a profile of the shared files, and what the providers need besides. */
struct kw_cred_lookup {
	const struct kw_aws_profile *files;      /* both shared files (profile.h), borrowed */
	const char *profile;                     /* the profile looked up (a source_profile too) */
	const struct kw_ini_section *config_sec; /* its config-file section, or NULL */
	const struct kw_ini_section *cred_sec;   /* its credentials-file section, or NULL */
	const struct kw_aws_options *opt;        /* client options (may be NULL) */
	time_t now;
	bool env_disabled;                      /* --profile given: the environment provider is skipped */
	const char *visited[KW_CRED_MAX_CHAIN]; /* profiles of the source_profile chain so far */
	size_t nvisited;
};

struct kw_cred_provider {
	const char *name; /* the credentials' source, e.g. "assume-role" */
	/* Resolve for l into out (zeroed by the caller): 1 found, 0 not applicable, -1 error. */
	int (*resolve)(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err);
	/* New credentials from state (borrowed) at now: 0, or -1 with err set. NULL: none. */
	int (*refresh)(void *state, time_t now, struct kw_aws_credentials *out, struct kw_error *err);
	/* Wipe and free state. */
	void (*free_state)(void *state);
};

/* The providers (one file each). */
extern const struct kw_cred_provider kw_cred_env;          /* env.c */
extern const struct kw_cred_provider kw_cred_assume_role;  /* assume_role.c */
extern const struct kw_cred_provider kw_cred_shared_file;  /* shared_file.c */
extern const struct kw_cred_provider kw_cred_process;      /* process.c */
extern const struct kw_cred_provider kw_cred_config_file;  /* config_file.c */
extern const struct kw_cred_provider kw_cred_web_identity; /* web_identity.c */
extern const struct kw_cred_provider kw_cred_sso;          /* sso.c */
extern const struct kw_cred_provider kw_cred_container;    /* container.c */
extern const struct kw_cred_provider kw_cred_imds;         /* imds.c */

/*
 * kw_cred_setting - the entry key of the looked-up profile: its credentials-file section
 * first (botocore lets the credentials file override the config file), then its config
 * section. *ini (may be NULL) receives the file it is in, for kw_ini_where. NULL when absent.
 */
const struct kw_ini_entry *kw_cred_setting(const struct kw_cred_lookup *l, const char *key,
                                           const struct kw_ini **ini);

/*
 * kw_cred_setting_str - kw_cred_setting as a new malloc'd string (a plain setting, never a
 * secret) and its "file:line" in where (size bytes). Returns 1, 0 when absent, -1 (NOMEM).
 */
int kw_cred_setting_str(const struct kw_cred_lookup *l, const char *key, char **out, char *where, size_t size,
                        struct kw_error *err);

/*
 * kw_cred_static_keys - aws_access_key_id, aws_secret_access_key and aws_session_token (or the
 * legacy aws_security_token) of sec in ini, as credentials from source.
 * Returns 1 found, 0 when sec has no keys, -1 with err set (partial keys: KW_ERR_INVALID at
 * "file:line"; KW_ERR_NOMEM).
 */
int kw_cred_static_keys(const struct kw_ini *ini, const struct kw_ini_section *sec, const char *source,
                        struct kw_aws_credentials *out, struct kw_error *err);

/*
 * kw_cred_resolve_profile - credentials of profile name as a source_profile of l: its role
 * (when it has role_arn and is not a profile sourcing itself), else the profile providers
 * (shared credentials file, credential_process, config file). A name already in l's chain is
 * a loop (KW_ERR_INVALID naming the loop, "a -> b -> a"); a name in neither file is an error
 * naming where it was asked for (@where).
 */
int kw_cred_resolve_profile(const struct kw_cred_lookup *l, const char *name, const char *where,
                            struct kw_aws_credentials *out, struct kw_error *err);

/*
 * struct kw_cred_options - the client options a provider of refreshable credentials keeps, to
 * make its STS client again at refresh: profile, region and endpoint URL, copies it owns.
 */
struct kw_cred_options {
	char *profile, *region, *endpoint_url;
};

/*
 * kw_cred_options_copy - copy opt's profile, region and endpoint_url (opt may be NULL: all
 * NULL) into out. Returns 0, or -1 with err set (KW_ERR_NOMEM; out released).
 */
int kw_cred_options_copy(const struct kw_aws_options *opt, struct kw_cred_options *out, struct kw_error *err);

/* kw_cred_options_view - client options that borrow o's copies (the rest defaulted). */
struct kw_aws_options kw_cred_options_view(const struct kw_cred_options *o);

/* kw_cred_options_release - free o's copies and make it empty. */
void kw_cred_options_release(struct kw_cred_options *o);

/*
 * kw_cred_session_name - the role session name when none is configured, as botocore's
 * "botocore-session-<time>": "keywarden-session-<now>", new (caller frees), NULL out of memory.
 */
char *kw_cred_session_name(time_t now);

/*
 * kw_cred_read_secret_file - the whole regular file at path (not a symbolic link, at most max
 * bytes) in a new struct kw_secret, NUL-terminated. Returns 0, or -1 with err set
 * (KW_ERR_NOT_FOUND, KW_ERR_IO naming the path; never the content).
 */
int kw_cred_read_secret_file(const char *path, size_t max, struct kw_secret **out, struct kw_error *err);

/*
 * kw_cred_json_load - parse a credential service's answer (a secret) with jansson's wiped
 * allocator; NULL unless it is a JSON object. Release with json_decref.
 */
json_t *kw_cred_json_load(const char *json, size_t len);

/*
 * kw_cred_from_json - AccessKeyId, SecretAccessKey, the session token under token_key
 * ("SessionToken" for credential_process, "Token" for containers and instance metadata) and
 * an optional ISO 8601 Expiration of root into out. @what names the source in errors
 * ("credential_process"), @where locates it. An Expiration at or before now is an error.
 * Returns 0, or -1 with err set (KW_ERR_AUTH; messages never quote the answer).
 */
int kw_cred_from_json(const json_t *root, const char *token_key, const char *what, const char *where,
                      time_t now, struct kw_aws_credentials *out, struct kw_error *err);

/*
 * kw_cred_metadata_request - method url (KW_HTTP_METADATA: plain http to the link-local
 * credential services allowed) with timeout_ms for connect and transfer, up to attempts
 * attempts while there is no answer or a 5xx. Returns 0 with resp (any status), or -1 with err
 * set (no answer). resp is released by the caller in every case.
 */
int kw_cred_metadata_request(const char *method, const char *url, const struct kw_http_header *headers,
                             size_t nheaders, long timeout_ms, int attempts, struct kw_http_response *resp,
                             struct kw_error *err);

#endif
