#include "lifecycle/teardown.h"

#include <stdio.h>
#include <string.h>

struct plan {
	struct kw_lc_td_step *v;
	size_t max, n;
	int overflow;
};

static void push(struct plan *p, enum kw_lc_td_op op, const char *subject, const char *arg)
{
	if (p->n >= p->max) {
		p->overflow = 1;
		return;
	}
	p->v[p->n++] = (struct kw_lc_td_step){op, subject, arg};
}

static void push_all(struct plan *p, enum kw_lc_td_op op, const char *subject, struct kw_lc_names l)
{
	for (size_t i = 0; i < l.n; i++)
		push(p, op, subject, l.v[i]);
}

bool kw_lc_td_is_virtual_mfa(const char *serial)
{
	return serial && !strncmp(serial, "arn:", 4) && strstr(serial, ":mfa/");
}

int kw_lc_teardown_plan(const struct kw_lc_td_user *u, const struct kw_lc_td_group *g,
                        struct kw_lc_names orphan_mfa, struct kw_lc_td_step *steps, size_t max, size_t *n)
{
	struct plan p = {steps, max, 0, 0};

	if (u && u->name && u->exists) {
		push_all(&p, KW_LC_TD_DELETE_ACCESS_KEY, u->name, u->keys);
		push_all(&p, KW_LC_TD_DELETE_SSH_KEY, u->name, u->creds[0]);
		push_all(&p, KW_LC_TD_DELETE_SIGNING_CERT, u->name, u->creds[1]);
		push_all(&p, KW_LC_TD_DELETE_SERVICE_CRED, u->name, u->creds[2]);
		for (size_t i = 0; i < u->mfa.n; i++) {
			push(&p, KW_LC_TD_DEACTIVATE_MFA, u->name, u->mfa.v[i]);
			if (kw_lc_td_is_virtual_mfa(u->mfa.v[i]))
				push(&p, KW_LC_TD_DELETE_VIRTUAL_MFA, u->name, u->mfa.v[i]);
		}
		if (u->login_profile)
			push(&p, KW_LC_TD_DELETE_LOGIN_PROFILE, u->name, NULL);
		push_all(&p, KW_LC_TD_REMOVE_FROM_GROUP, u->name, u->groups);
	}
	/* the group goes while its tagged user still exists (engine.md: a group is managed when
	 * its user is), so that an interrupted destroy can always be finished by a second one */
	if (g && g->name && g->exists && !g->other_members) {
		push_all(&p, KW_LC_TD_DELETE_GROUP_POLICY, g->name, g->inline_policies);
		push_all(&p, KW_LC_TD_DETACH_GROUP_POLICY, g->name, g->managed_arns);
		push(&p, KW_LC_TD_DELETE_GROUP, g->name, NULL);
	}
	if (u && u->name && u->exists) {
		push_all(&p, KW_LC_TD_DELETE_USER_POLICY, u->name, u->inline_policies);
		push_all(&p, KW_LC_TD_DETACH_USER_POLICY, u->name, u->managed_arns);
		if (u->boundary)
			push(&p, KW_LC_TD_DELETE_BOUNDARY, u->name, NULL);
		push(&p, KW_LC_TD_DELETE_USER, u->name, NULL);
	}
	for (size_t i = 0; i < orphan_mfa.n; i++)
		if (kw_lc_td_is_virtual_mfa(orphan_mfa.v[i]))
			push(&p, KW_LC_TD_DELETE_VIRTUAL_MFA, u ? u->name : NULL, orphan_mfa.v[i]);
	*n = p.n;
	return p.overflow ? -1 : 0;
}

const char *kw_lc_td_op_name(enum kw_lc_td_op op)
{
	switch (op) {
	case KW_LC_TD_DELETE_ACCESS_KEY: return "DeleteAccessKey";
	case KW_LC_TD_DELETE_SSH_KEY: return "DeleteSSHPublicKey";
	case KW_LC_TD_DELETE_SIGNING_CERT: return "DeleteSigningCertificate";
	case KW_LC_TD_DELETE_SERVICE_CRED: return "DeleteServiceSpecificCredential";
	case KW_LC_TD_DEACTIVATE_MFA: return "DeactivateMFADevice";
	case KW_LC_TD_DELETE_VIRTUAL_MFA: return "DeleteVirtualMFADevice";
	case KW_LC_TD_DELETE_LOGIN_PROFILE: return "DeleteLoginProfile";
	case KW_LC_TD_REMOVE_FROM_GROUP: return "RemoveUserFromGroup";
	case KW_LC_TD_DELETE_USER_POLICY: return "DeleteUserPolicy";
	case KW_LC_TD_DETACH_USER_POLICY: return "DetachUserPolicy";
	case KW_LC_TD_DELETE_BOUNDARY: return "DeleteUserPermissionsBoundary";
	case KW_LC_TD_DELETE_USER: return "DeleteUser";
	case KW_LC_TD_DELETE_GROUP_POLICY: return "DeleteGroupPolicy";
	case KW_LC_TD_DETACH_GROUP_POLICY: return "DetachGroupPolicy";
	case KW_LC_TD_DELETE_GROUP: return "DeleteGroup";
	}
	return "?";
}

void kw_lc_td_describe(const struct kw_lc_td_step *s, char *buf, size_t size)
{
	const char *subj = s->subject ? s->subject : "?", *arg = s->arg ? s->arg : "";

	switch (s->op) {
	case KW_LC_TD_DELETE_ACCESS_KEY:
		snprintf(buf, size, "delete access key %s of user %s", arg, subj);
		break;
	case KW_LC_TD_DELETE_SSH_KEY:
		snprintf(buf, size, "delete SSH public key %s of user %s", arg, subj);
		break;
	case KW_LC_TD_DELETE_SIGNING_CERT:
		snprintf(buf, size, "delete signing certificate %s of user %s", arg, subj);
		break;
	case KW_LC_TD_DELETE_SERVICE_CRED:
		snprintf(buf, size, "delete service-specific credential %s of user %s", arg, subj);
		break;
	case KW_LC_TD_DEACTIVATE_MFA:
		snprintf(buf, size, "deactivate MFA device %s of user %s", arg, subj);
		break;
	case KW_LC_TD_DELETE_VIRTUAL_MFA: snprintf(buf, size, "delete virtual MFA device %s", arg); break;
	case KW_LC_TD_DELETE_LOGIN_PROFILE:
		snprintf(buf, size, "delete console password of user %s", subj);
		break;
	case KW_LC_TD_REMOVE_FROM_GROUP:
		snprintf(buf, size, "remove user %s from group %s", subj, arg);
		break;
	case KW_LC_TD_DELETE_USER_POLICY:
		snprintf(buf, size, "delete inline policy %s of user %s", arg, subj);
		break;
	case KW_LC_TD_DETACH_USER_POLICY:
		snprintf(buf, size, "detach policy %s from user %s", arg, subj);
		break;
	case KW_LC_TD_DELETE_BOUNDARY:
		snprintf(buf, size, "remove permissions boundary of user %s", subj);
		break;
	case KW_LC_TD_DELETE_USER: snprintf(buf, size, "delete user %s", subj); break;
	case KW_LC_TD_DELETE_GROUP_POLICY:
		snprintf(buf, size, "delete inline policy %s of group %s", arg, subj);
		break;
	case KW_LC_TD_DETACH_GROUP_POLICY:
		snprintf(buf, size, "detach policy %s from group %s", arg, subj);
		break;
	case KW_LC_TD_DELETE_GROUP: snprintf(buf, size, "delete group %s", subj); break;
	}
}
