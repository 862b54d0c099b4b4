/*
 * qr.h - the otpauth:// URI of a virtual MFA device, as a QR code on the terminal, in a PNG
 * or in an SVG file, for the person (or custodian) who adds the device to an authenticator app.
 *
 * Invariants: the URI carries the seed, so it and everything derived from it (the rendered
 * terminal text, the PNG and SVG bytes) live only in struct kw_secret and are never logged;
 * files are written with kw_atomic_write, mode 0600. QR codes are made by libqrencode (the
 * smallest version that holds the text, case-sensitive, 8-bit with alphanumeric/numeric segments
 * where shorter: the base32 seed packs as alphanumeric, the account id as numeric), PNGs by
 * libpng. The terminal gets the smallest symbol (level L, a 2-module quiet zone) so that it fits
 * an 80x24 terminal for ordinary names; files, which have no such limit, keep level M and the
 * standard 4-module quiet zone (ISO/IEC 18004 §6.3.8).
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

/*
 * Where a QR code is shown, which decides its error correction level and quiet zone:
 * KW_QR_FOR_TERMINAL: level L (7 % recovery: a screen is not worn or folded) and a 2-module
 *   quiet zone, which the decoders of authenticator apps (ZXing, ML Kit, Apple Vision) and zbar
 *   accept; the symbol is what has to fit the terminal.
 * KW_QR_FOR_FILE: level M and the 4-module quiet zone that ISO/IEC 18004 asks for (a PNG or SVG
 *   may be printed for a custodian).
 */
enum kw_qr_use {
	KW_QR_FOR_TERMINAL,
	KW_QR_FOR_FILE,
};

#define KW_QR_QUIET_TERMINAL 2
#define KW_QR_QUIET_FILE     4

/* kw_qr_quiet - the quiet zone, in modules, of a symbol drawn for use. */
int kw_qr_quiet(enum kw_qr_use use);

/*
 * The issuer in keywarden's otpauth URIs: short, because every byte of the URI can make the QR
 * code a version larger (4 modules each side), and what authenticator apps show as the entry's
 * name ("AWS", above "NAME@ACCOUNT").
 */
#define KW_OTPAUTH_ISSUER "AWS"

/*
 * kw_otpauth_uri - the key URI an authenticator app imports, the smallest that names the entry
 * fully:
 *   otpauth://totp/AWS:NAME@ACCOUNT?secret=SEED
 * The issuer is given once, as the label's prefix: the Key Uri Format takes the issuer from the
 * prefix when the issuer parameter is absent, and older apps read only the prefix; adding
 * "&issuer=AWS" would cost a QR version for names of 16 to 24 characters. AWS's own URI
 * (VirtualMFADevice.QRCodePNG, and the console's, with issuer "Amazon Web Services" twice) needs
 * version 7 for a 15-character name, too tall for a 24-row terminal.
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
 * otherwise the account id); Google Authenticator wiki "Key Uri Format" (issuer prefix: "If
 * the issuer parameter is absent, issuer information may be taken from the issuer prefix of
 * the label"; %20 for spaces); RFC 3986 §2.1, §2.3.
 */
int kw_otpauth_uri(const char *name, const char *account, const struct kw_secret *seed_b32,
                   struct kw_secret **out, struct kw_error *err);

/*
 * kw_qr_encode - the QR code of text, as the renderings below draw it for use (see above).
 * @text: what to encode (borrowed), no NUL bytes.
 * @use:  KW_QR_FOR_TERMINAL or KW_QR_FOR_FILE (the error correction level).
 * @out:  receives the symbol (new; free with kw_qr_free, which wipes the modules).
 * Returns 0, or -1 with err set (KW_ERR_INVALID when empty or too long, KW_ERR_NOMEM).
 * Source: libqrencode QRcode_encodeString; ISO/IEC 18004.
 */
int kw_qr_encode(const struct kw_secret *text, enum kw_qr_use use, QRcode **out, struct kw_error *err);

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
	 * No escape sequences (NO_COLOR, --no-color), for a terminal whose background is dark:
	 * light modules and the quiet zone as glyphs in the terminal's (light) foreground, dark
	 * modules as its background.
	 */
	KW_QR_STYLE_PLAIN_DARK_BG,
	/*
	 * No escape sequences, for a terminal whose background is light: dark modules as glyphs in
	 * the terminal's (dark) foreground, light modules and the quiet zone as its background.
	 * Drawing one polarity on both kinds of theme would show an inverted code on one of them,
	 * which many decoders (zbar among them) do not read.
	 */
	KW_QR_STYLE_PLAIN_LIGHT_BG,
};

/*
 * kw_qr_render_text - the QR code of text for the terminal (KW_QR_FOR_TERMINAL) as UTF-8 half
 * blocks: one text line for two rows of modules ("▀" top drawn, "▄" bottom drawn, "█" both,
 * " " neither; the drawn modules are the light ones, or the dark ones for
 * KW_QR_STYLE_PLAIN_LIGHT_BG), quiet zone included, every line ended by "\n". It takes
 * kw_qr_text_size() cells.
 * @text:  what to encode (borrowed; e.g. the otpauth URI).
 * @style: see enum kw_qr_style.
 * @out:   receives the rendering (new; free with kw_secret_free: it reveals the seed).
 * Returns 0, or -1 with err set (KW_ERR_INVALID when text is too long for a QR code, KW_ERR_NOMEM).
 * Source: libqrencode QRcode_encodeString8bit; Unicode "Block Elements" U+2580, U+2584, U+2588.
 */
int kw_qr_render_text(const struct kw_secret *text, enum kw_qr_style style, struct kw_secret **out,
                      struct kw_error *err);

/*
 * kw_qr_text_size - the terminal cells kw_qr_render_text() takes for text: *cols columns
 * (modules plus quiet zone) by *rows lines (half of that, rounded up).
 * Returns 0, or -1 with err set (as kw_qr_encode).
 */
int kw_qr_text_size(const struct kw_secret *text, int *cols, int *rows, struct kw_error *err);

/*
 * kw_qr_write_png - write the QR code of text to path as a PNG: 1-bit greyscale, scale pixels
 * per module (0 means 8), KW_QR_FOR_FILE, the quiet zone included, black on white. Written with kw_atomic_write,
 * mode 0600; an existing file is replaced, a symbolic link refused.
 * Returns 0, or -1 with err set (KW_ERR_INVALID, KW_ERR_IO, KW_ERR_NOMEM).
 * Source: libpng (png_set_write_fn); PNG specification (W3C, 2nd ed.).
 */
int kw_qr_write_png(const struct kw_secret *text, const char *path, unsigned scale, struct kw_error *err);

/*
 * kw_qr_write_svg - write the QR code of text to path as SVG 1.1: a white background and one
 * black path of unit squares, viewBox in modules (KW_QR_FOR_FILE, quiet zone included), crispEdges. Written with
 * kw_atomic_write, mode 0600; an existing file is replaced, a symbolic link refused.
 * Returns 0, or -1 with err set (KW_ERR_INVALID, KW_ERR_IO, KW_ERR_NOMEM).
 * Source: W3C SVG 1.1 §8 (paths).
 */
int kw_qr_write_svg(const struct kw_secret *text, const char *path, struct kw_error *err);

#endif
