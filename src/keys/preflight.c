/*
 * preflight.c - checks of the local delivery targets before any IAM write (sink.h
 * kw_keys_preflight), and destroy's removal of key files (kw_keys_remove).
 *
 * Symbolic links are refused, not followed: the AWS CLI's `aws configure set` writes through a
 * link to wherever it points, but keywarden writes every key file atomically (a temporary file
 * renamed over the target in the same folder), and following a link would put the key in the
 * link's folder — often a dotfiles repository or a shared mount — which nobody reviewed as
 * a key's home. The message says how to point keywarden at the real file instead.
 */
#include <errno.h>
#include <stdbool.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/targets.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"
#include "util/secret.h"

/*
 * Warn, as ssh does for keys, when others can replace what path holds: the file is group- or
 * world-writable, or a folder on the way to it is writable by others (without the sticky bit)
 * or belongs to a user who is neither root nor us. Warnings only: the key still goes there.
 */
static void warn_exposed(const char *path, const struct stat *st)
{
	char *dir = kw_path_dirname(path), *abs = dir ? realpath(dir, NULL) : NULL;

	if (st && (st->st_mode & (S_IWGRP | S_IWOTH)))
		kw_log(KW_LOG_WARN,
		       "%s is writable by %s: whoever can write it can replace the key keywarden "
		       "delivers (chmod go-w %s)",
		       path, (st->st_mode & S_IWOTH) ? "every user" : "its group", path);
	while (abs) { /* every folder from path's own up to / */
		struct stat ds;
		char *slash;

		if (!stat(abs, &ds)) {
			if ((ds.st_mode & (S_IWGRP | S_IWOTH)) && !(ds.st_mode & S_ISVTX))
				kw_log(KW_LOG_WARN,
				       "%s is reached through folder %s, which %s can write: they can "
				       "replace the file and the key in it (chmod go-w %s)",
				       path, abs, (ds.st_mode & S_IWOTH) ? "every user" : "its group", abs);
			else if (ds.st_uid != 0 && ds.st_uid != geteuid())
				kw_log(KW_LOG_WARN,
				       "%s is reached through folder %s, which belongs to another user "
				       "(uid %u): they can replace the file and the key in it",
				       path, abs, (unsigned)ds.st_uid);
		}
		slash = strrchr(abs, '/');
		if (!slash || !strcmp(abs, "/"))
			break;
		slash[slash == abs] = '\0'; /* "/home" becomes "/" */
	}
	free(abs);
	free(dir);
}

/*
 * path as a key file: refused when it is a symbolic link, not a regular file, another user's
 * or read-only; when it does not exist, its folder must exist and be writable (or, with
 * mkdir_ok, the folder's parent, for ~/.aws). must_be_new: an existing file is refused too.
 */
static int check_file(const char *path, bool must_be_new, bool mkdir_ok, const char *env_hint,
                      struct kw_error *err)
{
	struct stat st;
	char *dir;
	int rc = 0;

