/*
 * Unit tests for src/mfa/qr and src/mfa/seed: the otpauth URI (short: it decides the QR size),
 * the terminal symbol's size (fits 80x24 for ordinary names), the terminal rendering decoded
 * back into modules and compared with libqrencode's matrix (every style, drawn as a dark and as
 * a light theme shows it: the plain style for the other theme must not scan), the PNG (signature, size, pixels, mode 0600) read back with libpng, the SVG parsed with libxml2
 * and its path turned back into modules; the PNG and the decoded terminal rendering are scanned
 * with zbarimg and must give the URI back; and seed custody (file 0600 without overwrite, exec).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mfa/qr.h"
#include "mfa/seed.h"
#include "util/atomic.h"
#include "util/error.h"
#include "util/secret.h"

#include "testlib.h"

/* 64 base32 characters, the length of AWS's seeds (40 bytes). */
#define SEED "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

struct fixture {
	struct kw_scratch tmp;
	struct kw_secret *seed;
	struct kw_secret *uri;
	QRcode *qr[2]; /* by enum kw_qr_use */
	int n[2];      /* modules per side, quiet zone included */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct kw_error err;

	kw_scratch_make(&f->tmp, "qr");
	f->seed = kw_secret_from(SEED, strlen(SEED));
	assert_int_equal(kw_otpauth_uri("service-ansible", "123456789012", f->seed, &f->uri, &err), 0);
	for (int use = KW_QR_FOR_TERMINAL; use <= KW_QR_FOR_FILE; use++) {
		assert_int_equal(kw_qr_encode(f->uri, use, &f->qr[use], &err), 0);
		f->n[use] = f->qr[use]->width + 2 * kw_qr_quiet(use);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kw_scratch_remove(&f->tmp);
	kw_qr_free(f->qr[KW_QR_FOR_TERMINAL]);
	kw_qr_free(f->qr[KW_QR_FOR_FILE]);
	kw_secret_free(f->uri);
	kw_secret_free(f->seed);
	free(f);
	return 0;
}

/* Dark module at (x, y) of the symbol for use with its quiet zone, from libqrencode's matrix. */
static int want_dark(const struct fixture *f, enum kw_qr_use use, int x, int y)
{
	const QRcode *qr = f->qr[use];

	x -= kw_qr_quiet(use);
	y -= kw_qr_quiet(use);
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[y * qr->width + x] & 1;
}

static void expect_uri(const char *name, const char *account, const char *seed, const char *want)
{
	struct kw_secret *s = kw_secret_from(seed, strlen(seed)), *uri = NULL;
	struct kw_error err;

	assert_int_equal(kw_otpauth_uri(name, account, s, &uri, &err), 0);
	assert_string_equal(kw_secret_str(uri), want);
	kw_secret_free(uri);
	kw_secret_free(s);
}

static void otpauth_uri_as_aws_builds_it(void **state)
{
	struct kw_secret *bad, *uri = NULL;
	struct kw_error err;

	expect_uri("service-ansible", "123456789012", "JBSWY3DPEHPK3PXP",
	           "otpauth://totp/AWS:service-ansible@123456789012?secret=JBSWY3DPEHPK3PXP");
	/* Names with reserved characters cannot be taken for the separators. */
	expect_uri("bob@example.com", "my corp:x", "JBSWY3DPEHPK3PXP",
	           "otpauth://totp/AWS:bob%40example.com@my%20corp%3Ax?secret=JBSWY3DPEHPK3PXP");
	expect_uri("a+b=c,d_e.f~g", "acme-prod", "JBSWY3DPEHPK3PXP",
	           "otpauth://totp/AWS:a%2Bb%3Dc%2Cd_e.f~g@acme-prod?secret=JBSWY3DPEHPK3PXP");

	expect_uri("u", "1", "MZXW6YTBOI======", "otpauth://totp/AWS:u@1?secret=MZXW6YTBOI");
	bad = kw_secret_from("jbswy3dpehpk3pxp", 16);
	assert_int_equal(kw_otpauth_uri("u", "1", bad, &uri, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_null(strstr(err.msg, "jbswy3dpehpk3pxp"));
	kw_secret_free(bad);
	bad = kw_secret_from("JBSWY3DPEHPK3PX", 15); /* 15 digits: not a whole encoding */
	assert_int_equal(kw_otpauth_uri("u", "1", bad, &uri, &err), -1);
	kw_secret_free(bad);
	bad = kw_secret_from(SEED, strlen(SEED));
	assert_int_equal(kw_otpauth_uri("", "1", bad, &uri, &err), -1);
	assert_null(uri);
	kw_secret_free(bad);
}

/*
 * Turn a half-block rendering back into a matrix of the modules that look dark (rows x n),
 * escape sequences skipped: glyph_dark says whether a glyph's ink is the dark colour (the
 * explicit white of the colour style, or the foreground of a dark theme: no; the foreground of
 * a light theme: yes). Returns the number of text lines.
 */
static int decode_half_blocks(const char *text, int n, int glyph_dark, unsigned char *dark_out, int max_rows)
{
	int line = 0, col = 0;
	const char *p = text;

	memset(dark_out, 0xff, (size_t)n * (size_t)max_rows);
	while (*p) {
		int top = 0, bottom = 0;

		if (*p == '\033') {
			assert_int_equal(p[1], '[');
			p += 2;
			while (*p && *p != 'm')
				p++;
			assert_int_equal(*p, 'm');
			p++;
			continue;
		}
		if (*p == '\n') {
			assert_int_equal(col, n);
			line++;
			col = 0;
			p++;
			continue;
		}
		if (*p == ' ') {
			top = bottom = 0;
			p++;
		} else if (!strncmp(p, "\xe2\x96\x80", 3)) { /* ▀ upper half */
			top = 1, bottom = 0;
			p += 3;
		} else if (!strncmp(p, "\xe2\x96\x84", 3)) { /* ▄ lower half */
			top = 0, bottom = 1;
			p += 3;
		} else if (!strncmp(p, "\xe2\x96\x88", 3)) { /* █ full block */
			top = bottom = 1;
			p += 3;
		} else {
			fail_msg("unexpected byte 0x%02x at line %d col %d", (unsigned char)*p, line, col);
		}
		assert_true(col < n);
		assert_true(2 * line + 1 < max_rows + 1);
		dark_out[(2 * line) * n + col] = (unsigned char)(top == glyph_dark);
		if (2 * line + 1 < max_rows)
			dark_out[(2 * line + 1) * n + col] = (unsigned char)(bottom == glyph_dark);
		col++;
	}
	assert_int_equal(col, 0); /* ends with a newline */
	return line;
}

/* Scan an image with zbarimg (zbar-tools, from scripts/deps.sh); the decoded text, or NULL. */
static char *zbar_scan(const char *image)
{
	char cmd[512], *out = calloc(1, 4096);
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q '%s' 2>/dev/null", image);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, 4095, p);
	if (pclose(p) != 0 || n == 0) {
		free(out);
		return NULL;
	}
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* The modules n x n as a PGM (4 px per module), scanned: the text, or NULL (free it). */
static char *scan_matrix(struct fixture *f, int n, const unsigned char *dark_modules)
{
	const int scale = 4, px = n * scale;
	const char *path = kw_scratch_path(&f->tmp, "terminal.pgm");
	FILE *fp = fopen(path, "wb");

	fprintf(fp, "P5\n%d %d\n255\n", px, px);
	for (int y = 0; y < px; y++)
		for (int x = 0; x < px; x++)
			fputc(dark_modules[(y / scale) * n + x / scale] ? 0 : 255, fp);
	fclose(fp);
	return zbar_scan(path);
}

enum theme { DARK_THEME, LIGHT_THEME };

/*
 * The rendering in style as a theme shows it: 1 when it matches libqrencode's terminal symbol
 * (quiet zone light on every side) and scans back to the URI, 0 when it shows inverted.
 */
static int rendering_reads(struct fixture *f, enum kw_qr_style style, enum theme theme)
{
	struct kw_secret *text = NULL;
	struct kw_error err;
	const enum kw_qr_use T = KW_QR_FOR_TERMINAL;
	int n = f->n[T], rows = n + 1, lines, inverted = 1, same = 1;
	int glyph_dark = style != KW_QR_STYLE_COLOR && theme == LIGHT_THEME;
	unsigned char *got = malloc((size_t)n * (size_t)rows);
	char *scanned;

	assert_int_equal(kw_qr_render_text(f->uri, style, &text, &err), 0);
	assert_null(strstr(kw_secret_str(text), SEED));
	if (style != KW_QR_STYLE_COLOR)
		assert_null(strchr(kw_secret_str(text), '\033'));
	else
		assert_non_null(strstr(kw_secret_str(text), "\033[97;40m")); /* both colours explicit */
	lines = decode_half_blocks(kw_secret_str(text), n, glyph_dark, got, rows);
	assert_int_equal(lines, (n + 1) / 2);
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			same &= got[y * n + x] == want_dark(f, T, x, y);
			inverted &= got[y * n + x] != want_dark(f, T, x, y);
		}
	assert_true(same || inverted);
	if (same) /* the quiet zone is light on every side */
		for (int i = 0; i < n; i++)
			for (int q = 0; q < KW_QR_QUIET_TERMINAL; q++)
				assert_true(!got[q * n + i] && !got[(n - 1 - q) * n + i] && !got[i * n + q] &&
				            !got[i * n + n - 1 - q]);
	scanned = scan_matrix(f, n, got);
	if (same) {
		assert_non_null(scanned);
		assert_string_equal(scanned, kw_secret_str(f->uri));
	} else {
		assert_null(scanned); /* zbar reads no inverted code: the test can tell */
	}
	if (scanned)
		OPENSSL_cleanse(scanned, strlen(scanned));
	free(scanned);
	free(got);
	kw_secret_free(text);
	return same;
}

static void qr_text_round_trips(void **state)
{
	struct fixture *f = *state;

	assert_true(f->qr[KW_QR_FOR_TERMINAL]->width >= 21);
	/* colour: both colours explicit, right on either theme */
	assert_true(rendering_reads(f, KW_QR_STYLE_COLOR, DARK_THEME));
	assert_true(rendering_reads(f, KW_QR_STYLE_COLOR, LIGHT_THEME));
	/* no colour: each plain style right on its theme, inverted (unreadable) on the other */
	assert_true(rendering_reads(f, KW_QR_STYLE_PLAIN_DARK_BG, DARK_THEME));
	assert_false(rendering_reads(f, KW_QR_STYLE_PLAIN_DARK_BG, LIGHT_THEME));
	assert_true(rendering_reads(f, KW_QR_STYLE_PLAIN_LIGHT_BG, LIGHT_THEME));
	assert_false(rendering_reads(f, KW_QR_STYLE_PLAIN_LIGHT_BG, DARK_THEME));
}

/* Size on the terminal of the URI for name at a 12-digit account, with an AWS-length seed. */
static void text_size_of(const char *name, int *cols, int *rows)
{
	struct kw_secret *seed = kw_secret_from(SEED, strlen(SEED)), *uri = NULL;
	struct kw_error err;

	assert_int_equal(kw_otpauth_uri(name, "123456789012", seed, &uri, &err), 0);
	assert_int_equal(kw_qr_text_size(uri, cols, rows, &err), 0);
	kw_secret_free(uri);
	kw_secret_free(seed);
}

/*
 * The code fits an 80x24 terminal, with room for the text beside it, for names up to 24
 * characters (QR version 5: 37 modules, 41 with the quiet zone, 21 rows); AWS's own URI for
 * "service-ansible" needed version 7 at level M (45 modules + 8 = 27 rows). A 64-character
 * name (IAM's limit) does not fit 24 rows, which the screen says.
 */
static void terminal_code_fits_80x24(void **state)
{
	struct fixture *f = *state;
	int cols, rows;

	assert_int_equal(f->qr[KW_QR_FOR_TERMINAL]->version, 5);
	assert_int_equal(f->qr[KW_QR_FOR_FILE]->version, 6); /* files keep level M */
	text_size_of("service-ansible", &cols, &rows);
	assert_int_equal(cols, 41);
	assert_int_equal(rows, 21);
	text_size_of("service-abcdefghijklmnop", &cols, &rows); /* 24 characters */
	assert_int_equal(rows, 21);
	assert_true(cols + 2 + 30 <= 80);
	text_size_of("service-abcdefghijklmnopqrstuvwxyz-0123456789-abcdefghijklmnopq", &cols, &rows);
	assert_true(rows > 24);
}

static void qr_png_reads_back(void **state)
{
	struct fixture *f = *state;
	const unsigned scale = 3;
	png_image img;
	unsigned char sig[8];
	unsigned char *pixels;
	struct kw_error err;
	const char *path = kw_scratch_path(&f->tmp, "mfa.png");
	char *got;
	FILE *fp;

	kw_capture_start(&f->tmp);
	assert_int_equal(kw_qr_write_png(f->uri, path, scale, &err), 0);
	kw_capture_check(&f->tmp, SEED, NULL);
	assert_int_equal(kw_mode_of(path), 0600);
	fp = fopen(path, "rb");
	assert_int_equal(fread(sig, 1, 8, fp), 8);
	fclose(fp);
	assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_file(&img, path));
	assert_int_equal(img.width, f->n[KW_QR_FOR_FILE] * scale);
	assert_int_equal(img.height, f->n[KW_QR_FOR_FILE] * scale);
	img.format = PNG_FORMAT_GRAY;
	pixels = malloc(PNG_IMAGE_SIZE(img));
	assert_true(png_image_finish_read(&img, NULL, pixels, 0, NULL));
	for (int y = 0; y < f->n[KW_QR_FOR_FILE]; y++)
		for (int x = 0; x < f->n[KW_QR_FOR_FILE]; x++) {
			unsigned char v = pixels[(y * scale + 1) * img.width + x * scale + 1];
			assert_int_equal(v, want_dark(f, KW_QR_FOR_FILE, x, y) ? 0 : 255);
		}
	free(pixels);
	got = zbar_scan(path);
	assert_non_null(got);
	assert_string_equal(got, kw_secret_str(f->uri));
	OPENSSL_cleanse(got, strlen(got));
	free(got);

	/* Replacing keeps 0600; a symbolic link is refused. */
	chmod(path, 0644);
	assert_int_equal(kw_qr_write_png(f->uri, path, 0, &err), 0);
	assert_int_equal(kw_mode_of(path), 0600);
	const char *link = kw_scratch_path(&f->tmp, "link.png");
	assert_int_equal(symlink(path, link), 0);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_qr_write_png(f->uri, link, 0, &err), -1);
	kw_capture_check(&f->tmp, SEED, &err);
}

/* Parse the SVG with libxml2 and rebuild the modules from the path's "Mx yhNv1h-Nz" runs. */
static void qr_svg_parses(void **state)
{
	struct fixture *f = *state;
	const int N = f->n[KW_QR_FOR_FILE];
	const char *path = kw_scratch_path(&f->tmp, "mfa.svg");
	struct kw_error err;
	xmlDocPtr doc;
	xmlNodePtr root, node;
	xmlChar *viewbox, *d = NULL;
	unsigned char *got = calloc((size_t)N * (size_t)N, 1);
	char want_vb[64];

	kw_capture_start(&f->tmp);
	assert_int_equal(kw_qr_write_svg(f->uri, path, &err), 0);
	kw_capture_check(&f->tmp, SEED, NULL);
	assert_int_equal(kw_mode_of(path), 0600);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "svg");
	assert_non_null(root->ns);
	assert_string_equal((const char *)root->ns->href, "http://www.w3.org/2000/svg");
	viewbox = xmlGetProp(root, (const xmlChar *)"viewBox");
	snprintf(want_vb, sizeof(want_vb), "0 0 %d %d", N, N);
	assert_string_equal((const char *)viewbox, want_vb);
	xmlFree(viewbox);
	for (node = root->children; node; node = node->next)
		if (node->type == XML_ELEMENT_NODE && !xmlStrcmp(node->name, (const xmlChar *)"path"))
			d = xmlGetProp(node, (const xmlChar *)"d");
	assert_non_null(d);
	for (const char *p = (const char *)d; *p;) {
		int x, y, run, run2, used = 0;

		assert_int_equal(sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &used), 4);
		assert_int_equal(run, run2);
		for (int i = 0; i < run; i++)
			got[y * N + x + i] = 1;
		p += used;
	}
	for (int y = 0; y < N; y++)
		for (int x = 0; x < N; x++)
			assert_int_equal(got[y * N + x], want_dark(f, KW_QR_FOR_FILE, x, y));
	xmlFree(d);
	xmlFreeDoc(doc);
	free(got);
}

