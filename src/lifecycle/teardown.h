/*
 * teardown.h - the order in which `keywarden destroy` takes a service account apart, as IAM
 * requires it: DeleteUser fails with DeleteConflict while the user has access keys, MFA
 * devices, a login profile, group memberships, inline or attached policies; DeleteGroup fails
 * while the group has members or policies. Pure: from a picture of what exists to an ordered
 * list of steps; src/cmd/destroy.c runs them.
 *
 * Order: access keys; SSH public keys, signing certificates, service-specific credentials
 * (which DeleteUser also requires gone, though keywarden never makes them); MFA devices (deactivate, then delete the virtual ones); login profile;
 * group memberships; then the group: inline policies, managed policies, the group (only when
 * no other user is in it); then inline user policies; managed user policies; permissions
 * boundary; the user. The group goes before the user because keywarden knows a group as its
 * own through its tagged user (groups cannot be tagged): an interrupted destroy never leaves
 * a group without the user that vouches for it. Virtual MFA devices left unassigned (an
 * interrupted enrollment) are deleted last.
 * Source: AWS IAM API reference, DeleteUser and DeleteGroup ("you must first remove...").
 *
 * Invariants: every string is borrowed from the picture; steps point into it and live as
 * long as it does. Nothing here is secret.
 */
#ifndef KW_LIFECYCLE_TEARDOWN_H
#define KW_LIFECYCLE_TEARDOWN_H

#include <stdbool.h>
#include <stddef.h>

/* A borrowed list of strings. */
struct kw_lc_names {
	const char *const *v;
	size_t n;
};

struct kw_lc_td_user {
	const char *name; /* NULL or !exists: nothing to do for the user */
	bool exists;
	struct kw_lc_names keys; /* AccessKeyIds */
	/* SSHPublicKeyIds, CertificateIds, ServiceSpecificCredentialIds (indexed by kw_iam_user_cred) */
	struct kw_lc_names creds[3];
	struct kw_lc_names mfa; /* serials of assigned MFA devices (ARNs for virtual ones) */
	bool login_profile;
	struct kw_lc_names groups; /* every group the user is in */
	struct kw_lc_names inline_policies;
	struct kw_lc_names managed_arns;
	bool boundary;
};

struct kw_lc_td_group {
	const char *name; /* NULL or !exists: nothing to do for the group */
	bool exists;
	struct kw_lc_names inline_policies;
	struct kw_lc_names managed_arns;
	size_t other_members; /* members besides the user being destroyed: the group is kept */
};

enum kw_lc_td_op {
	KW_LC_TD_DELETE_ACCESS_KEY,    /* DeleteAccessKey user arg=key id */
	KW_LC_TD_DELETE_SSH_KEY,       /* DeleteSSHPublicKey user arg=SSHPublicKeyId */
	KW_LC_TD_DELETE_SIGNING_CERT,  /* DeleteSigningCertificate user arg=CertificateId */
	KW_LC_TD_DELETE_SERVICE_CRED,  /* DeleteServiceSpecificCredential user arg=credential id */
	KW_LC_TD_DEACTIVATE_MFA,       /* DeactivateMFADevice user arg=serial */
	KW_LC_TD_DELETE_VIRTUAL_MFA,   /* DeleteVirtualMFADevice arg=serial */
	KW_LC_TD_DELETE_LOGIN_PROFILE, /* DeleteLoginProfile user */
	KW_LC_TD_REMOVE_FROM_GROUP,    /* RemoveUserFromGroup user arg=group */
	KW_LC_TD_DELETE_USER_POLICY,   /* DeleteUserPolicy user arg=policy name */
	KW_LC_TD_DETACH_USER_POLICY,   /* DetachUserPolicy user arg=policy ARN */
	KW_LC_TD_DELETE_BOUNDARY,      /* DeleteUserPermissionsBoundary user */
	KW_LC_TD_DELETE_USER,          /* DeleteUser user */
	KW_LC_TD_DELETE_GROUP_POLICY,  /* DeleteGroupPolicy group arg=policy name */
	KW_LC_TD_DETACH_GROUP_POLICY,  /* DetachGroupPolicy group arg=policy ARN */
	KW_LC_TD_DELETE_GROUP,         /* DeleteGroup group */
};

struct kw_lc_td_step {
	enum kw_lc_td_op op;
	const char *subject; /* user or group name */
	const char *arg;     /* key id, serial, group, policy name or ARN; NULL when none */
};

/* At most this many steps for one account (IAM's own limits keep real accounts far below). */
#define KW_LC_TD_MAX_STEPS 512

/*
 * kw_lc_teardown_plan - the steps, in order, that remove u and g (both borrowed; either may
 * be NULL). orphan_mfa: serials of unassigned virtual MFA devices to delete (may be empty).
 * Writes at most max steps into steps and their number into *n.
 * Returns 0, or -1 when more than max steps would be needed.
 */
int kw_lc_teardown_plan(const struct kw_lc_td_user *u, const struct kw_lc_td_group *g,
                        struct kw_lc_names orphan_mfa, struct kw_lc_td_step *steps, size_t max, size_t *n);

/* kw_lc_td_is_virtual_mfa - whether an MFA serial names a virtual device (an ARN ...:mfa/...). */
bool kw_lc_td_is_virtual_mfa(const char *serial);

/* kw_lc_td_op_name - the IAM action of a step ("DeleteAccessKey", ...), static storage. */
const char *kw_lc_td_op_name(enum kw_lc_td_op op);

/* kw_lc_td_describe - one line for the user ("delete access key AKIA... of service-x") into buf. */
void kw_lc_td_describe(const struct kw_lc_td_step *s, char *buf, size_t size);

#endif
