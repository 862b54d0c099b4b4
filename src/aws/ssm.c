/*
 * ssm.c - typed SSM Parameter Store operations (ssm.h).
 */
#include "aws/ssm.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/json.h"
#include "util/error.h"
#include "util/secret.h"

void kw_ssm_parameter_release(struct kw_ssm_parameter *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->arn);
	free(p->type);
	kw_secret_free(p->value);
	memset(p, 0, sizeof(*p));
}

static int nomem(json_t *in, const char *where, struct kw_error *err)
{
	json_decref(in);
	return kw_error_set(err, KW_ERR_NOMEM, where, "out of memory");
}

/* kw_aws_json_call of SSM's op with the input in, which it consumes (NULL: out of memory making it). */
static int call(struct kw_aws_client *c, const char *op, json_t *in, json_t **ans, struct kw_error *err)
{
	char where[64];
	int rc;

	if (!in) {
		snprintf(where, sizeof(where), "ssm:%s", op);
		return nomem(NULL, where, err);
	}
	rc = kw_aws_json_call(c, KW_AWS_SSM, op, in, ans, err);
	json_decref(in);
	return rc;
}

int kw_ssm_put_parameter(struct kw_aws_client *c, const char *name, const struct kw_secret *value,
                         const char *kms_key_id, const char *tier, long long *version, struct kw_error *err)
{
	json_t *in = json_pack("{sssssb}", "Name", name, "Type", "SecureString", "Overwrite", 1), *ans = NULL;
	int rc;

	if (in && (json_object_set_new(in, "Value", json_stringn((const char *)value->data, value->len)) ||
	           (kms_key_id && json_object_set_new(in, "KeyId", json_string(kms_key_id))) ||
	           (tier && json_object_set_new(in, "Tier", json_string(tier)))))
		return nomem(in, "ssm:PutParameter", err);
	rc = call(c, "PutParameter", in, &ans, err);
	if (!rc && version)
		*version = json_integer_value(json_object_get(ans, "Version"));
	json_decref(ans);
	return rc;
}

int kw_ssm_get_parameter(struct kw_aws_client *c, const char *name, bool with_decryption,
                         struct kw_ssm_parameter *out, struct kw_error *err)
{
	json_t *in = json_pack("{sssb}", "Name", name, "WithDecryption", with_decryption), *ans = NULL, *p,
	       *v;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (call(c, "GetParameter", in, &ans, err))
		return -1;
	p = json_object_get(ans, "Parameter");
	v = json_object_get(p, "Value");
	if (!json_is_object(p) || !json_is_string(v)) {
		kw_error_set(err, KW_ERR_AWS, "ssm:GetParameter", "the answer holds no Parameter value");
		goto out;
	}
	out->version = json_integer_value(json_object_get(p, "Version"));
	if (json_string_value(json_object_get(p, "Name")))
		out->name = strdup(json_string_value(json_object_get(p, "Name")));
	if (json_string_value(json_object_get(p, "ARN")))
		out->arn = strdup(json_string_value(json_object_get(p, "ARN")));
	if (json_string_value(json_object_get(p, "Type")))
		out->type = strdup(json_string_value(json_object_get(p, "Type")));
	out->value = kw_secret_from(json_string_value(v), json_string_length(v));
	if (!out->name || !out->type || !out->value) {
		kw_ssm_parameter_release(out);
		kw_error_set(err, KW_ERR_NOMEM, "ssm:GetParameter", "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(ans);
	return rc;
}

int kw_ssm_delete_parameter(struct kw_aws_client *c, const char *name, struct kw_error *err)
{
	return call(c, "DeleteParameter", json_pack("{ss}", "Name", name), NULL, err);
}

int kw_ssm_add_tags(struct kw_aws_client *c, const char *name, const struct kw_aws_tag *tags, size_t ntags,
                    struct kw_error *err)
{
	json_t *in = json_pack("{ssss}", "ResourceType", "Parameter", "ResourceId", name), *tl = json_array();

	if (!in || !tl || json_object_set_new(in, "Tags", tl)) {
		json_decref(tl);
		return nomem(in, "ssm:AddTagsToResource", err);
	}
	for (size_t i = 0; i < ntags; i++)
		if (json_array_append_new(tl,
		                          json_pack("{ssss}", "Key", tags[i].key, "Value", tags[i].value)))
			return nomem(in, "ssm:AddTagsToResource", err);
	return call(c, "AddTagsToResource", in, NULL, err);
}

int kw_ssm_tag(struct kw_aws_client *c, const char *name, const char *key, char **value, struct kw_error *err)
{
	json_t *in = json_pack("{ssss}", "ResourceType", "Parameter", "ResourceId", name), *ans = NULL, *t;
	size_t i;
	int rc = 0;

	*value = NULL;
	if (call(c, "ListTagsForResource", in, &ans, err))
		return -1;
	json_array_foreach(json_object_get(ans, "TagList"), i, t)
	{
		const char *k = json_string_value(json_object_get(t, "Key"));
		const char *v = json_string_value(json_object_get(t, "Value"));

		if (k && v && !strcmp(k, key) && !*value && !(*value = strdup(v)))
			rc = kw_error_set(err, KW_ERR_NOMEM, "ssm:ListTagsForResource", "out of memory");
	}
	json_decref(ans);
	return rc;
}

struct describe_ctx {
	kw_ssm_name_fn fn;
	void *ud;
};

static int describe_page(void *ctx, const json_t *page, struct kw_error *err)
{
	struct describe_ctx *d = ctx;
	json_t *list = json_object_get(page, "Parameters"), *e;
	size_t i;

	if (!json_is_array(list))
		return kw_error_set(err, KW_ERR_AWS, "ssm:DescribeParameters",
		                    "the answer holds no Parameters");
	json_array_foreach(list, i, e)
	{
		const char *name = json_string_value(json_object_get(e, "Name"));
		int r = name ? d->fn(d->ud, name, err) : 0;

		if (r)
			return r;
	}
	return 0;
}

int kw_ssm_describe_parameters(struct kw_aws_client *c, const struct kw_ssm_filter *filters, size_t nfilters,
                               kw_ssm_name_fn fn, void *ud, struct kw_error *err)
{
	struct describe_ctx d = {fn, ud};
	json_t *in = json_pack("{s:i}", "MaxResults", 50), *fl = json_array();
	int rc;

	if (!in || !fl || json_object_set_new(in, "ParameterFilters", fl)) {
		json_decref(fl);
		return nomem(in, "ssm:DescribeParameters", err);
	}
	for (size_t i = 0; i < nfilters; i++) {
		json_t *f = json_pack("{s:s, s:s}", "Key", filters[i].key, "Option", filters[i].option);

		if (f && filters[i].value &&
		    json_object_set_new(f, "Values", json_pack("[s]", filters[i].value))) {
			json_decref(f);
			f = NULL;
		}
		if (!f || json_array_append_new(fl, f))
			return nomem(in, "ssm:DescribeParameters", err);
	}
	rc = kw_aws_json_paginate(c, KW_AWS_SSM, "DescribeParameters", in, describe_page, &d, err);
	json_decref(in);
	return rc < 0 ? -1 : 0;
}
