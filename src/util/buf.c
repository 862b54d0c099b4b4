#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kw_buf_init(struct kw_buf *buf)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
}

void kw_buf_release(struct kw_buf *buf)
{
	free(buf->data);
	kw_buf_init(buf);
}

void kw_buf_reset(struct kw_buf *buf)
{
	buf->len = 0;
	if (buf->data)
		buf->data[0] = '\0';
}

static int grow(struct kw_buf *buf, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > (size_t)-1 - buf->len - 1)
		return -1;
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	p = realloc(buf->data, cap);
	if (!p)
		return -1;
	buf->data = p;
	buf->cap = cap;
	return 0;
}

int kw_buf_append(struct kw_buf *buf, const void *data, size_t len)
{
	if (grow(buf, len))
		return -1;
	if (len)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int kw_buf_puts(struct kw_buf *buf, const char *s)
{
	return kw_buf_append(buf, s, strlen(s));
}

int kw_buf_putc(struct kw_buf *buf, char c)
{
	return kw_buf_append(buf, &c, 1);
}

int kw_buf_vappendf(struct kw_buf *buf, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || grow(buf, (size_t)n))
		return -1;
	if (vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap) != n)
		return -1;
	buf->len += (size_t)n;
	return 0;
}

int kw_buf_appendf(struct kw_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = kw_buf_vappendf(buf, fmt, ap);
	va_end(ap);
	return rc;
}

char *kw_buf_detach(struct kw_buf *buf)
{
	char *p = buf->data;

	if (!p)
		p = calloc(1, 1);
	kw_buf_init(buf);
	return p;
}

struct kw_span kw_span_from(const char *s)
{
	struct kw_span sp = {s, s ? strlen(s) : 0};
	return sp;
}

int kw_span_eq(struct kw_span a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && (n == 0 || memcmp(a.ptr, s, n) == 0);
}

char *kw_strdup_span(struct kw_span s)
{
	char *p = malloc(s.len + 1);

	if (!p)
		return NULL;
	if (s.len)
		memcpy(p, s.ptr, s.len);
	p[s.len] = '\0';
	return p;
}

char *kw_strdup_vprintf(const char *fmt, va_list ap)
{
	struct kw_buf b = KW_BUF_INIT;

	if (kw_buf_vappendf(&b, fmt, ap)) {
		kw_buf_release(&b);
		return NULL;
	}
	return kw_buf_detach(&b);
}

char *kw_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = kw_strdup_vprintf(fmt, ap);
	va_end(ap);
	return s;
}