	if (!lstat(path, &st)) {
		if (S_ISLNK(st.st_mode))
			return kw_error_set(err, KW_ERR_USAGE, path,
			                    "is a symbolic link: keywarden writes key files atomically in "
			                    "their own folder and never through a link; %s the real file",
			                    env_hint ? env_hint : "name");
		if (!S_ISREG(st.st_mode))
			return kw_error_set(err, KW_ERR_USAGE, path, "is not a regular file");
		if (st.st_uid != geteuid())
			return kw_error_set(err, KW_ERR_USAGE, path,
			                    "belongs to another user (uid %u); keywarden writes only its "
			                    "own user's files",
			                    (unsigned)st.st_uid);
		if (!(st.st_mode & S_IWUSR) || access(path, W_OK))
			return kw_error_set(err, KW_ERR_USAGE, path,
			                    "is read-only; keywarden never replaces a read-only file "
			                    "(make it writable, or name another)");
		if (must_be_new)
			return kw_error_set(err, KW_ERR_CONFLICT, path,
			                    "exists already; apply never overwrites a key file (remove it, "
			                    "or use rotate to replace the key it holds)");
		warn_exposed(path, &st);
		kw_atomic_sweep_for(path); /* what a killed write left beside it */
		return 0;
	}
	if (errno != ENOENT)
		return kw_error_set(err, KW_ERR_IO, path, "cannot be checked: %s", strerror(errno));
	if (!(dir = kw_path_dirname(path)))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	if (stat(dir, &st)) {
		if (errno == ENOENT && mkdir_ok) {
			char *parent = kw_path_dirname(dir);
			if (!parent || access(parent, W_OK | X_OK))
				rc = kw_error_set(err, KW_ERR_USAGE, path,
				                  "cannot be created: neither its folder %s nor a writable "
				                  "parent exists",
				                  dir);
			free(parent);
		} else {
			rc = kw_error_set(err, KW_ERR_USAGE, path, "cannot be created: its folder %s %s", dir,
			                  errno == ENOENT ? "does not exist" : strerror(errno));
		}
	} else if (!S_ISDIR(st.st_mode)) {
		rc = kw_error_set(err, KW_ERR_USAGE, path, "cannot be created: %s is not a folder", dir);
	} else if (access(dir, W_OK | X_OK)) {
		rc = kw_error_set(err, KW_ERR_USAGE, path, "cannot be created: its folder %s is not writable",
		                  dir);
	} else {
		warn_exposed(path, NULL);
		kw_atomic_sweep(dir);
	}
	free(dir);
	return rc;
}

int kw_keys_file_preflight(const struct kw_key_sink *s, const char *user, bool replace, struct kw_error *err)
{
	(void)user;
	return check_file(s->target, !replace, false, NULL, err);
}

int kw_keys_profile_preflight(const struct kw_key_sink *s, const char *user, bool replace,
                              struct kw_error *err)
{
	struct kw_buf path = KW_BUF_INIT;
	int rc;

	(void)user;
	(void)replace;
	rc = kw_keys_credentials_path(&path, err) ||
	     check_file(path.data, false, true, "point AWS_SHARED_CREDENTIALS_FILE at", err);
	if (!rc && (s->region || s->output)) {
		kw_buf_reset(&path);
		rc = kw_keys_config_path(&path, err) ||
		     check_file(path.data, false, true, "point AWS_CONFIG_FILE at", err);
	}
	kw_buf_release(&path);
	return rc ? -1 : 0;
}

/* Shell words that are not programs on PATH. */
static bool shell_word(const char *w)
{
	static const char *const words[] = {
	        "cd",    "echo", "printf", "test",  "[",    "read", "exec", "command", "eval",  "true",
	        "false", "set",  "export", "exit",  ":",    ".",    "if",   "for",     "while", "until",
	        "case",  "{",    "!",      "umask", "trap", "wait", "kill", "type",    "alias", NULL};

	for (size_t i = 0; words[i]; i++)
		if (!strcmp(w, words[i]))
			return true;
	return false;
}

