/*
 * xml.h - reading AWS Query-protocol answers with libxml2, and AWS error answers as a typed
 * value.
 *
 * Parsing is hardened: no network access (XML_PARSE_NONET), no entity substitution, any
 * document with a DOCTYPE (where entities would be declared) is refused before libxml2 sees
 * it, and answers larger than KW_XML_MAX_SIZE are refused. libxml2's allocator is set (once,
 * process-wide) to one that wipes every block it frees, because answers carry secrets
 * (SecretAccessKey, Base32StringSeed) that libxml2 copies into its tree.
 * Element names are matched by local name; namespaces are ignored.
 * Source: libxml2 parser options (xmlParserOption); AWS IAM API Reference, "Common Errors".
 */
#ifndef KW_AWS_XML_H
#define KW_AWS_XML_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct kw_error;
struct kw_secret;

#define KW_XML_MAX_SIZE (64u * 1024 * 1024)

/*
 * kw_xml_init - install the wiping allocator and initialise libxml2, once per process (later
 * calls do nothing). kw_aws_client_new calls it before any thread can parse; kw_xml_parse
 * calls it too.
 */
void kw_xml_init(void);

/*
 * kw_xml_parse - parse an answer into a new document (free with xmlFreeDoc).
 * @where: action name for error messages (e.g. "iam:GetUser"), borrowed.
 * Returns 0, or -1 with err set (KW_ERR_AWS "unreadable answer" for malformed, truncated,
 * oversized or DOCTYPE-bearing documents; KW_ERR_NOMEM).
 */
int kw_xml_parse(const char *data, size_t len, const char *where, xmlDoc **out, struct kw_error *err);

/* kw_xml_child - first element child of parent named name, or NULL (parent may be NULL). */
xmlNode *kw_xml_child(const xmlNode *parent, const char *name);

/* kw_xml_next - next element sibling of node named name, or NULL. */
xmlNode *kw_xml_next(const xmlNode *node, const char *name);

/* kw_xml_path - follow "A/B/C" (child names) from node, or NULL when any step is missing. */
xmlNode *kw_xml_path(const xmlNode *node, const char *path);

/*
 * kw_xml_text - new malloc'd copy of node's text ("" when empty), NULL when node is NULL.
 * Sets *oom when allocation failed (oom may be NULL). Not for secrets (see kw_xml_secret).
 */
char *kw_xml_text(const xmlNode *node, bool *oom);

/*
 * kw_xml_secret - node's text in a new struct kw_secret, or NULL (node NULL or out of memory).
 */
struct kw_secret *kw_xml_secret(const xmlNode *node);

/*
 * kw_xml_base64_secret - the node's text decoded from base64 into a new struct kw_secret
 * (whitespace ignored), or NULL when absent, not base64, or out of memory. For blobs that are
 * secrets, such as CreateVirtualMFADevice's Base32StringSeed.
 */
struct kw_secret *kw_xml_base64_secret(const xmlNode *node);

/*
 * kw_xml_base64_text - the node's text decoded from base64 into a new malloc'd buffer
 * (NUL-terminated, *len bytes), or NULL when absent, not base64, or out of memory.
 */
char *kw_xml_base64_text(const xmlNode *node, size_t *len);

/* kw_xml_bool - true when the node's text is "true". */
bool kw_xml_bool(const xmlNode *node);

/* Times in answers: util/vocab.h kw_iso8601_parse. */

/* kw_xml_time - the node's text as a time, 0 when the node is absent or unreadable. */
time_t kw_xml_time(const xmlNode *node);

/* An AWS error answer: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>. */
struct kw_aws_error {
	int http_status;
	char type[16];     /* "Sender" or "Receiver" */
	char code[64];     /* e.g. "NoSuchEntity", "Throttling"; "" when the body had none */
	char message[512]; /* AWS's message, truncated */
	char request_id[80];
};

/*
 * kw_aws_error_parse - read an error answer body into *out (http_status is copied).
 * A body that is not an AWS error document leaves code empty and message describing it.
 */
void kw_aws_error_parse(int http_status, const char *body, size_t len, struct kw_aws_error *out);

/*
 * kw_aws_error_set - fill err from e as client.h describes (NoSuchEntity, and Secrets Manager's
 * ResourceNotFoundException and SSM's ParameterNotFound -> KW_ERR_NOT_FOUND,
 * rejected credentials -> KW_ERR_AUTH, otherwise KW_ERR_AWS), with where (e.g. "iam:GetUser"),
 * msg "<Code>: <Message>", and http_status, aws_code, request_id filled. Returns -1.
 */
int kw_aws_error_set(struct kw_error *err, const struct kw_aws_error *e, const char *where);

#endif
