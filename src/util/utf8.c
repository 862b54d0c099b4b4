#include "util/utf8.h"

#include <string.h>

#include "util/buf.h"

int kw_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	int n;

	if (!len)
		return -1;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xE0) == 0xC0) {
		n = 2, c = u[0] & 0x1F, min = 0x80;
	} else if ((u[0] & 0xF0) == 0xE0) {
		n = 3, c = u[0] & 0x0F, min = 0x800;
	} else if ((u[0] & 0xF8) == 0xF0) {
		n = 4, c = u[0] & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if ((size_t)n > len)
		return -1;
	for (int i = 1; i < n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (u[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	return n;
}

size_t kw_utf8_length(const char *s)
{
	size_t n = 0, len = strlen(s);
	uint32_t cp;

	while (len) {
		int k = kw_utf8_decode(s, len, &cp);

		if (k < 0)
			return (size_t)-1;
		s += k;
		len -= (size_t)k;
		n++;
	}
	return n;
}

int kw_utf8_sanitize(struct kw_buf *out, const char *s, size_t max)
{
	size_t len = strlen(s), shown = len > max ? max : len, i = 0;
	uint32_t cp;

	while (i < shown) {
		int k = kw_utf8_decode(s + i, shown - i, &cp);
		int r;

		if (k < 0)
			r = kw_buf_appendf(out, "\\x%02x", (unsigned char)s[i]), k = 1;
		else if (cp == '\t')
			r = kw_buf_puts(out, "\\t");
		else if (cp == '\n')
			r = kw_buf_puts(out, "\\n");
		else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
			r = kw_buf_appendf(out, "\\x%02x", (unsigned)cp);
		else
			r = kw_buf_append(out, s + i, (size_t)k);
		if (r)
			return -1;
		i += (size_t)k;
	}
	return len > max ? kw_buf_puts(out, "...") : 0;
}
