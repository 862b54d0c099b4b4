/*
 * client.c - the AWS client (client.h) and the signed call with retries in both protocols:
 * Query (call.h) and JSON 1.1 (json.h). What differs per service is in services.c.
 */
#include "aws/client.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/adaptive.h"
#include "aws/call.h"
#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/json.h"
#include "aws/profile.h"
#include "aws/retry.h"
#include "aws/services.h"
#include "aws/sigv4.h"
#include "aws/wipe.h"
#include "aws/xml.h"
#include "util/deadline.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/wait.h"

/* Credentials are swapped when temporary ones near their expiry; calls hold a reference. */
struct cred_ref {
	int refs;
	struct kw_aws_credentials creds;
};

struct action_stat {
	char *action;
	unsigned long calls, retries, failures, attempts, throttles;
	double seconds, bucket_wait;
};

struct kw_aws_client {
	char *region;
	struct kw_aws_endpoint ep[KW_AWS_NSERVICES]; /* indexed by enum kw_aws_service */
	struct kw_http *http;
	struct kw_sigv4_cache *keys;
	struct kw_retry_quota quota;
	bool quota_ready, lock_ready;
	int max_attempts;
	const char *retry_mode;                        /* "standard" or "adaptive" (static) */
	struct kw_adaptive *limiter[KW_AWS_NSERVICES]; /* adaptive mode: shared bucket per service, or NULL */
	const struct kw_retry_env *env;
	pthread_mutex_t lock; /* cred, stats */
	struct cred_ref *cred;
	struct action_stat *stats;
	size_t nstats;
	struct timespec start;
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void cred_put(struct kw_aws_client *c, struct cred_ref *r)
{
	bool last;

	if (!r)
		return;
	pthread_mutex_lock(&c->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (last) {
		kw_aws_credentials_release(&r->creds);
		free(r);
	}
}

/* Take a reference to the current credentials, refreshing temporary ones before they expire. */
static struct cred_ref *cred_get(struct kw_aws_client *c, struct kw_error *err)
{
	struct cred_ref *r, *old = NULL;
	time_t now = time(NULL);

	pthread_mutex_lock(&c->lock);
	r = c->cred;
	if (kw_aws_credentials_expiring(&r->creds, now)) {
		struct cred_ref *nr = calloc(1, sizeof(*nr));

		if (!nr) {
			pthread_mutex_unlock(&c->lock);
			kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			return NULL;
		}
		kw_log(KW_LOG_INFO, "credentials from %s expire: refreshing them", r->creds.source);
		if (kw_aws_credentials_refresh(&r->creds, now, &nr->creds, err)) {
			free(nr);
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		nr->refs = 1;
		c->cred = nr;
		old = r;
		r = nr;
	}
	r->refs++;
	pthread_mutex_unlock(&c->lock);
	if (old)
		cred_put(c, old); /* drops the client's own reference */
	return r;
}

/* What one call did, for --stats. */
struct call_stat {
	int attempts, retries, throttles;
	bool failed;
	double seconds, bucket_wait;
};

static void record(struct kw_aws_client *c, const char *label, const struct call_stat *cs)
{
	struct action_stat *s = NULL;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nstats; i++)
		if (!strcmp(c->stats[i].action, label))
			s = &c->stats[i];
	if (!s) {
		struct action_stat *ns = realloc(c->stats, (c->nstats + 1) * sizeof(*ns));
		char *name = strdup(label);
		if (ns)
			c->stats = ns;
		if (!ns || !name) {
			free(name);
			pthread_mutex_unlock(&c->lock);
			return; /* statistics are best effort */
		}
		s = &c->stats[c->nstats++];
		memset(s, 0, sizeof(*s));
		s->action = name;
	}
	s->calls++;
	s->retries += (unsigned long)cs->retries;
	s->failures += cs->failed;
	s->seconds += cs->seconds;
	s->attempts += (unsigned long)cs->attempts;
	s->throttles += (unsigned long)cs->throttles;
	s->bucket_wait += cs->bucket_wait;
	pthread_mutex_unlock(&c->lock);
}

/* One call: the body and headers of its protocol, and the answer of the last attempt. */
struct attempt {
	struct kw_aws_client *c;
	enum kw_aws_service svc;
	const char *body;
	size_t len;
	const char *ctype;  /* Content-Type */
	const char *target; /* JSON: X-Amz-Target, NULL for Query */
	const char *label;
	xmlDoc *doc;        /* Query answer */
	json_t *json;       /* JSON answer */
	int throttles;      /* attempts answered with a throttling code */
	double bucket_wait; /* seconds waited on the adaptive mode's bucket */
	bool idempotent;    /* false: one attempt, on a fresh connection (see idempotent()) */
	bool want_result;   /* the caller reads <ActionResult>: an answer without it is an error */
	const char *action; /* Query: the action, whose <ActionResponse> the answer must be */
};

/*
 * A 2xx answer must be the action's own: <ActionResponse>, with <ActionResult> when the caller
 * needs one. Anything else (an ErrorResponse body with 200, another action's answer, a proxy's
 * page) is an error, never read as an empty result. Returns 0, or -1 with err set (kind
 * KW_ERR_NETWORK: transient, as a garbled transfer).
 */
static int answer_check(struct attempt *a, struct kw_error *err)
{
	xmlNode *root = xmlDocGetRootElement(a->doc);
	char want[96];

	snprintf(want, sizeof(want), "%sResponse", a->action);
	if (!root || strcmp((const char *)root->name, want))
		return kw_error_set(err, KW_ERR_NETWORK, a->label, "the answer (HTTP 2xx) is <%s>, not <%s>",
		                    root ? (const char *)root->name : "nothing", want);
	snprintf(want, sizeof(want), "%sResult", a->action);
	if (a->want_result && !kw_xml_child(root, want))
		return kw_error_set(err, KW_ERR_NETWORK, a->label, "the answer (HTTP 2xx) has no <%s>", want);
	return 0;
}

/* Parse a 2xx answer in the call's protocol: 0, 1 for a garbled answer (worth another attempt),
 * or -1, with err set. */
static int parse_answer(struct attempt *a, const struct kw_http_response *resp, struct kw_error *err)
{
	json_error_t jerr;

	if (!a->target) {
		xmlFreeDoc(a->doc);
		a->doc = NULL;
		if (kw_xml_parse(resp->body, resp->len, a->label, &a->doc, err))
			return -1;
		return answer_check(a, err) ? 1 : 0;
	}
	json_decref(a->json);
	a->json = json_loadb(resp->body ? resp->body : "{}", resp->len ? resp->len : 2, 0, &jerr);
	if (!a->json || !json_is_object(a->json))
		return kw_error_set(err, KW_ERR_AWS, a->label, "the answer is not a JSON object");
	return 0;
}

/* The Date of the last answer this thread received (kw_aws_answer_date). */
static _Thread_local time_t answer_date;

time_t kw_aws_answer_date(void)
{
	return answer_date;
}

static enum kw_retry_class one_attempt(void *vctx, int n, struct kw_error *err)
{
	struct attempt *a = vctx;
	struct kw_aws_client *c = a->c;
	const struct kw_aws_endpoint *ep = &c->ep[a->svc];
	struct kw_http_header sign_headers[3] = {
	        {"Host", ep->host}, {"Content-Type", a->ctype}, {"X-Amz-Target", a->target}};
	struct kw_http_header send[6];
	struct kw_sigv4_result sig = {0};
	struct kw_http_response resp = {0};
	struct kw_aws_error aerr;
	struct cred_ref *cr;
	struct timespec t0;
	enum kw_retry_class cls = KW_RETRY_NEVER;
	bool aws_answer = false; /* an error answer of AWS's own */
	size_t ns = 0;

	/* past the no-progress deadline (outside the key window): no new attempt */
	if (kw_deadline_check(a->label, err))
		return KW_RETRY_NEVER;
	/* adaptive retry mode: a token from the bucket before, its rate adjusted after */
	if (c->limiter[a->svc]) {
		double held = kw_adaptive_before_send(c->limiter[a->svc]);

		a->bucket_wait += held;
		kw_wait_paced(held); /* keywarden's own pacing: not counted against deadlines */
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr = cred_get(c, err);
	if (!cr)
		return KW_RETRY_NEVER;
	if (!cr->creds.access_key_id) { /* anonymous (kw_aws_client_new_anonymous): not signed */
		send[ns++] = (struct kw_http_header){"Content-Type", a->ctype};
		if (a->target)
			send[ns++] = (struct kw_http_header){"X-Amz-Target", a->target};
		goto post;
	}
	{
		struct kw_sigv4_request req = {"POST",  ep->path, NULL, sign_headers, a->target ? 3 : 2,
		                               a->body, a->len};
		struct kw_sigv4_signer s = {cr->creds.access_key_id,
		                            cr->creds.secret,
		                            cr->creds.session_token,
		                            false,
		                            ep->signing_region,
		                            ep->signing_name,
		                            time(NULL),
		                            c->keys};
		if (kw_sigv4_sign(&req, &s, &sig, err))
			goto out;
	}
	send[ns++] = (struct kw_http_header){"Content-Type", a->ctype};
	if (a->target)
		send[ns++] = (struct kw_http_header){"X-Amz-Target", a->target};
	if (sig.add_date)
		send[ns++] = (struct kw_http_header){"X-Amz-Date", sig.amz_date};
	if (sig.add_token)
		send[ns++] = (struct kw_http_header){"X-Amz-Security-Token",
		                                     kw_secret_str(cr->creds.session_token)};
	send[ns++] = (struct kw_http_header){"Authorization", sig.authorization.data};
post:
	if (kw_http_request(c->http, "POST", ep->url, send, ns, a->body, a->len,
	                    a->idempotent ? 0 : KW_HTTP_FRESH, &resp, err)) {
		cls = resp.retryable ? KW_RETRY_CONNECTION : KW_RETRY_NEVER;
		if (err && err->kind == KW_ERR_NETWORK)
			kw_error_prefix(err, "%s", a->label);
		kw_log(KW_LOG_DEBUG, "%s: attempt %d: %s (%.0f ms)", a->label, n, err ? err->msg : "failed",
		       seconds_since(&t0) * 1000);
		goto out;
	}
	kw_log(KW_LOG_DEBUG, "%s: attempt %d: HTTP %ld, %zu bytes (%.0f ms)", a->label, n, resp.status,
	       resp.len, seconds_since(&t0) * 1000);
	if (resp.date)
		answer_date = resp.date;
	if (resp.status >= 200 && resp.status < 300) {
		{
			int pr = parse_answer(a, &resp, err);

			cls = pr == 0 ? KW_RETRY_SUCCESS : pr > 0 ? KW_RETRY_TRANSIENT : KW_RETRY_NEVER;
		}
		goto out;
	}
	if (a->target)
		kw_aws_json_error_parse((int)resp.status, resp.body, resp.len, NULL, &aerr);
	else
		kw_aws_error_parse((int)resp.status, resp.body, resp.len, &aerr);
	if (!aerr.request_id[0])
		snprintf(aerr.request_id, sizeof(aerr.request_id), "%s", resp.request_id);
	kw_aws_error_set(err, &aerr, a->label);
	cls = kw_retry_classify((int)resp.status, aerr.code, false);
	aws_answer = aerr.code[0] != '\0';
out:
	/* an answer accepted, or a final AWS error (NoSuchEntity, AccessDenied): progress */
	if (cls == KW_RETRY_SUCCESS || (aws_answer && cls == KW_RETRY_NEVER))
		kw_deadline_note();
	if (c->limiter[a->svc])
		kw_adaptive_after_response(c->limiter[a->svc], cls == KW_RETRY_THROTTLE);
	a->throttles += cls == KW_RETRY_THROTTLE;
	kw_http_response_release(&resp);
	kw_sigv4_result_release(&sig);
	cred_put(c, cr);
	return cls;
}

/*
 * Whether a failed attempt of action may be sent again by the client. Creates that are not
 * idempotent (a lost answer may hide an entity IAM made) are sent once: the caller, which can
 * list and reconcile, decides (keys/issue.h; engine MFA enrollment).
 */
static bool idempotent(const char *action)
{
	return strcmp(action, "CreateAccessKey") && strcmp(action, "CreateVirtualMFADevice");
}

/* Run a prepared attempt with retries and statistics (one attempt when not idempotent). */
static int run_call(struct attempt *a, struct kw_error *err)
{
	struct kw_retry_report rep = {0};
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = kw_retry_run(a->label, a->idempotent ? a->c->max_attempts : 1, &a->c->quota, a->c->env,
	                  one_attempt, a, &rep, err);
	record(a->c, a->label,
	       &(struct call_stat){rep.attempts, rep.retries, a->throttles, rc != 0, seconds_since(&t0),
	                           a->bucket_wait});
	return rc;
}

int kw_aws_call(struct kw_aws_client *c, enum kw_aws_service svc, const struct kw_query *q, xmlDoc **doc,
                xmlNode **result, struct kw_error *err)
{
	char label[96], rname[80];
	struct attempt a = {c,
	                    svc,
	                    q->body.data,
	                    q->body.len,
	                    "application/x-www-form-urlencoded; charset=utf-8",
	                    NULL,
	                    label,
	                    NULL,
	                    NULL,
	                    0,
	                    0,
	                    idempotent(q->action),
	                    result != NULL,
	                    q->action};

	if (doc)
		*doc = NULL;
	if (result)
		*result = NULL;
	snprintf(label, sizeof(label), "%s:%s", kw_aws_service_info(svc)->name, q->action);
	if (kw_query_finish(q, err))
		return -1;
	if (run_call(&a, err)) {
		xmlFreeDoc(a.doc);
		return -1;
	}
	snprintf(rname, sizeof(rname), "%sResult", q->action);
	if (result)
		*result = kw_xml_child(xmlDocGetRootElement(a.doc), rname);
	if (doc)
		*doc = a.doc;
	else
		xmlFreeDoc(a.doc);
	return 0;
}

int kw_aws_json_call(struct kw_aws_client *c, enum kw_aws_service svc, const char *operation,
                     const json_t *input, json_t **output, struct kw_error *err)
{
	const struct kw_aws_service_info *si = kw_aws_service_info(svc);
	char label[96], target[128], ctype[48];
	struct kw_secret *body = NULL;
	/* retried: Secrets Manager's writes carry a ClientRequestToken, PutParameter overwrites */
	struct attempt a = {c, svc, NULL, 0, ctype, target, label, NULL, NULL, 0, 0, true, false, NULL};
	json_t *empty = NULL;
	size_t size;
	int rc = -1;

	if (output)
		*output = NULL;
	if (!si || si->protocol != KW_AWS_PROTOCOL_JSON)
		return kw_error_set(err, KW_ERR_INTERNAL, operation, "not a JSON-protocol service");
	snprintf(label, sizeof(label), "%s:%s", si->name, operation);
	snprintf(target, sizeof(target), "%s.%s", si->target_prefix, operation);
	snprintf(ctype, sizeof(ctype), "application/x-amz-json-%s", si->json_version);
	if (!input && !(input = empty = json_object()))
		return kw_error_set(err, KW_ERR_NOMEM, label, "out of memory");
	/* the body may hold a secret: dumped straight into a wiped buffer */
	size = json_dumpb(input, NULL, 0, JSON_COMPACT);
	if (!size || !(body = kw_secret_new(size + 1)) ||
	    json_dumpb(input, (char *)body->data, size, JSON_COMPACT) != size) {
		kw_error_set(err, KW_ERR_NOMEM, label, "cannot encode the request");
		goto out;
	}
	body->len = size;
	body->data[size] = '\0';
	a.body = (const char *)body->data;
	a.len = body->len;
	if (run_call(&a, err))
		goto out;
	if (output) {
		*output = a.json;
		a.json = NULL;
	}
	rc = 0;
out:
	json_decref(a.json);
	json_decref(empty);
	kw_secret_free(body);
	return rc;
}

/*
 * The bound of every listing: marker (the next page's Marker or NextToken) must not be one of the
 * last KW_AWS_MARKERS_KEPT (no progress), and page + 1 pages at most KW_AWS_MAX_PAGES. Remembers
 * marker. Returns 0, or -1 with err set.
 */
static int next_page(char *seen[KW_AWS_MARKERS_KEPT], int page, const char *marker, const char *action,
                     struct kw_error *err)
{
	for (size_t i = 0; i < KW_AWS_MARKERS_KEPT; i++)
		if (seen[i] && !strcmp(seen[i], marker))
			return kw_error_set(err, KW_ERR_AWS, action,
			                    "page %d is truncated with a Marker already seen: the listing "
			                    "makes no "
			                    "progress",
			                    page + 1);
	if (page + 1 >= KW_AWS_MAX_PAGES)
		return kw_error_set(
		        err, KW_ERR_AWS, action,
		        "more than %d pages: more than IAM's quotas allow, the listing does not end",
		        KW_AWS_MAX_PAGES);
	free(seen[page % KW_AWS_MARKERS_KEPT]);
	seen[page % KW_AWS_MARKERS_KEPT] = strdup(marker);
	return 0;
}

int kw_aws_paginate(struct kw_aws_client *c, enum kw_aws_service svc, const char *action,
                    const struct kw_aws_param *params, size_t nparams, kw_aws_page_fn fn, void *ctx,
                    struct kw_error *err)
{
	char *marker = NULL;
	char *seen[KW_AWS_MARKERS_KEPT] = {NULL};
	int rc = -1;

	for (int page = 0;; page++) {
		struct kw_query q;
		xmlDoc *doc = NULL;
		xmlNode *res = NULL;
		int r;
		bool more;

		kw_query_init(&q, action, kw_aws_service_info(svc)->api_version);
		for (size_t i = 0; i < nparams; i++)
			kw_query_add(&q, params[i].name, params[i].value);
		kw_query_add(&q, "Marker", marker);
		r = kw_aws_call(c, svc, &q, &doc, &res, err);
		kw_query_release(&q);
		if (r)
			goto out;
		r = fn(ctx, res, err);
		more = r == 0 && kw_xml_bool(kw_xml_child(res, "IsTruncated"));
		free(marker);
		marker = more ? kw_xml_text(kw_xml_child(res, "Marker"), NULL) : NULL;
		xmlFreeDoc(doc);
		if (r < 0)
			goto out;
		if (!more)
			break;
		if (!marker || !*marker) {
			kw_error_set(err, KW_ERR_AWS, action, "answer is truncated but carries no Marker");
			goto out;
		}
		/* bounded: a Marker seen before (no progress), or more pages than IAM's quotas allow */
		if (next_page(seen, page, marker, action, err))
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < KW_AWS_MARKERS_KEPT; i++)
		free(seen[i]);
	free(marker);
	return rc;
}

int kw_aws_json_paginate(struct kw_aws_client *c, enum kw_aws_service svc, const char *operation,
                         json_t *input, kw_aws_json_page_fn fn, void *ctx, struct kw_error *err)
{
	char *seen[KW_AWS_MARKERS_KEPT] = {NULL};
	int rc = -1;

	for (int page = 0;; page++) {
		json_t *ans = NULL;
		const char *token;
		int r;

		if (kw_aws_json_call(c, svc, operation, input, &ans, err))
			goto out;
		r = fn(ctx, ans, err);
		token = json_string_value(json_object_get(ans, "NextToken"));
		if (r || !token || !*token) {
			json_decref(ans);
			if (r < 0)
				goto out;
			break;
		}
		/* bounded as kw_aws_paginate: a token seen before, or too many pages */
		r = next_page(seen, page, token, operation, err);
		if (!r && json_object_set_new(input, "NextToken", json_string(token)))
			r = kw_error_set(err, KW_ERR_NOMEM, operation, "out of memory");
		json_decref(ans);
		if (r)
			goto out;
	}
	rc = 0;
out:
	json_object_del(input, "NextToken");
	for (size_t i = 0; i < KW_AWS_MARKERS_KEPT; i++)
		free(seen[i]);
	return rc;
}

void kw_aws_client_set_retry_env(struct kw_aws_client *c, const struct kw_retry_env *env)
{
	c->env = env;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * A setting from the environment, else the profile; *out malloc'd or NULL. where (when not
 * NULL, KW_ERR_WHERE_MAX bytes) receives where it was set: "environment NAME" or "file:line".
 */
static int setting_at(const struct kw_aws_profile *p, const char *env, const char *key, char **out,
                      char *where, struct kw_error *err)
{
	const char *v = env ? env_nonempty(env) : NULL;
	char buf[KW_ERR_WHERE_MAX];

	*out = NULL;
	if (!where)
		where = buf;
	if (v) {
		snprintf(where, KW_ERR_WHERE_MAX, "environment %s", env);
		*out = strdup(v);
		return *out ? 1 : kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	}
	return kw_aws_profile_setting_at(p, key, out, where, KW_ERR_WHERE_MAX, err);
}

static int setting(const struct kw_aws_profile *p, const char *env, const char *key, char **out,
                   struct kw_error *err)
{
	return setting_at(p, env, key, out, NULL, err);
}

/* The client's region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1. */
static int resolve_region(struct kw_aws_client *c, const struct kw_aws_options *opt,
                          const struct kw_aws_profile *p, struct kw_error *err)
{
	char where[KW_ERR_WHERE_MAX];
	int r = 1;

	if (opt && opt->region && *opt->region) {
		c->region = strdup(opt->region);
		snprintf(where, sizeof(where), "--region");
	} else if (env_nonempty("AWS_REGION")) {
		c->region = strdup(env_nonempty("AWS_REGION"));
		snprintf(where, sizeof(where), "environment AWS_REGION");
	} else if ((r = setting_at(p, "AWS_DEFAULT_REGION", "region", &c->region, where, err)) < 0) {
		return -1;
	} else if (r == 0) {
		c->region = strdup("us-east-1");
	}
	if (!c->region)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	if (r && !kw_aws_region_valid(c->region))
		return kw_error_set(err, KW_ERR_INVALID, where,
		                    "region: '%s' is not a valid region name (letters, digits and '-' only; "
		                    "the shared files allow no comment after a value)",
		                    c->region);
	return 0;
}

/* Region, retries, endpoints, transport: what both constructors share. */
static int setup(struct kw_aws_client *c, const struct kw_aws_options *opt, const struct kw_aws_profile *p,
                 struct kw_error *err)
{
	char *v = NULL, *ca = NULL, where[KW_ERR_WHERE_MAX];
	struct kw_http_options ho = {0};
	int rc = -1, r;

	clock_gettime(CLOCK_MONOTONIC, &c->start);
	if (pthread_mutex_init(&c->lock, NULL))
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "cannot create a mutex");
	c->lock_ready = true;
	if (kw_retry_quota_init(&c->quota))
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "cannot create a mutex");
	c->quota_ready = true;
	if (resolve_region(c, opt, p, err))
		goto out;
	/* attempts */
	c->max_attempts = opt && opt->max_attempts > 0 ? opt->max_attempts : 0;
	if (!c->max_attempts) {
		if ((r = setting_at(p, "AWS_MAX_ATTEMPTS", "max_attempts", &v, where, err)) < 0)
			goto out;
		if (r) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || end == v || n < 1 || n > 100) {
				kw_error_set(err, KW_ERR_INVALID, where,
				             "max_attempts: '%s' is not a number of attempts (1-100)", v);
				goto out;
			}
			c->max_attempts = (int)n;
		} else {
			c->max_attempts = KW_RETRY_DEFAULT_ATTEMPTS;
		}
		free(v);
		v = NULL;
	}
	if ((r = setting_at(p, "AWS_RETRY_MODE", "retry_mode", &v, where, err)) < 0)
		goto out;
	if (r && strcmp(v, "standard") && strcmp(v, "legacy") && strcmp(v, "adaptive")) {
		kw_error_set(err, KW_ERR_INVALID, where,
		             "retry_mode: '%s' is not legacy, standard or adaptive", v);
		goto out;
	}
	/* legacy is standard here; unset: the command's default (adaptive for apply, rotate, destroy) */
	c->retry_mode = r ? (!strcmp(v, "adaptive") ? "adaptive" : "standard")
	                  : (opt && opt->adaptive_default ? "adaptive" : "standard");
	if (r && !strcmp(v, "legacy"))
		kw_log(KW_LOG_DEBUG, "retry mode 'legacy': keywarden retries in standard mode");
	free(v);
	v = NULL;
	/* endpoints */
	for (int s = 0; s < KW_AWS_NSERVICES; s++)
		if (kw_aws_endpoint_resolve((enum kw_aws_service)s, c->region, opt ? opt->endpoint_url : NULL,
		                            p, &c->ep[s], err))
			goto out;
	/* adaptive: one bucket per service endpoint (and AWS account, when a run reaches several)
	 * for the whole process (all threads, all clients, e.g. those that confirm new keys): IAM
	 * throttles per account and API */
	for (int s = 0; s < KW_AWS_NSERVICES && !strcmp(c->retry_mode, "adaptive"); s++) {
		char key[600];

		if (snprintf(key, sizeof(key), "%s %s%s%s", kw_aws_service_info((enum kw_aws_service)s)->name,
		             c->ep[s].url, opt && opt->account ? " account " : "",
		             opt && opt->account ? opt->account : "") >= (int)sizeof(key) ||
		    !(c->limiter[s] = kw_adaptive_shared(key))) {
			kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
	}
	/* transport */
	if ((r = setting(p, "AWS_CA_BUNDLE", "ca_bundle", &v, err)) < 0)
		goto out;
	if (r && !(ca = kw_aws_expand_home(v))) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	ho.ca_bundle = ca;
	ho.connect_timeout_ms = opt ? opt->connect_timeout_ms : 0;
	ho.timeout_ms = opt ? opt->timeout_ms : 0;
	if (kw_http_new(&ho, &c->http, err))
		goto out;
	c->keys = kw_sigv4_cache_new();
	if (!c->keys) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	kw_log(KW_LOG_DEBUG,
	       "aws: region %s, iam %s (%s, signed %s), sts %s (%s), max attempts %d, retry mode %s",
	       c->region, c->ep[KW_AWS_IAM].url, c->ep[KW_AWS_IAM].source, c->ep[KW_AWS_IAM].signing_region,
	       c->ep[KW_AWS_STS].url, c->ep[KW_AWS_STS].source, c->max_attempts, c->retry_mode);
	rc = 0;
out:
	free(v);
	free(ca);
	return rc;
}

