/*
 * sigv4.c - AWS Signature Version 4 (sigv4.h).
 */
#include "aws/sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/secret.h"

#define SHA256_LEN 32
#define CACHE_MAX  8

struct cache_entry {
	char *access_key_id;
	char date[9];
	char *region;
	char *service;
	struct kw_secret *key; /* 32 bytes */
	unsigned long used;    /* for eviction: least recently used goes first */
};

struct kw_sigv4_cache {
	pthread_mutex_t lock;
	struct cache_entry entries[CACHE_MAX];
	size_t n;
	unsigned long tick;
};

int kw_aws_uri_encode(struct kw_buf *out, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
			if (kw_buf_putc(out, (char)c))
				return -1;
		} else {
			char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
			if (kw_buf_append(out, esc, 3))
				return -1;
		}
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kw_aws_uri_decode(struct kw_buf *out, const char *s, size_t len, bool plus_space)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (kw_buf_putc(out, c))
			return -1;
	}
	return 0;
}

static void hex_encode(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int sha256_hex(const void *data, size_t len, char out[2 * SHA256_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data ? data : "", len, md, &mdlen, EVP_sha256(), NULL) || mdlen != SHA256_LEN)
		return -1;
	hex_encode(md, SHA256_LEN, out);
	return 0;
}

static int hmac(const void *key, size_t keylen, const void *data, size_t len, unsigned char out[SHA256_LEN])
{
	unsigned int outlen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen) || outlen != SHA256_LEN)
		return -1;
	return 0;
}

/* RFC 3986 §5.2.4 dot-segment removal, plus collapsing of empty segments (as botocore). */
static int normalize_path(const char *path, struct kw_buf *out)
{
	const char *p = path && *path ? path : "/";
	size_t len = strlen(p), nseg = 0;
	struct kw_span *segs = calloc(len + 1, sizeof(*segs));
	int rc = -1;

	if (!segs)
		return -1;
	for (size_t i = 0; i <= len;) {
		size_t j = i;
		while (j < len && p[j] != '/')
			j++;
		if (j > i && !(j - i == 1 && p[i] == '.')) {
			if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') {
				if (nseg)
					nseg--;
			} else {
				segs[nseg++] = (struct kw_span){p + i, j - i};
			}
		}
		i = j + 1;
	}
	if (p[0] == '/' && kw_buf_putc(out, '/'))
		goto out;
	for (size_t i = 0; i < nseg; i++) {
		if ((i && kw_buf_putc(out, '/')) || kw_buf_append(out, segs[i].ptr, segs[i].len))
			goto out;
	}
	if (p[len - 1] == '/' && nseg && kw_buf_putc(out, '/'))
		goto out;
	if (out->len == 0 && kw_buf_putc(out, '/'))
		goto out;
	rc = 0;
out:
	free(segs);
	return rc;
}

struct qparam {
	char *name;
	char *value;
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

/* Decode then re-encode each name and value, sort by name then value, join with '&'. */
static int canonical_query(const char *q, struct kw_buf *out)
{
	struct qparam *ps = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	for (const char *p = q; p && *p;) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p), *eq;
		struct kw_buf raw = KW_BUF_INIT, enc = KW_BUF_INIT;

		if (end == p) {
			p = amp ? amp + 1 : end;
			continue;
		}
		if (n == cap) {
			struct qparam *np = realloc(ps, (cap = cap ? cap * 2 : 8) * sizeof(*np));
			if (!np)
				goto out;
			ps = np;
		}
		eq = memchr(p, '=', (size_t)(end - p));
		if (kw_aws_uri_decode(&raw, p, (size_t)((eq ? eq : end) - p), false) ||
		    kw_aws_uri_encode(&enc, raw.data ? raw.data : "", raw.len, false) ||
		    !(ps[n].name = kw_buf_detach(&enc))) {
			kw_buf_release(&raw);
			kw_buf_release(&enc);
			goto out;
		}
		kw_buf_reset(&raw);
		if ((eq && kw_aws_uri_decode(&raw, eq + 1, (size_t)(end - eq - 1), false)) ||
		    kw_aws_uri_encode(&enc, raw.data ? raw.data : "", raw.len, false) ||
		    !(ps[n].value = kw_buf_detach(&enc))) {
			free(ps[n].name);
			kw_buf_release(&raw);
			kw_buf_release(&enc);
			goto out;
		}
		kw_buf_release(&raw);
		n++;
		p = amp ? amp + 1 : end;
	}
	if (n)
		qsort(ps, n, sizeof(*ps), qparam_cmp);
	for (size_t i = 0; i < n; i++)
		if (kw_buf_appendf(out, "%s%s=%s", i ? "&" : "", ps[i].name, ps[i].value))
			goto out;
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		free(ps[i].name);
		free(ps[i].value);
	}
	free(ps);
	return rc;
}

struct cheader {
	char *name;          /* lowercase */
	struct kw_buf value; /* canonical, duplicates joined by ',' */
};

static int cheader_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cheader *)a)->name, ((const struct cheader *)b)->name);
}

