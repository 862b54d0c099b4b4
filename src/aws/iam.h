/*
 * iam.h - typed AWS IAM operations over a struct kw_aws_client (client.h).
 *
 * Conventions for every function here:
 *  - @c is the client (borrowed); operations may run on one client from several threads.
 *  - Input strings are borrowed for the call. Output structs are filled by the callee and own
 *    their strings (malloc'd, NUL-terminated); release them with the matching _release
 *    function, which also zeroes them, and which is safe on a zeroed struct. On error the
 *    output is left zeroed (nothing to release).
 *  - Timestamps are time_t, seconds since the Unix epoch, UTC; 0 means "absent".
 *  - List* functions follow Marker/IsTruncated internally and return every item (bulk ones
 *    take max_items: 0 for all, otherwise stop after at least that many).
 *  - Policy documents in answers are URL-decoded JSON text, as IAM sends them encoded.
 *  - Errors as in client.h: KW_ERR_AWS with aws_code/http_status/request_id, NoSuchEntity as
 *    KW_ERR_NOT_FOUND, rejected credentials as KW_ERR_AUTH, KW_ERR_NETWORK, KW_ERR_NOMEM.
 * Each function names its source: "AWS IAM API: <Action>" (IAM API Reference).
 */
#ifndef KW_AWS_IAM_H
#define KW_AWS_IAM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct kw_aws_client;
struct kw_error;
struct kw_secret;

/* --- shared value types ------------------------------------------------------------------ */

struct kw_iam_tag {
	char *key;
	char *value;
};

struct kw_iam_tag_list {
	struct kw_iam_tag *items;
	size_t n;
};

/* kw_iam_tag_list_release - free the tags and zero the list. */
void kw_iam_tag_list_release(struct kw_iam_tag_list *l);

/* A list of names (policy names, group names). */
struct kw_iam_names {
	char **items;
	size_t n;
};

/* kw_iam_names_release - free the names and zero the list. */
void kw_iam_names_release(struct kw_iam_names *l);

/* A user's credentials besides access keys, MFA and the console password. */
enum kw_iam_user_cred {
	KW_IAM_SSH_PUBLIC_KEY,      /* SSHPublicKeyId (CodeCommit) */
	KW_IAM_SIGNING_CERTIFICATE, /* CertificateId (X.509, SOAP/EC2 bundling) */
	KW_IAM_SERVICE_CREDENTIAL,  /* ServiceSpecificCredentialId (CodeCommit, Keyspaces) */
};

/*
 * kw_iam_list_user_creds - the ids of user_name's credentials of kind, all pages (ListSSHPublicKeys,
 * ListSigningCertificates; ListServiceSpecificCredentials is not paginated). @out: new names.
 * Returns 0, or -1 with err set (KW_ERR_NOT_FOUND for an unknown user).
 * Source: AWS IAM API: ListSSHPublicKeys, ListSigningCertificates, ListServiceSpecificCredentials.
 */
int kw_iam_list_user_creds(struct kw_aws_client *c, enum kw_iam_user_cred kind, const char *user_name,
                           struct kw_iam_names *out, struct kw_error *err);

/*
 * kw_iam_delete_user_cred - delete one credential of kind (id) of user_name.
 * Returns 0, or -1 with err set (KW_ERR_NOT_FOUND when gone).
 * Source: AWS IAM API: DeleteSSHPublicKey, DeleteSigningCertificate, DeleteServiceSpecificCredential.
 */
int kw_iam_delete_user_cred(struct kw_aws_client *c, enum kw_iam_user_cred kind, const char *user_name,
                            const char *id, struct kw_error *err);

/* A managed policy attached to a user or group. */
struct kw_iam_attached_policy {
	char *policy_name;
	char *policy_arn;
};

struct kw_iam_attached_policy_list {
	struct kw_iam_attached_policy *items;
	size_t n;
};

/* kw_iam_attached_policy_list_release - free and zero. */
void kw_iam_attached_policy_list_release(struct kw_iam_attached_policy_list *l);

/* An inline policy: its name and its document (URL-decoded JSON). */
struct kw_iam_inline_policy {
	char *policy_name;
	char *document;
};

