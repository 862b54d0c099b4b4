/*
 * http.c - HTTP POST with libcurl, shared connections and a handle pool (http.h).
 */
#include "aws/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/sigv4.h"
#include "aws/xml.h"
#include "util/deadline.h"
#include "util/error.h"

#define POOL_MAX        16
/* The low-speed limit: an attempt that moves fewer than LOW_SPEED_BYTES a second for
 * LOW_SPEED_S seconds (a silent peer, a stalled connection) ends as a timeout. */
#define LOW_SPEED_BYTES 1L
#define LOW_SPEED_S     20L

struct kw_http {
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL *pool[POOL_MAX];
	size_t npool;
	long connect_timeout_ms;
	long timeout_ms;
	char *ca_bundle;
	char *user_agent;
};

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *userptr)
{
	struct kw_http *h = userptr;

	pthread_mutex_lock(&h->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *userptr)
{
	struct kw_http *h = userptr;

	pthread_mutex_unlock(&h->share_locks[data]);
}

int kw_http_new(const struct kw_http_options *opt, struct kw_http **out, struct kw_error *err)
{
	struct kw_http *h = calloc(1, sizeof(*h));
	int rc = -1;

	*out = NULL;
	if (!h)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&h->share_locks[i], NULL);
	pthread_mutex_init(&h->pool_lock, NULL);
	h->connect_timeout_ms = opt && opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : 10000;
	h->timeout_ms = opt && opt->timeout_ms > 0 ? opt->timeout_ms : 60000;
	h->user_agent = strdup(opt && opt->user_agent ? opt->user_agent : "keywarden/" KW_VERSION);
	h->ca_bundle = opt && opt->ca_bundle ? strdup(opt->ca_bundle) : NULL;
	if (!h->user_agent || (opt && opt->ca_bundle && !h->ca_bundle)) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	h->share = curl_share_init();
	if (!h->share || curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_USERDATA, h) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
		kw_error_set(err, KW_ERR_INTERNAL, NULL, "libcurl refused a connection share");
		goto out;
	}
	*out = h;
	h = NULL;
	rc = 0;
out:
	kw_http_free(h);
	return rc;
}

void kw_http_free(struct kw_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	if (h->share)
		curl_share_cleanup(h->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->share_locks[i]);
	pthread_mutex_destroy(&h->pool_lock);
	free(h->ca_bundle);
	free(h->user_agent);
	free(h);
}

static CURL *pool_get(struct kw_http *h)
{
	CURL *c = NULL;

	pthread_mutex_lock(&h->pool_lock);
	if (h->npool)
		c = h->pool[--h->npool];
	pthread_mutex_unlock(&h->pool_lock);
	return c ? c : curl_easy_init();
}

static void pool_put(struct kw_http *h, CURL *c)
{
	curl_easy_reset(c); /* keeps live connections and caches, forgets options */
	pthread_mutex_lock(&h->pool_lock);
	if (h->npool < POOL_MAX) {
		h->pool[h->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&h->pool_lock);
	if (c)
		curl_easy_cleanup(c);
}

static bool host_is_loopback(const char *host)
{
	unsigned a, b, c, d;
	char tail;

	if (!strcasecmp(host, "localhost") || !strcmp(host, "::1") || !strcmp(host, "[::1]"))
		return true;
	return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 && c < 256 &&
	       d < 256;
}

int kw_url_parse(const char *url, struct kw_url *out, struct kw_error *err)
{
	CURLU *u = curl_url();
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!u)
		return kw_error_nomem(err);
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &out->scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &out->host, 0) == CURLUE_OK) {
		(void)curl_url_get(u, CURLUPART_PORT, &out->port, 0); /* absent unless explicit */
		(void)curl_url_get(u, CURLUPART_PATH, &out->path, 0);
		rc = 0;
	} else {
		kw_error_set(err, KW_ERR_INVALID, url, "not a valid endpoint URL");
	}
	curl_url_cleanup(u);
	return rc;
}

void kw_url_release(struct kw_url *u)
{
	curl_free(u->scheme);
	curl_free(u->host);
	curl_free(u->port);
	curl_free(u->path);
	memset(u, 0, sizeof(*u));
}

int kw_http_url_check(const char *url, bool *is_loopback, struct kw_error *err)
{
	struct kw_url u;
	bool loop, refused;

	if (kw_url_parse(url, &u, err)) {
		kw_url_release(&u);
		return -1;
	}
	loop = host_is_loopback(u.host);
	refused = strcasecmp(u.scheme, "https") && !(loop && !strcasecmp(u.scheme, "http"));
	kw_url_release(&u);
	if (refused)
		return kw_error_set(
		        err, KW_ERR_INVALID, url,
		        "endpoint URL must use https:// (http:// is accepted only for loopback hosts)");
	if (is_loopback)
		*is_loopback = loop;
	return 0;
}

void kw_http_response_release(struct kw_http_response *r)
{
	if (!r)
		return;
	if (r->body) {
		OPENSSL_cleanse(r->body, r->cap);
		free(r->body);
	}
	memset(r, 0, sizeof(*r));
}

struct sink {
	struct kw_http_response *resp;
	bool too_big;
	bool oom;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	struct kw_http_response *r = s->resp;
	size_t n = size * nmemb;

