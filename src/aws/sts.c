/*
 * sts.c - typed STS operations (sts.h).
 */
#include "aws/sts.h"

#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/call.h"
#include "aws/credentials.h"
#include "aws/xml.h"
#include "util/error.h"
#include "util/secret.h"

void kw_sts_identity_release(struct kw_sts_identity *id)
{
	if (!id)
		return;
	free(id->account);
	free(id->arn);
	free(id->user_id);
	memset(id, 0, sizeof(*id));
}

int kw_sts_get_caller_identity(struct kw_aws_client *c, struct kw_sts_identity *out, struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res = NULL;
	bool oom = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	kw_query_init(&q, "GetCallerIdentity", KW_STS_API_VERSION);
	if (kw_aws_call(c, KW_AWS_STS, &q, &doc, &res, err))
		goto out;
	if (!res) {
		kw_error_set(err, KW_ERR_AWS, "sts:GetCallerIdentity",
		             "answer without GetCallerIdentityResult");
		goto out;
	}
	out->account = kw_xml_text(kw_xml_child(res, "Account"), &oom);
	out->arn = kw_xml_text(kw_xml_child(res, "Arn"), &oom);
	out->user_id = kw_xml_text(kw_xml_child(res, "UserId"), &oom);
	if (oom) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (!out->account || !out->arn || !out->user_id) {
		kw_error_set(err, KW_ERR_AWS, "sts:GetCallerIdentity", "answer lacks Account, Arn or UserId");
		goto out;
	}
	rc = 0;
out:
	if (rc)
		kw_sts_identity_release(out);
	xmlFreeDoc(doc);
	kw_query_release(&q);
	return rc;
}

void kw_sts_assumed_role_release(struct kw_sts_assumed_role *r)
{
	if (!r)
		return;
	free(r->arn);
	free(r->assumed_role_id);
	memset(r, 0, sizeof(*r));
}

/* Credentials and AssumedRoleUser of an AssumeRole* answer (label: "sts:AssumeRole"). */
static int parse_assumed(const xmlNode *res, const char *label, struct kw_aws_credentials *creds,
                         struct kw_sts_assumed_role *who, struct kw_error *err)
{
	xmlNode *cr = kw_xml_child(res, "Credentials");
	bool oom = false;

	if (!cr)
		return kw_error_set(err, KW_ERR_AWS, label, "answer without Credentials");
	creds->access_key_id = kw_xml_text(kw_xml_child(cr, "AccessKeyId"), &oom);
	creds->secret = kw_xml_secret(kw_xml_child(cr, "SecretAccessKey"));
	creds->session_token = kw_xml_secret(kw_xml_child(cr, "SessionToken"));
	creds->expiration = kw_xml_time(kw_xml_child(cr, "Expiration"));
	if (who) {
		who->arn = kw_xml_text(kw_xml_path(res, "AssumedRoleUser/Arn"), &oom);
		who->assumed_role_id = kw_xml_text(kw_xml_path(res, "AssumedRoleUser/AssumedRoleId"), &oom);
	}
	if (oom)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	if (!creds->access_key_id || !creds->secret || !creds->secret->len || !creds->session_token ||
	    !creds->expiration)
		return kw_error_set(err, KW_ERR_AWS, label,
		                    "answer lacks AccessKeyId, SecretAccessKey, SessionToken or Expiration");
	return 0;
}

/* Run q (an AssumeRole* query) and parse its answer; releases q (wiping its body). */
static int assume_call(struct kw_aws_client *c, struct kw_query *q, const char *label,
                       struct kw_aws_credentials *creds, struct kw_sts_assumed_role *who,
                       struct kw_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *res = NULL;
	int rc = -1;

	memset(creds, 0, sizeof(*creds));
	if (who)
		memset(who, 0, sizeof(*who));
	if (!kw_aws_call(c, KW_AWS_STS, q, &doc, &res, err) && !parse_assumed(res, label, creds, who, err))
		rc = 0;
	if (rc) {
		kw_aws_credentials_release(creds);
		kw_sts_assumed_role_release(who);
	}
	xmlFreeDoc(doc);
	if (q->body.data)
		OPENSSL_cleanse(q->body.data, q->body.len); /* a TokenCode or web identity token */
	kw_query_release(q);
	return rc;
}

int kw_sts_assume_role(struct kw_aws_client *c, const struct kw_sts_assume_role_input *in,
                       struct kw_aws_credentials *creds, struct kw_sts_assumed_role *who,
                       struct kw_error *err)
{
	struct kw_query q;
	char duration[16];

	kw_query_init(&q, "AssumeRole", KW_STS_API_VERSION);
	kw_query_add(&q, "RoleArn", in->role_arn);
	kw_query_add(&q, "RoleSessionName", in->role_session_name);
	kw_query_add(&q, "ExternalId", in->external_id);
	kw_query_add(&q, "SerialNumber", in->serial_number);
	kw_query_add(&q, "TokenCode", in->token_code);
	if (in->duration_seconds > 0) {
		snprintf(duration, sizeof(duration), "%d", in->duration_seconds);
		kw_query_add(&q, "DurationSeconds", duration);
	}
	if (assume_call(c, &q, "sts:AssumeRole", creds, who, err))
		return -1;
	creds->source = "assume-role";
	return 0;
}

int kw_sts_assume_role_with_web_identity(struct kw_aws_client *c, const char *role_arn,
                                         const char *session_name, const struct kw_secret *token,
                                         struct kw_aws_credentials *creds, struct kw_sts_assumed_role *who,
                                         struct kw_error *err)
{
	struct kw_query q;

	kw_query_init(&q, "AssumeRoleWithWebIdentity", KW_STS_API_VERSION);
	kw_query_add(&q, "RoleArn", role_arn);
	kw_query_add(&q, "RoleSessionName", session_name);
	kw_query_add(&q, "WebIdentityToken", kw_secret_str(token));
	if (assume_call(c, &q, "sts:AssumeRoleWithWebIdentity", creds, who, err))
		return -1;
	creds->source = "assume-role-with-web-identity";
	return 0;
}