struct kw_iam_inline_policy_list {
	struct kw_iam_inline_policy *items;
	size_t n;
};

/* kw_iam_inline_policy_list_release - free and zero. */
void kw_iam_inline_policy_list_release(struct kw_iam_inline_policy_list *l);

/* --- users ------------------------------------------------------------------------------- */

struct kw_iam_user {
	char *user_name;
	char *user_id;
	char *arn;
	char *path;
	time_t create_date;
	time_t password_last_used;      /* 0 when never or absent */
	char *permissions_boundary_arn; /* NULL when none */
	struct kw_iam_tag_list tags;    /* GetUser and CreateUser return them; lists do not */
};

/* kw_iam_user_release - free the user's strings and tags and zero it. */
void kw_iam_user_release(struct kw_iam_user *u);

struct kw_iam_user_list {
	struct kw_iam_user *items;
	size_t n;
};

/* kw_iam_user_list_release - release every user and zero the list. */
void kw_iam_user_list_release(struct kw_iam_user_list *l);

/*
 * kw_iam_get_user - the user user_name (NULL: the user whose credentials sign the call).
 * Returns 0, or -1 (KW_ERR_NOT_FOUND when there is no such user).
 * Source: AWS IAM API: GetUser.
 */
int kw_iam_get_user(struct kw_aws_client *c, const char *user_name, struct kw_iam_user *out,
                    struct kw_error *err);

struct kw_iam_create_user_input {
	const char *user_name;
	const char *path;                 /* NULL: "/" */
	const char *permissions_boundary; /* policy ARN, or NULL */
	const struct kw_iam_tag *tags;    /* may be NULL when ntags == 0 */
	size_t ntags;
};

/*
 * kw_iam_create_user - create a user. @out may be NULL when the caller does not need it.
 * Returns 0, or -1 (aws_code "EntityAlreadyExists", "LimitExceeded", ...).
 * Source: AWS IAM API: CreateUser.
 */
int kw_iam_create_user(struct kw_aws_client *c, const struct kw_iam_create_user_input *in,
                       struct kw_iam_user *out, struct kw_error *err);

/*
 * kw_iam_delete_user - delete a user (IAM refuses with "DeleteConflict" while keys, groups,
 * policies, MFA devices or a login profile remain).
 * Source: AWS IAM API: DeleteUser.
 */
int kw_iam_delete_user(struct kw_aws_client *c, const char *user_name, struct kw_error *err);

/*
 * kw_iam_tag_user - add or overwrite tags on a user (tags borrowed, ntags <= 50).
 * Source: AWS IAM API: TagUser.
 */
int kw_iam_tag_user(struct kw_aws_client *c, const char *user_name, const struct kw_iam_tag *tags,
                    size_t ntags, struct kw_error *err);

/*
 * kw_iam_untag_user - remove the tags with the given keys (borrowed) from a user.
 * Source: AWS IAM API: UntagUser.
 */
int kw_iam_untag_user(struct kw_aws_client *c, const char *user_name, const char *const *keys, size_t nkeys,
                      struct kw_error *err);

/*
 * kw_iam_list_user_tags - every tag of a user, in IAM's order.
 * Source: AWS IAM API: ListUserTags.
 */
int kw_iam_list_user_tags(struct kw_aws_client *c, const char *user_name, struct kw_iam_tag_list *out,
                          struct kw_error *err);

/*
 * kw_iam_put_user_permissions_boundary - set a managed policy (ARN) as the user's boundary.
 * Source: AWS IAM API: PutUserPermissionsBoundary.
 */
int kw_iam_put_user_permissions_boundary(struct kw_aws_client *c, const char *user_name,
                                         const char *policy_arn, struct kw_error *err);

/*
 * kw_iam_delete_user_permissions_boundary - remove the user's boundary.
 * Source: AWS IAM API: DeleteUserPermissionsBoundary.
 */
int kw_iam_delete_user_permissions_boundary(struct kw_aws_client *c, const char *user_name,
                                            struct kw_error *err);

/*
 * kw_iam_list_user_policies - names of the user's inline policies.
 * Source: AWS IAM API: ListUserPolicies.
 */
int kw_iam_list_user_policies(struct kw_aws_client *c, const char *user_name, struct kw_iam_names *out,
                              struct kw_error *err);

