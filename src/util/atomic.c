#include "util/atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/log.h"
#include "util/path.h"

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Split path into a folder ("." when none) and base name; both newly allocated. */
static int split_path(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');

	*dir = kw_path_dirname(path);
	*base = strdup(slash ? slash + 1 : path);
	if (!*dir || !*base) {
		free(*dir);
		free(*base);
		return -1;
	}
	return 0;
}

/* Whether name is a temporary file of kw_atomic_write: ".BASE.kw-" 12 hex digits ".tmp". */
static bool temp_name(const char *name)
{
	size_t n = strlen(name), tail = sizeof(KW_ATOMIC_TEMP_MARK) - 1 + 12 + 4;

	if (name[0] != '.' || n < 1 + tail + 1 || strcmp(name + n - 4, ".tmp") ||
	    strncmp(name + n - tail, KW_ATOMIC_TEMP_MARK, sizeof(KW_ATOMIC_TEMP_MARK) - 1))
		return false;
	for (size_t i = n - 16; i < n - 4; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

/*
 * Wipe and remove the temporary file name in dfd when no live process holds it: its writer
 * keeps an exclusive flock from creating it to renaming it, and the kernel drops the lock of a
 * killed process. Only regular files of ours. Returns true when it was removed.
 */
static bool sweep_one(int dfd, const char *name)
{
	static const unsigned char zeros[4096];
	struct stat st, now;
	bool gone = false;
	int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB))
		goto out; /* a live writer holds it */
	/*
	 * Under the lock: a regular file of ours, still under its temporary name. A writer that
	 * finished between our open and our lock renamed this very file into place: that is no
	 * leftover (and a writer never renames a file it does not hold locked).
	 */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink == 0 ||
	    fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) || now.st_ino != st.st_ino ||
	    now.st_dev != st.st_dev)
		goto out;
	for (off_t done = 0; done < st.st_size;) { /* the secrets go, not only the name */
		size_t n = st.st_size - done < (off_t)sizeof(zeros) ? (size_t)(st.st_size - done)
		                                                    : sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, n, done);

		if (w <= 0)
			break;
		done += w;
	}
	(void)fsync(fd);
	gone = unlinkat(dfd, name, 0) == 0;
out:
	close(fd);
	return gone;
}

int kw_atomic_sweep(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), removed = 0;
	DIR *d;
	struct dirent *e;

	if (dfd < 0)
		return 0;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while ((e = readdir(d)))
		if (temp_name(e->d_name) && sweep_one(dirfd(d), e->d_name)) {
			kw_log(KW_LOG_WARN,
			       "removed %s/%s, a temporary file an interrupted write left behind", dir,
			       e->d_name);
			removed++;
		}
	closedir(d);
	return removed;
}

int kw_atomic_sweep_for(const char *path)
{
	char *dir = NULL, *base = NULL;
	int n;

	if (split_path(path, &dir, &base))
		return 0;
	n = kw_atomic_sweep(dir);
	free(dir);
	free(base);
	return n;
}

/* A temporary name for base into tmp: ".BASE.kw-" 12 random hex digits ".tmp". */
static int temp_name_make(const char *path, const char *base, char *tmp, size_t size, struct kw_error *err)
{
	unsigned char rnd[6];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return kw_error_set(err, KW_ERR_INTERNAL, path, "no random bytes for a temporary name");
	if (snprintf(tmp, size, ".%s" KW_ATOMIC_TEMP_MARK "%02x%02x%02x%02x%02x%02x.tmp", base, rnd[0],
	             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]) >= (int)size)
		return kw_error_set(err, KW_ERR_IO, path, "path too long");
	return 0;
}

/*
 * Write data into a new temporary file in dfd, named tmp, created and locked (flock,
 * exclusive) at once and held until the caller closes the descriptor, which it returns; -1
 * with err set. A sweeper that took the file between its creation and the lock (no links
 * left) makes it give that name up for another.
 */