	if (n > KW_XML_MAX_SIZE - r->len) {
		s->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 16384;
		char *nb;
		while (cap < r->len + n + 1)
			cap *= 2;
		nb = malloc(cap);
		if (!nb) {
			s->oom = true;
			return 0;
		}
		if (r->body) {
			memcpy(nb, r->body, r->len);
			OPENSSL_cleanse(r->body, r->cap);
			free(r->body);
		}
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	static const char name[] = "x-amzn-requestid:", date[] = "date:";

	/* the server's clock (IAM's, for comparing with the CreateDate it reports): keys/issue.h */
	if (n > sizeof(date) - 1 && n < 128 && !strncasecmp(ptr, date, sizeof(date) - 1)) {
		char v[128];
		time_t t;

		memcpy(v, ptr + sizeof(date) - 1, n - (sizeof(date) - 1));
		v[n - (sizeof(date) - 1)] = '\0';
		if ((t = curl_getdate(v, NULL)) > 0)
			s->resp->date = t;
	}
	if (n > sizeof(name) - 1 && !strncasecmp(ptr, name, sizeof(name) - 1)) {
		const char *v = ptr + sizeof(name) - 1;
		size_t vl = n - (sizeof(name) - 1);
		while (vl && isspace((unsigned char)*v))
			v++, vl--;
		while (vl && isspace((unsigned char)v[vl - 1]))
			vl--;
		if (vl >= sizeof(s->resp->request_id))
			vl = sizeof(s->resp->request_id) - 1;
		memcpy(s->resp->request_id, v, vl);
		s->resp->request_id[vl] = '\0';
	}
	return n;
}

/* Transport failures another attempt may cure. */
static bool curl_retryable(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY: return true;
	default: return false;
	}
}

/* http:// to the link-local credential services (instance metadata, ECS/EKS containers). */
static bool metadata_host(const char *url)
{
	static const char *const hosts[] = {"http://169.254.169.254/", "http://[fd00:ec2::254]/",
	                                    "http://169.254.170.2/", "http://169.254.170.23/",
	                                    "http://[fd00:ec2::23]/"};

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (!strncmp(url, hosts[i], strlen(hosts[i])))
			return true;
	return false;
}

int kw_http_post(struct kw_http *h, const char *url, const struct kw_http_header *headers, size_t nheaders,
                 const char *body, size_t len, struct kw_http_response *resp, struct kw_error *err)
{
	return kw_http_request(h, "POST", url, headers, nheaders, body, len, 0, resp, err);
}

int kw_http_request(struct kw_http *h, const char *method, const char *url,
                    const struct kw_http_header *headers, size_t nheaders, const char *body, size_t len,
                    unsigned flags, struct kw_http_response *resp, struct kw_error *err)
{
	struct curl_slist *list = NULL;
	struct sink sink = {resp, false, false};
	char errbuf[CURL_ERROR_SIZE] = "";
	bool loopback = false;
	CURL *c = NULL;
	CURLcode cc;
	long timeout_ms = h->timeout_ms, left_ms = kw_deadline_remaining_ms();
	int rc = -1;

	memset(resp, 0, sizeof(*resp));
	/* the per-attempt timeout never reaches past the no-progress deadline (util/deadline.h) */
	if (left_ms == 0)
		return kw_deadline_check(url, err);
	if (left_ms > 0 && left_ms < timeout_ms)
		timeout_ms = left_ms;
	if ((flags & KW_HTTP_METADATA) && metadata_host(url))
		loopback = true; /* plain http, never proxied: these services live on the host itself */
	else if (kw_http_url_check(url, &loopback, err))
		return -1;
	for (size_t i = 0; i < nheaders; i++) {
		struct kw_buf line = KW_BUF_INIT;
		struct curl_slist *nl;

		if (kw_buf_appendf(&line, "%s: %s", headers[i].name, headers[i].value))
			goto nomem;
		nl = curl_slist_append(list, line.data);
		OPENSSL_cleanse(line.data, line.len); /* may be the session token */
		kw_buf_release(&line);
		if (!nl)
			goto nomem;
		list = nl;
	}
	{ /* no "Expect: 100-continue" round trip */
		struct curl_slist *nl = curl_slist_append(list, "Expect:");
		if (!nl)
			goto nomem;
		list = nl;
	}
	c = pool_get(h);
	if (!c)
		goto nomem;
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, loopback ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (!strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (strcmp(method, "POST"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, (flags & KW_HTTP_FRESH) ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	                 h->connect_timeout_ms < timeout_ms ? h->connect_timeout_ms : timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_S);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_bundle)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_bundle);
	if (loopback)
		curl_easy_setopt(c, CURLOPT_PROXY, ""); /* loopback is never proxied */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(c);
	if (sink.oom)
		goto nomem;
	if (sink.too_big) {
		kw_error_set(err, KW_ERR_AWS, url, "answer larger than %u bytes", KW_XML_MAX_SIZE);
		goto out;
	}
	if (cc != CURLE_OK) {
		resp->retryable = curl_retryable(cc);
		kw_error_set(err, KW_ERR_NETWORK, url, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (!resp->body) { /* an empty answer still gets a readable body */
		resp->body = calloc(1, 1);
		resp->cap = 1;
		if (!resp->body)
			goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	kw_error_set(err, KW_ERR_NOMEM, url, "out of memory");
out:
	if (c) {
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
		pool_put(h, c);
	}
	for (struct curl_slist *l = list; l; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data)); /* the session token header */
	curl_slist_free_all(list);
	return rc;
}
