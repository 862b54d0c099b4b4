/*
 * sink.c - the sink table and the simple targets (file, stdout, exec); see sink.h.
 */
#include "keys/sink.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ini.h"
#include "aws/profile.h"
#include "keys/lock.h"
#include "keys/targets.h"
#include "manifest/manifest.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/exec.h"
#include "util/secret.h"
#include "util/vocab.h"

static int format_date(time_t t, char *out, size_t size)
{
	kw_iso8601_format(t, out, size);
	return strcmp(out, "?") ? 0 : -1;
}

/* The key's JSON dumped with jansson's flags (indented for files, compact for a stream). */
static int key_json(const struct kw_access_key *key, size_t flags, struct kw_secret **out,
                    struct kw_error *err)
{
	json_t *obj = NULL, *secret = NULL;
	struct kw_secret *text = NULL;
	char date[32];
	size_t size;
	int rc = -1;

	*out = NULL;
	if (!key->access_key_id || !*key->access_key_id || !key->secret_access_key ||
	    !key->secret_access_key->len || !key->user_name || !*key->user_name)
		return kw_error_set(err, KW_ERR_INVALID, "access key", "incomplete access key");
	if (format_date(key->create_date, date, sizeof(date)))
		return kw_error_set(err, KW_ERR_INVALID, "access key", "bad creation date");
	/* The secret's only copy outside kw_secret is this json_t string, wiped before release. */
	secret = json_stringn((const char *)key->secret_access_key->data, key->secret_access_key->len);
	obj = json_object();
	if (!secret || !obj || json_object_set_new(obj, "AccessKeyId", json_string(key->access_key_id)) ||
	    json_object_set(obj, "SecretAccessKey", secret) ||
	    json_object_set_new(obj, "UserName", json_string(key->user_name)) ||
	    json_object_set_new(obj, "CreateDate", json_string(date))) {
		kw_error_set(err, KW_ERR_INVALID, "access key",
		             "cannot build JSON (not UTF-8, or out of memory)");
		goto out;
	}
	size = json_dumpb(obj, NULL, 0, flags);
	if (size == 0 || !(text = kw_secret_new(size + 1))) {
		kw_error_set(err, KW_ERR_NOMEM, "access key", "out of memory");
		goto out;
	}
	/* Dumped straight into the wiped buffer: jansson writes strings through without copies. */
	if (json_dumpb(obj, (char *)text->data, size, flags) != size) {
		kw_error_set(err, KW_ERR_INTERNAL, "access key", "JSON size changed while dumping");
		goto out;
	}
	text->len = size;
	text->data[size] = '\0';
	if (kw_secret_append(text, "\n", 1)) {
		kw_error_set(err, KW_ERR_INTERNAL, "access key", "JSON does not fit");
		goto out;
	}
	*out = text;
	text = NULL;
	rc = 0;
out:
	if (secret) {
		OPENSSL_cleanse((char *)json_string_value(secret), json_string_length(secret));
		json_decref(secret);
	}
	json_decref(obj);
	kw_secret_free(text);
	return rc;
}

int kw_keys_json(const struct kw_access_key *key, struct kw_secret **out, struct kw_error *err)
{
	return key_json(key, JSON_INDENT(2) | JSON_PRESERVE_ORDER, out, err);
}

int kw_keys_json_line(const struct kw_access_key *key, struct kw_secret **out, struct kw_error *err)
{
	return key_json(key, JSON_COMPACT | JSON_PRESERVE_ORDER, out, err);
}

static int write_file(const char *path, enum kw_key_format f, const char *tmpl,
                      const struct kw_access_key *key, unsigned flags, struct kw_error *err)
{
	struct kw_secret *text = NULL;
	int rc = -1, lock;

	if (!path || !*path)
		return kw_error_set(err, KW_ERR_USAGE, "file", "empty path");
	if (kw_keys_render(f, tmpl, false, key, &text, err))
		return -1;
	/* a missing folder: the write says so */
	if ((lock = kw_keys_lock(path, false, err)) < 0 && (!err || err->kind != KW_ERR_NOT_FOUND))
		goto out;
	rc = kw_atomic_write(path, text->data, text->len, 0600, flags, err);
	kw_keys_unlock(lock);
out:
	kw_secret_free(text);
	return rc;
}

