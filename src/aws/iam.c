/*
 * iam.c - typed IAM operations (iam.h). Not implemented yet: every operation returns
 * KW_ERR_INTERNAL "not implemented" until it talks to IAM (see /work/notes/aws.md).
 */
#include "aws/iam.h"

#include "aws/client.h"
#include "util/error.h"

#define NOT_IMPLEMENTED(action) kw_error_set(err, KW_ERR_INTERNAL, "iam:" action, "not implemented yet")

int kw_iam_get_user(struct kw_aws_client *c, const char *user_name, struct kw_iam_user *out,
                    struct kw_error *err)
{
	return NOT_IMPLEMENTED("GetUser");
}

int kw_iam_create_user(struct kw_aws_client *c, const struct kw_iam_create_user_input *in,
                       struct kw_iam_user *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("CreateUser");
}

int kw_iam_delete_user(struct kw_aws_client *c, const char *user_name, struct kw_error *err)
{
	return NOT_IMPLEMENTED("DeleteUser");
}

int kw_iam_tag_user(struct kw_aws_client *c, const char *user_name, const struct kw_iam_tag *tags,
                    size_t ntags, struct kw_error *err)
{
	return NOT_IMPLEMENTED("TagUser");
}

int kw_iam_untag_user(struct kw_aws_client *c, const char *user_name, const char *const *keys, size_t nkeys,
                      struct kw_error *err)
{
	return NOT_IMPLEMENTED("UntagUser");
}

int kw_iam_list_user_tags(struct kw_aws_client *c, const char *user_name, struct kw_iam_tag_list *out,
                          struct kw_error *err)
{
	return NOT_IMPLEMENTED("ListUserTags");
}

int kw_iam_put_user_permissions_boundary(struct kw_aws_client *c, const char *user_name,
                                         const char *policy_arn, struct kw_error *err)
{
	return NOT_IMPLEMENTED("PutUserPermissionsBoundary");
}

int kw_iam_delete_user_permissions_boundary(struct kw_aws_client *c, const char *user_name,
                                            struct kw_error *err)
{
	return NOT_IMPLEMENTED("DeleteUserPermissionsBoundary");
}

int kw_iam_list_user_policies(struct kw_aws_client *c, const char *user_name, struct kw_iam_names *out,
                              struct kw_error *err)
{
	return NOT_IMPLEMENTED("ListUserPolicies");
}

int kw_iam_get_user_policy(struct kw_aws_client *c, const char *user_name, const char *policy_name,
                           struct kw_iam_inline_policy *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("GetUserPolicy");
}

int kw_iam_delete_user_policy(struct kw_aws_client *c, const char *user_name, const char *policy_name,
                              struct kw_error *err)
{
	return NOT_IMPLEMENTED("DeleteUserPolicy");
}

int kw_iam_list_attached_user_policies(struct kw_aws_client *c, const char *user_name,
                                       struct kw_iam_attached_policy_list *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("ListAttachedUserPolicies");
}

int kw_iam_detach_user_policy(struct kw_aws_client *c, const char *user_name, const char *policy_arn,
                              struct kw_error *err)
{
	return NOT_IMPLEMENTED("DetachUserPolicy");
}

int kw_iam_get_group(struct kw_aws_client *c, const char *group_name, struct kw_iam_group *out,
                     struct kw_iam_user_list *members, struct kw_error *err)
{
	return NOT_IMPLEMENTED("GetGroup");
}

int kw_iam_create_group(struct kw_aws_client *c, const char *group_name, const char *path,
                        struct kw_iam_group *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("CreateGroup");
}

int kw_iam_delete_group(struct kw_aws_client *c, const char *group_name, struct kw_error *err)
{
	return NOT_IMPLEMENTED("DeleteGroup");
}

int kw_iam_add_user_to_group(struct kw_aws_client *c, const char *group_name, const char *user_name,
                             struct kw_error *err)
{
	return NOT_IMPLEMENTED("AddUserToGroup");
}

int kw_iam_remove_user_from_group(struct kw_aws_client *c, const char *group_name, const char *user_name,
                                  struct kw_error *err)
{
	return NOT_IMPLEMENTED("RemoveUserFromGroup");
}

int kw_iam_list_groups_for_user(struct kw_aws_client *c, const char *user_name, struct kw_iam_group_list *out,
                                struct kw_error *err)
{
	return NOT_IMPLEMENTED("ListGroupsForUser");
}

int kw_iam_put_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_name,
                            const char *document, struct kw_error *err)
{
	return NOT_IMPLEMENTED("PutGroupPolicy");
}

