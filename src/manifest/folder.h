/*
 * folder.h - the folder-level settings file `keywarden.yaml` beside the manifests (never read
 * as a manifest itself):
 *
 *     owner: platform-team     # tag keywarden:owner on what apply manages; see docs/gitops.md
 *     noProgressTimeout: 90s   # stop when no AWS request completed for so long (0: never)
 *
 * For each PATH of a run, the file is PATH/keywarden.yaml when PATH is a folder, else the one
 * in the manifest file's folder. Paths whose folders name different owners are an error.
 * Invariants: a kw_folder_config owns its strings.
 */
#ifndef KW_MANIFEST_FOLDER_H
#define KW_MANIFEST_FOLDER_H

#include <stdbool.h>
#include <stddef.h>

struct kw_error;

#define KW_FOLDER_CONFIG_NAME "keywarden.yaml"
/* Longest noProgressTimeout (and --no-progress-timeout), seconds: a day. */
#define KW_NO_PROGRESS_MAX_S  86400
/* Longest owner: IAM's limit for a tag value. */
#define KW_OWNER_MAX          256

struct kw_folder_config {
	char *owner; /* owner:, or NULL */
	char *file;  /* the keywarden.yaml that gave it (first one), or NULL when none was found */
	double no_progress_timeout; /* noProgressTimeout: seconds (0: none), when no_progress_set */
	bool no_progress_set;
};

/*
 * kw_folder_config_read - the settings for a run over paths[0..n) (files or folders).
 * Returns 0 (out filled; nothing found leaves it empty), or -1 with err set: KW_ERR_INVALID
 * with file:line:col for YAML errors, unknown keys and bad values, or two different owners;
 * KW_ERR_IO; KW_ERR_NOMEM.
 */
int kw_folder_config_read(const char *const *paths, size_t n, struct kw_folder_config *out,
                          struct kw_error *err);

/*
 * kw_owner_check - whether name can be an owner: 1 to KW_OWNER_MAX characters from letters,
 * digits and _ . : / = + - @ (a subset of IAM's tag value characters).
 * Returns 0, or -1 with err set (KW_ERR_USAGE naming what is wrong; where borrowed).
 */
int kw_owner_check(const char *name, const char *where, struct kw_error *err);

/* kw_folder_config_release - free what c owns; c becomes empty. */
void kw_folder_config_release(struct kw_folder_config *c);

#endif
