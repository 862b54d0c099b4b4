/*
 * query.c - AWS Query protocol request bodies (query.h).
 */
#include "aws/query.h"

#include <stdio.h>
#include <string.h>

#include "aws/sigv4.h"
#include "util/error.h"

static void add_raw(struct kw_query *q, const char *name, const char *value)
{
	if (q->failed)
		return;
	if ((q->body.len && kw_buf_putc(&q->body, '&')) ||
	    kw_aws_uri_encode(&q->body, name, strlen(name), false) || kw_buf_putc(&q->body, '=') ||
	    kw_aws_uri_encode(&q->body, value, strlen(value), false))
		q->failed = true;
}

void kw_query_init(struct kw_query *q, const char *action, const char *version)
{
	memset(q, 0, sizeof(*q));
	if (snprintf(q->action, sizeof(q->action), "%s", action) >= (int)sizeof(q->action))
		q->failed = true;
	add_raw(q, "Action", action);
	add_raw(q, "Version", version);
}

void kw_query_add(struct kw_query *q, const char *name, const char *value)
{
	if (value)
		add_raw(q, name, value);
}

void kw_query_add_member(struct kw_query *q, const char *list, size_t index, const char *field,
                         const char *value)
{
	char name[256];
	int n;

	if (!value)
		return;
	n = field ? snprintf(name, sizeof(name), "%s.member.%zu.%s", list, index, field)
	          : snprintf(name, sizeof(name), "%s.member.%zu", list, index);
	if (n < 0 || (size_t)n >= sizeof(name)) {
		q->failed = true;
		return;
	}
	add_raw(q, name, value);
}

int kw_query_finish(const struct kw_query *q, struct kw_error *err)
{
	if (q->failed)
		return kw_error_set(err, KW_ERR_NOMEM, q->action, "out of memory building the request");
	return 0;
}

void kw_query_release(struct kw_query *q)
{
	kw_buf_release(&q->body);
}
