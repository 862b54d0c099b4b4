/*
 * secretsmanager.c - typed Secrets Manager operations (secretsmanager.h).
 */
#include "aws/secretsmanager.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/json.h"
#include "util/error.h"
#include "util/secret.h"

int kw_aws_request_token(char out[37], struct kw_error *err)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "no random bytes for a request token");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

void kw_sm_secret_release(struct kw_sm_secret *s)
{
	if (!s)
		return;
	free(s->arn);
	free(s->name);
	free(s->kms_key_id);
	free(s->version_id);
	for (size_t i = 0; i < s->ntags; i++) {
		free(s->tag_keys[i]);
		free(s->tag_values[i]);
	}
	free(s->tag_keys);
	free(s->tag_values);
	for (size_t i = 0; i < s->nversions; i++) {
		free(s->versions[i].version_id);
		for (size_t j = 0; j < s->versions[i].nstages; j++)
			free(s->versions[i].stages[j]);
		free(s->versions[i].stages);
	}
	free(s->versions);
	memset(s, 0, sizeof(*s));
}

const char *kw_sm_secret_tag(const struct kw_sm_secret *s, const char *key)
{
	for (size_t i = 0; i < s->ntags; i++)
		if (!strcmp(s->tag_keys[i], key))
			return s->tag_values[i];
	return NULL;
}

const char *kw_sm_version_stage(const struct kw_sm_secret *s, const char *stage)
{
	for (size_t i = 0; i < s->nversions; i++)
		for (size_t j = 0; j < s->versions[i].nstages; j++)
			if (!strcmp(s->versions[i].stages[j], stage))
				return s->versions[i].version_id;
	return NULL;
}

/* A string member of o, copied (NULL when absent); sets *oom on failure. */
static char *str_of(const json_t *o, const char *key, bool *oom)
{
	const char *v = json_string_value(json_object_get(o, key));
	char *r = v ? strdup(v) : NULL;

	if (v && !r)
		*oom = true;
	return r;
}

/* Fill the common fields of an answer: ARN, Name, VersionId, KmsKeyId, Tags, versions. */
static int read_secret(const json_t *o, struct kw_sm_secret *out, const char *where, struct kw_error *err)
{
	bool oom = false;
	json_t *tags = json_object_get(o, "Tags"), *vs = json_object_get(o, "VersionIdsToStages");

	out->arn = str_of(o, "ARN", &oom);
	out->name = str_of(o, "Name", &oom);
	out->version_id = str_of(o, "VersionId", &oom);
	out->kms_key_id = str_of(o, "KmsKeyId", &oom);
	out->deleted = json_object_get(o, "DeletedDate") != NULL;
	if (json_is_array(tags) && json_array_size(tags)) {
		size_t n = json_array_size(tags), i;
		json_t *t;

		out->tag_keys = calloc(n, sizeof(char *));
		out->tag_values = calloc(n, sizeof(char *));
		if (!out->tag_keys || !out->tag_values)
			oom = true;
		json_array_foreach(tags, i, t)
		{
			if (oom)
				break;
			out->tag_keys[out->ntags] = str_of(t, "Key", &oom);
			out->tag_values[out->ntags] = str_of(t, "Value", &oom);
			out->ntags++;
		}
	}
	if (json_is_object(vs) && json_object_size(vs)) {
		const char *id;
		json_t *stages;

		out->versions = calloc(json_object_size(vs), sizeof(*out->versions));
		if (!out->versions)
			oom = true;
		json_object_foreach(vs, id, stages)
		{
			struct kw_sm_version *v;
			size_t i;
			json_t *st;

			if (oom)
				break;
			v = &out->versions[out->nversions++];
			v->version_id = strdup(id);
			v->stages = calloc(json_array_size(stages) + 1, sizeof(char *));
			if (!v->version_id || !v->stages) {
				oom = true;
				break;
			}
			json_array_foreach(stages, i, st)
			{
				if (json_is_string(st) &&
				    !(v->stages[v->nstages++] = strdup(json_string_value(st))))
					oom = true;
			}
		}
	}
	if (oom) {
		kw_sm_secret_release(out);
		return kw_error_set(err, KW_ERR_NOMEM, where, "out of memory");
	}
	return 0;
}

