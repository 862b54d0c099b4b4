/*
 * container.c - the container provider (botocore ContainerProvider): ECS task roles through
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2 + the path), and
 * AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity, Greengrass, local tools) with the
 * Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read again on every
 * refresh) or AWS_CONTAINER_AUTHORIZATION_TOKEN. A full URI must be https://, or http:// to a
 * loopback host or to the ECS/EKS container addresses (169.254.170.2, 169.254.170.23,
 * fd00:ec2::23). The answer is JSON AccessKeyId, SecretAccessKey, Token, Expiration.
 * Timeouts as botocore: 2 s, 3 attempts. Source: AWS SDKs and Tools Reference Guide,
 * "Container credential provider"; botocore utils.ContainerMetadataFetcher.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/credentials/provider.h"
#include "aws/http.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"

#define ECS_HOST   "http://169.254.170.2"
#define TIMEOUT_MS 2000
#define ATTEMPTS   3

struct container_state {
	char *url;
	char *where; /* the variable that named it */
};

static void free_state(void *vs)
{
	struct container_state *s = vs;

	if (s) {
		free(s->url);
		free(s->where);
		free(s);
	}
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The Authorization token: the token file's (re-read each time), else the variable's. */
static int auth_token(struct kw_secret **out, struct kw_error *err)
{
	const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");

	*out = NULL;
	if (file) {
		if (kw_cred_read_secret_file(file, 16 * 1024, out, err)) {
			kw_error_prefix(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
			return -1;
		}
		while ((*out)->len &&
		       ((*out)->data[(*out)->len - 1] == '\n' || (*out)->data[(*out)->len - 1] == '\r'))
			(*out)->data[--(*out)->len] = '\0';
	} else if (tok) {
		*out = kw_secret_from(tok, strlen(tok));
		if (!*out)
			return kw_error_nomem(err);
	}
	if (*out && (memchr((*out)->data, '\n', (*out)->len) || memchr((*out)->data, '\r', (*out)->len))) {
		kw_secret_free(*out);
		*out = NULL;
		return kw_error_set(err, KW_ERR_INVALID,
		                    file ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
		                         : "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		                    "the container authorization token holds a line break");
	}
	return 0;
}

/* Whether a full URI may be used: https, or http to loopback or the container addresses. */
static int check_full_uri(const char *url, struct kw_error *err)
{
	static const char *const hosts[] = {"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
	                                    "fd00:ec2::23"};
	struct kw_url u;
	bool ok = false;

	if (!kw_url_parse(url, &u, NULL)) {
		bool loop = false;
		ok = !strcmp(u.scheme, "https") || (!kw_http_url_check(url, &loop, NULL) && loop);
		for (size_t i = 0; !ok && i < sizeof(hosts) / sizeof(hosts[0]); i++)
			ok = !strcmp(u.scheme, "http") && !strcmp(u.host, hosts[i]);
	}
	kw_url_release(&u);
	if (!ok)
		return kw_error_set(err, KW_ERR_INVALID, "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		                    "'%s' is neither https:// nor a loopback or container address", url);
	return 0;
}

static int fetch(const struct container_state *s, time_t now, struct kw_aws_credentials *out,
                 struct kw_error *err)
{
	struct kw_secret *tok = NULL;
	struct kw_http_header h[1];
	struct kw_http_response resp = {0};
	json_t *root = NULL;
	int rc = -1;

	if (auth_token(&tok, err))
		return -1;
	if (tok)
		h[0] = (struct kw_http_header){"Authorization", kw_secret_str(tok)};
	if (kw_cred_metadata_request("GET", s->url, h, tok ? 1 : 0, TIMEOUT_MS, ATTEMPTS, &resp, err)) {
		kw_error_prefix(err, "container credentials (%s)", s->where);
		goto out;
	}
	if (resp.status != 200) {
		kw_error_set(err, KW_ERR_AUTH, s->where, "container credentials: %s answered HTTP %ld",
		             s->url, resp.status);
		goto out;
	}
	if (!(root = kw_cred_json_load(resp.body, resp.len))) {
		kw_error_set(err, KW_ERR_AUTH, s->where,
		             "container credentials: the answer is not a JSON object");
		goto out;
	}
	if (kw_cred_from_json(root, "Token", "container credentials", s->where, now, out, err))
		goto out;
	out->source = kw_cred_container.name;
	rc = 0;
out:
	json_decref(root);
	kw_http_response_release(&resp);
	kw_secret_free(tok);
	return rc;
}

static int refresh(void *vs, time_t now, struct kw_aws_credentials *out, struct kw_error *err)
{
	return fetch(vs, now, out, err);
}

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct container_state *s;

	if (!rel && !full)
		return 0;
	if (!rel && check_full_uri(full, err))
		return -1;
	s = calloc(1, sizeof(*s));
	if (!s)
		return kw_error_nomem(err);
	s->url = rel ? kw_strdup_printf("%s%s%s", ECS_HOST, rel[0] == '/' ? "" : "/", rel) : strdup(full);
	s->where =
	        strdup(rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (!s->url || !s->where) {
		free_state(s);
		return kw_error_nomem(err);
	}
	if (fetch(s, l->now, out, err)) {
		free_state(s);
		return -1;
	}
	out->chain = kw_strdup_printf("container credentials %s", s->url);
	out->provider = &kw_cred_container;
	out->state = s;
	return 1;
}

const struct kw_cred_provider kw_cred_container = {"container-role", resolve, refresh, free_state};
