/*
 * buf.h - owned growable byte buffer (struct kw_buf) and borrowed view (struct kw_span).
 *
 * Invariants: a kw_buf's data is NULL or points to cap bytes it owns, with data[len] == '\0'
 * whenever data != NULL, so text can be read as a C string; binary data may contain NULs.
 * Never put secrets in a kw_buf: use struct kw_secret (secret.h), which wipes on free.
 */
#ifndef KW_UTIL_BUF_H
#define KW_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct kw_buf {
	char *data;
	size_t len;
	size_t cap;
};

struct kw_span {
	const char *ptr; /* borrowed, not NUL-terminated in general */
	size_t len;
};

#define KW_BUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}

/* kw_buf_init - make buf empty, owning nothing. */
void kw_buf_init(struct kw_buf *buf);

/* kw_buf_release - free what buf owns and make it empty. */
void kw_buf_release(struct kw_buf *buf);

/* kw_buf_reset - keep the allocation, set len to 0. */
void kw_buf_reset(struct kw_buf *buf);

/* kw_buf_append - copy len bytes of data to the end. Returns 0, or -1 when out of memory. */
int kw_buf_append(struct kw_buf *buf, const void *data, size_t len);

/* kw_buf_puts - append a C string. Returns 0 or -1 (out of memory). */
int kw_buf_puts(struct kw_buf *buf, const char *s);

/* kw_buf_putc - append one byte. Returns 0 or -1 (out of memory). */
int kw_buf_putc(struct kw_buf *buf, char c);

/* kw_buf_appendf - append printf-formatted text. Returns 0 or -1 (out of memory). */
int kw_buf_appendf(struct kw_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kw_buf_vappendf(struct kw_buf *buf, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * kw_buf_detach - hand the data to the caller (who frees it with free()) and make buf empty.
 * Returns a NUL-terminated string ("" freshly allocated when empty), or NULL when out of memory.
 */
char *kw_buf_detach(struct kw_buf *buf);

/* kw_span_from - view of a C string (borrowed). */
struct kw_span kw_span_from(const char *s);

/* kw_span_eq - 1 when the span equals the C string s byte for byte, else 0. */
int kw_span_eq(struct kw_span a, const char *s);

/* kw_strdup_span - new NUL-terminated copy of a span (caller frees), NULL when out of memory. */
char *kw_strdup_span(struct kw_span s);

/*
 * kw_strdup_printf - a new string formatted as printf does (caller frees), NULL when out of
 * memory: what a kw_buf, one kw_buf_appendf and kw_buf_detach would make.
 */
char *kw_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *kw_strdup_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
