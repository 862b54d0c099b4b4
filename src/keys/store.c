/*
 * store.c - what the secret-store targets share (store.h, targets.h kw_keys_store_client).
 */
#include "keys/store.h"

#include <openssl/crypto.h>
#include <string.h>

#include "aws/client.h"
#include "keys/targets.h"
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