/* botocore: ' '.join(value.split()) */
static int append_trimmed(struct kw_buf *b, const char *v, size_t len)
{
	bool first = true;

	for (size_t i = 0; i < len;) {
		size_t j;
		while (i < len && isspace((unsigned char)v[i]))
			i++;
		if (i == len)
			break;
		j = i;
		while (j < len && !isspace((unsigned char)v[j]))
			j++;
		if ((!first && kw_buf_putc(b, ' ')) || kw_buf_append(b, v + i, j - i))
			return -1;
		first = false;
		i = j;
	}
	if (!b->data) /* an empty value is still a value */
		return kw_buf_puts(b, "");
	return 0;
}

static int add_cheader(struct cheader *hs, size_t *n, const char *name, const char *value, size_t vlen)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcasecmp(hs[i].name, name))
			break;
	if (i == *n) {
		size_t l = strlen(name);
		hs[i].name = malloc(l + 1);
		if (!hs[i].name)
			return -1;
		for (size_t k = 0; k <= l; k++)
			hs[i].name[k] = (char)tolower((unsigned char)name[k]);
		kw_buf_init(&hs[i].value);
		(*n)++;
	} else if (kw_buf_putc(&hs[i].value, ',')) {
		return -1;
	}
	return append_trimmed(&hs[i].value, value, vlen);
}

static struct cache_entry *cache_find(struct kw_sigv4_cache *c, const char *akid, const char *date,
                                      const char *region, const char *service)
{
	for (size_t i = 0; i < c->n; i++) {
		struct cache_entry *e = &c->entries[i];
		if (!strcmp(e->date, date) && !strcmp(e->access_key_id, akid) && !strcmp(e->region, region) &&
		    !strcmp(e->service, service))
			return e;
	}
	return NULL;
}

static void cache_entry_clear(struct cache_entry *e)
{
	free(e->access_key_id);
	free(e->region);
	free(e->service);
	kw_secret_free(e->key);
	memset(e, 0, sizeof(*e));
}

/* Derive kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
static int derive_key(const struct kw_secret *secret, const char *date, const char *region,
                      const char *service, struct kw_secret *key)
{
	struct kw_secret *k0 = kw_secret_new(secret->len + 4);
	unsigned char a[SHA256_LEN], b[SHA256_LEN];
	int rc = -1;

	if (!k0)
		return -1;
	if (kw_secret_set(k0, "AWS4", 4) || kw_secret_append(k0, secret->data, secret->len))
		goto out;
	if (hmac(k0->data, k0->len, date, strlen(date), a) ||
	    hmac(a, SHA256_LEN, region, strlen(region), b) ||
	    hmac(b, SHA256_LEN, service, strlen(service), a) || hmac(a, SHA256_LEN, "aws4_request", 12, b))
		goto out;
	if (kw_secret_set(key, b, SHA256_LEN))
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	kw_secret_free(k0);
	return rc;
}

/* HMAC of sts with the signing key (from the cache when there is one), as hex. */
static int signature(const struct kw_sigv4_signer *s, const char *date, const struct kw_buf *sts,
                     char *hexsig)
{
	unsigned char sig[SHA256_LEN];
	struct kw_sigv4_cache *c = s->cache;
	struct kw_secret *key = NULL;
	int rc = -1;

	if (!c) {
		if (!(key = kw_secret_new(SHA256_LEN)) ||
		    derive_key(s->secret, date, s->region, s->service, key) ||
		    hmac(key->data, key->len, sts->data, sts->len, sig))
			goto out;
	} else {
		struct cache_entry *e;

		pthread_mutex_lock(&c->lock);
		e = cache_find(c, s->access_key_id, date, s->region, s->service);
		if (!e) {
			size_t victim = c->n;
			if (c->n == CACHE_MAX) {
				victim = 0;
				for (size_t i = 1; i < c->n; i++)
					if (c->entries[i].used < c->entries[victim].used)
						victim = i;
				cache_entry_clear(&c->entries[victim]);
			} else {
				c->n++;
			}
			e = &c->entries[victim];
			memcpy(e->date, date, 9);
			e->access_key_id = strdup(s->access_key_id);
			e->region = strdup(s->region);
			e->service = strdup(s->service);
			e->key = kw_secret_new(SHA256_LEN);
			if (!e->access_key_id || !e->region || !e->service || !e->key ||
			    derive_key(s->secret, date, s->region, s->service, e->key)) {
				cache_entry_clear(e);
				*e = c->entries[--c->n]; /* keep the array dense */
				memset(&c->entries[c->n], 0, sizeof(c->entries[c->n]));
				pthread_mutex_unlock(&c->lock);
				goto out;
			}
		}
		e->used = ++c->tick;
		rc = hmac(e->key->data, e->key->len, sts->data, sts->len, sig);
		pthread_mutex_unlock(&c->lock);
		if (rc)
			goto out;
		rc = -1;
	}
	hex_encode(sig, SHA256_LEN, hexsig);
	rc = 0;
out:
	OPENSSL_cleanse(sig, sizeof(sig));
	kw_secret_free(key);
	return rc;
}