/*
 * kw_iam_get_user_policy - an inline policy of a user; @out->document URL-decoded.
 * Source: AWS IAM API: GetUserPolicy.
 */
int kw_iam_get_user_policy(struct kw_aws_client *c, const char *user_name, const char *policy_name,
                           struct kw_iam_inline_policy *out, struct kw_error *err);

/* kw_iam_inline_policy_release - free and zero one inline policy. */
void kw_iam_inline_policy_release(struct kw_iam_inline_policy *p);

/*
 * kw_iam_delete_user_policy - delete an inline policy of a user.
 * Source: AWS IAM API: DeleteUserPolicy.
 */
int kw_iam_delete_user_policy(struct kw_aws_client *c, const char *user_name, const char *policy_name,
                              struct kw_error *err);

/*
 * kw_iam_list_attached_user_policies - managed policies attached to a user.
 * Source: AWS IAM API: ListAttachedUserPolicies.
 */
int kw_iam_list_attached_user_policies(struct kw_aws_client *c, const char *user_name,
                                       struct kw_iam_attached_policy_list *out, struct kw_error *err);

/*
 * kw_iam_detach_user_policy - detach a managed policy (ARN) from a user.
 * Source: AWS IAM API: DetachUserPolicy.
 */
int kw_iam_detach_user_policy(struct kw_aws_client *c, const char *user_name, const char *policy_arn,
                              struct kw_error *err);

/* --- groups ------------------------------------------------------------------------------ */

struct kw_iam_group {
	char *group_name;
	char *group_id;
	char *arn;
	char *path;
	time_t create_date;
};

/* kw_iam_group_release - free and zero. */
void kw_iam_group_release(struct kw_iam_group *g);

struct kw_iam_group_list {
	struct kw_iam_group *items;
	size_t n;
};

/* kw_iam_group_list_release - free and zero. */
void kw_iam_group_list_release(struct kw_iam_group_list *l);

/*
 * kw_iam_get_group - a group and (when @members is not NULL) every user in it (paginated).
 * Returns 0, or -1 (KW_ERR_NOT_FOUND when there is no such group).
 * Source: AWS IAM API: GetGroup.
 */
int kw_iam_get_group(struct kw_aws_client *c, const char *group_name, struct kw_iam_group *out,
                     struct kw_iam_user_list *members, struct kw_error *err);

/*
 * kw_iam_create_group - create a group (path NULL: "/"); @out may be NULL.
 * Source: AWS IAM API: CreateGroup.
 */
int kw_iam_create_group(struct kw_aws_client *c, const char *group_name, const char *path,
                        struct kw_iam_group *out, struct kw_error *err);

/*
 * kw_iam_delete_group - delete an (empty, policy-free) group.
 * Source: AWS IAM API: DeleteGroup.
 */
int kw_iam_delete_group(struct kw_aws_client *c, const char *group_name, struct kw_error *err);

/* Source: AWS IAM API: AddUserToGroup. */
int kw_iam_add_user_to_group(struct kw_aws_client *c, const char *group_name, const char *user_name,
                             struct kw_error *err);

/* Source: AWS IAM API: RemoveUserFromGroup. */
int kw_iam_remove_user_from_group(struct kw_aws_client *c, const char *group_name, const char *user_name,
                                  struct kw_error *err);

/*
 * kw_iam_list_groups_for_user - the groups a user belongs to.
 * Source: AWS IAM API: ListGroupsForUser.
 */
int kw_iam_list_groups_for_user(struct kw_aws_client *c, const char *user_name, struct kw_iam_group_list *out,
                                struct kw_error *err);

/*
 * kw_iam_put_group_policy - create or replace an inline policy of a group.
 * @document: policy JSON text (borrowed), sent as is (form-encoded).
 * Source: AWS IAM API: PutGroupPolicy.
 */
int kw_iam_put_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_name,
                            const char *document, struct kw_error *err);

/*
 * kw_iam_get_group_policy - an inline policy of a group; @out->document URL-decoded.
 * Returns 0, or -1 (KW_ERR_NOT_FOUND when there is no such policy).
 * Source: AWS IAM API: GetGroupPolicy.
 */
