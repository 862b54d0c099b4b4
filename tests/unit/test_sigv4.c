/*
 * Unit tests for src/aws/sigv4: every case of AWS's SigV4 test suite (botocore's copy) read at
 * run time from tests/data/sigv4, one cmocka test per case, comparing the
 * canonical request, string to sign and Authorization byte for byte; plus URI encoding and the
 * signing-key cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aws/sigv4.h"
#include "util/atomic.h"
#include "util/error.h"
#include "util/secret.h"

/* The suite's signing parameters (tests/data/sigv4/README.md). */
#define SUITE_KEY_ID  "AKIDEXAMPLE"
#define SUITE_SECRET  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_REGION  "us-east-1"
#define SUITE_SERVICE "service"
#define SUITE_TIME    1440938160 /* 2015-08-30T12:36:00Z */

struct sigv4_case {
	char *dir;  /* folder of the case */
	char *name; /* case name (folder's last component) */
};

static char *read_case_file(const struct sigv4_case *c, const char *ext)
{
	char path[4096];
	char *data = NULL;
	struct kw_error err;

	snprintf(path, sizeof(path), "%s/%s.%s", c->dir, c->name, ext);
	if (kw_read_file(path, 1 << 20, &data, NULL, &err))
		fail_msg("%s: %s", path, err.msg);
	return data;
}

struct parsed_req {
	char *method, *path, *query, *body;
	struct kw_http_header headers[32];
	char *names[32], *values[32];
	size_t nheaders;
};

/* Parse NAME.req: request line, headers (indented lines fold into the previous value), body. */
static void parse_req(char *text, struct parsed_req *r)
{
	char *line_end = strchr(text, '\n'), *p, *sp, *http;

	memset(r, 0, sizeof(*r));
	assert_non_null(line_end);
	*line_end = '\0';
	sp = strchr(text, ' ');
	http = strstr(text, " HTTP/");
	assert_non_null(sp);
	assert_non_null(http);
	r->method = strndup(text, (size_t)(sp - text));
	r->path = strndup(sp + 1, (size_t)(http - sp - 1));
	if ((p = strchr(r->path, '?'))) {
		*p = '\0';
		r->query = strdup(p + 1);
	}
	p = line_end + 1;
	while (*p && *p != '\n') {
		char *e = strchr(p, '\n'), *colon;
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if ((*p == ' ' || *p == '\t') && r->nheaders) {
			/* folded line: keep the line break, the signer collapses whitespace */
			char *v = r->values[r->nheaders - 1];
			size_t vl = strlen(v);
			v = realloc(v, vl + n + 2);
			v[vl] = '\n';
			memcpy(v + vl + 1, p, n);
			v[vl + n + 1] = '\0';
			r->values[r->nheaders - 1] = v;
		} else {
			colon = memchr(p, ':', n);
			assert_non_null(colon);
			assert_true(r->nheaders < 32);
			r->names[r->nheaders] = strndup(p, (size_t)(colon - p));
			r->values[r->nheaders] = strndup(colon + 1, n - (size_t)(colon - p) - 1);
			r->nheaders++;
		}
		p = e ? e + 1 : p + n;
	}
	r->body = strdup(*p == '\n' ? p + 1 : "");
	for (size_t i = 0; i < r->nheaders; i++)
		r->headers[i] = (struct kw_http_header){r->names[i], r->values[i]};
}

static void free_req(struct parsed_req *r)
{
	free(r->method);
	free(r->path);
	free(r->query);
	free(r->body);
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
}

static void run_case(void **state)
{
	const struct sigv4_case *c = *state;
	char *req_text = read_case_file(c, "req"), *creq = read_case_file(c, "creq");
	char *sts = read_case_file(c, "sts"), *authz = read_case_file(c, "authz");
	struct kw_secret *secret = kw_secret_from(SUITE_SECRET, strlen(SUITE_SECRET)), *token = NULL;
	struct parsed_req r;
	struct kw_sigv4_result res;
	struct kw_error err;
	const char *tok;
	bool has_token_header = false;

	parse_req(req_text, &r);
	for (size_t i = 0; i < r.nheaders; i++)
		if (!strcasecmp(r.names[i], "x-amz-security-token"))
			has_token_header = true;
	/* a token signed as a credential (not a header of the request): take it from the .creq */
	if (!has_token_header && (tok = strstr(creq, "\nx-amz-security-token:"))) {
		tok += strlen("\nx-amz-security-token:");
		token = kw_secret_from(tok, strcspn(tok, "\n"));
	}
	{
		struct kw_sigv4_request req = {r.method,   r.path, r.query,       r.headers,
		                               r.nheaders, r.body, strlen(r.body)};
		struct kw_sigv4_signer signer = {SUITE_KEY_ID, secret,        token,      false,
		                                 SUITE_REGION, SUITE_SERVICE, SUITE_TIME, NULL};
		if (kw_sigv4_sign(&req, &signer, &res, &err))
			fail_msg("sign: %s", err.msg);
	}
	assert_string_equal(res.canonical_request.data, creq);
	assert_string_equal(res.string_to_sign.data, sts);
	assert_string_equal(res.authorization.data, authz);
	assert_false(res.add_date); /* every .req carries X-Amz-Date */
	assert_int_equal(res.add_token, token != NULL);
	kw_sigv4_result_release(&res);
	free_req(&r);
	kw_secret_free(secret);
	kw_secret_free(token);
	free(req_text);
	free(creq);
	free(sts);
	free(authz);
}

