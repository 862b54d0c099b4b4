#include "util/interrupt.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

static volatile sig_atomic_t received;

static void on_signal(int sig)
{
	static const char msg[] = "\nkeywarden: interrupted: stopping at the next safe point "
	                          "(again to quit at once, which may leave work half done)\n";

	if (received) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	received = sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
}

void kw_interrupt_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR so callers can poll */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
}

bool kw_interrupted(void)
{
	return received != 0;
}

int kw_interrupt_check(const char *where, struct kw_error *err)
{
	int sig = received;

	if (!sig)
		return 0;
	return kw_error_set(err, KW_ERR_ABORTED, where, "interrupted (%s)",
	                    sig == SIGINT    ? "SIGINT"
	                    : sig == SIGTERM ? "SIGTERM"
	                                     : "SIGHUP");
}

void kw_interrupt_reset(void)
{
	received = 0;
}
