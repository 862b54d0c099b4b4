/*
 * record.c - the local record of the file and profile targets written per account (record.h).
 */
#include "keys/record.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/profile.h"
#include "keys/lock.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"
#include "util/vocab.h"

/* A record is small: a few targets per account. */
#define RECORD_MAX (1024 * 1024)

static const char *state_dir; /* kw_key_record_set_dir, or NULL */

void kw_key_record_set_dir(const char *dir)
{
	state_dir = dir && *dir ? dir : NULL;
}

int kw_key_record_dir(struct kw_buf *out, struct kw_error *err)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	char *home = NULL;
	int rc;

	if (state_dir) {
		home = kw_aws_expand_home(state_dir);
		rc = home ? kw_buf_puts(out, home) : -1;
	} else if (xdg && xdg[0] == '/') { /* the specification: a relative path is ignored */
		rc = kw_buf_appendf(out, "%s/keywarden", xdg);
	} else {
		home = kw_aws_expand_home("~/.local/state/keywarden");
		rc = home ? kw_buf_puts(out, home) : -1;
	}
	free(home);
	return rc ? kw_error_nomem(err) : 0;
}

/* A name that can be one path component: not empty, not "." or "..", no '/' nor control bytes. */
static int component_ok(const char *s)
{
	if (!s || !*s || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > 128)
		return 0;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* STATE/targets/ACCOUNT (account NULL: STATE/targets) into out. */
static int folder_of(const char *account, struct kw_buf *out, struct kw_error *err)
{
	if (account && !component_ok(account))
		return kw_error_set(err, KW_ERR_INVALID, "record", "account '%s' cannot name a folder",
		                    account);
	if (kw_key_record_dir(out, err))
		return -1;
	if (kw_buf_puts(out, "/targets") || (account && kw_buf_appendf(out, "/%s", account)))
		return kw_error_nomem(err);
	return 0;
}

/* The record file of user in account into out. */
static int path_of(const char *account, const char *user, struct kw_buf *out, struct kw_error *err)
{
	if (!component_ok(user))
		return kw_error_set(err, KW_ERR_INVALID, "record", "user '%s' cannot name a file", user);
	if (folder_of(account, out, err))
		return -1;
	if (kw_buf_putc(out, '/'))
		return kw_error_nomem(err);
	for (const char *p = user; *p; p++)
		if (kw_buf_putc(out, (char)tolower((unsigned char)*p)))
			return kw_error_nomem(err);
	return kw_buf_puts(out, ".json") ? kw_error_nomem(err) : 0;
}

/* mkdir -p path, each folder made 0700. */
static int make_folders(const char *path, struct kw_error *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return kw_error_set(err, KW_ERR_IO, path, "path too long");
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return kw_error_set(err, KW_ERR_IO, buf, "cannot create the folder: %s",
			                    strerror(errno));
		buf[i] = i < n ? '/' : '\0';
	}
	return 0;
}

static void target_release(struct kw_key_record_target *t)
{
	free(t->target);
	free(t->credentials_file);
	free(t->config_file);
	free(t->key_id);
	free(t->written);
	memset(t, 0, sizeof(*t));
}

