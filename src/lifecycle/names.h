/*
 * names.h - what a NAME on the command line of rotate, audit and destroy stands for: a
 * manifest file, a folder of manifests, or an IAM user name.
 */
#ifndef KW_LIFECYCLE_NAMES_H
#define KW_LIFECYCLE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct kw_error;

enum kw_lc_name_kind {
	KW_LC_NAME_FILE,   /* an existing regular file: one manifest */
	KW_LC_NAME_FOLDER, /* an existing folder: every manifest in it */
	KW_LC_NAME_USER,   /* no such path, shaped like an IAM user name */
};

/*
 * kw_lc_name_classify - decide what arg is: an existing file or folder wins; otherwise a
 * string of 1 to 64 characters from [A-Za-z0-9+=,.@_-] is a user name (IAM API reference,
 * CreateUser UserName). Anything else (a path that does not exist, "x/y", "a.yaml") is an
 * error.
 * Returns 0, or -1 with err set (KW_ERR_NOT_FOUND for a missing path, KW_ERR_USAGE).
 */
int kw_lc_name_classify(const char *arg, enum kw_lc_name_kind *kind, struct kw_error *err);

/* kw_lc_valid_user_name - whether s is a valid IAM user name (see above). */
bool kw_lc_valid_user_name(const char *s);

/*
 * kw_lc_group_for_user - the group keywarden pairs with user: the same name for users named
 * service-<name> (as manifests make them), NULL otherwise. Borrowed: returns user itself.
 */
const char *kw_lc_group_for_user(const char *user);

#endif
