#include "mfa/qr.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <png.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "mfa/totp.h"
#include "util/atomic.h"
#include "util/error.h"
#include "util/secret.h"

/* RFC 3986 §2.3 unreserved characters. */
static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

/* Append s percent-encoded (RFC 3986 §2.1, upper-case hex) to out. Returns 0 or -1 (full). */
static int append_pct(struct kw_secret *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char enc[3] = {'%', hex[c >> 4], hex[c & 15]};

		if (unreserved(c) ? kw_secret_append(out, &c, 1) : kw_secret_append(out, enc, 3))
			return -1;
	}
	return 0;
}

static int append_str(struct kw_secret *out, const char *s)
{
	return kw_secret_append(out, s, strlen(s));
}

int kw_otpauth_uri(const char *name, const char *account, const struct kw_secret *seed_b32,
                   struct kw_secret **out, struct kw_error *err)
{
	struct kw_secret *uri = NULL, *decoded = NULL;
	size_t cap, n = seed_b32->len;

	*out = NULL;
	if (!name || !*name || !account || !*account)
		return kw_error_set(err, KW_ERR_INVALID, "otpauth", "device name and account are required");
	while (n && seed_b32->data[n - 1] == '=')
		n--; /* the Key Uri Format omits padding */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = seed_b32->data[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')))
			return kw_error_set(err, KW_ERR_INVALID, "otpauth",
			                    "MFA seed is not upper-case unpadded base32 (RFC 4648 §6)");
	}
	/* Reject non-canonical lengths and trailing bits the same way the TOTP code does. */
	if (kw_base32_decode((const char *)seed_b32->data, n, &decoded, err))
		return kw_error_prefix(err, "MFA seed");
	kw_secret_free(decoded);
	cap = 64 + 3 * (strlen(KW_OTPAUTH_ISSUER) + strlen(name) + strlen(account)) + n;
	if (!(uri = kw_secret_new(cap)))
		return kw_error_set(err, KW_ERR_NOMEM, "otpauth", "out of memory");
	if (append_str(uri, "otpauth://totp/") || append_pct(uri, KW_OTPAUTH_ISSUER) ||
	    append_str(uri, ":") || append_pct(uri, name) || append_str(uri, "@") ||
	    append_pct(uri, account) || append_str(uri, "?secret=") ||
	    kw_secret_append(uri, seed_b32->data, n)) {
		kw_secret_free(uri);
		return kw_error_set(err, KW_ERR_INTERNAL, "otpauth", "URI does not fit");
	}
	*out = uri;
	return 0;
}

int kw_qr_quiet(enum kw_qr_use use)
{
	return use == KW_QR_FOR_TERMINAL ? KW_QR_QUIET_TERMINAL : KW_QR_QUIET_FILE;
}

int kw_qr_encode(const struct kw_secret *text, enum kw_qr_use use, QRcode **out, struct kw_error *err)
{
	QRecLevel level = use == KW_QR_FOR_TERMINAL ? QR_ECLEVEL_L : QR_ECLEVEL_M;
	QRcode *qr;

	*out = NULL;
	if (!text->len || memchr(text->data, '\0', text->len))
		return kw_error_set(err, KW_ERR_INVALID, "qr",
		                    "nothing to encode, or a NUL byte in the text");
	errno = 0;
	qr = QRcode_encodeString((const char *)text->data, 0, level, QR_MODE_8, 1);
	if (!qr) {
		if (errno == ERANGE)
			return kw_error_set(err, KW_ERR_INVALID, "qr", "text too long for a QR code");
		return kw_error_set(err, KW_ERR_NOMEM, "qr", "cannot encode the QR code: %s",
		                    strerror(errno));
	}
	*out = qr;
	return 0;
}

