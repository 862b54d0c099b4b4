/* The `profile: NAME` sink: the shared credentials and config files, edited with src/aws/ini.h. */
#include "keys/sink.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/ini.h"
#include "keys/lock.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"

/* A change of a shared file: the new text from the parsed file (*text NULL: nothing to write). */
typedef int (*change_fn)(void *ud, const struct kw_ini *ini, struct kw_secret **text, struct kw_error *err);

/*
 * Rewrite the file at path under its lock, from reading it to renaming its new version into
 * place, so that a concurrent delivery loses no profile: change computes the new text from the
 * parsed file, written atomically, 0600. create: a missing file is an empty one (its folder made
 * 0700); else a missing folder or file is nothing to do.
 */
static int rewrite(const char *path, bool create, change_fn change, void *ud, struct kw_error *err)
{
	struct kw_secret *text = NULL;
	struct kw_ini *ini = NULL;
	int rc = -1, lock = kw_keys_lock(path, create, err);

	if (lock < 0 && !create && err && err->kind == KW_ERR_NOT_FOUND) {
		kw_error_clear(err); /* no folder, no file */
		return 0;
	}
	if (lock < 0)
		return -1;
	if (kw_ini_load(path, &ini, err)) {
		if (err && err->kind != KW_ERR_NOT_FOUND)
			goto out;
		kw_error_clear(err);
		if (!create) {
			rc = 0;
			goto out;
		}
		if (kw_ini_parse(path, "", 0, &ini, err))
			goto out;
	}
	if (change(ud, ini, &text, err))
		goto out;
	if (text && kw_atomic_write(path, text->data, text->len, 0600, create ? KW_ATOMIC_MKDIR : 0, err))
		goto out;
	rc = 0;
out:
	kw_secret_free(text);
	kw_ini_free(ini);
	kw_keys_unlock(lock);
	return rc;
}

struct set_profile {
	enum kw_ini_kind kind;
	const char *name;
	const struct kw_ini_set *sets;
	size_t nsets;
};

/* Set the changes in profile name's section (the existing one, whatever form its header has, or a new one). */
static int set_keys(void *ud, const struct kw_ini *ini, struct kw_secret **text, struct kw_error *err)
{
	const struct set_profile *sp = ud;
	const struct kw_ini_section *sec = kw_ini_profile(ini, sp->kind, sp->name);
	char header[512];

	if (sec) {
		if (snprintf(header, sizeof(header), "%s", sec->name) >= (int)sizeof(header))
			return kw_error_set(err, KW_ERR_INVALID, ini->path, "profile header too long");
	} else if (kw_ini_profile_header(sp->kind, sp->name, header, sizeof(header))) {
		return kw_error_set(err, KW_ERR_INVALID, ini->path, "profile name too long");
	}
	return kw_ini_edit(ini, header, sp->sets, sp->nsets, text, err);
}

