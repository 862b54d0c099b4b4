/*
 * term.h - what keywarden asks of the terminal it draws on: its size, whether its background
 * is dark or light, and the alternate screen (a full-screen view that leaves nothing in the
 * scrollback, as less and vim use).
 *
 * Nothing here prints messages; the escape sequences go to the terminal only.
 */
#ifndef KW_UTIL_TERM_H
#define KW_UTIL_TERM_H

/*
 * kw_term_size - the size of the terminal on fd, in character cells.
 * Returns 0 with *cols and *rows set, or -1 when fd is not a terminal or reports no size.
 * Source: POSIX.1-2024 tcgetwinsize / Linux ioctl TIOCGWINSZ.
 */
int kw_term_size(int fd, int *cols, int *rows);

enum kw_term_bg {
	KW_TERM_BG_UNKNOWN,
	KW_TERM_BG_DARK,
	KW_TERM_BG_LIGHT,
};

/*
 * kw_term_background - whether the terminal's default background is dark or light.
 * First COLORFGBG ("fg;bg" or "fg;default;bg", set by rxvt, Konsole and others: bg 0-6 and 8
 * are dark, 7 and 9-15 light); otherwise, when in_fd and out_fd are a terminal, the terminal is
 * asked with OSC 11 ("ESC ] 11 ; ? ST", answered "rgb:RRRR/GGGG/BBBB" by xterm, VTE, kitty,
 * iTerm2, tmux, ...) followed by Primary Device Attributes (DA1), which every terminal answers:
 * reading up to the DA1 answer (1 s at most) leaves no late reply in the input, whether or not
 * OSC 11 was understood. Skipped for TERM=dumb and the Linux console (dark).
 * Returns the background; KW_TERM_BG_UNKNOWN when nothing says.
 * Sources: xterm ctlseqs ("Operating System Commands", OSC Ps = 1 1; "Send Device Attributes");
 * rxvt-unicode(7) COLORFGBG.
 */
enum kw_term_bg kw_term_background(int in_fd, int out_fd);

/*
 * kw_term_bg_of_rgb - KW_TERM_BG_LIGHT or _DARK for an OSC 11 answer's colour
 * ("rgb:R/G/B", 1 to 4 hex digits per component; relative luminance above 0.5 is light),
 * KW_TERM_BG_UNKNOWN when reply holds none. Exposed for tests.
 * Source: ITU-R BT.709 luma coefficients.
 */
enum kw_term_bg kw_term_bg_of_rgb(const char *reply);

/* Enter and leave the alternate screen (xterm private mode 1049: saves the cursor, clears). */
#define KW_TERM_ALT_ENTER "\033[?1049h\033[H\033[2J"
#define KW_TERM_ALT_LEAVE "\033[?1049l"

#endif
