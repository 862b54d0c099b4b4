/*
 * http.h - one HTTP POST attempt with libcurl, for the AWS client. Connections, DNS and TLS
 * sessions are shared between threads through a CURLSH; easy handles are pooled. TLS
 * verification is always on; plain http:// is refused unless the host is a loopback address.
 * Proxies come from the environment as libcurl reads them (https_proxy, HTTPS_PROXY,
 * no_proxy), except for loopback hosts, which are always reached directly.
 *
 * Invariants: the response body is held in a buffer wiped before it is freed or grown (it may
 * carry a SecretAccessKey or an MFA seed). Thread safe: any number of kw_http_post calls on
 * one struct kw_http at once. curl_global_init must have run (main does it).
 * Source: libcurl API (curl_share_setopt, CURLOPT_*), RFC 9110.
 */
#ifndef KW_AWS_HTTP_H
#define KW_AWS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct kw_error;
struct kw_http_header;
struct kw_http;

struct kw_http_options {
	long connect_timeout_ms; /* 0: 10000 */
	long timeout_ms;         /* 0: 60000, whole transfer */
	const char *ca_bundle;   /* CA file (AWS_CA_BUNDLE / ca_bundle), NULL for the system's */
	const char *user_agent;  /* NULL: "keywarden/VERSION" */
};

struct kw_http_response {
	long status; /* HTTP status, 0 when no answer */
	char *body;  /* NUL-terminated, wiped on release */
	size_t len;
	size_t cap;
	char request_id[80]; /* x-amzn-RequestId header, "" when absent */
	time_t date;         /* Date header (RFC 9110 IMF-fixdate, the server's clock), 0 when absent */
	bool retryable;      /* after a KW_ERR_NETWORK failure: worth another attempt (connection
	                      * refused/reset, DNS, timeout), false for TLS verification failures,
	                      * a missing CA bundle or a malformed URL */
};

/* kw_http_response_release - wipe and free the body, zero the response. */
void kw_http_response_release(struct kw_http_response *r);

/*
 * kw_http_new - transport with its connection share and handle pool.
 * Returns 0, or -1 with err set (KW_ERR_NOMEM, KW_ERR_INTERNAL when libcurl refuses).
 */
int kw_http_new(const struct kw_http_options *opt, struct kw_http **out, struct kw_error *err);

/* kw_http_free - close everything; NULL allowed. No call may be running. */
void kw_http_free(struct kw_http *h);

/* struct kw_url - the parts of a URL, as libcurl's URL API reads it (RFC 3986). */
struct kw_url {
	char *scheme, *host;
	char *port; /* NULL unless the URL writes one */
	char *path; /* "/" at least; NULL only when libcurl gives none */
};

/*
 * kw_url_parse - split url into out (strings of libcurl, released by kw_url_release).
 * Returns 0, or -1 with err set (KW_ERR_INVALID "not a valid endpoint URL" naming url,
 * KW_ERR_NOMEM; err may be NULL); out is released by the caller in every case.
 */
int kw_url_parse(const char *url, struct kw_url *out, struct kw_error *err);

/* kw_url_release - free u's parts and make it empty. */
void kw_url_release(struct kw_url *u);

/*
 * kw_http_url_check - whether url may be used: https://, or http:// to a loopback host
 * (localhost, 127.0.0.0/8, ::1). @is_loopback receives whether the host is loopback (may be
 * NULL). Returns 0, or -1 with err set (KW_ERR_INVALID).
 */
int kw_http_url_check(const char *url, bool *is_loopback, struct kw_error *err);

/*
 * kw_http_post - one POST attempt.
 * @url:     endpoint (checked with kw_http_url_check).
 * @headers: extra request headers (borrowed), e.g. Authorization, X-Amz-Date, Content-Type.
 * @body:    request body (borrowed), len bytes.
 * @resp:    filled with status, body and request id (release with kw_http_response_release,
 *           also on error).
 * Bounds: the attempt ends as a timeout after timeout_ms (kw_http_options), when it moves
 * less than 1 byte a second for 20 s (CURLOPT_LOW_SPEED_LIMIT/TIME: a silent peer), and never
 * later than the no-progress deadline (util/deadline.h) outside the key window.
 * Returns 0 when an HTTP answer arrived (any status), or -1 with err set: KW_ERR_NETWORK for
 * connection/DNS/TLS/timeout failures (retryable), KW_ERR_INVALID for a refused URL,
 * KW_ERR_AWS when the answer exceeds the size limit, KW_ERR_TIMEOUT when the no-progress
 * deadline has passed (not retryable), KW_ERR_NOMEM.
 */
int kw_http_post(struct kw_http *h, const char *url, const struct kw_http_header *headers, size_t nheaders,
                 const char *body, size_t len, struct kw_http_response *resp, struct kw_error *err);

/* kw_http_request flags. */
enum {
	/* also allow plain http:// to the link-local credential services: instance metadata
	 * (169.254.169.254, fd00:ec2::254) and container credentials (169.254.170.2,
	 * 169.254.170.23, fd00:ec2::23) */
	KW_HTTP_METADATA = 1 << 0,
	/* send on a new connection, never a reused one: libcurl re-sends a request whose reused
	 * connection died before the answer (the request may have been carried out), which a
	 * non-idempotent call (CreateAccessKey) must never be */
	KW_HTTP_FRESH = 1 << 1,
};

/*
 * kw_http_request - one attempt of any method ("GET", "PUT", "POST"); kw_http_post is
 * kw_http_request("POST", ..., 0). A GET sends no body. Errors and resp as kw_http_post.
 */
int kw_http_request(struct kw_http *h, const char *method, const char *url,
                    const struct kw_http_header *headers, size_t nheaders, const char *body, size_t len,
                    unsigned flags, struct kw_http_response *resp, struct kw_error *err);

#endif
