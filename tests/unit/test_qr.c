/*
 * Unit tests for src/mfa/qr and src/mfa/seed: the otpauth URI as AWS builds it, the terminal
 * rendering decoded back into modules and compared with libqrencode's matrix (both styles), the
 * PNG (signature, size, pixels, mode 0600) read back with libpng, the SVG parsed with libxml2
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
	QRcode *qr;
	int n; /* modules per side, quiet zone included */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct kw_error err;

	kw_scratch_make(&f->tmp, "qr");
	f->seed = kw_secret_from(SEED, strlen(SEED));
	assert_int_equal(kw_otpauth_uri("service-ansible", "123456789012", f->seed, &f->uri, &err), 0);
	assert_int_equal(kw_qr_encode(f->uri, &f->qr, &err), 0);
	f->n = f->qr->width + 2 * KW_QR_QUIET;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kw_scratch_remove(&f->tmp);
	kw_qr_free(f->qr);
	kw_secret_free(f->uri);
	kw_secret_free(f->seed);
	free(f);
	return 0;
}

/* Dark module at (x, y) of the symbol with its quiet zone, from libqrencode's own matrix. */
static int want_dark(const struct fixture *f, int x, int y)
{
	x -= KW_QR_QUIET;
	y -= KW_QR_QUIET;
	if (x < 0 || y < 0 || x >= f->qr->width || y >= f->qr->width)
		return 0;
	return f->qr->data[y * f->qr->width + x] & 1;
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
	           "otpauth://totp/Amazon%20Web%20Services:service-ansible@123456789012"
	           "?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services");
	/* Names with reserved characters cannot be taken for the separators. */
	expect_uri("bob@example.com", "my corp:x", "JBSWY3DPEHPK3PXP",
	           "otpauth://totp/Amazon%20Web%20Services:bob%40example.com@my%20corp%3Ax"
	           "?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services");
	expect_uri("a+b=c,d_e.f~g", "acme-prod", "JBSWY3DPEHPK3PXP",
	           "otpauth://totp/Amazon%20Web%20Services:a%2Bb%3Dc%2Cd_e.f~g@acme-prod"
	           "?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services");

	expect_uri("u", "1", "MZXW6YTBOI======",
	           "otpauth://totp/Amazon%20Web%20Services:u@1?secret=MZXW6YTBOI"
	           "&issuer=Amazon%20Web%20Services");
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
 * Turn a half-block rendering back into a matrix of dark modules (rows x n), escape sequences
 * skipped. Returns the number of text lines.
 */
static int decode_half_blocks(const char *text, int n, unsigned char *dark_out, int max_rows)
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
		/* Glyphs draw the light modules. */
		dark_out[(2 * line) * n + col] = (unsigned char)!top;
		if (2 * line + 1 < max_rows)
			dark_out[(2 * line + 1) * n + col] = (unsigned char)!bottom;
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

/* The decoded terminal rendering, drawn as a PGM (4 px per module), scans back to the URI. */
static void scan_matrix(struct fixture *f, const unsigned char *dark_modules)
{
	const int scale = 4, px = f->n * scale;
	const char *path = kw_scratch_path(&f->tmp, "terminal.pgm");
	FILE *fp = fopen(path, "wb");
	char *got;

	fprintf(fp, "P5\n%d %d\n255\n", px, px);
	for (int y = 0; y < px; y++)
		for (int x = 0; x < px; x++)
			fputc(dark_modules[(y / scale) * f->n + x / scale] ? 0 : 255, fp);
	fclose(fp);
	got = zbar_scan(path);
	assert_non_null(got);
	assert_string_equal(got, kw_secret_str(f->uri));
	OPENSSL_cleanse(got, strlen(got));
	free(got);
}

