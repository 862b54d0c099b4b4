/*
 * xml.c - hardened libxml2 parsing of AWS answers and AWS error values (xml.h).
 */
#define _GNU_SOURCE /* memmem */
#include "aws/xml.h"

#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/wipe.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/vocab.h"

static char *plain_strdup(const char *s)
{
	return strdup(s);
}

/* libxml2 frees through a wiping free: answers hold secret access keys and seeds. */
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

static void setup(void)
{
	/* blocks from the default allocator are glibc malloc blocks too, so mixing is safe */
	xmlMemSetup(kw_wipe_free, malloc, kw_wipe_realloc, plain_strdup);
	xmlInitParser();
}

void kw_xml_init(void)
{
	pthread_once(&setup_once, setup);
}

int kw_xml_parse(const char *data, size_t len, const char *where, xmlDoc **out, struct kw_error *err)
{
	xmlDoc *doc;

	*out = NULL;
	kw_xml_init();
	if (len > KW_XML_MAX_SIZE)
		return kw_error_set(err, KW_ERR_AWS, where, "unreadable answer: larger than %u bytes",
		                    KW_XML_MAX_SIZE);
	if (len == 0)
		return kw_error_set(err, KW_ERR_AWS, where, "unreadable answer: empty body");
	if (memmem(data, len, "<!DOCTYPE", 9) || memmem(data, len, "<!ENTITY", 8))
		return kw_error_set(err, KW_ERR_AWS, where,
		                    "unreadable answer: document type declarations are refused");
	doc = xmlReadMemory(data, (int)len, NULL, NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return kw_error_set(err, KW_ERR_AWS, where, "unreadable answer: malformed XML");
	if (doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc)) {
		xmlFreeDoc(doc);
		return kw_error_set(err, KW_ERR_AWS, where, "unreadable answer: unexpected document");
	}
	*out = doc;
	return 0;
}

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name && !strcmp((const char *)n->name, name);
}

xmlNode *kw_xml_child(const xmlNode *parent, const char *name)
{
	if (!parent)
		return NULL;
	for (xmlNode *n = parent->children; n; n = n->next)
		if (named(n, name))
			return n;
	return NULL;
}

xmlNode *kw_xml_next(const xmlNode *node, const char *name)
{
	for (xmlNode *n = node ? node->next : NULL; n; n = n->next)
		if (named(n, name))
			return n;
	return NULL;
}

xmlNode *kw_xml_path(const xmlNode *node, const char *path)
{
	char step[128];
	const xmlNode *cur = node;

	while (cur && *path) {
		size_t n = strcspn(path, "/");
		if (n >= sizeof(step))
			return NULL;
		memcpy(step, path, n);
		step[n] = '\0';
		cur = kw_xml_child(cur, step);
		path += n + (path[n] == '/');
	}
	return (xmlNode *)cur;
}

char *kw_xml_text(const xmlNode *node, bool *oom)
{
	xmlChar *t;
	char *s;

	if (!node)
		return NULL;
	t = xmlNodeGetContent(node);
	s = strdup(t ? (const char *)t : "");
	xmlFree(t);
	if (!s && oom)
		*oom = true;
	return s;
}

struct kw_secret *kw_xml_secret(const xmlNode *node)
{
	xmlChar *t;
	struct kw_secret *s;

	if (!node)
		return NULL;
	t = xmlNodeGetContent(node);
	if (!t)
		return NULL;
	s = kw_secret_from(t, strlen((const char *)t));
	xmlFree(t); /* wiped by the allocator */
	return s;
}

/* Decode base64 text t (whitespace skipped) into out (capacity >= 3 * strlen(t) / 4 + 3). */
static int base64_decode(const char *t, unsigned char *out, size_t *outlen)
{
	size_t n = 0, pad = 0, len = strlen(t);
	char *clean = malloc(len + 1);
	int r = -1;

	if (!clean)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", t[i]))
			clean[n++] = t[i];
	clean[n] = '\0';
	if (n % 4 == 0) {
		if (n && clean[n - 1] == '=')
			pad++;
		if (n > 1 && clean[n - 2] == '=')
			pad++;
		r = n ? EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n) : 0;
	}
	OPENSSL_cleanse(clean, n);
	free(clean);
	if (r < 0 || (size_t)r < pad)
		return -1;
	*outlen = (size_t)r - pad;
	return 0;
}

struct kw_secret *kw_xml_base64_secret(const xmlNode *node)
{
	xmlChar *t;
	struct kw_secret *s = NULL;
	size_t n = 0;

