/*
 * lock.h - serialise deliveries that write the same file (a shared credentials or config file
 * with several profiles, a key file): an exclusive flock(2) on a lock file beside it, PATH.lock,
 * held from reading the file to renaming its new version into place. flock locks belong to
 * an open file description, so they exclude the other threads of this process (each locker
 * opens the lock file itself) and every other keywarden process alike; the kernel drops a
 * dead process's lock. The lock file is empty, mode 0600, and left in place (removing it
 * would let two lockers hold different files).
 */
#ifndef KW_KEYS_LOCK_H
#define KW_KEYS_LOCK_H

#include <stdbool.h>

struct kw_error;

#define KW_KEYS_LOCK_SUFFIX  ".lock"
#define KW_KEYS_LOCK_TIMEOUT 60.0 /* seconds to wait for another holder before giving up */

/*
 * kw_keys_lock - take the lock for path, waiting up to KW_KEYS_LOCK_TIMEOUT seconds.
 * @path:  the file about to be written (borrowed); its lock file is path + ".lock".
 * @mkdir: create path's folder (0700) when it is missing, as the write will.
 * Returns the lock's descriptor (>= 0; release with kw_keys_unlock), or -1 with err set
 * (KW_ERR_NOT_FOUND: path's folder is missing; KW_ERR_IO: cannot create the lock file, a
 * symbolic link there; KW_ERR_TIMEOUT: held by another process too long).
 */
int kw_keys_lock(const char *path, bool mkdir, struct kw_error *err);

/* kw_keys_unlock - release and close a lock from kw_keys_lock; -1 is ignored. */
void kw_keys_unlock(int fd);

#endif