static void check_rendering(struct fixture *f, enum kw_qr_style style)
{
	struct kw_secret *text = NULL;
	struct kw_error err;
	int n = f->n, rows = n + 1;
	unsigned char *got = malloc((size_t)n * (size_t)rows);
	int lines;

	assert_int_equal(kw_qr_render_text(f->uri, style, &text, &err), 0);
	assert_null(strstr(kw_secret_str(text), SEED));
	if (style == KW_QR_STYLE_PLAIN)
		assert_null(strchr(kw_secret_str(text), '\033'));
	else
		assert_non_null(strstr(kw_secret_str(text), "\033[97;40m")); /* both colours explicit */
	lines = decode_half_blocks(kw_secret_str(text), n, got, rows);
	assert_int_equal(lines, (n + 1) / 2);
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++)
			if (got[y * n + x] != want_dark(f, x, y))
				fail_msg("module (%d,%d): rendered %s, QRcode %s", x, y,
				         got[y * n + x] ? "dark" : "light",
				         want_dark(f, x, y) ? "dark" : "light");
	/* The quiet zone is light on every side. */
	for (int i = 0; i < n; i++)
		for (int q = 0; q < KW_QR_QUIET; q++)
			assert_true(!got[q * n + i] && !got[(n - 1 - q) * n + i] && !got[i * n + q] &&
			            !got[i * n + n - 1 - q]);
	scan_matrix(f, got);
	free(got);
	kw_secret_free(text);
}

static void qr_text_round_trips(void **state)
{
	struct fixture *f = *state;

	assert_true(f->qr->width >= 21);
	check_rendering(f, KW_QR_STYLE_COLOR);
	check_rendering(f, KW_QR_STYLE_PLAIN);
}

static void qr_print_writes_the_rendering(void **state)
{
	struct fixture *f = *state;
	struct kw_secret *text = NULL;
	struct kw_error err;
	size_t size = 64 * 1024;
	char *buf = calloc(1, size);
	FILE *fp = fmemopen(buf, size, "w");

	assert_int_equal(kw_qr_print(f->uri, KW_QR_STYLE_COLOR, fp, &err), 0);
	fclose(fp);
	assert_int_equal(kw_qr_render_text(f->uri, KW_QR_STYLE_COLOR, &text, &err), 0);
	assert_string_equal(buf, kw_secret_str(text));
	kw_secret_free(text);
	free(buf);
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
	assert_int_equal(img.width, f->n * scale);
	assert_int_equal(img.height, f->n * scale);
	img.format = PNG_FORMAT_GRAY;
	pixels = malloc(PNG_IMAGE_SIZE(img));
	assert_true(png_image_finish_read(&img, NULL, pixels, 0, NULL));
	for (int y = 0; y < f->n; y++)
		for (int x = 0; x < f->n; x++) {
			unsigned char v = pixels[(y * scale + 1) * img.width + x * scale + 1];
			assert_int_equal(v, want_dark(f, x, y) ? 0 : 255);
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
	const char *path = kw_scratch_path(&f->tmp, "mfa.svg");
	struct kw_error err;
	xmlDocPtr doc;
	xmlNodePtr root, node;
	xmlChar *viewbox, *d = NULL;
	unsigned char *got = calloc((size_t)f->n * (size_t)f->n, 1);
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
	snprintf(want_vb, sizeof(want_vb), "0 0 %d %d", f->n, f->n);
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
			got[y * f->n + x + i] = 1;
		p += used;
	}
	for (int y = 0; y < f->n; y++)
		for (int x = 0; x < f->n; x++)
			assert_int_equal(got[y * f->n + x], want_dark(f, x, y));
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
	        cmocka_unit_test_setup_teardown(qr_print_writes_the_rendering, setup, teardown),
	        cmocka_unit_test_setup_teardown(qr_png_reads_back, setup, teardown),
	        cmocka_unit_test_setup_teardown(qr_svg_parses, setup, teardown),
	        cmocka_unit_test_setup_teardown(seed_file_is_0600_and_never_overwritten, setup, teardown),
	        cmocka_unit_test_setup_teardown(seed_exec_gets_seed_on_stdin, setup, teardown),
	};
	return cmocka_run_group_tests_name("qr", tests, NULL, NULL);
}