int kw_sigv4_sign(const struct kw_sigv4_request *req, const struct kw_sigv4_signer *signer,
                  struct kw_sigv4_result *out, struct kw_error *err)
{
	struct cheader *hs = NULL;
	size_t nh = 0;
	struct kw_buf path = KW_BUF_INIT, signed_names = KW_BUF_INIT;
	char payload_hash[2 * SHA256_LEN + 1], creq_hash[2 * SHA256_LEN + 1], sig[2 * SHA256_LEN + 1];
	char date[9];
	struct tm tm;
	bool has_host = false, has_date = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!gmtime_r(&signer->now, &tm) ||
	    !strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm))
		return kw_error_set(err, KW_ERR_INVALID, "sigv4", "signing time out of range");
	memcpy(date, out->amz_date, 8);
	date[8] = '\0';
	hs = calloc(req->nheaders + 2, sizeof(*hs));
	if (!hs)
		goto nomem;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct kw_http_header *h = &req->headers[i];

		if (!strcasecmp(h->name, "host"))
			has_host = true;
		if (!strcasecmp(h->name, "x-amz-date"))
			has_date = true;
		if (add_cheader(hs, &nh, h->name, h->value, strlen(h->value)))
			goto nomem;
	}
	if (!has_host) {
		kw_error_set(err, KW_ERR_INVALID, "sigv4", "request without a Host header");
		goto out;
	}
	if (!has_date) {
		out->add_date = true;
		if (add_cheader(hs, &nh, "x-amz-date", out->amz_date, strlen(out->amz_date)))
			goto nomem;
	}
	if (signer->session_token) {
		out->add_token = true;
		if (!signer->token_unsigned &&
		    add_cheader(hs, &nh, "x-amz-security-token", kw_secret_str(signer->session_token),
		                signer->session_token->len))
			goto nomem;
	}
	qsort(hs, nh, sizeof(*hs), cheader_cmp);
	/* canonical request */
	if (normalize_path(req->path, &path) ||
	    kw_buf_appendf(&out->canonical_request, "%s\n", req->method) ||
	    kw_aws_uri_encode(&out->canonical_request, path.data, path.len, true) ||
	    kw_buf_putc(&out->canonical_request, '\n') ||
	    canonical_query(req->query, &out->canonical_request) ||
	    kw_buf_putc(&out->canonical_request, '\n'))
		goto nomem;
	for (size_t i = 0; i < nh; i++) {
		if (kw_buf_appendf(&out->canonical_request, "%s:%s\n", hs[i].name,
		                   hs[i].value.data ? hs[i].value.data : "") ||
		    kw_buf_appendf(&signed_names, "%s%s", i ? ";" : "", hs[i].name))
			goto nomem;
	}
	if (sha256_hex(req->body, req->body_len, payload_hash))
		goto crypto;
	if (kw_buf_appendf(&out->canonical_request, "\n%s\n%s", signed_names.data, payload_hash))
		goto nomem;
	/* string to sign */
	if (sha256_hex(out->canonical_request.data, out->canonical_request.len, creq_hash))
		goto crypto;
	if (kw_buf_appendf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
	                   out->amz_date, date, signer->region, signer->service, creq_hash))
		goto nomem;
	if (signature(signer, date, &out->string_to_sign, sig))
		goto crypto;
	if (kw_buf_appendf(
	            &out->authorization,
	            "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
	            signer->access_key_id, date, signer->region, signer->service, signed_names.data, sig))
		goto nomem;
	rc = 0;
	goto out;
crypto:
	kw_error_set(err, KW_ERR_INTERNAL, "sigv4", "OpenSSL SHA-256/HMAC failed");
	goto out;
nomem:
	kw_error_set(err, KW_ERR_NOMEM, "sigv4", "out of memory");
out:
	for (size_t i = 0; hs && i < nh; i++) {
		free(hs[i].name);
		/* values may include the session token: wipe before freeing */
		if (hs[i].value.data)
			OPENSSL_cleanse(hs[i].value.data, hs[i].value.len);
		kw_buf_release(&hs[i].value);
	}
	free(hs);
	kw_buf_release(&path);
	kw_buf_release(&signed_names);
	OPENSSL_cleanse(sig, sizeof(sig));
	if (rc)
		kw_sigv4_result_release(out);
	return rc;
}

void kw_sigv4_result_release(struct kw_sigv4_result *r)
{
	if (!r)
		return;
	/* the canonical request may hold the session token */
	if (r->canonical_request.data)
		OPENSSL_cleanse(r->canonical_request.data, r->canonical_request.len);
	kw_buf_release(&r->canonical_request);
	kw_buf_release(&r->string_to_sign);
	kw_buf_release(&r->authorization);
	memset(r, 0, sizeof(*r));
}

struct kw_sigv4_cache *kw_sigv4_cache_new(void)
{
	struct kw_sigv4_cache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->lock, NULL)) {
		free(c);
		return NULL;
	}
	return c;
}

void kw_sigv4_cache_free(struct kw_sigv4_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		cache_entry_clear(&c->entries[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

size_t kw_sigv4_cache_size(struct kw_sigv4_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->n;
	pthread_mutex_unlock(&c->lock);
	return n;
}
