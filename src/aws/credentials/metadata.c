/*
 * metadata.c - what the container and instance-metadata providers share: one HTTP request to
 * a local credential service with botocore's timeouts and attempts, and the JSON credentials
 * those services answer (provider.h).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/credentials/provider.h"
#include "aws/http.h"
#include "aws/wipe.h"
#include "aws/xml.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/vocab.h"

int kw_cred_metadata_request(const char *method, const char *url, const struct kw_http_header *headers,
                             size_t nheaders, long timeout_ms, int attempts, struct kw_http_response *resp,
                             struct kw_error *err)
{
	struct kw_http_options ho = {.connect_timeout_ms = timeout_ms, .timeout_ms = timeout_ms};
	struct kw_http *h = NULL;
	int rc = -1;

	memset(resp, 0, sizeof(*resp));
	if (kw_http_new(&ho, &h, err))
		return -1;
	for (int i = 0; i < attempts; i++) {
		kw_http_response_release(resp);
		rc = kw_http_request(h, method, url, headers, nheaders, "", 0, KW_HTTP_METADATA, resp, err);
		if (rc == 0 && resp->status < 500)
			break;
		if (i + 1 < attempts) {
			kw_log(KW_LOG_DEBUG, "aws: %s %s: attempt %d failed, again", method, url, i + 1);
			usleep(100 * 1000);
		}
	}
	kw_http_free(h);
	return rc;
}

json_t *kw_cred_json_load(const char *json, size_t len)
{
	json_t *root;

	kw_wipe_install_jansson(); /* jansson copies the secrets into its own (wiped) blocks */
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	if (root && !json_is_object(root)) {
		json_decref(root);
		root = NULL;
	}
	return root;
}

int kw_cred_from_json(const json_t *root, const char *token_key, const char *what, const char *where,
                      time_t now, struct kw_aws_credentials *out, struct kw_error *err)
{
	json_t *v;
	const char *id, *sk, *tok = NULL, *exp = NULL;

	id = json_string_value(json_object_get(root, "AccessKeyId"));
	sk = json_string_value(json_object_get(root, "SecretAccessKey"));
	if (!id || !*id || !sk || !*sk)
		return kw_error_set(err, KW_ERR_AUTH, where, "%s lacks AccessKeyId or SecretAccessKey", what);
	if ((v = json_object_get(root, token_key)) && !json_is_null(v))
		tok = json_string_value(v);
	if ((v = json_object_get(root, "Expiration")) && !json_is_null(v)) {
		exp = json_string_value(v);
		if (!exp || kw_iso8601_parse(exp, &out->expiration))
			return kw_error_set(err, KW_ERR_AUTH, where, "%s Expiration is not an ISO 8601 time",
			                    what);
		if (out->expiration <= now)
			return kw_error_set(err, KW_ERR_AUTH, where, "%s returned expired credentials", what);
	}
	out->access_key_id = strdup(id);
	out->secret = kw_secret_from(sk, strlen(sk));
	if (tok && *tok)
		out->session_token = kw_secret_from(tok, strlen(tok));
	if (!out->access_key_id || !out->secret || (tok && *tok && !out->session_token))
		return kw_error_nomem(err);
	return 0;
}