static void sigv4_uri_encoding(void **state)
{
	struct kw_buf b = KW_BUF_INIT;

	assert_int_equal(kw_aws_uri_encode(&b, "a b/c~d-_.+*=&\xe1\x88\xb4", 17, false), 0);
	assert_string_equal(b.data, "a%20b%2Fc~d-_.%2B%2A%3D%26%E1%88%B4");
	kw_buf_reset(&b);
	assert_int_equal(kw_aws_uri_encode(&b, "/x y/", 5, true), 0);
	assert_string_equal(b.data, "/x%20y/");
	kw_buf_reset(&b);
	assert_int_equal(kw_aws_uri_decode(&b, "a%20b+c%2f%zz%4", 15, true), 0);
	assert_string_equal(b.data, "a b c/%zz%4");
	kw_buf_release(&b);
}

static void sigv4_adds_date_and_caches_signing_keys(void **state)
{
	struct kw_secret *secret = kw_secret_from(SUITE_SECRET, strlen(SUITE_SECRET));
	struct kw_secret *token = kw_secret_from("session-token-value", 19);
	struct kw_sigv4_cache *cache = kw_sigv4_cache_new();
	const struct kw_http_header hs[] = {
	        {"Host", "iam.amazonaws.com"},
	        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
	struct kw_sigv4_request req = {"POST", "/", NULL, hs, 2, "Action=GetUser&Version=2010-05-08", 33};
	struct kw_sigv4_signer s = {"AKIDEXAMPLE", secret, token,      false,
	                            "us-east-1",   "iam",  SUITE_TIME, cache};
	struct kw_sigv4_result a, b;
	struct kw_error err;

	assert_int_equal(kw_sigv4_sign(&req, &s, &a, &err), 0);
	assert_true(a.add_date);
	assert_true(a.add_token);
	assert_string_equal(a.amz_date, "20150830T123600Z");
	assert_non_null(strstr(a.canonical_request.data, "x-amz-date:20150830T123600Z\n"));
	assert_non_null(strstr(a.authorization.data,
	                       "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"));
	assert_int_equal(kw_sigv4_cache_size(cache), 1);
	/* the cached key gives the same signature as a fresh derivation */
	s.cache = NULL;
	assert_int_equal(kw_sigv4_sign(&req, &s, &b, &err), 0);
	assert_string_equal(a.authorization.data, b.authorization.data);
	kw_sigv4_result_release(&b);
	s.cache = cache;
	s.now += 86400; /* another day: another key */
	assert_int_equal(kw_sigv4_sign(&req, &s, &b, &err), 0);
	assert_int_equal(kw_sigv4_cache_size(cache), 2);
	assert_string_not_equal(a.authorization.data, b.authorization.data);
	kw_sigv4_result_release(&b);
	s.service = "sts";
	assert_int_equal(kw_sigv4_sign(&req, &s, &b, &err), 0);
	assert_int_equal(kw_sigv4_cache_size(cache), 3);
	kw_sigv4_result_release(&b);
	/* unsigned token: still to be sent, not in the signed headers */
	s.token_unsigned = true;
	assert_int_equal(kw_sigv4_sign(&req, &s, &b, &err), 0);
	assert_true(b.add_token);
	assert_null(strstr(b.canonical_request.data, "session-token-value"));
	kw_sigv4_result_release(&b);
	/* no Host: refused */
	req.nheaders = 0;
	assert_int_equal(kw_sigv4_sign(&req, &s, &b, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	kw_sigv4_result_release(&a);
	kw_sigv4_cache_free(cache);
	kw_secret_free(secret);
	kw_secret_free(token);
}

static struct sigv4_case cases[64];
static size_t ncases;

/* Find every folder holding NAME/NAME.req under dir. */
static void collect(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char sub[4096], req[4200];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (stat(sub, &st) || !S_ISDIR(st.st_mode))
			continue;
		snprintf(req, sizeof(req), "%s/%s.req", sub, e->d_name);
		if (!stat(req, &st) && ncases < 64) {
			cases[ncases].dir = strdup(sub);
			cases[ncases].name = strdup(e->d_name);
			ncases++;
		}
		collect(sub);
	}
	closedir(d);
}

static int case_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sigv4_case *)a)->name, ((const struct sigv4_case *)b)->name);
}

int main(void)
{
	char dir[4096];
	struct CMUnitTest tests[66];
	size_t n = 0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/sigv4", KW_TEST_DATA_DIR);
	collect(dir);
	if (ncases < 30) {
		fprintf(stderr, "expected the SigV4 suite's cases under %s, found %zu\n", dir, ncases);
		return 1;
	}
	qsort(cases, ncases, sizeof(cases[0]), case_cmp);
	for (size_t i = 0; i < ncases; i++)
		tests[n++] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, &cases[i]};
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(sigv4_uri_encoding);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(sigv4_adds_date_and_caches_signing_keys);
	rc = _cmocka_run_group_tests("sigv4", tests, n, NULL, NULL);
	for (size_t i = 0; i < ncases; i++) {
		free(cases[i].dir);
		free(cases[i].name);
	}
	return rc;
}
