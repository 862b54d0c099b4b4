#include "util/term.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int kw_term_size(int fd, int *cols, int *rows)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) || ws.ws_col == 0 || ws.ws_row == 0)
		return -1;
	*cols = ws.ws_col;
	*rows = ws.ws_row;
	return 0;
}

/* COLORFGBG: the last field is the background's colour index. */
static enum kw_term_bg bg_of_colorfgbg(const char *v)
{
	const char *last = v ? strrchr(v, ';') : NULL;
	char *end;
	long bg;

	if (!last)
		return KW_TERM_BG_UNKNOWN;
	bg = strtol(last + 1, &end, 10);
	if (end == last + 1 || *end || bg < 0 || bg > 15)
		return KW_TERM_BG_UNKNOWN;
	return bg == 7 || bg >= 9 ? KW_TERM_BG_LIGHT : KW_TERM_BG_DARK;
}

/* One hex component of 1..4 digits as a fraction of its maximum; -1 when malformed. */
static double component(const char **p, char stop)
{
	unsigned long v = 0, max = 0;
	int n = 0;

	for (; n < 4; n++, (*p)++) {
		char c = **p;
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			break;
		v = v * 16 + (unsigned long)d;
		max = max * 16 + 15;
	}
	if (!n || (stop && **p != stop))
		return -1;
	if (stop)
		(*p)++;
	return (double)v / (double)max;
}

enum kw_term_bg kw_term_bg_of_rgb(const char *reply)
{
	const char *p = reply ? strstr(reply, "rgb:") : NULL;
	double r, g, b;

	if (!p)
		return KW_TERM_BG_UNKNOWN;
	p += 4;
	if ((r = component(&p, '/')) < 0 || (g = component(&p, '/')) < 0 || (b = component(&p, 0)) < 0)
		return KW_TERM_BG_UNKNOWN;
	return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 ? KW_TERM_BG_LIGHT : KW_TERM_BG_DARK;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Whether buf holds a complete DA1 answer: ESC [ ? ... c. */
static int has_da1(const char *buf)
{
	const char *p = buf;

	while ((p = strstr(p, "\033[?"))) {
		p += 3;
		while ((*p >= '0' && *p <= '9') || *p == ';')
			p++;
		if (*p == 'c')
			return 1;
	}
	return 0;
}

/* Ask the terminal (OSC 11, then DA1) and read the answers; the background or UNKNOWN. */
static enum kw_term_bg ask_terminal(int in_fd, int out_fd)
{
	static const char query[] = "\033]11;?\033\\\033[c";
	struct termios saved, raw;
	char buf[512] = "";
	size_t len = 0;
	double deadline;
	enum kw_term_bg bg = KW_TERM_BG_UNKNOWN;

	if (tcgetattr(in_fd, &saved))
		return bg;
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(in_fd, TCSANOW, &raw))
		return bg;
	if (write(out_fd, query, sizeof(query) - 1) != (ssize_t)(sizeof(query) - 1))
		goto out;
	deadline = now_ms() + 1000;
	while (len < sizeof(buf) - 1 && !has_da1(buf)) {
		struct pollfd pfd = {.fd = in_fd, .events = POLLIN};
		double left = deadline - now_ms();
		ssize_t n;

		buf[len] = '\0';
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break; /* timeout, or a signal (EINTR): give up */
		n = read(in_fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	buf[len] = '\0';
	bg = kw_term_bg_of_rgb(buf);
out:
	(void)tcsetattr(in_fd, TCSANOW, &saved);
	return bg;
}

enum kw_term_bg kw_term_background(int in_fd, int out_fd)
{
	enum kw_term_bg bg = bg_of_colorfgbg(getenv("COLORFGBG"));
	const char *term = getenv("TERM");

	if (bg != KW_TERM_BG_UNKNOWN)
		return bg;
	if (!term || !strcmp(term, "dumb"))
		return KW_TERM_BG_UNKNOWN;
	if (!strcmp(term, "linux"))
		return KW_TERM_BG_DARK;
	if (!isatty(in_fd) || !isatty(out_fd))
		return KW_TERM_BG_UNKNOWN;
	return ask_terminal(in_fd, out_fd);
}