int kw_iam_get_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_name,
                            struct kw_iam_inline_policy *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("GetGroupPolicy");
}

int kw_iam_delete_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_name,
                               struct kw_error *err)
{
	return NOT_IMPLEMENTED("DeleteGroupPolicy");
}

int kw_iam_list_group_policies(struct kw_aws_client *c, const char *group_name, struct kw_iam_names *out,
                               struct kw_error *err)
{
	return NOT_IMPLEMENTED("ListGroupPolicies");
}

int kw_iam_attach_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_arn,
                               struct kw_error *err)
{
	return NOT_IMPLEMENTED("AttachGroupPolicy");
}

int kw_iam_detach_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_arn,
                               struct kw_error *err)
{
	return NOT_IMPLEMENTED("DetachGroupPolicy");
}

int kw_iam_list_attached_group_policies(struct kw_aws_client *c, const char *group_name,
                                        struct kw_iam_attached_policy_list *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("ListAttachedGroupPolicies");
}

int kw_iam_get_login_profile(struct kw_aws_client *c, const char *user_name, struct kw_iam_login_profile *out,
                             struct kw_error *err)
{
	return NOT_IMPLEMENTED("GetLoginProfile");
}

int kw_iam_delete_login_profile(struct kw_aws_client *c, const char *user_name, struct kw_error *err)
{
	return NOT_IMPLEMENTED("DeleteLoginProfile");
}

int kw_iam_create_virtual_mfa_device(struct kw_aws_client *c, const char *name, const char *path,
                                     struct kw_iam_virtual_mfa *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("CreateVirtualMFADevice");
}

int kw_iam_delete_virtual_mfa_device(struct kw_aws_client *c, const char *serial_number, struct kw_error *err)
{
	return NOT_IMPLEMENTED("DeleteVirtualMFADevice");
}

int kw_iam_enable_mfa_device(struct kw_aws_client *c, const char *user_name, const char *serial_number,
                             const char *code1, const char *code2, struct kw_error *err)
{
	return NOT_IMPLEMENTED("EnableMFADevice");
}

int kw_iam_deactivate_mfa_device(struct kw_aws_client *c, const char *user_name, const char *serial_number,
                                 struct kw_error *err)
{
	return NOT_IMPLEMENTED("DeactivateMFADevice");
}

int kw_iam_list_mfa_devices(struct kw_aws_client *c, const char *user_name,
                            struct kw_iam_mfa_device_list *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("ListMFADevices");
}

int kw_iam_list_virtual_mfa_devices(struct kw_aws_client *c, enum kw_iam_assignment status, size_t max_items,
                                    struct kw_iam_mfa_device_list *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("ListVirtualMFADevices");
}

int kw_iam_create_access_key(struct kw_aws_client *c, const char *user_name, struct kw_iam_access_key *out,
                             struct kw_error *err)
{
	return NOT_IMPLEMENTED("CreateAccessKey");
}

int kw_iam_update_access_key(struct kw_aws_client *c, const char *user_name, const char *access_key_id,
                             enum kw_iam_key_status status, struct kw_error *err)
{
	return NOT_IMPLEMENTED("UpdateAccessKey");
}

int kw_iam_delete_access_key(struct kw_aws_client *c, const char *user_name, const char *access_key_id,
                             struct kw_error *err)
{
	return NOT_IMPLEMENTED("DeleteAccessKey");
}

int kw_iam_list_access_keys(struct kw_aws_client *c, const char *user_name,
                            struct kw_iam_access_key_list *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("ListAccessKeys");
}

int kw_iam_get_access_key_last_used(struct kw_aws_client *c, const char *access_key_id,
                                    struct kw_iam_access_key_last_used *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("GetAccessKeyLastUsed");
}

int kw_iam_get_account_authorization_details(struct kw_aws_client *c, unsigned filter, size_t max_items,
                                             struct kw_iam_authorization_details *out, struct kw_error *err)
{
	return NOT_IMPLEMENTED("GetAccountAuthorizationDetails");
}

int kw_iam_generate_credential_report(struct kw_aws_client *c, enum kw_iam_report_state *state,
                                      struct kw_error *err)
{
	return NOT_IMPLEMENTED("GenerateCredentialReport");
}

int kw_iam_get_credential_report(struct kw_aws_client *c, struct kw_iam_credential_report *out,
                                 struct kw_error *err)
{
	return NOT_IMPLEMENTED("GetCredentialReport");
}
