/*
 * ssm.h - typed AWS Systems Manager Parameter Store operations (JSON 1.1 protocol, through the
 * client of client.h). Parameter values travel only in struct kw_secret buffers.
 *
 * Errors as client.h describes; ParameterNotFound is KW_ERR_NOT_FOUND, and err->aws_code holds
 * SSM's code (AccessDeniedException, ParameterAlreadyExists, InvalidKeyId, ...).
 * Source: AWS Systems Manager API Reference; botocore data/ssm/2014-11-06.
 */
#ifndef KW_AWS_SSM_H
#define KW_AWS_SSM_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/secretsmanager.h" /* struct kw_aws_tag */

struct kw_aws_client;
struct kw_error;
struct kw_secret;

/* A parameter as GetParameter answers it (owned strings; kw_ssm_parameter_release). */
struct kw_ssm_parameter {
	char *name;
	char *arn;
	char *type; /* "SecureString", "String", "StringList" */
	long long version;
	struct kw_secret *value; /* GetParameter only: the value (decrypted when asked) */
};

/* kw_ssm_parameter_release - free (value wiped) and zero; NULL ok. */
void kw_ssm_parameter_release(struct kw_ssm_parameter *p);

/*
 * kw_ssm_put_parameter - PutParameter Type SecureString with Overwrite true: a new version.
 * @kms_key_id: NULL for the account's alias/aws/ssm. @tier: "Standard", "Advanced",
 * "Intelligent-Tiering" or NULL (SSM's default). @version: receives the new version.
 * (Tags cannot be sent with Overwrite: see kw_ssm_add_tags.)
 */
int kw_ssm_put_parameter(struct kw_aws_client *c, const char *name, const struct kw_secret *value,
                         const char *kms_key_id, const char *tier, long long *version, struct kw_error *err);

/* kw_ssm_get_parameter - GetParameter; with_decryption for SecureString's plain value. */
int kw_ssm_get_parameter(struct kw_aws_client *c, const char *name, bool with_decryption,
                         struct kw_ssm_parameter *out, struct kw_error *err);

/* kw_ssm_delete_parameter - DeleteParameter. */
int kw_ssm_delete_parameter(struct kw_aws_client *c, const char *name, struct kw_error *err);

/* kw_ssm_add_tags - AddTagsToResource, ResourceType Parameter (existing keys are replaced). */
int kw_ssm_add_tags(struct kw_aws_client *c, const char *name, const struct kw_aws_tag *tags, size_t ntags,
                    struct kw_error *err);

/*
 * kw_ssm_tag - ListTagsForResource of parameter name, the value of tag key.
 * @value: receives it (malloc'd) or NULL when the parameter has no such tag.
 */
int kw_ssm_tag(struct kw_aws_client *c, const char *name, const char *key, char **value,
               struct kw_error *err);

/* A DescribeParameters filter (ParameterStringFilter): "tag:KEY", "Name", "Path", ... */
struct kw_ssm_filter {
	const char *key;
	const char *option; /* "Equals", "BeginsWith", "Contains", "Recursive", "OneLevel" */
	const char *value;  /* NULL: none (a tag filter then matches any value of the tag) */
};

/* One parameter name of a listing (borrowed): 0 goes on, 1 stops, -1 with err set fails. */
typedef int (*kw_ssm_name_fn)(void *ud, const char *name, struct kw_error *err);

/*
 * kw_ssm_describe_parameters - DescribeParameters with ParameterFilters (all must hold), every
 * page (MaxResults 50, NextToken, bounded as json.h kw_aws_json_paginate); fn hears each name.
 * Returns 0, or -1 with err set (from the call, or from fn).
 */
int kw_ssm_describe_parameters(struct kw_aws_client *c, const struct kw_ssm_filter *filters, size_t nfilters,
                               kw_ssm_name_fn fn, void *ud, struct kw_error *err);

#endif
