/*
 * json.c - JSON 1.1 error answers (json.h). The call itself is in client.c, beside the Query
 * protocol's, so that both share signing, retries and statistics.
 */
#include "aws/json.h"

#include <stdio.h>
#include <string.h>

#include "aws/xml.h"

static void copy_str(const char *s, size_t n, char *out, size_t size)
{
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

void kw_aws_json_error_parse(int http_status, const char *body, size_t len, const char *error_type,
                             struct kw_aws_error *out)
{
	json_t *doc = NULL, *v;
	const char *code = NULL;

	memset(out, 0, sizeof(*out));
	out->http_status = http_status;
	snprintf(out->type, sizeof(out->type), "%s", http_status >= 500 ? "Receiver" : "Sender");
	if (len)
		doc = json_loadb(body, len, 0, NULL);
	if (doc && json_is_object(doc)) {
		if ((v = json_object_get(doc, "__type")) && json_is_string(v))
			code = json_string_value(v);
		if (((v = json_object_get(doc, "message")) && json_is_string(v)) ||
		    ((v = json_object_get(doc, "Message")) && json_is_string(v)))
			snprintf(out->message, sizeof(out->message), "%s", json_string_value(v));
	}
	if (code) {
		const char *hash = strrchr(code, '#');
		code = hash ? hash + 1 : code;
		copy_str(code, strcspn(code, ":"), out->code, sizeof(out->code));
	} else if (error_type && *error_type) {
		copy_str(error_type, strcspn(error_type, ":"), out->code, sizeof(out->code));
	}
	if (!out->code[0] && !out->message[0])
		snprintf(out->message, sizeof(out->message), "HTTP %d with %s body", http_status,
		         !len  ? "an empty"
		         : doc ? "an unknown JSON"
		               : "an unreadable");
	json_decref(doc);
}
