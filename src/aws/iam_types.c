/*
 * iam_types.c - release functions of the typed IAM values (iam.h).
 */
#include <stdlib.h>
#include <string.h>

#include "aws/iam.h"
#include "util/secret.h"

void kw_iam_tag_list_release(struct kw_iam_tag_list *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	if (l) {
		free(l->items);
		memset(l, 0, sizeof(*l));
	}
}

void kw_iam_names_release(struct kw_iam_names *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		free(l->items[i]);
	if (l) {
		free(l->items);
		memset(l, 0, sizeof(*l));
	}
}

void kw_iam_attached_policy_list_release(struct kw_iam_attached_policy_list *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		free(l->items[i].policy_name);
		free(l->items[i].policy_arn);
	}
	if (l) {
		free(l->items);
		memset(l, 0, sizeof(*l));
	}
}

void kw_iam_inline_policy_release(struct kw_iam_inline_policy *p)
{
	if (!p)
		return;
	free(p->policy_name);
	free(p->document);
	memset(p, 0, sizeof(*p));
}

void kw_iam_inline_policy_list_release(struct kw_iam_inline_policy_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		kw_iam_inline_policy_release(&l->items[i]);
	if (l) {
		free(l->items);
		memset(l, 0, sizeof(*l));
	}
}

void kw_iam_user_release(struct kw_iam_user *u)
{
	if (!u)
		return;
	free(u->user_name);
	free(u->user_id);
	free(u->arn);
	free(u->path);
	free(u->permissions_boundary_arn);
	kw_iam_tag_list_release(&u->tags);
	memset(u, 0, sizeof(*u));
}

void kw_iam_user_list_release(struct kw_iam_user_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		kw_iam_user_release(&l->items[i]);
	if (l) {
		free(l->items);
		memset(l, 0, sizeof(*l));
	}
}

void kw_iam_group_release(struct kw_iam_group *g)
{
	if (!g)
		return;
	free(g->group_name);
	free(g->group_id);
	free(g->arn);
	free(g->path);
	memset(g, 0, sizeof(*g));
}

void kw_iam_group_list_release(struct kw_iam_group_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		kw_iam_group_release(&l->items[i]);
	if (l) {
		free(l->items);
		memset(l, 0, sizeof(*l));
	}
}

void kw_iam_login_profile_release(struct kw_iam_login_profile *p)
{
	if (!p)
		return;
	free(p->user_name);
	memset(p, 0, sizeof(*p));
}

void kw_iam_virtual_mfa_release(struct kw_iam_virtual_mfa *m)
{
	if (!m)
		return;
	free(m->serial_number);
	kw_secret_free(m->seed_base32);
	memset(m, 0, sizeof(*m));
}

void kw_iam_mfa_device_list_release(struct kw_iam_mfa_device_list *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		free(l->items[i].serial_number);
		free(l->items[i].user_name);
	}
	if (l) {
		free(l->items);
		memset(l, 0, sizeof(*l));
	}
}

const char *kw_iam_key_status_name(enum kw_iam_key_status s)
{
	return s == KW_IAM_KEY_ACTIVE ? "Active" : "Inactive";
}

void kw_iam_access_key_release(struct kw_iam_access_key *k)
{
	if (!k)
		return;
	free(k->user_name);
	free(k->access_key_id);
	kw_secret_free(k->secret);
	memset(k, 0, sizeof(*k));
}

void kw_iam_access_key_list_release(struct kw_iam_access_key_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		kw_iam_access_key_release(&l->items[i]);
	if (l) {
		free(l->items);
		memset(l, 0, sizeof(*l));
	}
}

void kw_iam_access_key_last_used_release(struct kw_iam_access_key_last_used *u)
{
	if (!u)
		return;
	free(u->user_name);
	free(u->service_name);
	free(u->region);
	memset(u, 0, sizeof(*u));
}

void kw_iam_authorization_details_release(struct kw_iam_authorization_details *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nusers; i++) {
		kw_iam_user_release(&d->users[i].user);
		kw_iam_names_release(&d->users[i].groups);
		kw_iam_inline_policy_list_release(&d->users[i].policies);
		kw_iam_attached_policy_list_release(&d->users[i].attached);
	}
	for (size_t i = 0; i < d->ngroups; i++) {
		kw_iam_group_release(&d->groups[i].group);
		kw_iam_inline_policy_list_release(&d->groups[i].policies);
		kw_iam_attached_policy_list_release(&d->groups[i].attached);
	}
	free(d->users);
	free(d->groups);
	memset(d, 0, sizeof(*d));
}

void kw_iam_credential_report_release(struct kw_iam_credential_report *r)
{
	if (!r)
		return;
	free(r->csv);
	memset(r, 0, sizeof(*r));
}