int kw_keys_exec_preflight(const struct kw_key_sink *s, const char *user, bool replace, struct kw_error *err)
{
	const char *p = s->target, *path;
	char word[1024], full[2048];
	size_t n;

	(void)user;
	(void)replace;
	for (;;) { /* skip leading NAME=value assignments */
		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n;|&<>()`\"'$\\");
		if (!n || n >= sizeof(word))
			return 0; /* starts with shell syntax: only the shell knows */
		memcpy(word, p, n);
		word[n] = '\0';
		if (!strchr(word, '=') || word[0] == '=')
			break;
		p += n;
	}
	if (strchr(" \t\n;|&<>()", p[n]) == NULL && p[n])
		return 0; /* quoting or expansion inside the word */
	if (shell_word(word))
		return 0;
	if (strchr(word, '/')) {
		if (word[0] == '/' || !s->cwd)
			snprintf(full, sizeof(full), "%s", word);
		else
			snprintf(full, sizeof(full), "%s/%s", s->cwd, word);
		if (access(full, X_OK))
			return kw_error_set(err, KW_ERR_USAGE, "exec", "command '%s' %s", word,
			                    errno == ENOENT ? "does not exist" : "is not executable");
		return 0;
	}
	path = getenv("PATH");
	for (path = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; *path;) {
		size_t len = strcspn(path, ":");

		snprintf(full, sizeof(full), "%.*s/%s", (int)(len ? len : 1), len ? path : ".", word);
		if (!access(full, X_OK))
			return 0;
		path += len + (path[len] == ':');
	}
	return kw_error_set(err, KW_ERR_USAGE, "exec", "command '%s' is not found on PATH", word);
}

/*
 * The content of key file path (a regular file of ours, at most 64 KiB, never through a link):
 * 1 with *text set (new, wiped when freed), 0 when there is no such file, 2 when it is not a
 * file keywarden could have written (a link, not regular, another user's, too big), -1 with err.
 */
static int read_key_file(const char *path, struct kw_secret **text, struct kw_error *err)
{
	struct stat st;
	int fd, rc = -1;
	ssize_t n;

	*text = NULL;
	if (!path || !*path)
		return kw_error_set(err, KW_ERR_USAGE, "file", "empty path");
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return 2;
		return kw_error_set(err, KW_ERR_IO, path, "cannot read it: %s", strerror(errno));
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size > 65536) {
		rc = 2;
		goto out;
	}
	if (!(*text = kw_secret_new((size_t)st.st_size + 1))) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	while ((*text)->len < (size_t)st.st_size &&
	       (n = read(fd, (*text)->data + (*text)->len, (size_t)st.st_size - (*text)->len)) > 0)
		(*text)->len += (size_t)n;
	(*text)->data[(*text)->len] = '\0';
	rc = 1;
out:
	close(fd);
	return rc;
}

int kw_keys_file_held(const struct kw_key_sink *s, char id[KW_KEYS_ID_MAX], struct kw_secret **secret,
                      enum kw_key_held *held, struct kw_error *err)
{
	struct kw_secret *text = NULL;
	int r = read_key_file(s->target, &text, err);

	if (r < 0)
		return -1;
	*held = r == 0 ? KW_KEY_HELD_NONE : KW_KEY_HELD_OTHER;
	if (r == 1 && !kw_keys_key_id_in((const char *)text->data, text->len, id, KW_KEYS_ID_MAX))
		*held = KW_KEY_HELD_KEY;
	if (secret && *held == KW_KEY_HELD_KEY)
		r = kw_keys_secret_in((const char *)text->data, text->len, secret, err);
	kw_secret_free(text);
	return r < 0 ? -1 : 0;
}

int kw_keys_file_remove(const struct kw_key_sink *s, const char *user, enum kw_key_removed *what,
                        struct kw_error *err)
{
	struct kw_secret *text = NULL;
	char id[KW_KEYS_ID_MAX];
	bool key;
	int r;

	*what = KW_KEY_REMOVED_ABSENT;
	if ((r = read_key_file(s->target, &text, err)) <= 0)
		return r;
	/* a key file keywarden wrote holds one of the user's keys (s->held, when known), else it
	 * names the user (json) or at least holds an access key id */
	key = r == 1 && !kw_keys_key_id_in((const char *)text->data, text->len, id, sizeof(id)) &&
	      (s->nheld ? kw_keys_id_among(id, s->held, s->nheld)
	                : s->format != KW_KEY_FORMAT_JSON || strstr(kw_secret_str(text), user));
	kw_secret_free(text);
	*what = KW_KEY_REMOVED_FOREIGN;
	if (!key)
		return 0;
	if (unlink(s->target))
		return kw_error_set(err, KW_ERR_IO, s->target, "cannot remove it: %s", strerror(errno));
	*what = KW_KEY_REMOVED;
	return 0;
}

void kw_keys_sweep(const struct kw_key_sink *s)
{
	struct kw_buf path = KW_BUF_INIT;
	struct kw_error err;

	if (s->kind == KW_KEY_SINK_FILE)
		kw_atomic_sweep_for(s->target);
	if (s->kind != KW_KEY_SINK_PROFILE)
		return;
	if (!kw_keys_credentials_path(&path, &err))
		kw_atomic_sweep_for(path.data);
	kw_buf_reset(&path);
	if (!kw_keys_config_path(&path, &err))
		kw_atomic_sweep_for(path.data);
	kw_buf_release(&path);
}
