/*
 * Fuzz the AWS answer reader (aws/xml.h): hardened libxml2 parsing, walking a result, reading
 * texts, times, base64 blobs, and error documents. Answers come from the network: keywarden
 * must never crash, leak or hang on them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/xml.h"
#include "util/error.h"
#include "util/secret.h"

static void walk(const xmlNode *n, int depth)
{
	for (const xmlNode *c = n ? n->children : NULL; c && depth < 64; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		free(kw_xml_text(c, NULL));
		(void)kw_xml_time(c);
		(void)kw_xml_bool(c);
		kw_secret_free(kw_xml_base64_secret(c));
		walk(c, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kw_aws_error e;
	struct kw_error err;
	xmlDoc *doc = NULL;

	if (!kw_xml_parse((const char *)data, size, "fuzz", &doc, &err)) {
		xmlNode *root = xmlDocGetRootElement(doc);
		size_t len = 0;
		walk(root, 0);
		(void)kw_xml_path(root, "GetUserResult/User/Tags/member");
		free(kw_xml_base64_text(kw_xml_path(root, "GetCredentialReportResult/Content"), &len));
		xmlFreeDoc(doc);
	}
	kw_aws_error_parse(400, (const char *)data, size, &e);
	(void)kw_aws_error_set(&err, &e, "fuzz");
	return 0;
}