void kw_key_record_release(struct kw_key_record *r)
{
	for (size_t i = 0; i < r->n; i++)
		target_release(&r->v[i]);
	free(r->v);
	free(r->account);
	free(r->user);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

static const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Parse the record text of path into r (account, user, targets). */
static int parse(const char *path, const char *text, size_t len, struct kw_key_record *r,
                 struct kw_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je), *targets;
	size_t i;
	json_t *t;
	int rc = -1;

	if (!root || !json_is_object(root) ||
	    json_integer_value(json_object_get(root, "version")) != KW_KEY_RECORD_VERSION ||
	    !str_of(root, "account") || !str_of(root, "user") ||
	    !json_is_array(targets = json_object_get(root, "targets"))) {
		kw_error_set(err, KW_ERR_INVALID, path, "not a keywarden target record (version %d)",
		             KW_KEY_RECORD_VERSION);
		goto out;
	}
	if (!(r->account = strdup(str_of(root, "account"))) || !(r->user = strdup(str_of(root, "user"))) ||
	    !(r->v = calloc(json_array_size(targets) + 1, sizeof(*r->v)))) {
		kw_error_nomem(err);
		goto out;
	}
	json_array_foreach(targets, i, t)
	{
		struct kw_key_record_target *x = &r->v[r->n];
		const char *kind = str_of(t, "kind");
		bool file = kind && !strcmp(kind, "file"), profile = kind && !strcmp(kind, "profile");
		const char *target = str_of(t, file ? "path" : "name");

		if ((!file && !profile) || !target || !str_of(t, "keyId")) {
			kw_error_set(err, KW_ERR_INVALID, path,
			             "target %zu: expected kind file (path) or profile "
			             "(name), and keyId",
			             i + 1);
			goto out;
		}
		x->kind = file ? KW_KEY_SINK_FILE : KW_KEY_SINK_PROFILE;
		r->n++;
		if (!(x->target = strdup(target)) || !(x->key_id = strdup(str_of(t, "keyId"))) ||
		    (str_of(t, "written") && !(x->written = strdup(str_of(t, "written")))) ||
		    (profile && str_of(t, "credentialsFile") &&
		     !(x->credentials_file = strdup(str_of(t, "credentialsFile")))) ||
		    (profile && str_of(t, "configFile") &&
		     !(x->config_file = strdup(str_of(t, "configFile"))))) {
			kw_error_nomem(err);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* Read the record at path into r; a missing file leaves r empty (1), else 0 or -1. */
static int read_record(const char *path, struct kw_key_record *r, struct kw_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (kw_read_regular_file(path, RECORD_MAX, &text, &len, err)) {
		if (err->kind != KW_ERR_NOT_FOUND)
			return -1;
		kw_error_clear(err);
		return 1;
	}
	rc = parse(path, text, len, r, err);
	free(text);
	if (!rc && !(r->path = strdup(path)))
		rc = kw_error_nomem(err);
	return rc;
}

/* The record of user in the one account folder that has one (account unknown). */
static int find_record(const char *user, struct kw_key_record *out, struct kw_error *err)
{
	struct kw_buf dir = KW_BUF_INIT, path = KW_BUF_INIT, found = KW_BUF_INIT;
	struct dirent *e;
	size_t nfound = 0;
	DIR *d;
	int rc = -1;

	if (folder_of(NULL, &dir, err))
		goto out;
	if (!(d = opendir(dir.data))) {
		rc = 0; /* no record at all */
		goto out;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		kw_buf_reset(&path);
		if (path_of(e->d_name, user, &path, err)) {
			closedir(d);
			goto out;
		}
		if (stat(path.data, &st) || !S_ISREG(st.st_mode))
			continue;
		if (nfound++ == 0) {
			kw_key_record_release(out);
			if (read_record(path.data, out, err) < 0) {
				closedir(d);
				goto out;
			}
		}
		if (kw_buf_appendf(&found, "%s%s", found.len ? ", " : "", e->d_name)) {
			closedir(d);
			kw_error_nomem(err);
			goto out;
		}
	}
	closedir(d);
	if (nfound > 1) {
		kw_key_record_release(out);
		kw_error_set(err, KW_ERR_CONFLICT, dir.data,
		             "%s has target records in several AWS accounts (%s): which one is meant cannot "
		             "be told",
		             user, found.data);
		goto out;
	}
	rc = 0;
out:
	kw_buf_release(&dir);
	kw_buf_release(&path);
	kw_buf_release(&found);
	return rc;
}

int kw_key_record_load(const char *account, const char *user, struct kw_key_record *out, struct kw_error *err)
{
	struct kw_buf path = KW_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!account)
		return find_record(user, out, err);
	rc = path_of(account, user, &path, err) ? -1 : read_record(path.data, out, err);
	kw_buf_release(&path);
	return rc < 0 ? -1 : 0;
}

/* The target's entry in r for sink s (same kind, path or name, and files), or NULL. */
static struct kw_key_record_target *entry_for(struct kw_key_record *r, enum kw_key_sink_kind kind,
                                              const char *target, const char *cred)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].kind == kind && !strcmp(r->v[i].target, target) &&
		    (kind != KW_KEY_SINK_PROFILE || !cred || !r->v[i].credentials_file ||
		     !strcmp(cred, r->v[i].credentials_file)))
			return &r->v[i];
	return NULL;
}