int kw_keys_deliver_file(const char *path, const struct kw_access_key *key, struct kw_error *err)
{
	return write_file(path, KW_KEY_FORMAT_JSON, NULL, key, KW_ATOMIC_NO_CLOBBER, err);
}

int kw_keys_replace_file(const char *path, const struct kw_access_key *key, struct kw_error *err)
{
	return write_file(path, KW_KEY_FORMAT_JSON, NULL, key, 0, err);
}

/* text to fp without a copy in stdio's buffer (see kw_keys_deliver_stream). */
static int write_stream(FILE *fp, const struct kw_secret *text, struct kw_error *err)
{
	int fd, werr = 0;

	if (fflush(fp)) {
		werr = errno;
	} else if ((fd = fileno(fp)) >= 0) {
		werr = kw_write_nosigpipe(fd, text->data, text->len);
	} else if (fwrite(text->data, 1, text->len, fp) != text->len || fflush(fp)) {
		werr = errno ? errno : EIO;
	}
	if (werr)
		return kw_error_set(err, KW_ERR_IO, "stdout", "cannot write the key: %s", strerror(werr));
	return 0;
}

int kw_keys_deliver_stream(FILE *fp, const struct kw_access_key *key, struct kw_error *err)
{
	struct kw_secret *json = NULL;
	int rc;

	if (!fp)
		return kw_error_set(err, KW_ERR_INTERNAL, "stdout", "no stream");
	/* one line per key, so that a run delivering several keys is JSON Lines */
	if (kw_keys_json_line(key, &json, err))
		return -1;
	/*
	 * Straight to the descriptor when there is one: no copy in stdio's buffer, and a closed
	 * pipe (keywarden apply | head) is an error the engine handles, not a SIGPIPE death.
	 */
	rc = write_stream(fp, json, err);
	kw_secret_free(json);
	return rc;
}

static int exec_text(const char *cmd, const char *cwd, enum kw_key_format f, const char *tmpl,
                     const struct kw_access_key *key, struct kw_error *err)
{
	struct kw_secret *text = NULL;
	int rc;

	if (kw_keys_render(f, tmpl, false, key, &text, err))
		return -1;
	rc = kw_exec_stdin(cmd, cwd, text->data, text->len, err);
	kw_secret_free(text);
	return rc;
}

int kw_keys_deliver_exec(const char *cmd, const char *cwd, const struct kw_access_key *key,
                         struct kw_error *err)
{
	return exec_text(cmd, cwd, KW_KEY_FORMAT_JSON, NULL, key, err);
}

/* --- the table ------------------------------------------------------------------------------ */

static int profile_deliver(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err)
{
	return kw_keys_deliver_profile(s->target, k, s->region, s->output, err);
}

static int file_deliver(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err)
{
	return write_file(s->target, s->format, s->tmpl, k, KW_ATOMIC_NO_CLOBBER, err);
}

static int file_replace(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err)
{
	return write_file(s->target, s->format, s->tmpl, k, 0, err);
}

static int stdout_deliver(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err)
{
	struct kw_secret *text = NULL;
	int rc;

	if (!s->fp)
		return kw_error_set(err, KW_ERR_INTERNAL, "stdout", "no stream");
	/* json: one line per key, so that a run delivering several keys is JSON Lines */
	if (kw_keys_render(s->format, s->tmpl, true, k, &text, err))
		return -1;
	rc = write_stream(s->fp, text, err);
	kw_secret_free(text);
	return rc;
}

static int exec_deliver(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err)
{
	return exec_text(s->target, s->cwd, s->format, s->tmpl, k, err);
}