static int write_temp(int dfd, const char *path, const char *base, const void *data, size_t len, mode_t mode,
                      char *tmp, size_t tmpsize, struct kw_error *err)
{
	struct stat st;
	int fd = -1;

	for (int tries = 0; fd < 0; tries++) {
		if (tries == 4)
			return kw_error_set(err, KW_ERR_IO, path,
			                    "cannot hold a temporary file: removed each time");
		if (temp_name_make(path, base, tmp, tmpsize, err))
			return -1;
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
		if (fd < 0)
			return kw_error_set(err, KW_ERR_IO, path, "cannot create temporary file: %s",
			                    strerror(errno));
		if (flock(fd, LOCK_EX) || fstat(fd, &st)) {
			kw_error_set(err, KW_ERR_IO, path, "cannot lock the temporary file: %s",
			             strerror(errno));
			(void)unlinkat(dfd, tmp, 0);
			close(fd);
			return -1;
		}
		if (st.st_nlink == 0) { /* swept before the lock: its name is gone, try another */
			close(fd);
			fd = -1;
		}
	}
	if (fchmod(fd, mode & 07777) || write_all(fd, data, len) || fsync(fd)) {
		kw_error_set(err, KW_ERR_IO, path, "cannot write: %s", strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		close(fd);
		return -1;
	}
	return fd;
}

int kw_atomic_write(const char *path, const void *data, size_t len, mode_t mode, unsigned flags,
                    struct kw_error *err)
{
	char *dir = NULL, *base = NULL, tmp[4096];
	int dfd = -1, fd = -1, rc = -1, created = 0;
	struct stat st;

	if (split_path(path, &dir, &base))
		return kw_error_set(err, KW_ERR_NOMEM, path, "out of memory");
	if (!*base) {
		kw_error_set(err, KW_ERR_IO, path, "not a file name");
		goto out;
	}
	if ((flags & KW_ATOMIC_MKDIR) && mkdir(dir, 0700) && errno != EEXIST) {
		kw_error_set(err, KW_ERR_IO, dir, "cannot create folder: %s", strerror(errno));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		kw_error_set(err, KW_ERR_IO, dir, "cannot open folder: %s", strerror(errno));
		goto out;
	}
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode)) {
			kw_error_set(err, KW_ERR_IO, path, "refusing to write through a symbolic link");
			goto out;
		}
		if (flags & KW_ATOMIC_NO_CLOBBER) {
			kw_error_set(err, KW_ERR_CONFLICT, path, "file exists, refusing to overwrite");
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			kw_error_set(err, KW_ERR_IO, path, "not a regular file");
			goto out;
		}
	}
	/* what a killed run left here goes first (kw_atomic_sweep) */
	(void)kw_atomic_sweep(dir);
	fd = write_temp(dfd, path, base, data, len, mode, tmp, sizeof(tmp), err);
	if (fd < 0)
		goto out;
	created = 1;
	/* fd stays open (and locked) until the new file is in place */
	if (flags & KW_ATOMIC_NO_CLOBBER) {
		/* link(2) fails with EEXIST instead of replacing: no race with another writer. */
		if (linkat(dfd, tmp, dfd, base, 0)) {
			if (errno == EEXIST)
				kw_error_set(err, KW_ERR_CONFLICT, path,
				             "file exists, refusing to overwrite");
			else
				kw_error_set(err, KW_ERR_IO, path, "cannot create: %s", strerror(errno));
			goto out;
		}
		(void)unlinkat(dfd, tmp, 0);
		created = 0;
	} else if (renameat(dfd, tmp, dfd, base)) {
		kw_error_set(err, KW_ERR_IO, path, "cannot replace: %s", strerror(errno));
		goto out;
	} else {
		created = 0;
	}
	(void)fsync(dfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (created)
		(void)unlinkat(dfd, tmp, 0);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(base);
	return rc;
}

int kw_read_file(const char *path, size_t max, char **out, size_t *len, struct kw_error *err)
{
	FILE *fp = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	*out = NULL;
	if (!fp) {
		if (errno == ENOENT)
			return kw_error_set(err, KW_ERR_NOT_FOUND, path, "no such file");
		return kw_error_set(err, KW_ERR_IO, path, "cannot read: %s", strerror(errno));
	}
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *p;
			cap = cap ? cap * 2 : 8192;
			if (!(p = realloc(data, cap + 1))) {
				kw_error_set(err, KW_ERR_NOMEM, path, "out of memory");
				goto out;
			}
			data = p;
		}
		got = fread(data + n, 1, cap - n, fp);
		n += got;
		if (n > max) {
			kw_error_set(err, KW_ERR_INVALID, path, "file larger than %zu bytes", max);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		kw_error_set(err, KW_ERR_IO, path, "cannot read: %s", strerror(errno));
		goto out;
	}
	data[n] = '\0';
	*out = data;
	data = NULL;
	if (len)
		*len = n;
	rc = 0;
out:
	free(data);
	fclose(fp);
	return rc;
}

/* What a file that is not a regular one is, for the error. */
static const char *file_kind(mode_t m)
{
	return S_ISFIFO(m)   ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISDIR(m)  ? "a folder"
	                     : "not a plain file";
}

int kw_read_regular_file(const char *path, size_t max, char **out, size_t *len, struct kw_error *err)
{
	struct stat st;
	int fd;

	*out = NULL;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return kw_error_set(err, KW_ERR_INVALID, path, "not a regular file (%s): refused unread",
		                    file_kind(st.st_mode));
	/* swapped for a FIFO since: O_NONBLOCK keeps open from waiting for a writer */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);

		close(fd);
		if (!regular)
			return kw_error_set(err, KW_ERR_INVALID, path,
			                    "not a regular file (%s): refused unread", file_kind(st.st_mode));
	}
	return kw_read_file(path, max, out, len, err);
}
