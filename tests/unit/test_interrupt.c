/* Unit tests for src/util/interrupt: a signal is recorded, not fatal; a second one is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.h"
#include "util/interrupt.h"

static void first_signal_is_recorded_not_fatal(void **state)
{
	struct kw_error err;

	kw_interrupt_reset();
	kw_interrupt_install();
	assert_false(kw_interrupted());
	assert_int_equal(kw_interrupt_check("apply", &err), 0);
	assert_int_equal(raise(SIGTERM), 0);
	assert_true(kw_interrupted());
	assert_int_equal(kw_interrupt_check("apply", &err), -1);
	assert_int_equal(err.kind, KW_ERR_ABORTED);
	assert_string_equal(err.where, "apply");
	assert_string_equal(err.msg, "interrupted (SIGTERM)");
	kw_interrupt_reset();
}

static void second_signal_ends_the_process(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		kw_interrupt_reset();
		kw_interrupt_install();
		raise(SIGINT);
		if (!kw_interrupted())
			_exit(2);
		raise(SIGINT);
		_exit(3); /* not reached: the second signal is fatal */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGINT);
}

static void blocking_sleep_returns_early(void **state)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		kw_interrupt_reset();
		kw_interrupt_install();
		alarm(0);
		if (fork() == 0) { /* grandchild: signal the parent shortly */
			usleep(100000);
			kill(getppid(), SIGTERM);
			_exit(0);
		}
		unsigned left = sleep(30); /* no SA_RESTART: returns on the signal */
		_exit(left > 0 && kw_interrupted() ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(first_signal_is_recorded_not_fatal),
	        cmocka_unit_test(second_signal_ends_the_process),
	        cmocka_unit_test(blocking_sleep_returns_early),
	};
	return cmocka_run_group_tests_name("interrupt", tests, NULL, NULL);
}
