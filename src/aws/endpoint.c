/*
 * endpoint.c - endpoint and signing-region resolution (endpoint.h).
 */
#include "aws/endpoint.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/http.h"
#include "aws/profile.h"
#include "aws/services.h"
#include "util/buf.h"
#include "util/error.h"

void kw_aws_endpoint_release(struct kw_aws_endpoint *e)
{
	if (!e)
		return;
	free(e->url);
	free(e->host);
	free(e->path);
	free(e->signing_region);
	memset(e, 0, sizeof(*e));
}

bool kw_aws_region_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);

	return v && !strcasecmp(v, "true");
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Split url into host[:port] and path for signing. */
static int split_url(const char *url, struct kw_aws_endpoint *out, struct kw_error *err)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL, *scheme = NULL;
	struct kw_buf h = KW_BUF_INIT;
	int rc = -1;

	if (!u)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		kw_error_set(err, KW_ERR_INVALID, url, "not a valid endpoint URL");
		goto out;
	}
	(void)curl_url_get(u, CURLUPART_PORT, &port, 0); /* absent unless explicit */
	if (kw_buf_puts(&h, host) || (port &&
	                              !((!strcasecmp(scheme, "https") && !strcmp(port, "443")) ||
	                                (!strcasecmp(scheme, "http") && !strcmp(port, "80"))) &&
	                              kw_buf_appendf(&h, ":%s", port)))
		goto nomem;
	out->host = kw_buf_detach(&h);
	out->path = strdup(path && *path ? path : "/");
	if (!out->host || !out->path)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
out:
	kw_buf_release(&h);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

int kw_aws_endpoint_resolve(enum kw_aws_service svc, const char *region, const char *cli_url,
                            const struct kw_aws_profile *p, struct kw_aws_endpoint *out, struct kw_error *err)
{
	const struct kw_aws_service_info *si = kw_aws_service_info(svc);
	const char *v;
	bool china = !strncmp(region, "cn-", 3), gov = !strncmp(region, "us-gov-", 7);
	char *url = NULL, *setting = NULL, *ignore = NULL;
	const char *global_region = china ? "cn-north-1" : gov ? "us-gov-west-1" : "us-east-1";
	int rc = -1, r;

	memset(out, 0, sizeof(*out));
	if (!si)
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "unknown service %d", (int)svc);
	out->signing_name = si->signing_name;
	if (cli_url && *cli_url) {
		url = strdup(cli_url);
		out->source = "--endpoint-url";
	} else {
		bool ignored = env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

		if (!ignored && (r = kw_aws_profile_setting(p, "ignore_configured_endpoint_urls", NULL,
		                                            &ignore, err)) < 0)
			goto out;
		ignored = ignored || (ignore && !strcasecmp(ignore, "true"));
		if (ignored) {
			/* only the command-line option counts */
		} else if ((v = env_nonempty(si->endpoint_env))) {
			url = strdup(v);
			out->source = si->endpoint_env;
		} else if ((v = env_nonempty("AWS_ENDPOINT_URL"))) {
			url = strdup(v);
			out->source = "AWS_ENDPOINT_URL";
		} else if ((r = kw_aws_profile_service_setting(p, si->config_key, "endpoint_url", &setting,
		                                               err)) != 0) {
			if (r < 0)
				goto out;
			url = setting;
			setting = NULL;
			out->source = "config services section";
		} else if ((r = kw_aws_profile_setting(p, "endpoint_url", NULL, &setting, err)) != 0) {
			if (r < 0)
				goto out;
			url = setting;
			setting = NULL;
			out->source = "config endpoint_url";
		}
	}
	if (!url && !out->source) {
		struct kw_buf b = KW_BUF_INIT;
		int f;

		if (si->global)
			f = china ? kw_buf_appendf(&b, "https://%s.cn-north-1.amazonaws.com.cn/",
			                           si->endpoint_prefix)
			    : gov ? kw_buf_appendf(&b, "https://%s.us-gov.amazonaws.com/",
			                           si->endpoint_prefix)
			          : kw_buf_appendf(&b, "https://%s.amazonaws.com/", si->endpoint_prefix);
		else
			f = kw_buf_appendf(&b, "https://%s.%s.amazonaws.com%s/", si->endpoint_prefix, region,
			                   china ? ".cn" : "");
		url = f ? NULL : kw_buf_detach(&b);
		kw_buf_release(&b);
		out->source = "partition";
	}
	out->signing_region = strdup(si->global ? global_region : region);
	if (!url || !out->signing_region) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (kw_http_url_check(url, NULL, err)) {
		kw_error_prefix(err, "%s", out->source);
		goto out;
	}
	if (split_url(url, out, err))
		goto out;
	out->url = url;
	url = NULL;
	rc = 0;
out:
	free(url);
	free(setting);
	free(ignore);
	if (rc)
		kw_aws_endpoint_release(out);
	return rc;
}
