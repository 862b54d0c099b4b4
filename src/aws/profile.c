/*
 * profile.c - the effective AWS profile and its settings (profile.h).
 */
#include "aws/profile.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/ini.h"
#include "util/buf.h"
#include "util/error.h"

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

char *kw_aws_expand_home(const char *path)
{
	if (!strcmp(path, "~") || !strncmp(path, "~/", 2))
		return kw_strdup_printf("%s%s", home_dir(), path + 1);
	return strdup(path);
}

char *kw_aws_shared_file_path(enum kw_ini_kind kind)
{
	const char *v = getenv(kind == KW_INI_CONFIG ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE");

	if (v && *v)
		return kw_aws_expand_home(v);
	return kw_aws_expand_home(kind == KW_INI_CONFIG ? "~/.aws/config" : "~/.aws/credentials");
}

/* Load path into *ini; a missing file leaves *ini NULL. */
static int load_optional(const char *path, struct kw_ini **ini, struct kw_error *err)
{
	struct kw_error e;

	if (!kw_ini_load(path, ini, &e))
		return 0;
	if (e.kind == KW_ERR_NOT_FOUND)
		return 0;
	if (err)
		*err = e;
	return -1;
}

int kw_aws_profile_load(const char *cli_profile, struct kw_aws_profile *out, struct kw_error *err)
{
	const char *env = getenv("AWS_PROFILE");
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->from_cli = cli_profile && *cli_profile;
	out->from_env = !out->from_cli && env && *env;
	out->name = strdup(out->from_cli ? cli_profile : out->from_env ? env : "default");
	out->config_path = kw_aws_shared_file_path(KW_INI_CONFIG);
	out->credentials_path = kw_aws_shared_file_path(KW_INI_CREDENTIALS);
	if (!out->name || !out->config_path || !out->credentials_path) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (load_optional(out->config_path, &out->config, err) ||
	    load_optional(out->credentials_path, &out->credentials, err))
		goto out;
	out->config_sec = kw_ini_profile(out->config, KW_INI_CONFIG, out->name);
	out->cred_sec = kw_ini_profile(out->credentials, KW_INI_CREDENTIALS, out->name);
	if ((out->from_cli || out->from_env) && !out->config_sec && !out->cred_sec) {
		kw_error_set(err, KW_ERR_INVALID, NULL, "profile '%s' not found in %s or %s", out->name,
		             out->config_path, out->credentials_path);
		goto out;
	}
	rc = 0;
out:
	if (rc)
		kw_aws_profile_release(out);
	return rc;
}

void kw_aws_profile_release(struct kw_aws_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->config_path);
	free(p->credentials_path);
	kw_ini_free(p->config);
	kw_ini_free(p->credentials);
	memset(p, 0, sizeof(*p));
}

int kw_aws_profile_setting(const struct kw_aws_profile *p, const char *key, const char *subkey, char **out,
                           struct kw_error *err)
{
	*out = NULL;
	if (!p || !p->config_sec)
		return 0;
	return kw_ini_get_str(p->config_sec, key, subkey, out, err);
}

int kw_aws_profile_setting_at(const struct kw_aws_profile *p, const char *key, char **out, char *where,
                              size_t size, struct kw_error *err)
{
	const struct kw_ini_entry *e = p ? kw_ini_get(p->config_sec, key, NULL) : NULL;

	*out = NULL;
	if (size)
		where[0] = '\0';
	if (!e)
		return 0;
	kw_ini_where(p->config, e->line, where, size);
	*out = kw_strdup_span(e->value);
	return *out ? 1 : kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

int kw_aws_profile_service_setting(const struct kw_aws_profile *p, const char *service, const char *key,
                                   char **out, struct kw_error *err)
{
	const struct kw_ini_section *sec;
	char *name = NULL, header[512];
	int r;

	*out = NULL;
	r = kw_aws_profile_setting(p, "services", NULL, &name, err);
	if (r <= 0)
		return r;
	r = snprintf(header, sizeof(header), "services %s", name);
	free(name);
	if (r < 0 || (size_t)r >= sizeof(header))
		return 0;
	sec = kw_ini_section(p->config, header);
	return sec ? kw_ini_get_str(sec, service, key, out, err) : 0;
}