int kw_iam_get_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_name,
                            struct kw_iam_inline_policy *out, struct kw_error *err);

/*
 * kw_iam_get_policy - whether the managed policy policy_arn exists (AWS's or the account's) and
 * can be attached (IsAttachable: false for AWS's service-role policies).
 * Returns 0 with *attachable set, or -1 with err set (KW_ERR_NOT_FOUND: no such policy).
 * Source: AWS IAM API: GetPolicy.
 */
int kw_iam_get_policy(struct kw_aws_client *c, const char *policy_arn, bool *attachable,
                      struct kw_error *err);

/* Source: AWS IAM API: DeleteGroupPolicy. */
int kw_iam_delete_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_name,
                               struct kw_error *err);

/*
 * kw_iam_list_group_policies - names of a group's inline policies.
 * Source: AWS IAM API: ListGroupPolicies.
 */
int kw_iam_list_group_policies(struct kw_aws_client *c, const char *group_name, struct kw_iam_names *out,
                               struct kw_error *err);

/* Source: AWS IAM API: AttachGroupPolicy. */
int kw_iam_attach_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_arn,
                               struct kw_error *err);

/* Source: AWS IAM API: DetachGroupPolicy. */
int kw_iam_detach_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_arn,
                               struct kw_error *err);

/*
 * kw_iam_list_attached_group_policies - managed policies attached to a group.
 * Source: AWS IAM API: ListAttachedGroupPolicies.
 */
int kw_iam_list_attached_group_policies(struct kw_aws_client *c, const char *group_name,
                                        struct kw_iam_attached_policy_list *out, struct kw_error *err);

/* --- console access ---------------------------------------------------------------------- */

struct kw_iam_login_profile {
	char *user_name;
	time_t create_date;
	bool password_reset_required;
};

/* kw_iam_login_profile_release - free and zero. */
void kw_iam_login_profile_release(struct kw_iam_login_profile *p);

/*
 * kw_iam_get_login_profile - the user's console password profile.
 * Returns 0, or -1 with KW_ERR_NOT_FOUND when the user has no console access (or no user).
 * Source: AWS IAM API: GetLoginProfile.
 */
int kw_iam_get_login_profile(struct kw_aws_client *c, const char *user_name, struct kw_iam_login_profile *out,
                             struct kw_error *err);

/* Source: AWS IAM API: DeleteLoginProfile. */
int kw_iam_delete_login_profile(struct kw_aws_client *c, const char *user_name, struct kw_error *err);

/* --- MFA --------------------------------------------------------------------------------- */

struct kw_iam_virtual_mfa {
	char *serial_number;           /* the device ARN */
	struct kw_secret *seed_base32; /* the TOTP seed as base32 text (owned, wiped on release) */
};

/* kw_iam_virtual_mfa_release - free (wiping the seed) and zero. */
void kw_iam_virtual_mfa_release(struct kw_iam_virtual_mfa *m);

/*
 * kw_iam_create_virtual_mfa_device - create a virtual MFA device.
 * @name: VirtualMFADeviceName; @path: NULL for "/".
 * @out:  serial number and the seed. IAM's XML carries Base32StringSeed as base64 of the
 *        base32 text; this decodes that base64, so seed_base32 holds e.g. "JBSWY3DPEHPK3PXP..."
 *        ready for RFC 6238 and otpauth:// URIs. The QR PNG is not requested/kept.
 * Source: AWS IAM API: CreateVirtualMFADevice.
 */
int kw_iam_create_virtual_mfa_device(struct kw_aws_client *c, const char *name, const char *path,
                                     struct kw_iam_virtual_mfa *out, struct kw_error *err);

/*
 * kw_iam_create_virtual_mfa_device_tagged - kw_iam_create_virtual_mfa_device() that also tags
 * the device (tags borrowed, ntags <= 50; Tags.member.N), e.g. managed-by: keywarden.
 * Source: AWS IAM API: CreateVirtualMFADevice (Tags).
 */
int kw_iam_create_virtual_mfa_device_tagged(struct kw_aws_client *c, const char *name, const char *path,
                                            const struct kw_iam_tag *tags, size_t ntags,
                                            struct kw_iam_virtual_mfa *out, struct kw_error *err);