void kw_qr_free(QRcode *qr)
{
	if (!qr)
		return;
	OPENSSL_cleanse(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
}

/* Whether the module at (x, y), coordinates of a quiet zone of quiet modules included, is dark. */
static int dark(const QRcode *qr, int quiet, int x, int y)
{
	x -= quiet;
	y -= quiet;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[y * qr->width + x] & 1;
}

int kw_qr_render_text(const struct kw_secret *text, enum kw_qr_style style, struct kw_secret **out,
                      struct kw_error *err)
{
	static const char *const glyph[4] = {" ", "\xe2\x96\x84", "\xe2\x96\x80", "\xe2\x96\x88"};
	const int q = KW_QR_QUIET_TERMINAL, drawn_dark = style == KW_QR_STYLE_PLAIN_LIGHT_BG;
	QRcode *qr = NULL;
	struct kw_secret *s = NULL;
	int n, rc = -1;

	*out = NULL;
	if (kw_qr_encode(text, KW_QR_FOR_TERMINAL, &qr, err))
		return -1;
	n = qr->width + 2 * q;
	if (!(s = kw_secret_new((size_t)(n / 2 + 1) * ((size_t)n * 3 + 32)))) {
		kw_error_set(err, KW_ERR_NOMEM, "qr", "out of memory");
		goto out;
	}
	for (int y = 0; y < n; y += 2) {
		int has_bottom = y + 1 < n, fail = 0;

		/* Light on dark, both explicit; a last half line leaves the lower half default. */
		if (style == KW_QR_STYLE_COLOR)
			fail |= append_str(s, has_bottom ? "\033[97;40m" : "\033[97;49m");
		for (int x = 0; x < n; x++) {
			int top = dark(qr, q, x, y) == drawn_dark;
			int bottom = has_bottom && dark(qr, q, x, y + 1) == drawn_dark;

			fail |= append_str(s, glyph[top << 1 | bottom]);
		}
		if (style == KW_QR_STYLE_COLOR)
			fail |= append_str(s, "\033[0m");
		fail |= append_str(s, "\n");
		if (fail) {
			kw_error_set(err, KW_ERR_INTERNAL, "qr", "rendering does not fit");
			goto out;
		}
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	kw_secret_free(s);
	kw_qr_free(qr);
	return rc;
}

int kw_qr_text_size(const struct kw_secret *text, int *cols, int *rows, struct kw_error *err)
{
	QRcode *qr = NULL;

	if (kw_qr_encode(text, KW_QR_FOR_TERMINAL, &qr, err))
		return -1;
	*cols = qr->width + 2 * KW_QR_QUIET_TERMINAL;
	*rows = (*cols + 1) / 2;
	kw_qr_free(qr);
	return 0;
}

/* Where libpng's output goes: a kw_secret that grows by reallocation into a new secret. */
struct png_sink {
	struct kw_secret *buf;
	int failed;
};

static void png_sink_write(png_structp png, png_bytep data, size_t len)
{
	struct png_sink *o = png_get_io_ptr(png);

	if (o->failed)
		return;
	if (o->buf->cap - o->buf->len < len) {
		size_t cap = o->buf->cap * 2 + len;
		struct kw_secret *bigger = kw_secret_new(cap);

		if (!bigger || kw_secret_set(bigger, o->buf->data, o->buf->len)) {
			kw_secret_free(bigger);
			o->failed = 1;
			return;
		}
		kw_secret_free(o->buf);
		o->buf = bigger;
	}
	(void)kw_secret_append(o->buf, data, len);
}

static void png_sink_flush(png_structp png)
{
	(void)png;
}

/* State that must survive libpng's longjmp, so it lives outside the setjmp frame's registers. */
struct png_job {
	png_structp png;
	png_infop info;
	struct kw_secret *row;
	struct png_sink sink;
};

static int encode_png(const QRcode *qr, unsigned scale, struct png_job *job)
{
	unsigned n = (unsigned)qr->width + 2 * KW_QR_QUIET_FILE, px = n * scale;

	if (setjmp(png_jmpbuf(job->png)))
		return -1;
	png_set_write_fn(job->png, &job->sink, png_sink_write, png_sink_flush);
	png_set_IHDR(job->png, job->info, px, px, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(job->png, job->info);
	for (unsigned y = 0; y < px; y++) {
		memset(job->row->data, 0, job->row->cap);
		for (unsigned x = 0; x < px; x++)
			if (!dark(qr, KW_QR_QUIET_FILE, (int)(x / scale), (int)(y / scale)))
				job->row->data[x / 8] |= (unsigned char)(0x80 >> (x % 8)); /* 1 = white */
		png_write_row(job->png, job->row->data);
	}
	png_write_end(job->png, NULL);
	return 0;
}

int kw_qr_write_png(const struct kw_secret *text, const char *path, unsigned scale, struct kw_error *err)
{
	struct png_job *job = NULL;
	QRcode *qr = NULL;
	unsigned n;
	int rc = -1;

	if (scale == 0)
		scale = 8;
	if (scale > 64)
		return kw_error_set(err, KW_ERR_INVALID, path, "PNG scale must be 1 to 64 pixels per module");
	if (kw_qr_encode(text, KW_QR_FOR_FILE, &qr, err))
		return -1;
	n = (unsigned)qr->width + 2 * KW_QR_QUIET_FILE;
	if (!(job = calloc(1, sizeof(*job))) || !(job->row = kw_secret_new((n * scale + 7) / 8)) ||
	    !(job->sink.buf = kw_secret_new(4096)) ||
	    !(job->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL)) ||
	    !(job->info = png_create_info_struct(job->png))) {
		kw_error_set(err, KW_ERR_NOMEM, path, "out of memory");
		goto out;
	}
	if (encode_png(qr, scale, job) || job->sink.failed) {
		kw_error_set(err, job->sink.failed ? KW_ERR_NOMEM : KW_ERR_INTERNAL, path,
		             "cannot encode the PNG");
		goto out;
	}
	if (kw_atomic_write(path, job->sink.buf->data, job->sink.buf->len, 0600, 0, err))
		goto out;
	rc = 0;
out:
	if (job) {
		if (job->png)
			png_destroy_write_struct(&job->png, job->info ? &job->info : NULL);
		kw_secret_free(job->row);
		kw_secret_free(job->sink.buf);
		free(job);
	}
	kw_qr_free(qr);
	return rc;
}

int kw_qr_write_svg(const struct kw_secret *text, const char *path, struct kw_error *err)
{
	struct kw_secret *svg = NULL;
	QRcode *qr = NULL;
	char chunk[512];
	int n, rc = -1, fail = 0;

	if (kw_qr_encode(text, KW_QR_FOR_FILE, &qr, err))
		return -1;
	n = qr->width + 2 * KW_QR_QUIET_FILE;
	if (!(svg = kw_secret_new((size_t)n * (size_t)n * 24 + 1024))) {
		kw_error_set(err, KW_ERR_NOMEM, path, "out of memory");
		goto out;
	}
	if (snprintf(chunk, sizeof(chunk),
	             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	             "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 %d %d\" "
	             "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">\n",
	             n, n, n * 8, n * 8) >= (int)sizeof(chunk))
		fail = 1;
	fail |= append_str(svg, chunk);
	if (snprintf(chunk, sizeof(chunk),
	             "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n<path fill=\"#000000\" d=\"", n,
	             n) >= (int)sizeof(chunk))
		fail = 1;
	fail |= append_str(svg, chunk);
	/* One subpath per horizontal run of dark modules. */
	for (int y = 0; y < n && !fail; y++) {
		for (int x = 0; x < n; x++) {
			int run = 0;

			while (x + run < n && dark(qr, KW_QR_QUIET_FILE, x + run, y))
				run++;
			if (!run)
				continue;
			if (snprintf(chunk, sizeof(chunk), "M%d %dh%dv1h-%dz", x, y, run, run) >=
			    (int)sizeof(chunk))
				fail = 1;
			fail |= append_str(svg, chunk);
			x += run;
		}
	}
	fail |= append_str(svg, "\"/>\n</svg>\n");
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (fail) {
		kw_error_set(err, KW_ERR_INTERNAL, path, "SVG does not fit");
		goto out;
	}
	if (kw_atomic_write(path, svg->data, svg->len, 0600, 0, err))
		goto out;
	rc = 0;
out:
	kw_secret_free(svg);
	kw_qr_free(qr);
	return rc;
}
