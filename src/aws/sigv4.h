/*
 * sigv4.h - AWS Signature Version 4 (header signing) with OpenSSL's SHA-256 and HMAC.
 *
 * The signer builds the canonical request (method, normalized and URI-encoded path, sorted
 * URI-encoded query, lowercase sorted headers with trimmed and space-collapsed values,
 * duplicate headers joined by ',', SHA-256 of the payload), the string to sign, the signing
 * key and the Authorization header value. Header values are canonicalized as botocore does
 * (' '.join(value.split())), so folded multi-line values become single-spaced.
 * Signing keys are derived once per (access key id, date, region, service) and kept in a
 * struct kw_sigv4_cache, in wiped secret buffers; the cache is thread safe.
 *
 * Source: AWS General Reference / IAM User Guide, "Create a signed AWS API request" (SigV4);
 * botocore auth.SigV4Auth.
 */
#ifndef KW_AWS_SIGV4_H
#define KW_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"

struct kw_error;
struct kw_secret;
struct kw_sigv4_cache;

/* A request header as sent (borrowed strings). */
struct kw_http_header {
	const char *name;
	const char *value;
};

/* What to sign. Every pointer is borrowed for the call. */
struct kw_sigv4_request {
	const char *method; /* "POST", "GET" */
	const char *path;   /* as sent, e.g. "/" (dot segments and repeated slashes are normalized) */
	const char *query;  /* as sent without '?', or NULL/"" */
	const struct kw_http_header *headers; /* must include Host; X-Amz-Date is added if missing */
	size_t nheaders;
	const void *body; /* payload, may be NULL when body_len == 0 */
	size_t body_len;
};

/* Who signs, where, when. */
struct kw_sigv4_signer {
	const char *access_key_id;
	const struct kw_secret *secret;        /* secret access key (borrowed) */
	const struct kw_secret *session_token; /* NULL for long-term keys */
	bool token_unsigned;                   /* add X-Amz-Security-Token after signing (rare) */
	const char *region;                    /* signing region, e.g. "us-east-1" */
	const char *service;                   /* signing name, e.g. "iam", "sts" */
	time_t now;                            /* signing time, seconds since the epoch, UTC */
	struct kw_sigv4_cache *cache;          /* signing-key cache, or NULL to derive every time */
};

/* The signature and the intermediate texts (the tests compare all three). */
struct kw_sigv4_result {
	struct kw_buf canonical_request;
	struct kw_buf string_to_sign;
	struct kw_buf authorization; /* value of the Authorization header */
	char amz_date[17];           /* "YYYYMMDDTHHMMSSZ" */
	bool add_date;               /* send "X-Amz-Date: amz_date" (the request had none) */
	bool add_token;              /* send "X-Amz-Security-Token: <session token>" */
};

/*
 * kw_sigv4_sign - sign req.
 * @req:    request (borrowed).
 * @signer: credentials and scope (borrowed; the secret is only read into wiped buffers).
 * @out:    filled; release with kw_sigv4_result_release (also on error).
 * Returns 0, or -1 with err set (KW_ERR_NOMEM, KW_ERR_INVALID for a request without Host
 * or a time that cannot be formatted, KW_ERR_INTERNAL when OpenSSL fails).
 * Source: AWS General Reference, "Create a signed AWS API request" (SigV4).
 */
int kw_sigv4_sign(const struct kw_sigv4_request *req, const struct kw_sigv4_signer *signer,
                  struct kw_sigv4_result *out, struct kw_error *err);

/* kw_sigv4_result_release - free the texts and zero the result. */
void kw_sigv4_result_release(struct kw_sigv4_result *r);

/* kw_sigv4_cache_new - empty signing-key cache. Returns NULL when out of memory. */
struct kw_sigv4_cache *kw_sigv4_cache_new(void);

/* kw_sigv4_cache_free - wipe every cached key and free; NULL allowed. */
void kw_sigv4_cache_free(struct kw_sigv4_cache *cache);

/* kw_sigv4_cache_size - number of keys currently cached (for tests). */
size_t kw_sigv4_cache_size(struct kw_sigv4_cache *cache);

/*
 * kw_aws_uri_encode - append s[0..len) to out URI-encoded as SigV4 and the Query protocol want:
 * unreserved A-Z a-z 0-9 - _ . ~ kept, every other byte as %XX (uppercase hex); '/' kept when
 * keep_slash. Returns 0, or -1 when out of memory.
 * Source: AWS General Reference, SigV4 "URI-encode each parameter name and value".
 */
int kw_aws_uri_encode(struct kw_buf *out, const char *s, size_t len, bool keep_slash);

/*
 * kw_aws_uri_decode - decode %XX escapes (and '+' as space when plus_space) of s[0..len) into
 * out. Malformed escapes are kept as they are. Returns 0, or -1 when out of memory.
 */
int kw_aws_uri_decode(struct kw_buf *out, const char *s, size_t len, bool plus_space);

#endif