/* Static credentials for create(); NULL there means "walk the chain". With via, the
 * credentials are role_arn's, assumed with via's (kw_aws_client_new_role). */
struct static_creds {
	const char *access_key_id;
	const struct kw_secret *secret;
	const struct kw_secret *session_token;
	struct kw_aws_client *via;
	const char *role_arn;
};

static int copy_static(const struct static_creds *sc, struct kw_aws_credentials *out, struct kw_error *err)
{
	out->source = "static";
	if (!sc->access_key_id) {
		out->source = "anonymous";
		return 0;
	}
	out->access_key_id = strdup(sc->access_key_id);
	out->secret = kw_secret_from(sc->secret->data, sc->secret->len);
	if (sc->session_token)
		out->session_token = kw_secret_from(sc->session_token->data, sc->session_token->len);
	if (!out->access_key_id || !out->secret || (sc->session_token && !out->session_token))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

static int create(const struct kw_aws_options *opt, const struct static_creds *sc, struct kw_aws_client **out,
                  struct kw_error *err)
{
	struct kw_aws_profile p;
	struct kw_aws_client *c = NULL;
	struct cred_ref *cr = NULL;
	int rc = -1;

	*out = NULL;
	/* process-wide allocator switches happen now, before callers start threads */
	kw_xml_init();
	kw_wipe_install_jansson();
	if (kw_aws_profile_load(opt ? opt->profile : NULL, &p, err))
		return -1;
	c = calloc(1, sizeof(*c));
	cr = calloc(1, sizeof(*cr));
	if (!c || !cr) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (sc && sc->via ? kw_aws_credentials_assume(sc->via, sc->role_arn, time(NULL), &cr->creds, err)
	    : sc          ? copy_static(sc, &cr->creds, err)
	                  : kw_aws_credentials_resolve(&p, opt, time(NULL), &cr->creds, err))
		goto out;
	if (setup(c, opt, &p, err))
		goto out;
	kw_log(KW_LOG_INFO, "aws: credentials for profile '%s' from %s (key %s)%s%s", p.name,
	       cr->creds.source, cr->creds.access_key_id ? cr->creds.access_key_id : "none",
	       cr->creds.chain ? ": " : "", cr->creds.chain ? cr->creds.chain : "");
	cr->refs = 1;
	c->cred = cr;
	*out = c;
	c = NULL;
	cr = NULL;
	rc = 0;
out:
	if (cr) {
		kw_aws_credentials_release(&cr->creds);
		free(cr);
	}
	kw_aws_client_free(c);
	kw_aws_profile_release(&p);
	return rc;
}

int kw_aws_client_new(const struct kw_aws_options *opt, struct kw_aws_client **out, struct kw_error *err)
{
	if (opt && opt->role_via) /* an account's options under --role-arn */
		return kw_aws_client_new_role(opt, opt->role_via, opt->role_arn, out, err);
	return create(opt, NULL, out, err);
}

int kw_aws_client_new_static(const struct kw_aws_options *opt, const char *access_key_id,
                             const struct kw_secret *secret, const struct kw_secret *session_token,
                             struct kw_aws_client **out, struct kw_error *err)
{
	const struct static_creds sc = {access_key_id, secret, session_token, NULL, NULL};

	*out = NULL;
	if (!access_key_id || !*access_key_id || !secret || !secret->len)
		return kw_error_set(err, KW_ERR_INVALID, NULL,
		                    "static credentials need an access key id and a secret");
	return create(opt, &sc, out, err);
}

int kw_aws_client_new_role(const struct kw_aws_options *opt, struct kw_aws_client *via, const char *role_arn,
                           struct kw_aws_client **out, struct kw_error *err)
{
	const struct static_creds sc = {.via = via, .role_arn = role_arn};

	return create(opt, &sc, out, err);
}

int kw_aws_client_new_anonymous(const struct kw_aws_options *opt, struct kw_aws_client **out,
                                struct kw_error *err)
{
	const struct static_creds none = {NULL, NULL, NULL, NULL, NULL};

	return create(opt, &none, out, err);
}

void kw_aws_client_free(struct kw_aws_client *c)
{
	if (!c)
		return;
	if (c->cred) {
		kw_aws_credentials_release(&c->cred->creds);
		free(c->cred);
	}
	for (size_t i = 0; i < c->nstats; i++)
		free(c->stats[i].action);
	free(c->stats);
	kw_sigv4_cache_free(c->keys);
	for (int s = 0; s < KW_AWS_NSERVICES; s++)
		kw_adaptive_put(c->limiter[s]);
	kw_http_free(c->http);
	for (int s = 0; s < KW_AWS_NSERVICES; s++)
		kw_aws_endpoint_release(&c->ep[s]);
	free(c->region);
	if (c->quota_ready)
		kw_retry_quota_destroy(&c->quota);
	if (c->lock_ready)
		pthread_mutex_destroy(&c->lock);
	free(c);
}

const char *kw_aws_client_region(const struct kw_aws_client *c)
{
	return c->region;
}

const char *kw_aws_client_endpoint(const struct kw_aws_client *c, enum kw_aws_service svc)
{
	return c->ep[svc].url;
}

const char *kw_aws_client_access_key_id(const struct kw_aws_client *c)
{
	return c->cred->creds.access_key_id;
}

const char *kw_aws_client_credential_source(const struct kw_aws_client *c)
{
	return c->cred->creds.source;
}

const char *kw_aws_client_credential_chain(const struct kw_aws_client *c)
{
	return c->cred->creds.chain;
}

static int stat_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kw_aws_action_stats *)a)->action,
	              ((const struct kw_aws_action_stats *)b)->action);
}

