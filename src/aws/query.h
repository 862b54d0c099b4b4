/*
 * query.h - request bodies of the AWS Query protocol (IAM, STS): form fields
 * "Action=...&Version=...&Name=value" URI-encoded with AWS's unreserved set
 * (A-Z a-z 0-9 - _ . ~), lists as Name.member.N (1-based), maps as Name.member.N.Key/Value.
 * Sent as POST with Content-Type "application/x-www-form-urlencoded; charset=utf-8".
 *
 * Invariant: a builder that ran out of memory remembers it (failed) and every later add is a
 * no-op; kw_query_finish reports it once. Not for secrets: the body is a plain kw_buf.
 * Source: AWS IAM API Reference, "Making Query requests"; botocore serialize.QuerySerializer.
 */
#ifndef KW_AWS_QUERY_H
#define KW_AWS_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct kw_error;

struct kw_query {
	struct kw_buf body;
	char action[64]; /* e.g. "CreateUser" */
	bool failed;
};

/* kw_query_init - start a body for action (e.g. "CreateUser") of API version ("2010-05-08"). */
void kw_query_init(struct kw_query *q, const char *action, const char *version);

/* kw_query_add - add name=value (both borrowed, encoded here); a NULL value adds nothing. */
void kw_query_add(struct kw_query *q, const char *name, const char *value);

/*
 * kw_query_add_member - add "<list>.member.<index>[.<field>]=value" (index 1-based; field NULL
 * for a list of scalars, e.g. TagKeys.member.1).
 */
void kw_query_add_member(struct kw_query *q, const char *list, size_t index, const char *field,
                         const char *value);

/* kw_query_finish - 0, or -1 with err set (KW_ERR_NOMEM) when any add failed. */
int kw_query_finish(const struct kw_query *q, struct kw_error *err);

/* kw_query_release - free the body. */
void kw_query_release(struct kw_query *q);

#endif
