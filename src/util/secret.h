/*
 * secret.h - buffers for secrets: secret access keys, session tokens, MFA seeds, signing keys.
 *
 * Invariants: the memory is outside core dumps (MADV_DONTDUMP) and locked in RAM where the
 * system allows; data[len] == '\0' so text secrets read as C strings; kw_secret_free() wipes
 * every byte with OPENSSL_cleanse before releasing it. While a secret lives, its value is
 * registered with the redaction filter (log.h), so it is masked in every log line and error
 * message even when a caller passes it by mistake. Never copy a secret into a kw_buf,
 * a plain malloc'd string, argv or the environment.
 */
#ifndef KW_UTIL_SECRET_H
#define KW_UTIL_SECRET_H

#include <stddef.h>

struct kw_secret {
	unsigned char *data; /* cap + 1 bytes owned; wiped on free */
	size_t len;
	size_t cap;
};

/*
 * kw_secret_new - new empty secret able to hold cap bytes (plus a terminating NUL).
 * Returns the secret (free with kw_secret_free), or NULL when out of memory.
 */
struct kw_secret *kw_secret_new(size_t cap);

/*
 * kw_secret_from - new secret holding a copy of len bytes of data.
 * The caller still owns data and should wipe it (OPENSSL_cleanse) if it was secret.
 * Returns the secret (free with kw_secret_free), or NULL when out of memory.
 */
struct kw_secret *kw_secret_from(const void *data, size_t len);

/*
 * kw_secret_set - replace the contents with len bytes of data (len <= cap).
 * Returns 0, or -1 when len is larger than the capacity.
 */
int kw_secret_set(struct kw_secret *s, const void *data, size_t len);

/*
 * kw_secret_append - append len bytes of data (len + s->len <= cap).
 * Returns 0, or -1 when the result would not fit.
 */
int kw_secret_append(struct kw_secret *s, const void *data, size_t len);

/* kw_secret_str - the contents as a NUL-terminated string (borrowed, valid until freed). */
const char *kw_secret_str(const struct kw_secret *s);

/* kw_secret_free - wipe (OPENSSL_cleanse) and free s; NULL is allowed. */
void kw_secret_free(struct kw_secret *s);

/*
 * kw_secret_read_fd - the rest of open file fd, which held size bytes when it was opened (its
 * fstat; at most 1 GiB), into a new secret (NUL-terminated; free with kw_secret_free). A file that grew while
 * being read is refused rather than read torn. @path names the file in errors.
 * Returns 0, or -1 with err set (KW_ERR_IO "cannot read: ..." or "file changed while being
 * read", KW_ERR_NOMEM); never the content in an error.
 */
struct kw_error;
int kw_secret_read_fd(int fd, const char *path, size_t size, struct kw_secret **out, struct kw_error *err);

/*
 * kw_secret_process_harden - make this process's memory unreachable from core dumps and
 * ptrace by other users: RLIMIT_CORE 0 and PR_SET_DUMPABLE 0. Called once by main.
 * Returns 0, or -1 when the system refused (keywarden goes on; secrets are still wiped).
 */
int kw_secret_process_harden(void);

#endif
