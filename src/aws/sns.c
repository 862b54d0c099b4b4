/*
 * sns.c - typed SNS operations (sns.h).
 */
#include "aws/sns.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/call.h"
#include "aws/xml.h"
#include "util/error.h"

int kw_sns_topic_arn_parse(const char *arn, char *region, size_t size, struct kw_error *err)
{
	static const char *const partitions[] = {"arn:aws:sns:", "arn:aws-cn:sns:", "arn:aws-us-gov:sns:"};
	const char *p = NULL, *r, *acct, *name;
	size_t n, rn;

	for (size_t i = 0; !p && i < sizeof(partitions) / sizeof(partitions[0]); i++)
		if (!strncmp(arn, partitions[i], strlen(partitions[i])))
			p = arn + strlen(partitions[i]);
	if (!p)
		goto bad;
	r = p;
	rn = strcspn(r, ":");
	acct = r + rn;
	if (!rn || rn >= size || *acct != ':' || strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") != rn)
		goto bad;
	acct++;
	if (strspn(acct, "0123456789") != 12 || acct[12] != ':')
		goto bad;
	name = acct + 13;
	n = strlen(name);
	if (n > 5 && !strcmp(name + n - 5, ".fifo"))
		n -= 5;
	if (!n || n > 256 ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != n)
		goto bad;
	memcpy(region, r, rn);
	region[rn] = '\0';
	return 0;
bad:
	return kw_error_set(err, KW_ERR_INVALID, arn,
	                    "not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)");
}

int kw_sns_publish(struct kw_aws_client *c, const char *topic_arn, const char *subject, const char *message,
                   char *message_id, size_t size, struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res = NULL;
	char *id = NULL;
	bool oom = false;
	int rc = -1;

	if (message_id && size)
		message_id[0] = '\0';
	kw_query_init(&q, "Publish", KW_SNS_API_VERSION);
	kw_query_add(&q, "TopicArn", topic_arn);
	kw_query_add(&q, "Subject", subject);
	kw_query_add(&q, "Message", message);
	if (kw_aws_call(c, KW_AWS_SNS, &q, &doc, &res, err))
		goto out;
	id = kw_xml_text(kw_xml_child(res, "MessageId"), &oom);
	if (oom) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (!id || !*id) {
		kw_error_set(err, KW_ERR_AWS, "sns:Publish", "answer without MessageId");
		goto out;
	}
	if (message_id && size)
		snprintf(message_id, size, "%s", id);
	rc = 0;
out:
	free(id);
	xmlFreeDoc(doc);
	kw_query_release(&q);
	return rc;
}

int kw_sns_get_topic_attributes(struct kw_aws_client *c, const char *topic_arn, struct kw_error *err)
{
	struct kw_query q;
	int rc;

	kw_query_init(&q, "GetTopicAttributes", KW_SNS_API_VERSION);
	kw_query_add(&q, "TopicArn", topic_arn);
	rc = kw_aws_call(c, KW_AWS_SNS, &q, NULL, NULL, err);
	kw_query_release(&q);
	return rc;
}