	if (!node || !(t = xmlNodeGetContent(node)))
		return NULL;
	s = kw_secret_new(strlen((const char *)t) / 4 * 3 + 3);
	if (s && base64_decode((const char *)t, s->data, &n)) {
		kw_secret_free(s);
		s = NULL;
	} else if (s) {
		s->len = n;
		s->data[n] = '\0';
	}
	xmlFree(t);
	return s;
}

char *kw_xml_base64_text(const xmlNode *node, size_t *len)
{
	xmlChar *t;
	unsigned char *out;
	size_t n = 0;

	if (!node || !(t = xmlNodeGetContent(node)))
		return NULL;
	out = malloc(strlen((const char *)t) / 4 * 3 + 4);
	if (out && base64_decode((const char *)t, out, &n)) {
		free(out);
		out = NULL;
	} else if (out) {
		out[n] = '\0';
		*len = n;
	}
	xmlFree(t);
	return (char *)out;
}

bool kw_xml_bool(const xmlNode *node)
{
	char *t = kw_xml_text(node, NULL);
	bool v = t && !strcmp(t, "true");

	free(t);
	return v;
}

time_t kw_xml_time(const xmlNode *node)
{
	char *s = kw_xml_text(node, NULL);
	time_t t = 0;

	if (s && kw_iso8601_parse(s, &t))
		t = 0;
	free(s);
	return t;
}

static void copy_text(const xmlNode *n, char *dst, size_t size)
{
	char *t = kw_xml_text(n, NULL);

	snprintf(dst, size, "%s", t ? t : ""); /* truncation is fine: bounded diagnostic fields */
	free(t);
}

void kw_aws_error_parse(int http_status, const char *body, size_t len, struct kw_aws_error *out)
{
	xmlDoc *doc = NULL;
	xmlNode *root, *e;

	memset(out, 0, sizeof(*out));
	out->http_status = http_status;
	if (kw_xml_parse(body, len, "", &doc, NULL)) {
		snprintf(out->message, sizeof(out->message), "HTTP %d with %s body", http_status,
		         len ? "an unreadable" : "an empty");
		return;
	}
	root = xmlDocGetRootElement(doc);
	/* IAM/STS: ErrorResponse/Error; some services answer Response/Errors/Error */
	e = kw_xml_child(root, "Error");
	if (!e)
		e = kw_xml_path(root, "Errors/Error");
	if (!e && named(root, "Error"))
		e = root;
	copy_text(kw_xml_child(e, "Type"), out->type, sizeof(out->type));
	copy_text(kw_xml_child(e, "Code"), out->code, sizeof(out->code));
	copy_text(kw_xml_child(e, "Message"), out->message, sizeof(out->message));
	copy_text(kw_xml_child(root, "RequestId"), out->request_id, sizeof(out->request_id));
	if (!out->request_id[0])
		copy_text(kw_xml_child(root, "RequestID"), out->request_id, sizeof(out->request_id));
	if (!out->message[0] && !out->code[0])
		snprintf(out->message, sizeof(out->message), "HTTP %d", http_status);
	xmlFreeDoc(doc);
}

static const char *const auth_codes[] = {
        "SignatureDoesNotMatch", "InvalidClientTokenId",       "ExpiredToken",
        "ExpiredTokenException", "IncompleteSignature",        "UnrecognizedClientException",
        "InvalidAccessKeyId",    "MissingAuthenticationToken",
};

int kw_aws_error_set(struct kw_error *err, const struct kw_aws_error *e, const char *where)
{
	enum kw_err_kind kind = KW_ERR_AWS;

	/* IAM; Secrets Manager; SSM */
	if (!strcmp(e->code, "NoSuchEntity") || !strcmp(e->code, "ResourceNotFoundException") ||
	    !strcmp(e->code, "ParameterNotFound"))
		kind = KW_ERR_NOT_FOUND;
	for (size_t i = 0; i < sizeof(auth_codes) / sizeof(auth_codes[0]); i++)
		if (!strcmp(e->code, auth_codes[i]))
			kind = KW_ERR_AUTH;
	if (e->code[0])
		kw_error_set(err, kind, where, "%s: %s", e->code,
		             e->message[0] ? e->message : "(no message)");
	else
		kw_error_set(err, kind, where, "%s", e->message);
	if (err) {
		err->http_status = e->http_status;
		snprintf(err->aws_code, sizeof(err->aws_code), "%s", e->code);
		snprintf(err->request_id, sizeof(err->request_id), "%s", e->request_id);
	}
	return -1;
}