/* A request object; NULL when out of memory. */
static json_t *request(const char *id_key, const char *id)
{
	json_t *o = json_object();

	if (o && json_object_set_new(o, id_key, json_string(id))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Set SecretString from value (the json_t copy is wiped when freed) and ClientRequestToken. */
static int add_value(json_t *o, const struct kw_secret *value, const char *where, struct kw_error *err)
{
	char token[37];

	if (kw_aws_request_token(token, err))
		return -1;
	if (json_object_set_new(o, "SecretString", json_stringn((const char *)value->data, value->len)) ||
	    json_object_set_new(o, "ClientRequestToken", json_string(token)))
		return kw_error_set(err, KW_ERR_INVALID, where, "the value is not UTF-8 (or out of memory)");
	return 0;
}

static int call(struct kw_aws_client *c, const char *op, json_t *in, struct kw_sm_secret *out,
                struct kw_error *err)
{
	char where[64];
	json_t *ans = NULL;
	int rc;

	snprintf(where, sizeof(where), "secretsmanager:%s", op);
	if (!in)
		return kw_error_set(err, KW_ERR_NOMEM, where, "out of memory");
	rc = kw_aws_json_call(c, KW_AWS_SECRETSMANAGER, op, in, &ans, err);
	json_decref(in);
	if (!rc && out)
		rc = read_secret(ans, out, where, err);
	json_decref(ans);
	return rc;
}

int kw_sm_create_secret(struct kw_aws_client *c, const char *name, const char *kms_key_id,
                        const struct kw_secret *value, const struct kw_aws_tag *tags, size_t ntags,
                        struct kw_sm_secret *out, struct kw_error *err)
{
	json_t *in = request("Name", name), *tl = json_array();

	memset(out, 0, sizeof(*out));
	if (!in || !tl)
		goto nomem;
	if (add_value(in, value, "secretsmanager:CreateSecret", err)) {
		json_decref(in);
		json_decref(tl);
		return -1;
	}
	for (size_t i = 0; i < ntags; i++)
		if (json_array_append_new(tl,
		                          json_pack("{ssss}", "Key", tags[i].key, "Value", tags[i].value)))
			goto nomem;
	if ((kms_key_id && json_object_set_new(in, "KmsKeyId", json_string(kms_key_id))) ||
	    (ntags && json_object_set(in, "Tags", tl)))
		goto nomem;
	json_decref(tl);
	return call(c, "CreateSecret", in, out, err);
nomem:
	json_decref(in);
	json_decref(tl);
	return kw_error_set(err, KW_ERR_NOMEM, "secretsmanager:CreateSecret", "out of memory");
}

int kw_sm_put_secret_value(struct kw_aws_client *c, const char *secret_id, const struct kw_secret *value,
                           struct kw_sm_secret *out, struct kw_error *err)
{
	json_t *in = request("SecretId", secret_id);

	memset(out, 0, sizeof(*out));
	if (in && add_value(in, value, "secretsmanager:PutSecretValue", err)) {
		json_decref(in);
		return -1;
	}
	return call(c, "PutSecretValue", in, out, err);
}

int kw_sm_get_secret_value(struct kw_aws_client *c, const char *secret_id, const char *stage,
                           struct kw_secret **value, struct kw_sm_secret *out, struct kw_error *err)
{
	json_t *in = request("SecretId", secret_id), *ans = NULL, *v;
	int rc = -1;

	*value = NULL;
	memset(out, 0, sizeof(*out));
	if (!in || (stage && json_object_set_new(in, "VersionStage", json_string(stage)))) {
		json_decref(in);
		return kw_error_set(err, KW_ERR_NOMEM, "secretsmanager:GetSecretValue", "out of memory");
	}
	rc = kw_aws_json_call(c, KW_AWS_SECRETSMANAGER, "GetSecretValue", in, &ans, err);
	json_decref(in);
	if (rc)
		return -1;
	rc = -1;
	v = json_object_get(ans, "SecretString");
	if (!json_is_string(v)) {
		kw_error_set(err, KW_ERR_AWS, "secretsmanager:GetSecretValue",
		             "the secret holds no SecretString");
	} else if (!(*value = kw_secret_from(json_string_value(v), json_string_length(v)))) {
		kw_error_set(err, KW_ERR_NOMEM, "secretsmanager:GetSecretValue", "out of memory");
	} else if (read_secret(ans, out, "secretsmanager:GetSecretValue", err)) {
		kw_secret_free(*value);
		*value = NULL;
	} else {
		rc = 0;
	}
	json_decref(ans);
	return rc;
}

int kw_sm_describe_secret(struct kw_aws_client *c, const char *secret_id, struct kw_sm_secret *out,
                          struct kw_error *err)
{
	memset(out, 0, sizeof(*out));
	return call(c, "DescribeSecret", request("SecretId", secret_id), out, err);
}

int kw_sm_delete_secret(struct kw_aws_client *c, const char *secret_id, int recovery_days,
                        struct kw_error *err)
{
	json_t *in = request("SecretId", secret_id);

	if (in &&
	    (recovery_days ? json_object_set_new(in, "RecoveryWindowInDays", json_integer(recovery_days))
	                   : json_object_set_new(in, "ForceDeleteWithoutRecovery", json_true()))) {
		json_decref(in);
		in = NULL;
	}
	return call(c, "DeleteSecret", in, NULL, err);
}

struct list_ctx {
	kw_sm_secret_fn fn;
	void *ud;
};

static int list_page(void *ctx, const json_t *page, struct kw_error *err)
{
	static const char where[] = "secretsmanager:ListSecrets";
	struct list_ctx *l = ctx;
	json_t *list = json_object_get(page, "SecretList"), *e;
	size_t i;

	if (!json_is_array(list))
		return kw_error_set(err, KW_ERR_AWS, where, "the answer holds no SecretList");
	json_array_foreach(list, i, e)
	{
		struct kw_sm_secret sec = {0};
		int r;

		if (read_secret(e, &sec, where, err))
			return -1;
		r = l->fn(l->ud, &sec, err);
		kw_sm_secret_release(&sec);
		if (r)
			return r;
	}
	return 0;
}

int kw_sm_list_secrets(struct kw_aws_client *c, const struct kw_sm_filter *filters, size_t nfilters,
                       kw_sm_secret_fn fn, void *ud, struct kw_error *err)
{
	struct list_ctx l = {fn, ud};
	json_t *in = json_object(), *fl = json_array();
	int rc;

	if (!in || !fl || json_object_set_new(in, "Filters", fl)) {
		json_decref(fl);
		json_decref(in);
		return kw_error_set(err, KW_ERR_NOMEM, "secretsmanager:ListSecrets", "out of memory");
	}
	for (size_t i = 0; i < nfilters; i++)
		if (json_array_append_new(fl, json_pack("{s:s, s:[s]}", "Key", filters[i].key, "Values",
		                                        filters[i].value))) {
			json_decref(in);
			return kw_error_set(err, KW_ERR_NOMEM, "secretsmanager:ListSecrets", "out of memory");
		}
	if (!nfilters)
		json_object_del(in, "Filters");
	rc = kw_aws_json_paginate(c, KW_AWS_SECRETSMANAGER, "ListSecrets", in, list_page, &l, err);
	json_decref(in);
	return rc < 0 ? -1 : 0;
}
