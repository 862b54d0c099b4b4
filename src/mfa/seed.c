#include "mfa/seed.h"

#include "util/atomic.h"
#include "util/error.h"
#include "util/exec.h"
#include "util/secret.h"

/* The seed text and a newline, in a new secret. */
static struct kw_secret *seed_line(const struct kw_secret *seed_b32, struct kw_error *err)
{
	struct kw_secret *s;

	if (!seed_b32 || !seed_b32->len) {
		kw_error_set(err, KW_ERR_INVALID, "mfa seed", "empty MFA seed");
		return NULL;
	}
	if (!(s = kw_secret_new(seed_b32->len + 1)) || kw_secret_append(s, seed_b32->data, seed_b32->len) ||
	    kw_secret_append(s, "\n", 1)) {
		kw_secret_free(s);
		kw_error_set(err, KW_ERR_NOMEM, "mfa seed", "out of memory");
		return NULL;
	}
	return s;
}

int kw_mfa_seed_write(const char *path, const struct kw_secret *seed_b32, struct kw_error *err)
{
	struct kw_secret *line;
	int rc;

	if (!path || !*path)
		return kw_error_set(err, KW_ERR_USAGE, "--mfa-seed-out", "empty path");
	if (!(line = seed_line(seed_b32, err)))
		return -1;
	rc = kw_atomic_write(path, line->data, line->len, 0600, KW_ATOMIC_NO_CLOBBER, err);
	kw_secret_free(line);
	return rc;
}

int kw_mfa_seed_exec(const char *cmd, const struct kw_secret *seed_b32, struct kw_error *err)
{
	struct kw_secret *line;
	int rc;

	if (!(line = seed_line(seed_b32, err)))
		return -1;
	rc = kw_exec_stdin(cmd, NULL, line->data, line->len, err);
	kw_secret_free(line);
	return rc;
}
