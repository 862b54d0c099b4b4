/*
 * sts.c - typed STS operations (sts.h).
 */
#include "aws/sts.h"

#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "aws/call.h"
#include "aws/xml.h"
#include "util/error.h"

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
