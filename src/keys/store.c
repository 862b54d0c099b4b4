/*
 * store.c - what the secret-store targets share (store.h, targets.h kw_keys_store_client).
 */
#include "keys/store.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/secretsmanager.h"
#include "aws/ssm.h"
#include "keys/targets.h"
#include "util/array.h"
#include "util/vocab.h"
#include "util/error.h"
#include "util/secret.h"

int kw_keys_store_client(const struct kw_key_sink *s, struct kw_aws_client **out, struct kw_error *err)
{
	struct kw_aws_options o = {0};

	if (s->aws)
		o = *s->aws;
	if (s->profile)
		o.profile = s->profile;
	if (s->region)
		o.region = s->region;
	return kw_aws_client_new(&o, out, err);
}

void kw_keys_store_tags(const char *user_name, struct kw_aws_tag tags[2])
{
	tags[0] = (struct kw_aws_tag){KW_MANAGED_TAG_KEY, KW_MANAGED_TAG_VALUE};
	tags[1] = (struct kw_aws_tag){KW_STORE_USER_TAG, user_name};
}

int kw_keys_store_owned(const char *what, const char *managed_by, const char *user_tag, const char *user_name,
                        struct kw_error *err)
{
	if (!kw_tag_is_managed(KW_MANAGED_TAG_KEY, managed_by))
		return kw_error_set(err, KW_ERR_CONFLICT, NULL,
		                    "%s exists and is not keywarden's (no tag %s: %s); keywarden never "
		                    "writes what it did not create: choose another name, or tag it %s=%s "
		                    "and %s=%s to hand it over",
		                    what, KW_MANAGED_TAG_KEY, KW_MANAGED_TAG_VALUE, KW_MANAGED_TAG_KEY,
		                    KW_MANAGED_TAG_VALUE, KW_STORE_USER_TAG, user_name);
	if (!user_tag || strcmp(user_tag, user_name))
		return kw_error_set(err, KW_ERR_CONFLICT, NULL, "%s holds the key of %s, not of %s", what,
		                    user_tag ? user_tag : "an unknown user", user_name);
	return 0;
}

bool kw_keys_store_denied(const struct kw_error *err)
{
	return !strcmp(err->aws_code, "AccessDeniedException") || !strcmp(err->aws_code, "AccessDenied");
}

bool kw_keys_store_same(const struct kw_secret *a, const struct kw_secret *b)
{
	return a && b && a->len == b->len && !CRYPTO_memcmp(a->data, b->data, a->len);
}

static int found_add(struct kw_key_stores_found *f, const char *name, struct kw_error *err)
{
	char **slot = kw_array_grow(&f->names, &f->n, sizeof(*f->names));

	if (!slot || !(*slot = strdup(name)))
		return kw_error_nomem(err);
	return 0;
}

struct find {
	struct kw_key_stores_found *out;
	const char *user;
};

static int found_secret(void *ud, const struct kw_sm_secret *sec, struct kw_error *err)
{
	struct find *f = ud;

	/* the filters match prefixes, and tag keys and values independently: the exact check */
	if (!sec->name || !kw_tag_is_managed(KW_MANAGED_TAG_KEY, kw_sm_secret_tag(sec, KW_MANAGED_TAG_KEY)))
		return 0;
	if (!kw_sm_secret_tag(sec, KW_STORE_USER_TAG) ||
	    strcmp(kw_sm_secret_tag(sec, KW_STORE_USER_TAG), f->user))
		return 0;
	return found_add(f->out, sec->name, err);
}

static int found_parameter(void *ud, const char *name, struct kw_error *err)
{
	struct find *f = ud;

	return found_add(f->out, name, err);
}

/* Whether Secrets Manager's filter pattern takes v as a value: [a-zA-Z0-9 :_@/+=.-]* (no comma). */
static bool sm_filter_value(const char *v)
{
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :_@/+=.-") ==
	       strlen(v);
}

int kw_keys_find_stores(const struct kw_key_sink *where, const char *user_name,
                        struct kw_key_stores_found *out, struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	struct find f = {out, user_name};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (kw_keys_store_client(where, &c, err))
		return -1;
	if (!(out->region = strdup(kw_aws_client_region(c)))) {
		kw_error_nomem(err);
	} else if (where->kind == KW_KEY_SINK_SECRETS_MANAGER) {
		/* an IAM user name may hold a comma, which the filter refuses: then the tag key alone */
		const struct kw_sm_filter filters[] = {{"tag-key", KW_STORE_USER_TAG},
		                                       {"tag-value", user_name}};

		rc = kw_sm_list_secrets(c, filters, sm_filter_value(user_name) ? 2 : 1, found_secret, &f,
		                        err);
	} else if (where->kind == KW_KEY_SINK_SSM_PARAMETER) {
		const struct kw_ssm_filter filters[] = {{"tag:" KW_STORE_USER_TAG, "Equals", user_name}};

		rc = kw_ssm_describe_parameters(c, filters, 1, found_parameter, &f, err);
	} else {
		kw_error_set(err, KW_ERR_INTERNAL, NULL, "not a secret store");
	}
	kw_aws_client_free(c);
	return rc;
}

void kw_keys_stores_found_release(struct kw_key_stores_found *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	free(f->region);
	memset(f, 0, sizeof(*f));
}

int kw_keys_store_held(int rc, const struct kw_secret *value, char id[KW_KEYS_ID_MAX],
                       struct kw_secret **secret, enum kw_key_held *held, struct kw_error *err)
{
	if (rc) {
		if (err->kind != KW_ERR_NOT_FOUND)
			return -1;
		*held = KW_KEY_HELD_NONE;
		return 0;
	}
	*held = value && !kw_keys_key_id_in((const char *)value->data, value->len, id, KW_KEYS_ID_MAX)
	                ? KW_KEY_HELD_KEY
	                : KW_KEY_HELD_OTHER;
	if (secret && *held == KW_KEY_HELD_KEY)
		return kw_keys_secret_in((const char *)value->data, value->len, secret, err);
	return 0;
}
