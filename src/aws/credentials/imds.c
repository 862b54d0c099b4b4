/*
 * imds.c - the instance metadata provider (botocore InstanceMetadataProvider): the EC2
 * instance profile's role through IMDSv2 — PUT /latest/api/token (TTL 21600 s), then
 * /latest/meta-data/iam/security-credentials/ for the role name and .../ROLE for its
 * credentials, each GET with X-aws-ec2-metadata-token. As botocore: a token PUT answered
 * 403, 404 or 405 goes on without a token (IMDSv1; said at -v), 400 is an error; a service that
 * does not answer means "not on EC2" (the chain goes on). Off with AWS_EC2_METADATA_DISABLED=
 * true. Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT / ec2_metadata_service_endpoint, else
 * by AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE / ec2_metadata_service_endpoint_mode (IPv4
 * http://169.254.169.254, IPv6 http://[fd00:ec2::254]). Timeout AWS_METADATA_SERVICE_TIMEOUT /
 * metadata_service_timeout (seconds, default 1), attempts AWS_METADATA_SERVICE_NUM_ATTEMPTS /
 * metadata_service_num_attempts (default 1). Source: AWS SDKs and Tools Reference Guide,
 * "IMDS credential provider"; botocore utils.InstanceMetadataFetcher.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/credentials/provider.h"
#include "aws/http.h"
#include "aws/ini.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"

#define TOKEN_PATH "latest/api/token"
#define ROLE_PATH  "latest/meta-data/iam/security-credentials/"

struct imds_state {
	char *base; /* ending in '/' */
	long timeout_ms;
	int attempts;
};

static void free_state(void *vs)
{
	struct imds_state *s = vs;

	if (s) {
		free(s->base);
		free(s);
	}
}

/* A setting from the environment, else the profile; *where names it. */
static int setting(const struct kw_cred_lookup *l, const char *env, const char *key, char **out, char *where,
                   size_t size, struct kw_error *err)
{
	const char *v = getenv(env);

	if (v && *v) {
		snprintf(where, size, "environment %s", env);
		*out = strdup(v);
		return *out ? 1 : kw_error_nomem(err);
	}
	return kw_cred_setting_str(l, key, out, where, size, err);
}

