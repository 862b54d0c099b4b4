/*
 * process.c - the process provider (botocore ProcessProvider): the profile's
 * credential_process, run without a shell, its stdout JSON Version 1; run again when its
 * credentials near their Expiration. Source: AWS SDKs and Tools Reference Guide, "Process
 * credential provider".
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/credentials/provider.h"
#include "aws/ini.h"
#include "aws/profile.h"
#include "aws/wipe.h"
#include "aws/xml.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/vocab.h"

#define PROCESS_OUTPUT_MAX (64 * 1024)

/* What a refresh runs again. */
struct process_state {
	char *command;
	char *where; /* "file:line" of the credential_process setting */
};

int kw_aws_credential_process_parse(const char *json, size_t len, const char *where, time_t now,
                                    struct kw_aws_credentials *out, struct kw_error *err)
{
	json_t *root = kw_cred_json_load(json, len), *v;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!root) {
		kw_error_set(err, KW_ERR_AUTH, where, "credential_process output is not a JSON object");
		goto out;
	}
	v = json_object_get(root, "Version");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		kw_error_set(err, KW_ERR_AUTH, where, "credential_process output needs \"Version\": 1");
		goto out;
	}
	if (kw_cred_from_json(root, "SessionToken", "credential_process output", where, now, out, err))
		goto out;
	out->source = kw_cred_process.name;
	rc = 0;
out:
	json_decref(root);
	if (rc)
		kw_aws_credentials_release(out);
	return rc;
}

char **kw_aws_split_command(const char *s)
{
	char **argv = NULL;
	size_t n = 0;
	struct kw_buf word = KW_BUF_INIT;
	bool in_word = false, ok = false;

	for (;;) {
		char c = *s;

		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				char **na = realloc(argv, (n + 2) * sizeof(*na));
				char *w = kw_buf_detach(&word);
				if (!na || !w) {
					free(na ? NULL : w);
					if (na)
						argv = na;
					goto out;
				}
				argv = na;
				argv[n++] = w;
				argv[n] = NULL;
				in_word = false;
			}
			if (c == '\0')
				break;
			s++;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *e = strchr(s + 1, '\'');
			if (!e || kw_buf_append(&word, s + 1, (size_t)(e - s - 1)) ||
			    (!word.data && kw_buf_puts(&word, "")))
				goto out;
			s = e + 1;
		} else if (c == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == '$' || s[1] == '`'))
					s++;
				if (kw_buf_putc(&word, *s++))
					goto out;
			}
			if (*s != '"' || (!word.data && kw_buf_puts(&word, "")))
				goto out;
			s++;
		} else if (c == '\\') {
			if (!s[1] || kw_buf_putc(&word, s[1]))
				goto out;
			s += 2;
		} else {
			if (kw_buf_putc(&word, c))
				goto out;
			s++;
		}
	}
	ok = n > 0;
out:
	kw_buf_release(&word);
	if (!ok) {
		for (size_t i = 0; i < n; i++)
			free(argv[i]);
		free(argv);
		return NULL;
	}
	return argv;
}

int kw_aws_credential_process_run(const char *command, const char *where, time_t now,
                                  struct kw_aws_credentials *out, struct kw_error *err)
{
	char **argv = kw_aws_split_command(command);
	struct kw_secret *buf = NULL;
	int pipefd[2] = {-1, -1}, status = 0, rc = -1;
	pid_t pid = -1;
	bool too_big = false;

	memset(out, 0, sizeof(*out));
	if (!argv)
		return kw_error_set(err, KW_ERR_INVALID, where,
		                    "credential_process is empty or badly quoted");
	buf = kw_secret_new(PROCESS_OUTPUT_MAX);
	if (!buf) {
		kw_error_nomem(err);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		kw_error_set(err, KW_ERR_AUTH, where, "credential_process: pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		kw_error_set(err, KW_ERR_AUTH, where, "credential_process: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(pipefd[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	for (;;) {
		ssize_t r;
		if (buf->len == buf->cap) {
			too_big = true;
			kill(pid, SIGTERM);
			break;
		}
		r = read(pipefd[0], buf->data + buf->len, buf->cap - buf->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf->len += (size_t)r;
	}
	buf->data[buf->len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (too_big) {
		kw_error_set(err, KW_ERR_AUTH, where, "credential_process printed more than %d bytes",
		             PROCESS_OUTPUT_MAX);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			kw_error_set(err, KW_ERR_AUTH, where, "credential_process '%s' could not be run",
			             argv[0]);
		else
			kw_error_set(err, KW_ERR_AUTH, where, "credential_process '%s' failed (status %d)",
			             argv[0],
			             WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		goto out;
	}
	if (kw_aws_credential_process_parse((const char *)buf->data, buf->len, where, now, out, err))
		goto out;
	rc = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	kw_secret_free(buf);
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	return rc;
}

static void free_state(void *vs)
{
	struct process_state *s = vs;

	if (!s)
		return;
	free(s->command);
	free(s->where);
	free(s);
}

static int refresh(void *vs, time_t now, struct kw_aws_credentials *out, struct kw_error *err)
{
	const struct process_state *s = vs;

	return kw_aws_credential_process_run(s->command, s->where, now, out, err);
}

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	struct process_state *s;
	char where[KW_ERR_WHERE_MAX];
	char *cmd = NULL;
	int r = kw_cred_setting_str(l, "credential_process", &cmd, where, sizeof(where), err);

	if (r <= 0)
		return r;
	if (kw_aws_credential_process_run(cmd, where, l->now, out, err)) {
		free(cmd);
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->where = strdup(where))) {
		free(s);
		free(cmd);
		return kw_error_nomem(err);
	}
	s->command = cmd;
	out->provider = &kw_cred_process;
	out->state = s;
	return 1;
}

const struct kw_cred_provider kw_cred_process = {"credential-process", resolve, refresh, free_state};
