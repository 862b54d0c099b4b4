/*
 * sts.c - typed STS operations (sts.h).
 */
#include "aws/sts.h"

#include <libxml/tree.h>
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

int kw_sts_assume_role(struct kw_aws_client *c, const struct kw_sts_assume_role_input *in,
                       struct kw_aws_credentials *creds, struct kw_sts_assumed_role *who,
                       struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res = NULL, *cr;
	char duration[16];
	bool oom = false;
	int rc = -1;

	memset(creds, 0, sizeof(*creds));
	if (who)
		memset(who, 0, sizeof(*who));
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
	if (kw_aws_call(c, KW_AWS_STS, &q, &doc, &res, err))
		goto out;
	cr = kw_xml_child(res, "Credentials");
	if (!cr) {
		kw_error_set(err, KW_ERR_AWS, "sts:AssumeRole", "answer without Credentials");
		goto out;
	}
	creds->access_key_id = kw_xml_text(kw_xml_child(cr, "AccessKeyId"), &oom);
	creds->secret = kw_xml_secret(kw_xml_child(cr, "SecretAccessKey"));
	creds->session_token = kw_xml_secret(kw_xml_child(cr, "SessionToken"));
	creds->expiration = kw_xml_time(kw_xml_child(cr, "Expiration"));
	creds->source = "assume-role";
	if (who) {
		who->arn = kw_xml_text(kw_xml_path(res, "AssumedRoleUser/Arn"), &oom);
		who->assumed_role_id = kw_xml_text(kw_xml_path(res, "AssumedRoleUser/AssumedRoleId"), &oom);
	}
	if (oom) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (!creds->access_key_id || !creds->secret || !creds->secret->len || !creds->session_token ||
	    !creds->expiration) {
		kw_error_set(err, KW_ERR_AWS, "sts:AssumeRole",
		             "answer lacks AccessKeyId, SecretAccessKey, SessionToken or Expiration");
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		kw_aws_credentials_release(creds);
		kw_sts_assumed_role_release(who);
	}
	xmlFreeDoc(doc);
	kw_query_release(&q);
	return rc;
}