static int number(const struct kw_cred_lookup *l, const char *env, const char *key, long def, long max,
                  long *out, struct kw_error *err)
{
	char where[KW_ERR_WHERE_MAX], *v = NULL, *end;
	int r = setting(l, env, key, &v, where, sizeof(where), err);

	*out = def;
	if (r <= 0)
		return r;
	*out = strtol(v, &end, 10);
	if (*end || end == v || *out < 1 || *out > max) {
		kw_error_set(err, KW_ERR_INVALID, where, "%s: '%s' is not a whole number from 1 to %ld", key,
		             v, max);
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

static int base_url(const struct kw_cred_lookup *l, char **out, struct kw_error *err)
{
	char where[KW_ERR_WHERE_MAX], *v = NULL;
	int r;

	if ((r = setting(l, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint", &v, where,
	                 sizeof(where), err)) < 0)
		return -1;
	if (!r) {
		if ((r = setting(l, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
		                 "ec2_metadata_service_endpoint_mode", &v, where, sizeof(where), err)) < 0)
			return -1;
		if (r && strcasecmp(v, "IPv4") && strcasecmp(v, "IPv6")) {
			kw_error_set(err, KW_ERR_INVALID, where,
			             "ec2_metadata_service_endpoint_mode: '%s' is not IPv4 or IPv6", v);
			free(v);
			return -1;
		}
		*out = strdup(r && !strcasecmp(v, "IPv6") ? "http://[fd00:ec2::254]/"
		                                          : "http://169.254.169.254/");
	} else {
		*out = kw_strdup_printf("%s%s", v, v[strlen(v) - 1] == '/' ? "" : "/");
	}
	free(v);
	return *out ? 0 : kw_error_nomem(err);
}

/* GET base+path with the token (may be NULL); 1 with *resp on 200, 0 when not found/no answer. */
static int get(const struct imds_state *s, const char *path, const char *token, struct kw_http_response *resp,
               struct kw_error *err)
{
	struct kw_buf url = KW_BUF_INIT;
	struct kw_http_header h = {"X-aws-ec2-metadata-token", token};
	int rc = 0;

	if (kw_buf_appendf(&url, "%s%s", s->base, path))
		return kw_error_nomem(err);
	if (kw_cred_metadata_request("GET", url.data, &h, token ? 1 : 0, s->timeout_ms, s->attempts, resp,
	                             err)) {
		kw_log(KW_LOG_DEBUG, "aws: instance metadata: %s: %s", url.data, err->msg);
		rc = 0; /* no answer: not on EC2 */
	} else if (resp->status == 200) {
		rc = 1;
	} else if (resp->status == 401) {
		rc = kw_error_set(err, KW_ERR_AUTH, "instance metadata",
		                  "%s refused the request without an IMDSv2 token (HTTP 401)", url.data);
	}
	kw_buf_release(&url);
	return rc;
}

static int fetch(const struct imds_state *s, time_t now, struct kw_aws_credentials *out, char **role,
                 struct kw_error *err)
{
	struct kw_buf url = KW_BUF_INIT;
	struct kw_http_header ttl = {"X-aws-ec2-metadata-token-ttl-seconds", "21600"};
	struct kw_http_response resp = {0};
	struct kw_secret *token = NULL;
	json_t *root = NULL;
	char *name = NULL;
	int r, rc = -1;

	*role = NULL;
	if (kw_buf_appendf(&url, "%s%s", s->base, TOKEN_PATH))
		return kw_error_nomem(err);
	if (kw_cred_metadata_request("PUT", url.data, &ttl, 1, s->timeout_ms, s->attempts, &resp, err)) {
		kw_log(KW_LOG_DEBUG, "aws: instance metadata: %s: %s", url.data, err->msg);
		rc = 0; /* not on EC2 */
		goto out;
	}
	if (resp.status == 200) {
		token = kw_secret_from(resp.body, resp.len);
		if (!token) {
			kw_error_nomem(err);
			goto out;
		}
	} else if (resp.status == 403 || resp.status == 404 || resp.status == 405) {
		kw_log(KW_LOG_INFO,
		       "aws: instance metadata refused an IMDSv2 token (HTTP %ld): trying IMDSv1",
		       resp.status);
	} else {
		kw_error_set(err, KW_ERR_AUTH, "instance metadata", "%s answered HTTP %ld", url.data,
		             resp.status);
		goto out;
	}
	kw_http_response_release(&resp);
	if ((r = get(s, ROLE_PATH, token ? kw_secret_str(token) : NULL, &resp, err)) <= 0) {
		rc = r;
		goto out;
	}
	name = strndup(resp.body, strcspn(resp.body, "\r\n"));
	kw_http_response_release(&resp);
	if (!name) {
		kw_error_nomem(err);
		goto out;
	}
	if (!*name || strchr(name, '/')) {
		kw_error_set(err, KW_ERR_AUTH, "instance metadata", "the instance has no usable IAM role");
		goto out;
	}
	{
		char *path = kw_strdup_printf("%s%s", ROLE_PATH, name);
		if (!path) {
			kw_error_nomem(err);
			goto out;
		}
		r = get(s, path, token ? kw_secret_str(token) : NULL, &resp, err);
		free(path);
	}
	if (r <= 0) {
		if (r == 0)
			kw_error_set(err, KW_ERR_AUTH, "instance metadata", "no credentials for role %s",
			             name);
		goto out;
	}
	root = kw_cred_json_load(resp.body, resp.len);
	if (!root || !json_is_string(json_object_get(root, "Code")) ||
	    strcmp(json_string_value(json_object_get(root, "Code")), "Success")) {
		kw_error_set(err, KW_ERR_AUTH, "instance metadata", "role %s: the answer is not Code Success",
		             name);
		goto out;
	}
	if (kw_cred_from_json(root, "Token", "instance metadata", "instance metadata", now, out, err))
		goto out;
	out->source = kw_cred_imds.name;
	*role = name;
	name = NULL;
	rc = 1;
out:
	json_decref(root);
	free(name);
	kw_secret_free(token);
	kw_http_response_release(&resp);
	kw_buf_release(&url);
	return rc;
}

static int refresh(void *vs, time_t now, struct kw_aws_credentials *out, struct kw_error *err)
{
	char *role = NULL;
	int r = fetch(vs, now, out, &role, err);

	free(role);
	if (r == 0)
		return kw_error_set(err, KW_ERR_AUTH, "instance metadata",
		                    "no answer when refreshing credentials");
	return r < 0 ? -1 : 0;
}

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	const char *off = getenv("AWS_EC2_METADATA_DISABLED");
	struct imds_state *s;
	long secs, attempts;
	char *role = NULL;
	int r;

	if (off && !strcasecmp(off, "true"))
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return kw_error_nomem(err);
	if (number(l, "AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout", 1, 60, &secs, err) ||
	    number(l, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts", 1, 10, &attempts,
	           err) ||
	    base_url(l, &s->base, err)) {
		free_state(s);
		return -1;
	}
	s->timeout_ms = secs * 1000;
	s->attempts = (int)attempts;
	r = fetch(s, l->now, out, &role, err);
	if (r <= 0) {
		free_state(s);
		return r;
	}
	out->chain = kw_strdup_printf("instance metadata %s role %s", s->base, role);
	free(role);
	out->provider = &kw_cred_imds;
	out->state = s;
	return 1;
}

const struct kw_cred_provider kw_cred_imds = {"iam-role", resolve, refresh, free_state};
