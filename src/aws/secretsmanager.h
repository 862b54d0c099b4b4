/*
 * secretsmanager.h - typed AWS Secrets Manager operations (JSON 1.1 protocol, through the
 * client of client.h). Secret values travel only in struct kw_secret buffers; the request and
 * answer JSON are wiped when freed (json.h).
 *
 * Errors as client.h describes; ResourceNotFoundException is KW_ERR_NOT_FOUND, and err->aws_code
 * holds Secrets Manager's code (AccessDeniedException, ResourceExistsException,
 * InvalidRequestException, ...).
 * Source: AWS Secrets Manager API Reference; botocore data/secretsmanager/2017-10-17.
 */
#ifndef KW_AWS_SECRETSMANAGER_H
#define KW_AWS_SECRETSMANAGER_H

#include <stdbool.h>
#include <stddef.h>

struct kw_aws_client;
struct kw_error;
struct kw_secret;

/* A tag to set (borrowed strings). */
struct kw_aws_tag {
	const char *key;
	const char *value;
};

/* One version of a secret and its staging labels ("AWSCURRENT", "AWSPREVIOUS", ...). */
struct kw_sm_version {
	char *version_id;
	char **stages;
	size_t nstages;
};

/* A secret's metadata (DescribeSecret). Owned strings; release with kw_sm_secret_release. */
struct kw_sm_secret {
	char *arn;
	char *name;
	char *kms_key_id; /* NULL: aws/secretsmanager */
	char *version_id; /* Create/Put/GetSecretValue: the version written or read */
	char **tag_keys;  /* DescribeSecret: tags */
	char **tag_values;
	size_t ntags;
	struct kw_sm_version *versions; /* DescribeSecret: VersionIdsToStages */
	size_t nversions;
	bool deleted; /* DescribeSecret: DeletedDate set (scheduled for deletion) */
};

/* kw_sm_secret_release - free and zero; NULL ok. */
void kw_sm_secret_release(struct kw_sm_secret *s);

/* kw_sm_secret_tag - the value of tag key (borrowed), or NULL. */
const char *kw_sm_secret_tag(const struct kw_sm_secret *s, const char *key);

/* kw_sm_version_stage - the version id that carries stage (borrowed), or NULL. */
const char *kw_sm_version_stage(const struct kw_sm_secret *s, const char *stage);

/*
 * kw_sm_create_secret - CreateSecret: a new secret whose first version (AWSCURRENT) is value.
 * @name: the secret's name (not an ARN). @kms_key_id: key id, ARN or alias, or NULL for the
 * account's aws/secretsmanager key. @tags/@ntags: tags to set. A ClientRequestToken (UUID v4)
 * is generated once, so a retried call whose answer was lost creates no second version.
 * @out: arn, name and version_id (release with kw_sm_secret_release).
 * Returns 0, or -1 (ResourceExistsException when the name is taken).
 */
int kw_sm_create_secret(struct kw_aws_client *c, const char *name, const char *kms_key_id,
                        const struct kw_secret *value, const struct kw_aws_tag *tags, size_t ntags,
                        struct kw_sm_secret *out, struct kw_error *err);

/*
 * kw_sm_put_secret_value - PutSecretValue: a new version holding value, which Secrets Manager
 * stages AWSCURRENT (the previous AWSCURRENT becomes AWSPREVIOUS). @secret_id: name or ARN.
 * The ClientRequestToken is generated once per call (retries are idempotent).
 * @out: arn, name, version_id.
 */
int kw_sm_put_secret_value(struct kw_aws_client *c, const char *secret_id, const struct kw_secret *value,
                           struct kw_sm_secret *out, struct kw_error *err);

/*
 * kw_sm_get_secret_value - GetSecretValue of stage (NULL: AWSCURRENT).
 * @value: receives SecretString (new; kw_secret_free). @out: arn, name, version_id.
 */
int kw_sm_get_secret_value(struct kw_aws_client *c, const char *secret_id, const char *stage,
                           struct kw_secret **value, struct kw_sm_secret *out, struct kw_error *err);

/* kw_sm_describe_secret - DescribeSecret: metadata, tags, versions (no value). */
int kw_sm_describe_secret(struct kw_aws_client *c, const char *secret_id, struct kw_sm_secret *out,
                          struct kw_error *err);

/*
 * kw_sm_delete_secret - DeleteSecret. @recovery_days: 7-30 days in which RestoreSecret can
 * undo it, or 0 for ForceDeleteWithoutRecovery (gone at once).
 */
int kw_sm_delete_secret(struct kw_aws_client *c, const char *secret_id, int recovery_days,
                        struct kw_error *err);

/* A ListSecrets filter: Key (name, description, tag-key, tag-value, all) and one value. */
struct kw_sm_filter {
	const char *key;
	const char *value; /* a prefix, as Secrets Manager matches it ("!" first: not) */
};

/* One secret of a listing (borrowed for the call): 0 goes on, 1 stops, -1 with err set fails. */
typedef int (*kw_sm_secret_fn)(void *ud, const struct kw_sm_secret *s, struct kw_error *err);

/*
 * kw_sm_list_secrets - ListSecrets with filters (all must hold), every page (NextToken,
 * bounded as json.h kw_aws_json_paginate); fn hears each secret: arn, name, kms_key_id,
 * tags (no versions, no value). Secrets scheduled for deletion are not listed. ListSecrets is
 * eventually consistent (a secret created in the last minutes may be missing).
 * Returns 0, or -1 with err set (from the call, or from fn).
 */
int kw_sm_list_secrets(struct kw_aws_client *c, const struct kw_sm_filter *filters, size_t nfilters,
                       kw_sm_secret_fn fn, void *ud, struct kw_error *err);

/* kw_aws_request_token - a UUID v4 (36 characters + NUL) for idempotency tokens. */
int kw_aws_request_token(char out[37], struct kw_error *err);

#endif