static void seed_file_is_0600_and_never_overwritten(void **state)
{
	struct fixture *f = *state;
	const char *path = kw_scratch_path(&f->tmp, "seed");
	struct kw_error err;
	char *got;

	kw_capture_start(&f->tmp);
	assert_int_equal(kw_mfa_seed_write(path, f->seed, &err), 0);
	kw_capture_check(&f->tmp, SEED, NULL);
	assert_int_equal(kw_mode_of(path), 0600);
	got = kw_slurp(path);
	assert_string_equal(got, SEED "\n");
	free(got);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_mfa_seed_write(path, f->seed, &err), -1);
	kw_capture_check(&f->tmp, SEED, &err);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
}

static void seed_exec_gets_seed_on_stdin(void **state)
{
	struct fixture *f = *state;
	struct kw_error err;
	char cmd[512], *got;

	snprintf(cmd, sizeof(cmd),
	         "cat > '%s/got'; tr '\\000' ' ' < /proc/$$/cmdline > '%s/argv'; env > '%s/env'", f->tmp.dir,
	         f->tmp.dir, f->tmp.dir);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_mfa_seed_exec(cmd, f->seed, &err), 0);
	kw_capture_check(&f->tmp, SEED, NULL);
	got = kw_slurp(kw_scratch_path(&f->tmp, "got"));
	assert_string_equal(got, SEED "\n");
	free(got);
	got = kw_slurp(kw_scratch_path(&f->tmp, "argv"));
	assert_non_null(strstr(got, "sh -c cat"));
	assert_null(strstr(got, SEED));
	free(got);
	got = kw_slurp(kw_scratch_path(&f->tmp, "env"));
	assert_null(strstr(got, SEED));
	free(got);

	kw_capture_start(&f->tmp);
	assert_int_equal(kw_mfa_seed_exec("cat >/dev/null; exit 4", f->seed, &err), -1);
	kw_capture_check(&f->tmp, SEED, &err);
	assert_non_null(strstr(err.msg, "'cat >/dev/null; exit 4' exited with status 4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(otpauth_uri_as_aws_builds_it),
	        cmocka_unit_test_setup_teardown(qr_text_round_trips, setup, teardown),
	        cmocka_unit_test_setup_teardown(terminal_code_fits_80x24, setup, teardown),
	        cmocka_unit_test_setup_teardown(qr_png_reads_back, setup, teardown),
	        cmocka_unit_test_setup_teardown(qr_svg_parses, setup, teardown),
	        cmocka_unit_test_setup_teardown(seed_file_is_0600_and_never_overwritten, setup, teardown),
	        cmocka_unit_test_setup_teardown(seed_exec_gets_seed_on_stdin, setup, teardown),
	};
	return cmocka_run_group_tests_name("qr", tests, NULL, NULL);
}
