/*
 * utf8.h - UTF-8 decoding and making untrusted text safe to show on a terminal or in JSON.
 * Source: RFC 3629 (UTF-8; overlong forms and surrogates are invalid).
 */
#ifndef KW_UTIL_UTF8_H
#define KW_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

struct kw_buf;

/*
 * kw_utf8_decode - decode the character at s (at most len bytes) into *cp.
 * Returns its length in bytes (1-4), or -1 for an invalid sequence (bad lead or continuation
 * byte, overlong form, surrogate, above U+10FFFF, cut short).
 */
int kw_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* kw_utf8_length - number of characters in the C string s, or (size_t)-1 if not valid UTF-8. */
size_t kw_utf8_length(const char *s);

/*
 * kw_utf8_sanitize - append s to out so that it is valid UTF-8 without control characters:
 * bytes of invalid sequences and C0/C1 controls (including ESC) become "\xNN", a tab "\t",
 * a newline "\n". At most max bytes of s are shown; a longer s ends in "...".
 * Returns 0, or -1 when out of memory.
 */
int kw_utf8_sanitize(struct kw_buf *out, const char *s, size_t max);

#endif