/* Source: AWS IAM API: DeleteVirtualMFADevice (serial_number is the device ARN). */
int kw_iam_delete_virtual_mfa_device(struct kw_aws_client *c, const char *serial_number,
                                     struct kw_error *err);

/*
 * kw_iam_enable_mfa_device - associate a device with a user using two consecutive codes.
 * @code1, @code2: six-digit TOTP codes (borrowed; not logged).
 * Returns 0, or -1 (aws_code "InvalidAuthenticationCode", "EntityAlreadyExists", ...).
 * Source: AWS IAM API: EnableMFADevice.
 */
int kw_iam_enable_mfa_device(struct kw_aws_client *c, const char *user_name, const char *serial_number,
                             const char *code1, const char *code2, struct kw_error *err);

/* Source: AWS IAM API: DeactivateMFADevice. */
int kw_iam_deactivate_mfa_device(struct kw_aws_client *c, const char *user_name, const char *serial_number,
                                 struct kw_error *err);

struct kw_iam_mfa_device {
	char *serial_number;
	char *user_name;    /* NULL for an unassigned virtual device */
	time_t enable_date; /* 0 when not enabled */
};

struct kw_iam_mfa_device_list {
	struct kw_iam_mfa_device *items;
	size_t n;
};

/* kw_iam_mfa_device_list_release - free and zero. */
void kw_iam_mfa_device_list_release(struct kw_iam_mfa_device_list *l);

/*
 * kw_iam_list_mfa_devices - MFA devices enabled for a user.
 * Source: AWS IAM API: ListMFADevices.
 */
int kw_iam_list_mfa_devices(struct kw_aws_client *c, const char *user_name,
                            struct kw_iam_mfa_device_list *out, struct kw_error *err);

enum kw_iam_assignment {
	KW_IAM_ASSIGNMENT_ANY,
	KW_IAM_ASSIGNMENT_ASSIGNED,
	KW_IAM_ASSIGNMENT_UNASSIGNED,
};

/*
 * kw_iam_list_virtual_mfa_devices - the account's virtual MFA devices with the user each is
 * assigned to (user_name) and its EnableDate.
 * @max_items: 0 for all, otherwise stop paginating once at least this many were read.
 * Source: AWS IAM API: ListVirtualMFADevices.
 */
int kw_iam_list_virtual_mfa_devices(struct kw_aws_client *c, enum kw_iam_assignment status, size_t max_items,
                                    struct kw_iam_mfa_device_list *out, struct kw_error *err);

/* --- access keys ------------------------------------------------------------------------- */

enum kw_iam_key_status {
	KW_IAM_KEY_ACTIVE,
	KW_IAM_KEY_INACTIVE,
};

/* kw_iam_key_status_name - "Active" / "Inactive" (static). */
const char *kw_iam_key_status_name(enum kw_iam_key_status s);

struct kw_iam_access_key {
	char *user_name;
	char *access_key_id;
	enum kw_iam_key_status status;
	time_t create_date;
	struct kw_secret *secret; /* SecretAccessKey: only from CreateAccessKey (owned), else NULL */
};

/* kw_iam_access_key_release - free (wiping the secret) and zero. */
void kw_iam_access_key_release(struct kw_iam_access_key *k);

struct kw_iam_access_key_list {
	struct kw_iam_access_key *items;
	size_t n;
};

/* kw_iam_access_key_list_release - free and zero. */
void kw_iam_access_key_list_release(struct kw_iam_access_key_list *l);

/*
 * kw_iam_create_access_key - issue a new access key for user_name (NULL: the caller).
 * @out: the key; out->secret holds the SecretAccessKey in a struct kw_secret, the only copy
 *       that exists: deliver it, then release.
 * Returns 0, or -1 (aws_code "LimitExceeded" at two keys).
 * Source: AWS IAM API: CreateAccessKey.
 */
int kw_iam_create_access_key(struct kw_aws_client *c, const char *user_name, struct kw_iam_access_key *out,
                             struct kw_error *err);

/* Source: AWS IAM API: UpdateAccessKey (activate or deactivate). */
int kw_iam_update_access_key(struct kw_aws_client *c, const char *user_name, const char *access_key_id,
                             enum kw_iam_key_status status, struct kw_error *err);

