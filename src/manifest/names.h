/*
 * names.h - IAM names and limits checked offline, before any network call.
 *
 * Sources: AWS IAM API Reference, CreateUser/CreateGroup (UserName, GroupName: [\w+=,.@-]+,
 * 1-64 and 1-128), PutGroupPolicy (PolicyName [\w+=,.@-]+, 1-128), CreateUser Path
 * ((\u002F)|(\u002F[\u0021-\u007E]+\u002F), 1-512), Tag (Key 1-128, Value 0-256,
 * [\p{L}\p{Z}\p{N}_.:/=+\-@]*, no "aws:" prefix); ARN format (AWS General Reference).
 * The check_* functions return 0 when valid, or -1 with a reason written to why
 * ("must ...", lowercase, no full stop).
 */
#ifndef KW_MANIFEST_NAMES_H
#define KW_MANIFEST_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define KW_USER_NAME_MAX  64
#define KW_GROUP_NAME_MAX 128
#define KW_PATH_MAX       512
#define KW_TAG_KEY_MAX    128
#define KW_TAG_VALUE_MAX  256
#define KW_ACCOUNT_PREFIX "service-"

/* kw_names_account - new string "service-<name>" (caller frees), NULL when out of memory. */
char *kw_names_account(const char *name);

/* kw_names_check_account - metadata.name such that service-<name> is a valid user and group. */
int kw_names_check_account(const char *name, char *why, size_t whysize);

/* kw_names_iam_name_ok - s is 1..max characters of [A-Za-z0-9_+=,.@-]. */
bool kw_names_iam_name_ok(const char *s, size_t max);

/* kw_names_check_path - an IAM path: starts and ends with '/', printable ASCII, <= 512. */
int kw_names_check_path(const char *path, char *why, size_t whysize);

/* kw_names_check_tag_key / kw_names_check_tag_value - IAM tag characters and lengths. */
int kw_names_check_tag_key(const char *key, char *why, size_t whysize);
int kw_names_check_tag_value(const char *value, char *why, size_t whysize);

/* kw_names_policy_arn_ok - arn:aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b:iam::(12 digits|aws):policy/[path/]name. */
bool kw_names_policy_arn_ok(const char *arn);

/* kw_names_policy_name_ok - a PolicyName for PutGroupPolicy. */
bool kw_names_policy_name_ok(const char *name);

/* kw_names_policy_name_from_file - base name of path without ".json" (new string), NULL on ENOMEM. */
char *kw_names_policy_name_from_file(const char *path);

/* kw_names_profile_ok - an AWS CLI profile name: 1-64, printable, no space, '[' or ']'. */
bool kw_names_profile_ok(const char *name);

/* kw_names_region_ok - looks like a region name: xx-word-N (e.g. eu-west-1, us-gov-west-1). */
bool kw_names_region_ok(const char *region);

/*
 * kw_names_kms_key_problem - whether s names a KMS key as Secrets Manager (KmsKeyId) and SSM
 * (KeyId) take it: a key id (UUID, or mrk- and 32 hex digits for a multi-Region key), a key ARN,
 * alias/NAME or an alias ARN (AWS KMS API Reference: KeyId, AliasName). Returns NULL when it
 * does, else the reason ("must ...", static). region receives an ARN's region ("" otherwise).
 */
const char *kw_names_kms_key_problem(const char *s, char region[64]);

/*
 * kw_names_file_path_problem - whether a key file path fits the file system's limits: at most
 * 4095 bytes, every name at most 255 (NAME_MAX), the file's own name at most 234 so that its
 * temporary file (util/atomic.h) fits too. NULL when it does, else the reason (static).
 */
const char *kw_names_file_path_problem(const char *path);

/* kw_names_var_ok - a template variable name: 1-64 of [A-Za-z0-9_.-]. */
bool kw_names_var_ok(const char *name);

/* kw_names_lint_code_known - whether code is a lint code of policy.h (KWP...). */
bool kw_names_lint_code_known(const char *code);

/* kw_names_text_size - characters (code points) of s not counting whitespace (IAM's quota count). */
size_t kw_names_text_size(const char *s);

#endif
