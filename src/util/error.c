#include "util/error.h"

#include <stdarg.h>
#include <string.h>

#include "util/log.h"

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int kw_error_set(struct kw_error *err, enum kw_err_kind kind, const char *where, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	kw_error_clear(err);
	err->kind = kind;
	err->exit_status = 1;
	copy_str(err->where, sizeof(err->where), where);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap); /* truncation is acceptable for messages */
	va_end(ap);
	kw_redact_inplace(err->msg, sizeof(err->msg));
	kw_redact_inplace(err->where, sizeof(err->where));
	return -1;
}

int kw_error_prefix(struct kw_error *err, const char *fmt, ...)
{
	char joined[KW_ERR_MSG_MAX];
	size_t n;
	va_list ap;
	int w;

	if (!err)
		return -1;
	va_start(ap, fmt);
	w = vsnprintf(joined, sizeof(joined), fmt, ap);
	va_end(ap);
	n = w < 0 ? 0 : (size_t)w < sizeof(joined) ? (size_t)w : sizeof(joined) - 1;
	/* the prefix, ": ", then as much of the old message as fits (messages may be cut) */
	if (n + 2 < sizeof(joined)) {
		memcpy(joined + n, ": ", 2);
		copy_str(joined + n + 2, sizeof(joined) - n - 2, err->msg);
	}
	copy_str(err->msg, sizeof(err->msg), joined);
	kw_redact_inplace(err->msg, sizeof(err->msg));
	return -1;
}

int kw_error_nomem(struct kw_error *err)
{
	return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

void kw_error_clear(struct kw_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

const char *kw_error_kind_name(enum kw_err_kind kind)
{
	static const char *const names[] = {
	        [KW_ERR_NONE] = "none",
	        [KW_ERR_NOMEM] = "nomem",
	        [KW_ERR_USAGE] = "usage",
	        [KW_ERR_INVALID] = "invalid",
	        [KW_ERR_IO] = "io",
	        [KW_ERR_NETWORK] = "network",
	        [KW_ERR_AWS] = "aws",
	        [KW_ERR_AUTH] = "auth",
	        [KW_ERR_NOT_FOUND] = "not-found",
	        [KW_ERR_CONFLICT] = "conflict",
	        [KW_ERR_TIMEOUT] = "timeout",
	        [KW_ERR_ABORTED] = "aborted",
	        [KW_ERR_INTERNAL] = "internal",
	};

	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]) || !names[kind])
		return "unknown";
	return names[kind];
}

void kw_error_print(const struct kw_error *err, FILE *fp)
{
	const char *msg = err->msg[0] ? err->msg : "unknown error";

	if (err->where[0])
		fprintf(fp, "error: %s: %s\n", err->where, msg);
	else
		fprintf(fp, "error: %s\n", msg);
}