static const struct kw_key_sink_type types[KW_KEY_SINK_NKINDS] = {
        [KW_KEY_SINK_PROFILE] = {"profile", profile_deliver, NULL, kw_keys_profile_preflight,
                                 kw_keys_profile_remove, kw_keys_profile_held},
        [KW_KEY_SINK_FILE] = {"file", file_deliver, file_replace, kw_keys_file_preflight, kw_keys_file_remove,
                              kw_keys_file_held},
        [KW_KEY_SINK_STDOUT] = {"stdout", stdout_deliver, NULL, NULL, NULL, NULL},
        [KW_KEY_SINK_EXEC] = {"exec", exec_deliver, NULL, kw_keys_exec_preflight, NULL, NULL},
        [KW_KEY_SINK_SECRETS_MANAGER] = {"secretsManager", kw_keys_sm_deliver, NULL, kw_keys_sm_preflight,
                                         kw_keys_sm_remove, kw_keys_sm_held},
        [KW_KEY_SINK_SSM_PARAMETER] = {"ssmParameter", kw_keys_ssm_deliver, NULL, kw_keys_ssm_preflight,
                                       kw_keys_ssm_remove, kw_keys_ssm_held},
};

static const struct kw_key_sink_type *type_of(const struct kw_key_sink *sink, struct kw_error *err)
{
	if ((unsigned)sink->kind >= KW_KEY_SINK_NKINDS) {
		kw_error_set(err, KW_ERR_INTERNAL, "deliver", "unknown sink kind %d", (int)sink->kind);
		return NULL;
	}
	return &types[sink->kind];
}

int kw_keys_deliver(const struct kw_key_sink *sink, const struct kw_access_key *key, struct kw_error *err)
{
	const struct kw_key_sink_type *t = type_of(sink, err);

	return t ? t->deliver(sink, key, err) : -1;
}

int kw_keys_replace(const struct kw_key_sink *sink, const struct kw_access_key *key, struct kw_error *err)
{
	const struct kw_key_sink_type *t = type_of(sink, err);

	return t ? (t->replace ? t->replace : t->deliver)(sink, key, err) : -1;
}

int kw_keys_preflight(const struct kw_key_sink *sink, const char *user_name, bool replace,
                      struct kw_error *err)
{
	const struct kw_key_sink_type *t = type_of(sink, err);
	char name[512];

	if (!t)
		return -1;
	if (!t->preflight || !t->preflight(sink, user_name, replace, err))
		return 0;
	kw_error_prefix(err, "%s", kw_keys_sink_describe(sink, name, sizeof(name)));
	return -1;
}

int kw_keys_remove(const struct kw_key_sink *sink, const char *user_name, enum kw_key_removed *what,
                   struct kw_error *err)
{
	const struct kw_key_sink_type *t = type_of(sink, err);

	*what = KW_KEY_REMOVED_NOTHING;
	if (!t)
		return -1;
	return t->remove ? t->remove(sink, user_name, what, err) : 0;
}

enum kw_key_held kw_keys_held(const struct kw_key_sink *sink, char id[KW_KEYS_ID_MAX], struct kw_error *why)
{
	const struct kw_key_sink_type *t = type_of(sink, why);
	enum kw_key_held held = KW_KEY_HELD_UNKNOWN;
	struct kw_error e;

	id[0] = '\0';
	kw_error_clear(&e);
	if (t && t->held && t->held(sink, id, NULL, &held, &e))
		held = KW_KEY_HELD_UNKNOWN;
	if (held != KW_KEY_HELD_KEY)
		id[0] = '\0';
	if (why)
		*why = e;
	return held;
}

int kw_keys_held_secret(const struct kw_key_sink *sink, const char *id, struct kw_secret **secret,
                        struct kw_error *err)
{
	const struct kw_key_sink_type *t = type_of(sink, err);
	enum kw_key_held held = KW_KEY_HELD_UNKNOWN;
	char got[KW_KEYS_ID_MAX] = "";

