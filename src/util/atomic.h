/*
 * atomic.h - write a whole file so that readers see the old contents or the new, never a part:
 * a temporary file in the same folder (O_CREAT|O_EXCL|O_NOFOLLOW, the final mode from the
 * start), written, fsync'd, then renamed over the target (or linked, when clobbering is
 * refused), then the folder fsync'd. Used for credentials files, key files and MFA seeds.
 *
 * Temporary files are named ".BASE.kw-" + 12 hex digits + ".tmp" and held with an exclusive
 * flock(2) from their creation until the new file is in place. A run killed in between (SIGKILL,
 * power loss) leaves one behind, holding every secret of the file: the next write in that
 * folder, and kw_atomic_sweep, wipe (zeros, fsync) and remove each one that no live process
 * holds - the kernel drops a dead process's lock, so the lock tells a live write from a dead one.
 */
#ifndef KW_UTIL_ATOMIC_H
#define KW_UTIL_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

struct kw_error;

/* What every temporary file name carries between ".BASE" and the random hex digits. */
#define KW_ATOMIC_TEMP_MARK ".kw-"

enum {
	KW_ATOMIC_NO_CLOBBER = 1 << 0, /* fail with KW_ERR_CONFLICT when path exists */
	KW_ATOMIC_MKDIR = 1 << 1,      /* create the parent folder (0700) when missing */
};

/*
 * kw_atomic_write - replace path with len bytes of data, created with mode (e.g. 0600).
 * @path:  target file; a symbolic link there is refused (KW_ERR_IO), never followed.
 * @data:  bytes to write (borrowed; may be a secret: nothing is copied elsewhere).
 * @mode:  permission bits of the new file, applied exactly (umask does not widen or narrow).
 * @flags: KW_ATOMIC_NO_CLOBBER, KW_ATOMIC_MKDIR.
 * Returns 0, or -1 with err set (KW_ERR_IO with the path and errno text, KW_ERR_CONFLICT).
 * On failure the temporary file is removed and path is untouched.
 * Source: rename(2) atomicity; OpenBSD signify's writeall/O_EXCL|O_NOFOLLOW pattern.
 */
int kw_atomic_write(const char *path, const void *data, size_t len, mode_t mode, unsigned flags,
                    struct kw_error *err);

/*
 * kw_atomic_sweep - wipe and remove the temporary files of kw_atomic_write in folder dir that no
 * live process holds (regular files of this user only; each is logged as a warning). Errors are
 * ignored: a folder that cannot be read has nothing swept. Returns how many were removed.
 */
int kw_atomic_sweep(const char *dir);

/* kw_atomic_sweep_for - kw_atomic_sweep of the folder of path (borrowed). */
int kw_atomic_sweep_for(const char *path);

/*
 * kw_read_file - read a whole regular file into *out (NUL-terminated, caller frees with free())
 * and its length into *len (may be NULL). Files larger than max bytes are refused.
 * Returns 0, or -1 with err set (KW_ERR_NOT_FOUND when missing, KW_ERR_IO otherwise).
 * Not for secrets: those go into struct kw_secret (secret.h).
 */
int kw_read_file(const char *path, size_t max, char **out, size_t *len, struct kw_error *err);

/*
 * kw_read_regular_file - kw_read_file for files found in folders that anyone may have put there
 * (manifests, the policies they name, keywarden.yaml): a FIFO, device or socket is refused
 * without being opened for reading (a FIFO would block, a device never end).
 * Returns 0, or -1 with err set: KW_ERR_INVALID "not a regular file (a FIFO): refused unread",
 * else as kw_read_file.
 */
int kw_read_regular_file(const char *path, size_t max, char **out, size_t *len, struct kw_error *err);

#endif
