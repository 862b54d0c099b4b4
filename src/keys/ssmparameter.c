/*
 * ssmparameter.c - the ssmParameter: delivery target (sink.h, targets.h).
 *
 * PutParameter Type SecureString with Overwrite (a new version each delivery; the manifest's
 * KeyId and Tier), then AddTagsToResource managed-by: keywarden and keywarden:user (tags
 * cannot travel with Overwrite), confirmed by GetParameter WithDecryption: the version just
 * written, holding exactly the value sent. An existing parameter that is not keywarden's for
 * this user is refused (preflight says so before any IAM write).
 * Source: AWS Systems Manager User Guide, "Parameter Store"; API Reference: PutParameter,
 * GetParameter, DeleteParameter, AddTagsToResource, ListTagsForResource.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/ssm.h"
#include "keys/store.h"
#include "keys/targets.h"
#include "util/vocab.h"
#include "util/error.h"
#include "util/secret.h"

/* 1 when the parameter exists and is keywarden's for user, 0 when absent, -1 with err set. */
static int owned(struct kw_aws_client *c, const struct kw_key_sink *s, const char *user, struct kw_error *err)
{
	struct kw_ssm_parameter p = {0};
	char *managed = NULL, *who = NULL, what[600];
	int rc = -1;

	if (kw_ssm_get_parameter(c, s->target, false, &p, err)) {
		if (err->kind != KW_ERR_NOT_FOUND)
			return -1;
		kw_error_clear(err);
		return 0;
	}
	snprintf(what, sizeof(what), "parameter %s", p.arn ? p.arn : s->target);
	if (!kw_ssm_tag(c, s->target, KW_MANAGED_TAG_KEY, &managed, err) &&
	    !kw_ssm_tag(c, s->target, KW_STORE_USER_TAG, &who, err) &&
	    !kw_keys_store_owned(what, managed, who, user, err))
		rc = 1;
	free(managed);
	free(who);
	kw_ssm_parameter_release(&p);
	return rc;
}

int kw_keys_ssm_preflight(const struct kw_key_sink *s, const char *user, bool replace, struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	int r;

	(void)replace;
	if (kw_keys_store_client(s, &c, err))
		return -1;
	r = owned(c, s, user, err);
	if (r < 0 && kw_keys_store_denied(err))
		kw_error_prefix(err, "the operator may not read it (GetParameter)");
	kw_aws_client_free(c);
	return r < 0 ? -1 : 0;
}

int kw_keys_ssm_deliver(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	struct kw_secret *value = NULL;
	struct kw_ssm_parameter p = {0};
	struct kw_aws_tag tags[2];
	long long version = 0;
	int rc = -1;

	if (kw_keys_render(s->format, s->tmpl, true, k, &value, err) || kw_keys_store_client(s, &c, err))
		goto out;
	kw_keys_store_tags(k->user_name, tags);
	if (owned(c, s, k->user_name, err) < 0 ||
	    kw_ssm_put_parameter(c, s->target, value, s->kms_key_id, s->tier, &version, err) ||
	    kw_ssm_add_tags(c, s->target, tags, 2, err))
		goto out;
	/* the confirmation: the version just written, decrypted, is what was sent */
	if (kw_ssm_get_parameter(c, s->target, true, &p, err))
		goto out;
	if (p.version != version || !kw_keys_store_same(value, p.value)) {
		kw_error_set(err, KW_ERR_CONFLICT, "ssm:GetParameter",
		             "the parameter is at version %lld, not version %lld just written (another "
		             "writer?)",
		             p.version, version);
		goto out;
	}
	rc = 0;
out:
	kw_secret_free(value);
	kw_ssm_parameter_release(&p);
	kw_aws_client_free(c);
	return rc;
}

int kw_keys_ssm_remove(const struct kw_key_sink *s, const char *user, enum kw_key_removed *what,
                       struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	struct kw_error e2;
	int rc = -1, r;

	if (kw_keys_store_client(s, &c, err))
		return -1;
	kw_error_clear(&e2);
	r = owned(c, s, user, &e2);
	if (r == 0) {
		*what = KW_KEY_REMOVED_ABSENT;
		rc = 0;
	} else if (r < 0 && e2.kind == KW_ERR_CONFLICT) {
		*what = KW_KEY_REMOVED_FOREIGN;
		rc = 0;
	} else if (r < 0) {
		*err = e2;
	} else if (!kw_ssm_delete_parameter(c, s->target, err)) {
		*what = KW_KEY_REMOVED;
		rc = 0;
	}
	kw_aws_client_free(c);
	return rc;
}

int kw_keys_ssm_held(const struct kw_key_sink *s, char id[KW_KEYS_ID_MAX], struct kw_secret **secret,
                     enum kw_key_held *held, struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	struct kw_ssm_parameter p = {0};
	int rc;

	if (kw_keys_store_client(s, &c, err))
		return -1;
	rc = kw_keys_store_held(kw_ssm_get_parameter(c, s->target, true, &p, err), p.value, id, secret, held,
	                        err);
	kw_ssm_parameter_release(&p);
	kw_aws_client_free(c);
	return rc;
}
