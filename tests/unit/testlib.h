/*
 * testlib.h - helpers shared by the cmocka unit tests (include after <cmocka.h>): a scratch
 * folder, whole-file reads, file modes, and capturing stderr to prove a secret never reached it.
 * Header-only (static functions) so that each test executable stays one .c file.
 */
#ifndef KW_TESTS_UNIT_TESTLIB_H
#define KW_TESTS_UNIT_TESTLIB_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic.h"
#include "util/error.h"

struct kw_scratch {
	char dir[64];
	char path[8][256]; /* ring of paths returned by kw_scratch_path */
	int next;
	int saved_stderr;
	char capture[128];
};

/* kw_scratch_make - new folder /tmp/kw-test-<name>-XXXXXX. */
static void kw_scratch_make(struct kw_scratch *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->saved_stderr = -1;
	assert_true(snprintf(s->dir, sizeof(s->dir), "/tmp/kw-test-%s-XXXXXX", name) < (int)sizeof(s->dir));
	assert_non_null(mkdtemp(s->dir));
}

/* kw_scratch_remove - remove the folder and everything in it. */
static void kw_scratch_remove(struct kw_scratch *s)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
}

/* kw_scratch_path - "<dir>/<name>"; valid for the next 7 calls. */
static char *kw_scratch_path(struct kw_scratch *s, const char *name)
{
	char *p = s->path[s->next++ % 8];

	assert_true(snprintf(p, sizeof(s->path[0]), "%s/%s", s->dir, name) < (int)sizeof(s->path[0]));
	return p;
}

/* kw_slurp - a whole file as a new string (free()), or NULL. Test helper: not for real secrets. */
static char *kw_slurp(const char *path)
{
	char *data = NULL;
	struct kw_error err;

	if (kw_read_file(path, 1 << 20, &data, NULL, &err))
		return NULL;
	return data;
}

/* kw_mode_of - permission bits of path itself (not following a link). */
static mode_t kw_mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* kw_capture_start - send stderr (fd 2, so child processes too) to a file until kw_capture_check. */
static void kw_capture_start(struct kw_scratch *s)
{
	int fd;

	snprintf(s->capture, sizeof(s->capture), "%s/stderr.capture", s->dir);
	fflush(stderr);
	s->saved_stderr = dup(STDERR_FILENO);
	fd = open(s->capture, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/*
 * kw_capture_check - restore stderr and assert that secret appears neither in what was captured
 * nor in err's message and subject (err may be NULL). What was captured is echoed.
 */
static void kw_capture_check(struct kw_scratch *s, const char *secret, const struct kw_error *err)
{
	char *got;

	fflush(stderr);
	dup2(s->saved_stderr, STDERR_FILENO);
	close(s->saved_stderr);
	s->saved_stderr = -1;
	got = kw_slurp(s->capture);
	assert_non_null(got);
	if (*got)
		fprintf(stderr, "(captured stderr: %s)\n", got);
	assert_null(strstr(got, secret));
	free(got);
	unlink(s->capture);
	if (err) {
		assert_null(strstr(err->msg, secret));
		assert_null(strstr(err->where, secret));
	}
}

#endif