/* An absolute form of path (new string): relative ones are taken from the current folder. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	struct kw_buf b = KW_BUF_INIT;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) || kw_buf_appendf(&b, "%s/%s", cwd, path)) {
		kw_buf_release(&b);
		return NULL;
	}
	return kw_buf_detach(&b);
}

/* Whether a and b are the same string (both NULL too). */
static bool same(const char *a, const char *b)
{
	return a ? b && !strcmp(a, b) : !b;
}

/* Set (add or update) the entry of sink s in r: key_id written at now; *changed when it did. */
static int note(struct kw_key_record *r, const struct kw_key_sink *s, const char *key_id, const char *now,
                bool *changed, struct kw_error *err)
{
	struct kw_buf cred = KW_BUF_INIT, conf = KW_BUF_INIT;
	struct kw_key_record_target *t, *v;
	char *target = s->kind == KW_KEY_SINK_FILE ? absolute(s->target) : strdup(s->target);
	int rc = -1;

	if (!target)
		goto nomem;
	if (s->kind == KW_KEY_SINK_PROFILE &&
	    (kw_keys_credentials_path(&cred, err) || kw_keys_config_path(&conf, err)))
		goto out;
	t = entry_for(r, s->kind, target, cred.data);
	if (t && same(t->key_id, key_id) && same(t->target, target) &&
	    (s->kind != KW_KEY_SINK_PROFILE ||
	     (same(t->credentials_file, cred.data) && same(t->config_file, conf.data)))) {
		rc = 0; /* recorded already */
		goto out;
	}
	*changed = true;
	if (!t) {
		if (!(v = realloc(r->v, (r->n + 1) * sizeof(*v))))
			goto nomem;
		r->v = v;
		t = &r->v[r->n++];
		memset(t, 0, sizeof(*t));
		t->kind = s->kind;
	}
	free(t->target);
	t->target = target;
	target = NULL;
	free(t->key_id);
	free(t->written);
	if (!(t->key_id = strdup(key_id)) || !(t->written = strdup(now)))
		goto nomem;
	if (s->kind == KW_KEY_SINK_PROFILE) {
		free(t->credentials_file);
		free(t->config_file);
		t->credentials_file = kw_buf_detach(&cred);
		t->config_file = kw_buf_detach(&conf);
		if (!t->credentials_file || !t->config_file)
			goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	kw_error_nomem(err);
out:
	free(target);
	kw_buf_release(&cred);
	kw_buf_release(&conf);
	return rc;
}

/* r as the JSON text of record.h (new string), or NULL when out of memory. */
static char *dump(const struct kw_key_record *r)
{
	json_t *root = json_pack("{s:i, s:s, s:s, s:[]}", "version", KW_KEY_RECORD_VERSION, "account",
	                         r->account, "user", r->user, "targets");
	json_t *targets = json_object_get(root, "targets");
	char *text = NULL;

	for (size_t i = 0; root && i < r->n; i++) {
		const struct kw_key_record_target *t = &r->v[i];
		json_t *o =
		        t->kind == KW_KEY_SINK_FILE
		                ? json_pack("{s:s, s:s, s:s, s:s?}", "kind", "file", "path", t->target,
		                            "keyId", t->key_id, "written", t->written)
		                : json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s?}", "kind", "profile", "name",
		                            t->target, "credentialsFile", t->credentials_file, "configFile",
		                            t->config_file, "keyId", t->key_id, "written", t->written);

		if (json_array_append_new(targets, o))
			goto out;
	}
	text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
out:
	json_decref(root);
	return text;
}

