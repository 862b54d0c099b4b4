/*
 * call.h - for src/aws only: one signed Query-protocol call with retries, and pagination.
 * iam.c and sts.c build on these; the rest of keywarden uses iam.h / sts.h.
 */
#ifndef KW_AWS_CALL_H
#define KW_AWS_CALL_H

#include <libxml/tree.h>
#include <stddef.h>

#include "aws/client.h"
#include "aws/query.h"

struct kw_error;
struct kw_retry_env;

#define KW_IAM_API_VERSION "2010-05-08"
#define KW_STS_API_VERSION "2011-06-15"

/*
 * kw_aws_call - sign and POST q to svc's endpoint with retries, parse the answer.
 * @q:      request body (borrowed); its action names the call ("iam:<Action>").
 * @result: receives the <ActionResult> element of the answer; it lives inside *doc. When
 *          result is not NULL an answer without one is an error (KW_ERR_NETWORK, retried as a
 *          garbled answer); NULL when not needed. Every 2xx answer must be <ActionResponse>.
 * @doc:    receives the answer document (free with xmlFreeDoc); may be NULL to discard.
 * Returns 0, or -1 with err set as client.h describes.
 */
int kw_aws_call(struct kw_aws_client *c, enum kw_aws_service svc, const struct kw_query *q, xmlDoc **doc,
                xmlNode **result, struct kw_error *err);

/* A name/value request parameter (borrowed); a NULL value is left out. */
struct kw_aws_param {
	const char *name;
	const char *value;
};

/*
 * One page: called with the <ActionResult> element. Return 0 to go on, 1 to stop early
 * (enough items), -1 with err set to fail.
 */
typedef int (*kw_aws_page_fn)(void *ctx, xmlNode *result, struct kw_error *err);

/* Pagination bounds: the last Markers remembered (a repeat is no progress), and the most pages
 * of one listing (IAM's largest quotas, e.g. 5000 users or roles, at MaxItems 1 at worst). */
#define KW_AWS_MARKERS_KEPT 16
#define KW_AWS_MAX_PAGES    10000

/*
 * kw_aws_paginate - call action with params, then again with Marker while IsTruncated is
 * true, handing each page's result to fn. Every answer must carry <ActionResult> (never read
 * as an empty page). Stops with an error on a Marker seen in the last KW_AWS_MARKERS_KEPT pages
 * and after KW_AWS_MAX_PAGES pages. Returns 0, or -1 with err set.
 */
int kw_aws_paginate(struct kw_aws_client *c, enum kw_aws_service svc, const char *action,
                    const struct kw_aws_param *params, size_t nparams, kw_aws_page_fn fn, void *ctx,
                    struct kw_error *err);

/* kw_aws_client_set_retry_env - fake clock/random for tests (borrowed; NULL restores). */
void kw_aws_client_set_retry_env(struct kw_aws_client *c, const struct kw_retry_env *env);

#endif