/* Source: AWS IAM API: DeleteAccessKey. */
int kw_iam_delete_access_key(struct kw_aws_client *c, const char *user_name, const char *access_key_id,
                             struct kw_error *err);

/*
 * kw_iam_list_access_keys - a user's access keys (no secrets).
 * Source: AWS IAM API: ListAccessKeys.
 */
int kw_iam_list_access_keys(struct kw_aws_client *c, const char *user_name,
                            struct kw_iam_access_key_list *out, struct kw_error *err);

struct kw_iam_access_key_last_used {
	char *user_name;
	time_t last_used_date; /* 0 when never used */
	char *service_name;    /* "N/A" when never used, as IAM says */
	char *region;          /* "N/A" when never used */
};

/* kw_iam_access_key_last_used_release - free and zero. */
void kw_iam_access_key_last_used_release(struct kw_iam_access_key_last_used *u);

/* Source: AWS IAM API: GetAccessKeyLastUsed. */
int kw_iam_get_access_key_last_used(struct kw_aws_client *c, const char *access_key_id,
                                    struct kw_iam_access_key_last_used *out, struct kw_error *err);

/* --- account-wide reads ------------------------------------------------------------------ */

struct kw_iam_user_detail {
	struct kw_iam_user user;                     /* includes permissions boundary and tags */
	struct kw_iam_names groups;                  /* GroupList */
	struct kw_iam_inline_policy_list policies;   /* UserPolicyList, documents decoded */
	struct kw_iam_attached_policy_list attached; /* AttachedManagedPolicies */
};

struct kw_iam_group_detail {
	struct kw_iam_group group;
	struct kw_iam_inline_policy_list policies;   /* GroupPolicyList, documents decoded */
	struct kw_iam_attached_policy_list attached; /* AttachedManagedPolicies */
};

struct kw_iam_authorization_details {
	struct kw_iam_user_detail *users;
	size_t nusers;
	struct kw_iam_group_detail *groups;
	size_t ngroups;
};

/* kw_iam_authorization_details_release - free and zero. */
void kw_iam_authorization_details_release(struct kw_iam_authorization_details *d);

/* Filter bits for kw_iam_get_account_authorization_details. */
enum {
	KW_IAM_AAD_USER = 1 << 0,
	KW_IAM_AAD_GROUP = 1 << 1,
};

/*
 * kw_iam_get_account_authorization_details - users and/or groups with their policies in a few
 * paginated calls (roles and managed policies are not requested).
 * @filter:    KW_IAM_AAD_USER | KW_IAM_AAD_GROUP (0 means both).
 * @max_items: 0 for everything, otherwise stop after at least that many entries.
 * Source: AWS IAM API: GetAccountAuthorizationDetails.
 */
int kw_iam_get_account_authorization_details(struct kw_aws_client *c, unsigned filter, size_t max_items,
                                             struct kw_iam_authorization_details *out, struct kw_error *err);

enum kw_iam_report_state {
	KW_IAM_REPORT_STARTED,
	KW_IAM_REPORT_INPROGRESS,
	KW_IAM_REPORT_COMPLETE,
};

/*
 * kw_iam_generate_credential_report - start (or check) the credential report's generation.
 * @state: receives STARTED, INPROGRESS or COMPLETE.
 * Source: AWS IAM API: GenerateCredentialReport.
 */
int kw_iam_generate_credential_report(struct kw_aws_client *c, enum kw_iam_report_state *state,
                                      struct kw_error *err);

struct kw_iam_credential_report {
	char *csv;             /* the report, decoded from base64 (CSV text, owned) */
	size_t len;            /* bytes in csv */
	time_t generated_time; /* GeneratedTime */
};

/* kw_iam_credential_report_release - free and zero. */
void kw_iam_credential_report_release(struct kw_iam_credential_report *r);

/*
 * kw_iam_get_credential_report - the latest credential report.
 * Returns 0, or -1 (aws_code "ReportNotPresent", "ReportExpired", "ReportInProgress").
 * Source: AWS IAM API: GetCredentialReport.
 */
int kw_iam_get_credential_report(struct kw_aws_client *c, struct kw_iam_credential_report *out,
                                 struct kw_error *err);

#endif