int kw_aws_client_stats(struct kw_aws_client *c, struct kw_aws_stats *out, struct kw_error *err)
{
	int rc = -1;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->lock);
	out->actions = calloc(c->nstats ? c->nstats : 1, sizeof(*out->actions));
	if (!out->actions)
		goto out;
	for (size_t i = 0; i < c->nstats; i++) {
		struct kw_aws_action_stats *a = &out->actions[i];
		a->action = strdup(c->stats[i].action);
		if (!a->action)
			goto out;
		out->nactions++;
		a->calls = c->stats[i].calls;
		a->retries = c->stats[i].retries;
		a->failures = c->stats[i].failures;
		a->seconds = c->stats[i].seconds;
		a->attempts = c->stats[i].attempts;
		a->throttles = c->stats[i].throttles;
		a->bucket_wait = c->stats[i].bucket_wait;
		out->calls += a->calls;
		out->retries += a->retries;
		out->failures += a->failures;
		out->attempts += a->attempts;
		out->throttles += a->throttles;
		out->bucket_wait += a->bucket_wait;
	}
	out->retry_mode = c->retry_mode;
	out->wall_seconds = seconds_since(&c->start);
	rc = 0;
out:
	pthread_mutex_unlock(&c->lock);
	if (rc) {
		kw_aws_stats_release(out);
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	}
	if (out->nactions > 1)
		qsort(out->actions, out->nactions, sizeof(*out->actions), stat_cmp);
	return 0;
}

void kw_aws_stats_release(struct kw_aws_stats *s)
{
	for (size_t i = 0; s && i < s->nactions; i++)
		free(s->actions[i].action);
	if (s) {
		free(s->actions);
		memset(s, 0, sizeof(*s));
	}
}