/* Set sets in profile name's section of the file at path (created when missing). */
static int edit_profile(const char *path, enum kw_ini_kind kind, const char *name,
                        const struct kw_ini_set *sets, size_t nsets, struct kw_error *err)
{
	struct set_profile sp = {kind, name, sets, nsets};

	return rewrite(path, true, set_keys, &sp, err);
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

/* Whether every entry of sec is one of keys (NULL-terminated); else *other names the first that is not. */
static bool only_keys(const struct kw_ini_section *sec, const char *const *keys, const char **other)
{
	for (size_t i = 0; i < sec->nentries; i++) {
		bool ours = false;

		for (size_t k = 0; keys[k]; k++)
			ours |= !strcasecmp(sec->entries[i].key, keys[k]);
		if (!ours) {
			*other = sec->entries[i].key;
			return false;
		}
	}
	return true;
}

struct strip_profile {
	enum kw_ini_kind kind;
	const char *name;
	const char *const *ours; /* the keys keywarden writes there, NULL-terminated */
	bool check;              /* the section's aws_access_key_id must be one of held */
	const char *const *held;
	size_t nheld;
	enum kw_key_removed *what;
};

/*
 * Take profile name out: the whole section when it holds only ours, else only those keys (the
 * section stays, holding settings keywarden did not write: logged). With check, a section
 * holding none of the held key ids is kept (KW_KEY_REMOVED_FOREIGN).
 */
static int strip_keys(void *ud, const struct kw_ini *ini, struct kw_secret **text, struct kw_error *err)
{
	const struct strip_profile *sp = ud;
	const struct kw_ini_section *sec = kw_ini_profile(ini, sp->kind, sp->name);
	const char *other = NULL;
	struct kw_ini_set sets[4];
	size_t n = 0;

	if (!sec)
		return 0;
	if (sp->check) {
		bool mine = false;
		char *id = NULL;

		if (kw_ini_get_str(sec, "aws_access_key_id", NULL, &id, err) < 0)
			return -1;
		mine = id && kw_keys_id_among(id, sp->held, sp->nheld);
		free(id);
		if (!mine) {
			*sp->what = KW_KEY_REMOVED_FOREIGN;
			return 0;
		}
	}
	*sp->what = KW_KEY_REMOVED;
	if (only_keys(sec, sp->ours, &other))
		return kw_ini_remove_section(ini, sec->name, text, err);
	for (; sp->ours[n] && n < 4; n++)
		sets[n] = (struct kw_ini_set){sp->ours[n], NULL, 0};
	kw_log(KW_LOG_WARN, "%s: [%s] stays: it holds %s, which keywarden did not write", ini->path,
	       sec->name, other);
	return kw_ini_edit(ini, sec->name, sets, n, text, err);
}

/* The shared file of kind for profile sink s: the one it names (keys/record.h), else the chain's. */
static int shared_path(const struct kw_key_sink *s, enum kw_ini_kind kind, struct kw_buf *out,
                       struct kw_error *err)
{
	const char *named = kind == KW_INI_CONFIG ? s->config_file : s->credentials_file;

	if (named)
		return kw_buf_puts(out, named) ? kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory") : 0;
	return kind == KW_INI_CONFIG ? kw_keys_config_path(out, err) : kw_keys_credentials_path(out, err);
}

int kw_keys_profile_remove(const struct kw_key_sink *s, const char *user, enum kw_key_removed *what,
                           struct kw_error *err)
{
	static const char *const creds[] = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token",
	                                    NULL};
	static const char *const conf[] = {"region", "output", NULL};
	struct kw_buf path = KW_BUF_INIT;
	enum kw_key_removed config = KW_KEY_REMOVED_ABSENT;
	struct strip_profile cr = {KW_INI_CREDENTIALS, s->target, creds, true, s->held, s->nheld, what};
	struct strip_profile cf = {KW_INI_CONFIG, s->target, conf, false, NULL, 0, &config};
	int rc = -1;

	(void)user;
	*what = KW_KEY_REMOVED_ABSENT;
	if (!valid_profile_name(s->target))
		return kw_error_set(err, KW_ERR_INVALID, "profile", "invalid profile name '%s'",
		                    s->target ? s->target : "");
	/* the credentials first: only a profile holding one of the user's keys is keywarden's */
	if (shared_path(s, KW_INI_CREDENTIALS, &path, err) || rewrite(path.data, false, strip_keys, &cr, err))
		goto out;
	if (*what == KW_KEY_REMOVED) {
		kw_buf_reset(&path);
		if (shared_path(s, KW_INI_CONFIG, &path, err) ||
		    rewrite(path.data, false, strip_keys, &cf, err))
			goto out;
	}
	rc = 0;
out:
	if (rc)
		kw_error_prefix(err, "profile %s", s->target);
	kw_buf_release(&path);
	return rc;
}

int kw_keys_profile_held(const struct kw_key_sink *s, char id[KW_KEYS_ID_MAX], struct kw_secret **secret,
                         enum kw_key_held *held, struct kw_error *err)
{
	struct kw_buf path = KW_BUF_INIT;
	const struct kw_ini_section *sec;
	const struct kw_ini_entry *e;
	struct kw_ini *ini = NULL;
	int rc = -1;

	if (shared_path(s, KW_INI_CREDENTIALS, &path, err))
		goto out;
	if (kw_ini_load(path.data, &ini, err)) {
		if (err->kind != KW_ERR_NOT_FOUND)
			goto out;
		*held = KW_KEY_HELD_NONE;
		rc = 0;
		goto out;
	}
	sec = kw_ini_profile(ini, KW_INI_CREDENTIALS, s->target);
	e = sec ? kw_ini_get(sec, "aws_access_key_id", NULL) : NULL;
	*held = KW_KEY_HELD_NONE;
	if (e && e->value.len) {
		*held = KW_KEY_HELD_OTHER;
		/* ASIA...: temporary credentials, never an IAM user's access key */
		if (!kw_keys_key_id_in(e->value.ptr, e->value.len, id, KW_KEYS_ID_MAX) &&
		    strncmp(id, "ASIA", 4))
			*held = KW_KEY_HELD_KEY;
	}
	rc = 0;
	if (secret && *held == KW_KEY_HELD_KEY &&
	    kw_ini_get_secret(sec, "aws_secret_access_key", NULL, secret, err) != 1)
		rc = *secret ? 0 : kw_error_set(err, KW_ERR_NOT_FOUND, path.data, "no aws_secret_access_key");
out:
	kw_ini_free(ini);
	kw_buf_release(&path);
	return rc;
}
