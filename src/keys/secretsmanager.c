/*
 * secretsmanager.c - the secretsManager: delivery target (sink.h, targets.h).
 *
 * First delivery: CreateSecret (tagged managed-by: keywarden and keywarden:user, the
 * manifest's KmsKeyId); afterwards PutSecretValue, so that Secrets Manager stages the new key
 * AWSCURRENT and the one it replaces AWSPREVIOUS (its own rotation model: readers of
 * AWSCURRENT get the new key, AWSPREVIOUS is a fallback while the old IAM key still works).
 * Confirmed by GetSecretValue: AWSCURRENT must be the version just written, holding exactly
 * the value sent. A secret named by ARN must exist; one that is not keywarden's for this user,
 * or is scheduled for deletion, is refused (preflight says so before any IAM write).
 * Source: AWS Secrets Manager User Guide, "Secret versions" and "Staging labels"; API
 * Reference: CreateSecret, PutSecretValue, GetSecretValue, DescribeSecret, DeleteSecret.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/secretsmanager.h"
#include "keys/store.h"
#include "keys/targets.h"
#include "util/vocab.h"
#include "util/error.h"
#include "util/secret.h"

/* The existing secret d may take user's key; err says why not. */
static int usable(const struct kw_key_sink *s, const struct kw_sm_secret *d, const char *user,
                  struct kw_error *err)
{
	char what[600];

	/* the name, not the ARN: ":secret:NAME" reads as a secret value to the redaction filter */
	snprintf(what, sizeof(what), "secret %s", d->name ? d->name : s->target);
	if (d->deleted)
		return kw_error_set(err, KW_ERR_CONFLICT, NULL,
		                    "%s is scheduled for deletion: restore it (aws secretsmanager "
		                    "restore-secret --secret-id %s) or choose another name",
		                    what, s->target);
	return kw_keys_store_owned(what, kw_sm_secret_tag(d, KW_MANAGED_TAG_KEY),
	                           kw_sm_secret_tag(d, KW_STORE_USER_TAG), user, err);
}

/* DescribeSecret: 1 with *d filled when it exists, 0 when not, -1 with err set. */
static int describe(struct kw_aws_client *c, const struct kw_key_sink *s, struct kw_sm_secret *d,
                    struct kw_error *err)
{
	if (!kw_sm_describe_secret(c, s->target, d, err))
		return 1;
	if (err->kind != KW_ERR_NOT_FOUND)
		return -1;
	if (!strncmp(s->target, "arn:", 4))
		return kw_error_set(err, KW_ERR_NOT_FOUND, NULL,
		                    "there is no secret of that ARN, and a secret named by its ARN must "
		                    "exist (name it by its name to have keywarden create it)");
	kw_error_clear(err);
	return 0;
}

int kw_keys_sm_preflight(const struct kw_key_sink *s, const char *user, bool replace, struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	struct kw_sm_secret d = {0};
	int rc = -1, r;

	(void)replace;
	if (kw_keys_store_client(s, &c, err))
		return -1;
	r = describe(c, s, &d, err);
	if (r < 0 && kw_keys_store_denied(err))
		kw_error_prefix(err, "the operator may not read it (DescribeSecret)");
	else if (r == 0 || (r == 1 && !usable(s, &d, user, err)))
		rc = 0;
	kw_sm_secret_release(&d);
	kw_aws_client_free(c);
	return rc;
}

int kw_keys_sm_deliver(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	struct kw_secret *value = NULL, *got = NULL;
	struct kw_sm_secret d = {0}, w = {0}, g = {0};
	struct kw_aws_tag tags[2];
	int rc = -1, r;

	if (kw_keys_render(s->format, s->tmpl, true, k, &value, err) || kw_keys_store_client(s, &c, err))
		goto out;
	kw_keys_store_tags(k->user_name, tags);
	if ((r = describe(c, s, &d, err)) < 0)
		goto out;
	if (r == 0 ? kw_sm_create_secret(c, s->target, s->kms_key_id, value, tags, 2, &w, err)
	           : usable(s, &d, k->user_name, err) || kw_sm_put_secret_value(c, s->target, value, &w, err))
		goto out;
	/* the confirmation: AWSCURRENT is what was just written */
	if (kw_sm_get_secret_value(c, s->target, "AWSCURRENT", &got, &g, err))
		goto out;
	if (!w.version_id || !g.version_id || strcmp(w.version_id, g.version_id) ||
	    !kw_keys_store_same(value, got)) {
		kw_error_set(err, KW_ERR_CONFLICT, "secretsmanager:GetSecretValue",
		             "AWSCURRENT is version %s, not version %s just written (another writer?)",
		             g.version_id ? g.version_id : "?", w.version_id ? w.version_id : "?");
		goto out;
	}
	rc = 0;
out:
	kw_secret_free(value);
	kw_secret_free(got);
	kw_sm_secret_release(&d);
	kw_sm_secret_release(&w);
	kw_sm_secret_release(&g);
	kw_aws_client_free(c);
	return rc;
}

int kw_keys_sm_remove(const struct kw_key_sink *s, const char *user, enum kw_key_removed *what,
                      struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	struct kw_sm_secret d = {0};
	struct kw_error e2;
	int rc = -1, r;

	if (kw_keys_store_client(s, &c, err))
		return -1;
	r = describe(c, s, &d, &e2);
	if (r <= 0 && e2.kind == KW_ERR_NOT_FOUND) {
		*what = KW_KEY_REMOVED_ABSENT;
		rc = 0;
	} else if (r < 0) {
		*err = e2;
	} else if (kw_keys_store_owned("secret", kw_sm_secret_tag(&d, KW_MANAGED_TAG_KEY),
	                               kw_sm_secret_tag(&d, KW_STORE_USER_TAG), user, &e2)) {
		*what = KW_KEY_REMOVED_FOREIGN; /* scheduled for deletion or not: not ours to touch */
		rc = 0;
	} else if (!kw_sm_delete_secret(c, d.arn ? d.arn : s->target, 0, err)) {
		/* at once, without a recovery window: the key it holds is being deleted anyway */
		*what = KW_KEY_REMOVED;
		rc = 0;
	}
	kw_sm_secret_release(&d);
	kw_aws_client_free(c);
	return rc;
}

int kw_keys_sm_held(const struct kw_key_sink *s, char id[KW_KEYS_ID_MAX], struct kw_secret **secret,
                    enum kw_key_held *held, struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	struct kw_secret *value = NULL;
	struct kw_sm_secret g = {0};
	int rc;

	if (kw_keys_store_client(s, &c, err))
		return -1;
	/* AWSCURRENT is what readers get: the holder; AWSPREVIOUS is only their fallback */
	rc = kw_keys_store_held(kw_sm_get_secret_value(c, s->target, "AWSCURRENT", &value, &g, err), value,
	                        id, secret, held, err);
	kw_secret_free(value);
	kw_sm_secret_release(&g);
	kw_aws_client_free(c);
	return rc;
}
