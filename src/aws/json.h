/*
 * json.h - for src/aws only: the AWS JSON 1.1 protocol (Secrets Manager, SSM). A request is
 * POST / with Content-Type application/x-amz-json-1.1, X-Amz-Target <targetPrefix>.<Operation>
 * and the input structure as a JSON object; the answer is the output structure as JSON, or an
 * error object whose "__type" names the error ("namespace#Code" or "Code") and whose
 * "message" (or "Message") says why.
 * Source: botocore serialize.JSONSerializer and parsers.JSONParser (_do_error_parse).
 */
#ifndef KW_AWS_JSON_H
#define KW_AWS_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "aws/client.h"

struct kw_aws_error;
struct kw_error;

/*
 * kw_aws_json_error_parse - read a JSON error answer into *out (http_status copied): code from
 * "__type" (after the last '#'), else from the x-amzn-ErrorType header value error_type (up to
 * ':'; may be NULL); message from "message" or "Message". A body that is not JSON leaves code
 * empty and message describing it.
 */
void kw_aws_json_error_parse(int http_status, const char *body, size_t len, const char *error_type,
                             struct kw_aws_error *out);

/*
 * kw_aws_json_call - one JSON 1.1 operation of svc with retries (as kw_aws_call).
 * @operation: e.g. "PutSecretValue" (the action is "<service>:<operation>").
 * @input:     the request object (borrowed; NULL sends {}). It is dumped into a wiped buffer,
 *             so it may hold a secret (jansson frees through kw_wipe_free).
 * @output:    receives the answer object (new reference; json_decref it), or NULL to discard.
 * Returns 0, or -1 with err set as client.h describes.
 */
int kw_aws_json_call(struct kw_aws_client *c, enum kw_aws_service svc, const char *operation,
                     const json_t *input, json_t **output, struct kw_error *err);

/*
 * One page of a JSON listing: the answer object (borrowed). Return 0 to go on, 1 to stop early,
 * -1 with err set to fail.
 */
typedef int (*kw_aws_json_page_fn)(void *ctx, const json_t *page, struct kw_error *err);

/*
 * kw_aws_json_paginate - call operation with input, then again with the answer's NextToken
 * while it carries one (an empty page with a NextToken goes on: Secrets Manager and SSM answer
 * those for filtered listings), handing each answer to fn. Bounded as kw_aws_paginate (call.h):
 * a token seen in the last KW_AWS_MARKERS_KEPT pages, or more than KW_AWS_MAX_PAGES pages, is
 * an error. @input: borrowed; its NextToken member is set while paging and removed at the end.
 * Returns 0, or -1 with err set.
 */
int kw_aws_json_paginate(struct kw_aws_client *c, enum kw_aws_service svc, const char *operation,
                         json_t *input, kw_aws_json_page_fn fn, void *ctx, struct kw_error *err);

#endif
