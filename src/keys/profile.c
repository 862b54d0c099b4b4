/* The `profile: NAME` sink: the shared credentials and config files, edited with src/aws/ini.h. */
#include "keys/sink.h"

#include <string.h>

#include "aws/ini.h"
#include "keys/lock.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/secret.h"

/* Load path, or an empty file when it does not exist yet. */
static int load_or_empty(const char *path, struct kw_ini **ini, struct kw_error *err)
{
	if (kw_ini_load(path, ini, err) == 0)
		return 0;
	if (err && err->kind != KW_ERR_NOT_FOUND)
		return -1;
	return kw_ini_parse(path, "", 0, ini, err);
}

/*
 * Set sets in profile name's section of the file at path (the existing section, whatever
 * form its header has, or a new one), and write the file back atomically, 0600; under the
 * file's lock from reading to renaming, so that a concurrent delivery loses no profile.
 */
static int edit_profile(const char *path, enum kw_ini_kind kind, const char *name,
                        const struct kw_ini_set *sets, size_t nsets, struct kw_error *err)
{
	const struct kw_ini_section *sec;
	struct kw_secret *text = NULL;
	struct kw_ini *ini = NULL;
	char header[512];
	int rc = -1, lock = kw_keys_lock(path, true, err);

	if (lock < 0)
		return -1;
	if (load_or_empty(path, &ini, err))
		goto out;
	sec = kw_ini_profile(ini, kind, name);
	if (sec) {
		if (snprintf(header, sizeof(header), "%s", sec->name) >= (int)sizeof(header)) {
			kw_error_set(err, KW_ERR_INVALID, path, "profile header too long");
			goto out;
		}
	} else if (kw_ini_profile_header(kind, name, header, sizeof(header))) {
		kw_error_set(err, KW_ERR_INVALID, path, "profile name too long");
		goto out;
	}
	if (kw_ini_edit(ini, header, sets, nsets, &text, err))
		goto out;
	if (kw_atomic_write(path, text->data, text->len, 0600, KW_ATOMIC_MKDIR, err))
		goto out;
	rc = 0;
out:
	kw_secret_free(text);
	kw_ini_free(ini);
	kw_keys_unlock(lock);
	return rc;
}

/* A profile name that reads back the same in both files: printable, no brackets, no edge blanks. */
static int valid_profile_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 128 || name[0] == ' ' || name[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == '[' || c == ']')
			return 0;
	}
	return 1;
}

int kw_keys_deliver_profile(const char *name, const struct kw_access_key *key, const char *region,
                            const char *output, struct kw_error *err)
{
	struct kw_buf path = KW_BUF_INIT;
	struct kw_ini_set creds[3], conf[2];
	size_t nconf = 0;
	int rc = -1;

	if (!valid_profile_name(name))
		return kw_error_set(err, KW_ERR_INVALID, "profile", "invalid profile name '%s'",
		                    name ? name : "");
	if (!key->access_key_id || !*key->access_key_id || !key->secret_access_key ||
	    !key->secret_access_key->len)
		return kw_error_set(err, KW_ERR_INVALID, "profile", "incomplete access key");
	creds[0] = (struct kw_ini_set){"aws_access_key_id", key->access_key_id, strlen(key->access_key_id)};
	creds[1] = (struct kw_ini_set){"aws_secret_access_key", (const char *)key->secret_access_key->data,
	                               key->secret_access_key->len};
	creds[2] = (struct kw_ini_set){"aws_session_token", NULL, 0}; /* stale with a new static key */
	if (region)
		conf[nconf++] = (struct kw_ini_set){"region", region, strlen(region)};
	if (output)
		conf[nconf++] = (struct kw_ini_set){"output", output, strlen(output)};

	if (kw_keys_credentials_path(&path, err) ||
	    edit_profile(path.data, KW_INI_CREDENTIALS, name, creds, 3, err))
		goto out;
	if (nconf) {
		kw_buf_reset(&path);
		if (kw_keys_config_path(&path, err) ||
		    edit_profile(path.data, KW_INI_CONFIG, name, conf, nconf, err))
			goto out;
	}
	rc = 0;
out:
	if (rc)
		kw_error_prefix(err, "profile %s", name);
	kw_buf_release(&path);
	return rc;
}
