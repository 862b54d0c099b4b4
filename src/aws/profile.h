/*
 * profile.h - the effective AWS profile: which name, and its sections in the shared config
 * file (AWS_CONFIG_FILE, default ~/.aws/config) and credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials). A missing file is no error.
 *
 * Name: the --profile option, else AWS_PROFILE, else "default". [default] never fills in a
 * named profile. Settings (region, max_attempts, endpoint_url, ...) are read from the config
 * file's profile section. Source: AWS SDKs and Tools Reference Guide, "Shared config and
 * credentials files" and "Location of the shared files".
 */
#ifndef KW_AWS_PROFILE_H
#define KW_AWS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/ini.h"

struct kw_error;

struct kw_aws_profile {
	char *name;        /* effective profile name (owned) */
	bool from_cli;     /* named by --profile */
	bool from_env;     /* named by AWS_PROFILE */
	char *config_path; /* owned */
	char *credentials_path;
	struct kw_ini *config;                   /* NULL when the file does not exist */
	struct kw_ini *credentials;              /* NULL when the file does not exist */
	const struct kw_ini_section *config_sec; /* [profile NAME] / [default], or NULL */
	const struct kw_ini_section *cred_sec;   /* [NAME], or NULL */
};

/*
 * kw_aws_profile_load - read both files for the effective profile.
 * @cli_profile: --profile, or NULL.
 * Returns 0, or -1 with err set (KW_ERR_INVALID "file:line" for a malformed file, KW_ERR_IO).
 * A profile named explicitly (--profile or AWS_PROFILE) that is in neither file is an error
 * (KW_ERR_INVALID "profile 'x' not found in <config> or <credentials>").
 */
int kw_aws_profile_load(const char *cli_profile, struct kw_aws_profile *out, struct kw_error *err);

/* kw_aws_profile_release - free everything and zero. */
void kw_aws_profile_release(struct kw_aws_profile *p);

/*
 * kw_aws_profile_setting - a plain setting of the profile in the config file (key, and
 * subkey for a sub-section, or NULL) as a new malloc'd string.
 * Returns 1 and sets *out, 0 when absent, -1 with err set (KW_ERR_NOMEM).
 */
int kw_aws_profile_setting(const struct kw_aws_profile *p, const char *key, const char *subkey, char **out,
                           struct kw_error *err);

/*
 * kw_aws_profile_setting_at - kw_aws_profile_setting, and where it was set ("file:line") in
 * where (size bytes, empty when absent), for errors that name the file, line and setting.
 */
int kw_aws_profile_setting_at(const struct kw_aws_profile *p, const char *key, char **out, char *where,
                              size_t size, struct kw_error *err);

/*
 * kw_aws_profile_service_setting - `key` of service (e.g. "iam", "sts") in the
 * [services NAME] section that the profile's `services = NAME` names.
 * Returns 1 and sets *out, 0 when absent, -1 with err set.
 */
int kw_aws_profile_service_setting(const struct kw_aws_profile *p, const char *service, const char *key,
                                   char **out, struct kw_error *err);

/*
 * kw_aws_shared_file_path - where the shared file of kind is: $AWS_CONFIG_FILE /
 * $AWS_SHARED_CREDENTIALS_FILE when set and not empty (a leading "~/" expanded), else
 * ~/.aws/config / ~/.aws/credentials ($HOME, else the password database's home).
 * Returns a new malloc'd path, or NULL when out of memory.
 * Source: AWS SDKs and Tools Reference Guide, "Location of the shared files".
 */
char *kw_aws_shared_file_path(enum kw_ini_kind kind);

/*
 * kw_aws_expand_home - new malloc'd copy of path with a leading "~/" replaced by $HOME (or the
 * password database's home). Returns NULL when out of memory.
 */
char *kw_aws_expand_home(const char *path);

#endif
