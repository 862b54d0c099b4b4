#include "lifecycle/names.h"

#include <string.h>
#include <sys/stat.h>

#include "util/error.h"

bool kw_lc_valid_user_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("+=,.@_-", *s)))
			return false;
	return true;
}

static bool looks_like_path(const char *s)
{
	size_t n = strlen(s);

	return strchr(s, '/') || (n > 5 && !strcmp(s + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(s + n - 4, ".yml"));
}

int kw_lc_name_classify(const char *arg, enum kw_lc_name_kind *kind, struct kw_error *err)
{
	struct stat st;

	if (!stat(arg, &st)) {
		if (S_ISDIR(st.st_mode)) {
			*kind = KW_LC_NAME_FOLDER;
			return 0;
		}
		if (S_ISREG(st.st_mode)) {
			*kind = KW_LC_NAME_FILE;
			return 0;
		}
		return kw_error_set(err, KW_ERR_USAGE, arg, "neither a manifest file nor a folder");
	}
	if (looks_like_path(arg))
		return kw_error_set(err, KW_ERR_NOT_FOUND, arg, "no such file or folder");
	if (!kw_lc_valid_user_name(arg))
		return kw_error_set(err, KW_ERR_USAGE, NULL,
		                    "'%s' is not a manifest, a folder or an IAM user name", arg);
	*kind = KW_LC_NAME_USER;
	return 0;
}

const char *kw_lc_group_for_user(const char *user)
{
	return !strncmp(user, "service-", 8) && user[8] ? user : NULL;
}
