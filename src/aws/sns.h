/*
 * sns.h - typed Amazon SNS operations over a struct kw_aws_client (client.h); conventions as in
 * iam.h (borrowed inputs, owned outputs released with _release, errors as client.h says: SNS's
 * codes such as "NotFound", "InvalidParameter", "AuthorizationError" in err->aws_code).
 * SNS is regional: a topic is reached through its own region's endpoint, so the client must be
 * made for the region the topic's ARN names (kw_sns_topic_arn_parse).
 */
#ifndef KW_AWS_SNS_H
#define KW_AWS_SNS_H

#include <stddef.h>

struct kw_aws_client;
struct kw_error;

#define KW_SNS_API_VERSION "2010-03-31"

/* SNS limits: Subject under 100 ASCII characters; Message at most 256 KiB (bytes). */
#define KW_SNS_SUBJECT_MAX 99
#define KW_SNS_MESSAGE_MAX 262144

/*
 * kw_sns_topic_arn_parse - check a topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME, NAME of
 * letters, digits, '-', '_', optionally ending ".fifo") and copy its region.
 * @region: receives the region (size bytes, at least 64).
 * Returns 0, or -1 with err set (KW_ERR_INVALID, where = arn).
 * Source: Amazon SNS API Reference, CreateTopic (topic names); AWS General Reference (ARNs).
 */
int kw_sns_topic_arn_parse(const char *arn, char *region, size_t size, struct kw_error *err);

/*
 * kw_sns_publish - publish message to the topic topic_arn.
 * @subject: short subject (may be NULL), ASCII, at most KW_SNS_SUBJECT_MAX characters.
 * @message: the message text (JSON here), at most KW_SNS_MESSAGE_MAX bytes. Never a secret.
 * @message_id: receives SNS's MessageId (size bytes; may be NULL).
 * Publish is not idempotent: a lost answer is retried like every call, so a subscriber may
 * see a message twice (SNS standard topics deliver at least once anyway).
 * Returns 0, or -1 with err set.
 * Source: Amazon SNS API Reference: Publish.
 */
int kw_sns_publish(struct kw_aws_client *c, const char *topic_arn, const char *subject, const char *message,
                   char *message_id, size_t size, struct kw_error *err);

/*
 * kw_sns_get_topic_attributes - check that topic_arn exists and the caller may read it (the
 * preflight before anything is changed). Attributes are not returned: none is needed.
 * Returns 0, or -1 with err set (aws_code "NotFound" for a topic that does not exist).
 * Source: Amazon SNS API Reference: GetTopicAttributes.
 */
int kw_sns_get_topic_attributes(struct kw_aws_client *c, const char *topic_arn, struct kw_error *err);

#endif