int kw_key_record_delivered(const char *account, const char *user, const char *key_id,
                            const struct kw_key_sink *sinks, size_t n, struct kw_error *err)
{
	struct kw_buf path = KW_BUF_INIT, folder = KW_BUF_INIT;
	struct kw_key_record r = {0};
	char now[KW_ISO8601_MAX + 8], *text = NULL;
	size_t local = 0;
	bool changed = false;
	int lock = -1, rc = -1;

	for (size_t i = 0; i < n; i++)
		local += (sinks[i].kind == KW_KEY_SINK_FILE || sinks[i].kind == KW_KEY_SINK_PROFILE) &&
		         sinks[i].target;
	if (!local)
		return 0;
	if (!account || !*account)
		return kw_error_set(err, KW_ERR_INVALID, user, "the AWS account is unknown");
	if (path_of(account, user, &path, err) || folder_of(account, &folder, err) ||
	    make_folders(folder.data, err) || (lock = kw_keys_lock(folder.data, false, err)) < 0 ||
	    read_record(path.data, &r, err) < 0)
		goto out;
	if (!r.account && (!(r.account = strdup(account)) || !(r.user = strdup(user)))) {
		kw_error_nomem(err);
		goto out;
	}
	kw_iso8601_format(time(NULL), now, sizeof(now));
	for (size_t i = 0; i < n; i++)
		if ((sinks[i].kind == KW_KEY_SINK_FILE || sinks[i].kind == KW_KEY_SINK_PROFILE) &&
		    sinks[i].target && note(&r, &sinks[i], key_id, now, &changed, err))
			goto out;
	if (!changed) { /* what the record says already: not written again */
		rc = 0;
		goto out;
	}
	if (!(text = dump(&r))) {
		kw_error_nomem(err);
		goto out;
	}
	if (kw_atomic_write(path.data, text, strlen(text), 0600, 0, err))
		goto out;
	rc = 0;
out:
	free(text);
	kw_keys_unlock(lock);
	kw_key_record_release(&r);
	kw_buf_release(&path);
	kw_buf_release(&folder);
	return rc;
}

void kw_key_record_note(const char *account, const char *user, const char *key_id,
                        const struct kw_key_sink *sinks, size_t n)
{
	struct kw_error err;

	kw_error_clear(&err);
	if (kw_key_record_delivered(account, user, key_id, sinks, n, &err))
		kw_log(KW_LOG_WARN,
		       "%s: where key %s was delivered is not recorded (%s): pruning or destroying it by "
		       "name will not find its files and profiles",
		       user, key_id, err.msg);
}

int kw_key_record_forget(const struct kw_key_record *r, struct kw_error *err)
{
	char *folder;
	int lock, rc = 0;

	if (!r->path)
		return 0;
	if (!(folder = kw_path_dirname(r->path)))
		return kw_error_nomem(err);
	if ((lock = kw_keys_lock(folder, false, err)) < 0) {
		free(folder);
		return err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
	}
	if (unlink(r->path) && errno != ENOENT)
		rc = kw_error_set(err, KW_ERR_IO, r->path, "cannot remove it: %s", strerror(errno));
	kw_keys_unlock(lock);
	free(folder);
	return rc;
}

void kw_key_record_sink(const struct kw_key_record_target *t, struct kw_key_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
	sink->kind = t->kind;
	sink->target = t->target;
	sink->credentials_file = t->credentials_file;
	sink->config_file = t->config_file;
}

bool kw_key_record_names(const struct kw_key_record_target *t, const struct kw_key_sink *sink)
{
	struct kw_buf cred = KW_BUF_INIT;
	char *path;
	bool same = false;

	if (t->kind != sink->kind || !sink->target)
		return false;
	if (t->kind == KW_KEY_SINK_FILE) {
		path = absolute(sink->target);
		same = path && !strcmp(path, t->target);
		free(path);
		return same;
	}
	if (strcmp(t->target, sink->target))
		return false;
	if (sink->credentials_file)
		return !t->credentials_file || !strcmp(sink->credentials_file, t->credentials_file);
	same = !kw_keys_credentials_path(&cred, NULL) &&
	       (!t->credentials_file || !strcmp(cred.data, t->credentials_file));
	kw_buf_release(&cred);
	return same;
}

int kw_key_record_describe(const struct kw_key_record *r, struct kw_buf *out)
{
	for (size_t i = 0; i < r->n; i++)
		if (kw_buf_appendf(out, "%s%s %s", i ? ", " : "",
		                   r->v[i].kind == KW_KEY_SINK_FILE ? "file" : "profile", r->v[i].target))
			return -1;
	return 0;
}
