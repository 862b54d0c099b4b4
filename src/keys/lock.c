/* Delivery file locks (lock.h). */
#include "keys/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"

static int open_lock(const char *lpath, bool mk)
{
	int fd = open(lpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0 && errno == ENOENT && mk) {
		char *copy = strdup(lpath);

		if (!copy)
			return -1;
		if (mkdir(dirname(copy), 0700) && errno != EEXIST) {
			free(copy);
			return -1;
		}
		free(copy);
		fd = open(lpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	return fd;
}

int kw_keys_lock(const char *path, bool mk, struct kw_error *err)
{
	struct kw_buf lpath = KW_BUF_INIT;
	struct timespec pause = {0, 20 * 1000000L};
	bool said = false;
	int fd = -1;

	if (kw_buf_appendf(&lpath, "%s%s", path, KW_KEYS_LOCK_SUFFIX)) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	fd = open_lock(lpath.data, mk);
	if (fd < 0) {
		kw_error_set(err, errno == ENOENT ? KW_ERR_NOT_FOUND : KW_ERR_IO, lpath.data,
		             "cannot open the lock file: %s", strerror(errno));
		goto out;
	}
	for (double waited = 0;; waited += 0.02) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			kw_error_set(err, KW_ERR_IO, lpath.data, "cannot lock: %s", strerror(errno));
			goto fail;
		}
		if (waited >= KW_KEYS_LOCK_TIMEOUT) {
			kw_error_set(err, KW_ERR_TIMEOUT, lpath.data,
			             "another process has held the lock for %.0f s", waited);
			goto fail;
		}
		if (!said && waited >= 1) {
			kw_log(KW_LOG_INFO, "waiting for the lock on %s", path);
			said = true;
		}
		nanosleep(&pause, NULL);
	}
	goto out;
fail:
	close(fd);
	fd = -1;
out:
	kw_buf_release(&lpath);
	return fd;
}

void kw_keys_unlock(int fd)
{
	if (fd < 0)
		return;
	(void)flock(fd, LOCK_UN);
	close(fd);
}
