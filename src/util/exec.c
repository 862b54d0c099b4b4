#define _GNU_SOURCE /* pipe2, F_GETPIPE_SZ */
#include "util/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

int kw_write_nosigpipe(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	sigset_t pipe_set, old_set;
	int rc = 0, pending_before;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	{
		sigset_t pending;
		sigpending(&pending);
		pending_before = sigismember(&pending, SIGPIPE);
	}
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (rc == EPIPE && !pending_before) {
		const struct timespec zero = {0, 0};

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	return rc;
}

#define ALLOW_MAX 32

static char allowed[ALLOW_MAX][128]; /* --exec-env: names let through (set before any thread) */
static size_t nallowed;

/* Whether the n bytes at p are an environment variable name ([A-Za-z_][A-Za-z0-9_]*). */
static bool env_name(const char *p, size_t n)
{
	if (!n || n >= sizeof(allowed[0]) || (*p >= '0' && *p <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return false;
	return true;
}

int kw_exec_env_allow(const char *names, struct kw_error *err)
{
	size_t count = 0;

	if (!names) {
		nallowed = 0;
		return 0;
	}
	if (!*names)
		return kw_error_set(err, KW_ERR_USAGE, "--exec-env", "expected NAME[,NAME...]");
	for (const char *p = names;; p++) { /* all checked before any is taken */
		size_t n = strcspn(p, ",");

		if (!env_name(p, n))
			return kw_error_set(err, KW_ERR_USAGE, "--exec-env",
			                    "'%.*s' is not an environment variable name", (int)n, p);
		count++;
		p += n;
		if (!*p)
			break;
	}
	if (nallowed + count > ALLOW_MAX)
		return kw_error_set(err, KW_ERR_USAGE, "--exec-env", "at most %d names", ALLOW_MAX);
	for (const char *p = names;; p++) {
		size_t n = strcspn(p, ",");

		memcpy(allowed[nallowed], p, n);
		allowed[nallowed++][n] = '\0';
		p += n;
		if (!*p)
			break;
	}
	return 0;
}

bool kw_exec_env_scrubbed(const char *name)
{
	/* credentials, and what leads to the operator's: a role to assume with a web identity
	 * token, the container credential endpoint */
	static const char *const creds[] = {"AWS_ACCESS_KEY_ID",
	                                    "AWS_SECRET_ACCESS_KEY",
	                                    "AWS_SESSION_TOKEN",
	                                    "AWS_SECURITY_TOKEN",
	                                    "AWS_CREDENTIAL_EXPIRATION",
	                                    "AWS_ACCESS_KEY",
	                                    "AWS_SECRET_KEY",
	                                    "AWS_ROLE_ARN",
	                                    "AWS_ROLE_SESSION_NAME",
	                                    "AWS_WEB_IDENTITY_TOKEN_FILE",
	                                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	                                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	                                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"};
	size_t n = strcspn(name, "=");
	char key[256];

	if (n >= sizeof(key) || strncmp(name, "AWS_", 4))
		return false;
	memcpy(key, name, n);
	key[n] = '\0';
	for (size_t i = 0; i < nallowed; i++)
		if (!strcmp(key, allowed[i]))
			return false; /* --exec-env: the operator lets it through */
	for (size_t i = 0; i < sizeof(creds) / sizeof(creds[0]); i++)
		if (!strcmp(key, creds[i]))
			return true;
	if (n > 5 && !strcmp(key + n - 5, "_FILE"))
		return false;
	return strstr(key, "SECRET") || (n > 6 && !strcmp(key + n - 6, "_TOKEN"));
}

/* A copy of environ's pointers without the scrubbed ones (the strings stay environ's). */
static char **scrubbed_environ(void)
{
	size_t n = 0, k = 0;
	char **v;

	while (environ[n])
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!kw_exec_env_scrubbed(environ[i]))
			v[k++] = environ[i];
	return v;
}

int kw_exec_stdin(const char *cmd, const char *cwd, const void *data, size_t len, struct kw_error *err)
{
	char *const argv[] = {"sh", "-c", (char *)cmd, NULL};
	int fds[2] = {-1, -1}, status = 0, werr, rc = -1, pipe_size, unread = 0;
	char **envp = NULL;
	struct stat st;
	pid_t pid, w;

	errno = 0;

	if (!cmd || !*cmd)
		return kw_error_set(err, KW_ERR_USAGE, "exec", "empty command");
	if (cwd && (stat(cwd, &st) || !S_ISDIR(st.st_mode) || access(cwd, X_OK)))
		return kw_error_set(err, KW_ERR_IO, cwd, "cannot run command '%s' in this folder: %s", cmd,
		                    errno ? strerror(errno) : "not a folder");
	envp = scrubbed_environ(); /* before fork: the child may only make async-signal-safe calls */
	if (!envp)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	if (pipe2(fds, O_CLOEXEC)) {
		free(envp);
		return kw_error_set(err, KW_ERR_IO, "exec", "cannot create a pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		kw_error_set(err, KW_ERR_IO, "exec", "cannot start command '%s': %s", cmd, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls until exec. stdin = pipe, stdout = our stderr. */
		sigset_t none;

		/* the command gets every signal, also when a thread that blocks some started it */
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(fds[0], STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
		    (cwd && chdir(cwd)))
			_exit(127);
		/* Only stdin, stdout and stderr reach the command: no socket or file of ours. */
		(void)close_range(3, ~0U, 0);
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	/*
	 * When the data fits the pipe, one write never blocks: keep the read end open until the
	 * command has ended, then ask how much it left unread. A larger write can only learn that
	 * the reader left through EPIPE, so the read end is closed first.
	 */
	pipe_size = fcntl(fds[1], F_GETPIPE_SZ);
	if (pipe_size < 0 || len > (size_t)pipe_size) {
		close(fds[0]);
		fds[0] = -1;
	}
	werr = kw_write_nosigpipe(fds[1], data, len);
	close(fds[1]);
	fds[1] = -1;
	do {
		w = waitpid(pid, &status, 0);
	} while (w < 0 && errno == EINTR);
	if (w < 0) {
		kw_error_set(err, KW_ERR_IO, "exec", "cannot wait for command '%s': %s", cmd,
		             strerror(errno));
		goto out;
	}
	if (WIFSIGNALED(status)) {
		kw_error_set(err, KW_ERR_IO, "exec", "command '%s' was killed by signal %d", cmd,
		             WTERMSIG(status));
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		kw_error_set(err, KW_ERR_IO, "exec", "command '%s' exited with status %d", cmd,
		             WEXITSTATUS(status));
		goto out;
	}
	if (!werr && fds[0] >= 0 && (ioctl(fds[0], FIONREAD, &unread) || unread > 0))
		werr = EPIPE;
	if (werr) {
		kw_error_set(err, KW_ERR_IO, "exec",
		             "command '%s' closed its input before reading everything: %s", cmd,
		             strerror(werr));
		goto out;
	}
	rc = 0;
out:
	free(envp);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return rc;
}
