/*
 * Unit tests for src/util/term: the background from COLORFGBG and from an OSC 11 answer (the
 * colour formats terminals send), and no question asked of something that is not a terminal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/term.h"

static void background_of_osc11_answers(void **state)
{
	(void)state;
	/* xterm and VTE: 4 hex digits per component, ended by ST or BEL */
	assert_int_equal(kw_term_bg_of_rgb("\033]11;rgb:0000/0000/0000\033\\"), KW_TERM_BG_DARK);
	assert_int_equal(kw_term_bg_of_rgb("\033]11;rgb:ffff/ffff/ffff\007"), KW_TERM_BG_LIGHT);
	/* Solarized light (#fdf6e3) and dark (#002b36); 2 digits per component */
	assert_int_equal(kw_term_bg_of_rgb("\033]11;rgb:fdfd/f6f6/e3e3\033\\"), KW_TERM_BG_LIGHT);
	assert_int_equal(kw_term_bg_of_rgb("\033]11;rgb:00/2b/36\033\\\033[?62;c"), KW_TERM_BG_DARK);
	/* green weighs most in luma: pure green is light, pure blue dark */
	assert_int_equal(kw_term_bg_of_rgb("rgb:0/f/0"), KW_TERM_BG_LIGHT);
	assert_int_equal(kw_term_bg_of_rgb("rgb:0/0/f"), KW_TERM_BG_DARK);
	/* only the DA1 answer (OSC 11 not understood), or garbage */
	assert_int_equal(kw_term_bg_of_rgb("\033[?1;2c"), KW_TERM_BG_UNKNOWN);
	assert_int_equal(kw_term_bg_of_rgb("rgb:ffff/ffff"), KW_TERM_BG_UNKNOWN);
	assert_int_equal(kw_term_bg_of_rgb("rgb:gg/00/00"), KW_TERM_BG_UNKNOWN);
	assert_int_equal(kw_term_bg_of_rgb(NULL), KW_TERM_BG_UNKNOWN);
}

static void background_of_colorfgbg(void **state)
{
	int null = open("/dev/null", O_RDWR);

	(void)state;
	setenv("TERM", "xterm-256color", 1);
	setenv("COLORFGBG", "15;0", 1);
	assert_int_equal(kw_term_background(null, null), KW_TERM_BG_DARK);
	setenv("COLORFGBG", "0;15", 1);
	assert_int_equal(kw_term_background(null, null), KW_TERM_BG_LIGHT);
	setenv("COLORFGBG", "0;default;7", 1); /* rxvt with a background pixmap */
	assert_int_equal(kw_term_background(null, null), KW_TERM_BG_LIGHT);
	setenv("COLORFGBG", "7;8", 1);
	assert_int_equal(kw_term_background(null, null), KW_TERM_BG_DARK);
	/* no COLORFGBG and no terminal to ask: unknown, and nothing written to the fd */
	unsetenv("COLORFGBG");
	assert_int_equal(kw_term_background(null, null), KW_TERM_BG_UNKNOWN);
	setenv("COLORFGBG", "nonsense", 1);
	assert_int_equal(kw_term_background(null, null), KW_TERM_BG_UNKNOWN);
	setenv("TERM", "linux", 1);
	assert_int_equal(kw_term_background(null, null), KW_TERM_BG_DARK);
	close(null);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(background_of_osc11_answers),
	        cmocka_unit_test(background_of_colorfgbg),
	};
	return cmocka_run_group_tests_name("term", tests, NULL, NULL);
}
