/*
 * qr.h - the otpauth:// URI of a virtual MFA device, as a QR code on the terminal, in a PNG
 * or in an SVG file, for the person (or custodian) who adds the device to an authenticator app.
 *
 * Invariants: the URI carries the seed, so it and everything derived from it (the rendered
 * terminal text, the PNG and SVG bytes) live only in struct kw_secret and are never logged;
 * files are written with kw_atomic_write, mode 0600. QR codes are made by libqrencode (automatic
 * version, error correction level M, case-sensitive, 8-bit with alphanumeric/numeric segments
 * where shorter: the base32 seed packs as alphanumeric), PNGs by libpng. Every rendering has a
 * quiet zone of KW_QR_QUIET modules (ISO/IEC 18004 §6.3.8).
 * Known limit: libqrencode's and zlib's internal working buffers hold copies of the data and are
 * freed without wiping (their APIs offer no hook); the module matrix and every output buffer
 * are wiped. Core dumps are off (kw_secret_process_harden), so those copies stay in-process.
 */
#ifndef KW_MFA_QR_H
#define KW_MFA_QR_H

#include <qrencode.h>
#include <stdio.h>

struct kw_error;
struct kw_secret;

/* Quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4). */
#define KW_QR_QUIET 4

/* The issuer AWS puts into its virtual MFA QR codes. */
#define KW_OTPAUTH_ISSUER "Amazon Web Services"

/*
 * kw_otpauth_uri - the key URI an authenticator app imports, built as AWS builds it:
 *   otpauth://totp/Amazon%20Web%20Services:NAME@ACCOUNT?secret=SEED&issuer=Amazon%20Web%20Services
 * @name:     the device or user name (borrowed; AWS: the VirtualMFADeviceName, which keywarden
 *            makes equal to the user name).
 * @account:  the account alias, or the 12-digit account id when there is no alias (borrowed).
 * @seed_b32: the seed as base32 text (borrowed), AWS's Base32StringSeed; it is checked to be
 *            upper-case base32 and copied without any trailing "=" padding.
 * @out:      receives the URI (new; free with kw_secret_free).
 * NAME and ACCOUNT are percent-encoded byte by byte except RFC 3986's unreserved characters
 * (so "@" or ":" inside a name cannot be taken for the separators, and a space is %20 as the
 * Key Uri Format asks, never "+"); the ":" after the issuer prefix and the "@" stay literal.
 * Returns 0, or -1 with err set (KW_ERR_INVALID for an empty name/account or a seed that is
 * not base32; KW_ERR_NOMEM).
 * Sources: AWS IAM API Reference, VirtualMFADevice.QRCodePNG: "otpauth://totp/
 * $virtualMFADeviceName@$AccountName?secret=$Base32String" (AccountName: the alias if set,
 * otherwise the account id); the IAM console's codes add issuer "Amazon Web Services", shown
 * by apps as "Amazon Web Services (FredBloggs@bloggscorp)" (biplane.com.au/blog/?p=496, "AWS
 * MFA QR Code tool"); Google Authenticator wiki "Key Uri Format" (issuer prefix and parameter,
 * %20 for spaces); RFC 3986 §2.1, §2.3.
 */
int kw_otpauth_uri(const char *name, const char *account, const struct kw_secret *seed_b32,
                   struct kw_secret **out, struct kw_error *err);

/*
 * kw_qr_encode - the QR code of text, as every rendering below draws it (parameters above).
 * @text: what to encode (borrowed), no NUL bytes.
 * @out:  receives the symbol (new; free with kw_qr_free, which wipes the modules).
 * Returns 0, or -1 with err set (KW_ERR_INVALID when empty or too long, KW_ERR_NOMEM).
 * Source: libqrencode QRcode_encodeString; ISO/IEC 18004.
 */
int kw_qr_encode(const struct kw_secret *text, QRcode **out, struct kw_error *err);

/* kw_qr_free - wipe the module matrix and free qr; NULL is allowed. */
void kw_qr_free(QRcode *qr);

enum kw_qr_style {
	/*
	 * Both colours drawn explicitly with SGR: white foreground (97) on black background (40)
	 * for every cell of the symbol and its quiet zone, reset at each line's end. Light modules
	 * are glyphs (full block, upper or lower half block), dark modules are the black
	 * background, so the code is right on dark and on light terminal themes alike.
	 * Use on a terminal that allows colour.
	 */
	KW_QR_STYLE_COLOR,
	/*
	 * No escape sequences (NO_COLOR, --no-color, not a terminal): light modules as glyphs in
	 * the terminal's own foreground on its own background. Right on dark themes; on light
	 * themes the code is inverted, which most scanner apps still read (ZXing and ML Kit try
	 * inverted codes). The quiet zone is drawn as light glyphs too.
	 */
	KW_QR_STYLE_PLAIN,
};

/*
 * kw_qr_render_text - the QR code of text as UTF-8 half blocks: one text line for two rows of
 * modules ("▀" top light, "▄" bottom light, "█" both, " " neither), quiet zone included, every
 * line ended by "\n".
 * @text:  what to encode (borrowed; e.g. the otpauth URI).
 * @style: see enum kw_qr_style.
 * @out:   receives the rendering (new; free with kw_secret_free: it reveals the seed).
 * Returns 0, or -1 with err set (KW_ERR_INVALID when text is too long for a QR code, KW_ERR_NOMEM).
 * Source: libqrencode QRcode_encodeString8bit; Unicode "Block Elements" U+2580, U+2584, U+2588.
 */
int kw_qr_render_text(const struct kw_secret *text, enum kw_qr_style style, struct kw_secret **out,
                      struct kw_error *err);

/*
 * kw_qr_print - kw_qr_render_text() written to fp (the terminal), then flushed; the rendering
 * is wiped afterwards. Returns 0, or -1 with err set (as above, KW_ERR_IO when writing fails).
 */
int kw_qr_print(const struct kw_secret *text, enum kw_qr_style style, FILE *fp, struct kw_error *err);

/*
 * kw_qr_write_png - write the QR code of text to path as a PNG: 1-bit greyscale, scale pixels
 * per module (0 means 8), the quiet zone included, black on white. Written with kw_atomic_write,
 * mode 0600; an existing file is replaced, a symbolic link refused.
 * Returns 0, or -1 with err set (KW_ERR_INVALID, KW_ERR_IO, KW_ERR_NOMEM).
 * Source: libpng (png_set_write_fn); PNG specification (W3C, 2nd ed.).
 */
int kw_qr_write_png(const struct kw_secret *text, const char *path, unsigned scale, struct kw_error *err);

/*
 * kw_qr_write_svg - write the QR code of text to path as SVG 1.1: a white background and one
 * black path of unit squares, viewBox in modules (quiet zone included), crispEdges. Written with
 * kw_atomic_write, mode 0600; an existing file is replaced, a symbolic link refused.
 * Returns 0, or -1 with err set (KW_ERR_INVALID, KW_ERR_IO, KW_ERR_NOMEM).
 * Source: W3C SVG 1.1 §8 (paths).
 */
int kw_qr_write_svg(const struct kw_secret *text, const char *path, struct kw_error *err);

#endif