	*secret = NULL;
	if (!t || !t->held)
		return t ? kw_error_set(err, KW_ERR_USAGE, NULL, "a write-only target: nothing to read") : -1;
	if (t->held(sink, got, secret, &held, err))
		goto fail;
	if (held == KW_KEY_HELD_KEY && !strcmp(got, id) && *secret)
		return 0;
	kw_error_set(err, KW_ERR_CONFLICT, NULL, "it no longer holds key %s", id);
fail:
	kw_secret_free(*secret);
	*secret = NULL;
	return -1;
}

void kw_keys_sink_from_manifest(const struct kw_manifest *m, const struct kw_deliver *d, FILE *out,
                                struct kw_key_sink *sink)
{
	static const enum kw_key_sink_kind kinds[] = {
	        [KW_DELIVER_PROFILE] = KW_KEY_SINK_PROFILE,
	        [KW_DELIVER_FILE] = KW_KEY_SINK_FILE,
	        [KW_DELIVER_STDOUT] = KW_KEY_SINK_STDOUT,
	        [KW_DELIVER_EXEC] = KW_KEY_SINK_EXEC,
	        [KW_DELIVER_SECRETS_MANAGER] = KW_KEY_SINK_SECRETS_MANAGER,
	        [KW_DELIVER_SSM_PARAMETER] = KW_KEY_SINK_SSM_PARAMETER,
	};

	memset(sink, 0, sizeof(*sink));
	sink->kind = kinds[d->kind];
	sink->region = d->region;
	sink->output = d->output;
	sink->format = d->format;
	sink->tmpl = d->tmpl;
	sink->kms_key_id = d->kms_key_id;
	sink->tier = d->tier;
	sink->profile = d->kind == KW_DELIVER_PROFILE ? NULL : d->store_profile;
	switch (d->kind) {
	case KW_DELIVER_PROFILE: sink->target = d->profile; break;
	case KW_DELIVER_FILE: sink->target = d->path; break;
	case KW_DELIVER_STDOUT: sink->fp = out; break;
	case KW_DELIVER_EXEC:
		sink->target = d->command;
		sink->cwd = m ? m->dir : NULL;
		break;
	case KW_DELIVER_SECRETS_MANAGER:
	case KW_DELIVER_SSM_PARAMETER: sink->target = d->store_name; break;
	}
}

const char *kw_keys_sink_describe(const struct kw_key_sink *sink, char *buf, size_t size)
{
	const char *t = sink->target ? sink->target : "";

	if (!size)
		return buf;
	if ((unsigned)sink->kind >= KW_KEY_SINK_NKINDS)
		snprintf(buf, size, "?");
	else if (sink->kind == KW_KEY_SINK_STDOUT)
		snprintf(buf, size, "stdout");
	else if (sink->kind == KW_KEY_SINK_EXEC)
		snprintf(buf, size, "exec '%s'", t);
	else if (sink->region && sink->kind >= KW_KEY_SINK_SECRETS_MANAGER)
		snprintf(buf, size, "%s %s (%s)", types[sink->kind].name, t, sink->region);
	else
		snprintf(buf, size, "%s %s", types[sink->kind].name, t);
	return buf;
}

/* The shared file of kind, resolved as the credential chain resolves it (src/aws/profile.h). */
static int shared_path(enum kw_ini_kind kind, struct kw_buf *out, struct kw_error *err)
{
	char *path = kw_aws_shared_file_path(kind);
	int rc = 0;

	if (!path || kw_buf_puts(out, path))
		rc = kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	free(path);
	return rc;
}

int kw_keys_credentials_path(struct kw_buf *out, struct kw_error *err)
{
	return shared_path(KW_INI_CREDENTIALS, out, err);
}

int kw_keys_config_path(struct kw_buf *out, struct kw_error *err)
{
	return shared_path(KW_INI_CONFIG, out, err);
}

bool kw_keys_id_among(const char *id, const char *const *ids, size_t n)
{
	for (size_t i = 0; id && i < n; i++)
		if (ids[i] && !strcmp(ids[i], id))
			return true;
	return false;
}
