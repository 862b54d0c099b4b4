#include "keys/sink.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ini.h"
#include "aws/profile.h"
#include "keys/lock.h"
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

static int write_file(const char *path, const struct kw_access_key *key, unsigned flags, struct kw_error *err)
{
	struct kw_secret *json = NULL;
	int rc = -1, lock;

	if (!path || !*path)
		return kw_error_set(err, KW_ERR_USAGE, "file", "empty path");
	if (kw_keys_json(key, &json, err))
		return -1;
	/* a missing folder: the write says so */
	if ((lock = kw_keys_lock(path, false, err)) < 0 && (!err || err->kind != KW_ERR_NOT_FOUND))
		goto out;
	rc = kw_atomic_write(path, json->data, json->len, 0600, flags, err);
	kw_keys_unlock(lock);
out:
	kw_secret_free(json);
	return rc;
}

int kw_keys_deliver_file(const char *path, const struct kw_access_key *key, struct kw_error *err)
{
	return write_file(path, key, KW_ATOMIC_NO_CLOBBER, err);
}

int kw_keys_replace_file(const char *path, const struct kw_access_key *key, struct kw_error *err)
{
	return write_file(path, key, 0, err);
}

int kw_keys_deliver_stream(FILE *fp, const struct kw_access_key *key, struct kw_error *err)
{
	struct kw_secret *json = NULL;
	int rc = -1, fd = -1, werr = 0;

	if (!fp)
		return kw_error_set(err, KW_ERR_INTERNAL, "stdout", "no stream");
	/* one line per key, so that a run delivering several keys is JSON Lines */
	if (key_json(key, JSON_COMPACT | JSON_PRESERVE_ORDER, &json, err))
		return -1;
	/*
	 * Straight to the descriptor when there is one: no copy in stdio's buffer, and a closed
	 * pipe (keywarden apply | head) is an error the engine handles, not a SIGPIPE death.
	 */
	if (fflush(fp)) {
		werr = errno;
	} else if ((fd = fileno(fp)) >= 0) {
		werr = kw_write_nosigpipe(fd, json->data, json->len);
	} else if (fwrite(json->data, 1, json->len, fp) != json->len || fflush(fp)) {
		werr = errno ? errno : EIO;
	}
	if (werr) {
		kw_error_set(err, KW_ERR_IO, "stdout", "cannot write the key: %s", strerror(werr));
		goto out;
	}
	rc = 0;
out:
	kw_secret_free(json);
	return rc;
}

int kw_keys_deliver_exec(const char *cmd, const char *cwd, const struct kw_access_key *key,
                         struct kw_error *err)
{
	struct kw_secret *json = NULL;
	int rc;

	if (kw_keys_json(key, &json, err))
		return -1;
	rc = kw_exec_stdin(cmd, cwd, json->data, json->len, err);
	kw_secret_free(json);
	return rc;
}

int kw_keys_deliver(const struct kw_key_sink *sink, const struct kw_access_key *key, struct kw_error *err)
{
	switch (sink->kind) {
	case KW_KEY_SINK_PROFILE:
		return kw_keys_deliver_profile(sink->target, key, sink->region, sink->output, err);
	case KW_KEY_SINK_FILE: return kw_keys_deliver_file(sink->target, key, err);
	case KW_KEY_SINK_STDOUT: return kw_keys_deliver_stream(sink->fp, key, err);
	case KW_KEY_SINK_EXEC: return kw_keys_deliver_exec(sink->target, sink->cwd, key, err);
	}
	return kw_error_set(err, KW_ERR_INTERNAL, "deliver", "unknown sink kind %d", (int)sink->kind);
}

void kw_keys_sink_from_manifest(const struct kw_manifest *m, const struct kw_deliver *d, FILE *out,
                                struct kw_key_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
	switch (d->kind) {
	case KW_DELIVER_PROFILE:
		sink->kind = KW_KEY_SINK_PROFILE;
		sink->target = d->profile;
		sink->region = d->region;
		sink->output = d->output;
		break;
	case KW_DELIVER_FILE:
		sink->kind = KW_KEY_SINK_FILE;
		sink->target = d->path;
		break;
	case KW_DELIVER_STDOUT:
		sink->kind = KW_KEY_SINK_STDOUT;
		sink->fp = out;
		break;
	case KW_DELIVER_EXEC:
		sink->kind = KW_KEY_SINK_EXEC;
		sink->target = d->command;
		sink->cwd = m ? m->dir : NULL;
		break;
	}
}

const char *kw_keys_sink_describe(const struct kw_key_sink *sink, char *buf, size_t size)
{
	static const char *const names[] = {"profile", "file", "stdout", "exec"};
	const char *t = sink->target ? sink->target : "";

	if (!size)
		return buf;
	if (sink->kind == KW_KEY_SINK_STDOUT)
		snprintf(buf, size, "stdout");
	else if (sink->kind == KW_KEY_SINK_EXEC)
		snprintf(buf, size, "exec '%s'", t);
	else
		snprintf(buf, size, "%s %s", names[sink->kind], t);
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
