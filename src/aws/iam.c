/*
 * iam.c - typed IAM operations (iam.h) over kw_aws_call / kw_aws_paginate (call.h).
 */
#include "aws/iam.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/call.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/secret.h"

#define PAGE_SIZE "1000" /* MaxItems per page: IAM's largest */

#define FOR_MEMBERS(m, list) \
	for (xmlNode *m = kw_xml_child((list), "member"); m; m = kw_xml_next(m, "member"))

/* --- decoding answers -------------------------------------------------------------------- */

/* URL-decoded copy of a policy document node's text; sets *oom on failure. */
static char *policy_document(const xmlNode *n, bool *oom)
{
	char *raw = kw_xml_text(n, oom);
	struct kw_buf b = KW_BUF_INIT;

	if (!raw)
		return NULL;
	if (kw_aws_uri_decode(&b, raw, strlen(raw), false)) {
		*oom = true;
		free(raw);
		kw_buf_release(&b);
		return NULL;
	}
	free(raw);
	raw = kw_buf_detach(&b);
	if (!raw)
		*oom = true;
	return raw;
}

static void parse_tags(const xmlNode *tags, struct kw_iam_tag_list *out, bool *oom)
{
	FOR_MEMBERS(m, tags)
	{
		struct kw_iam_tag *t = kw_array_grow(&out->items, &out->n, sizeof(*t));
		if (!t) {
			*oom = true;
			return;
		}
		t->key = kw_xml_text(kw_xml_child(m, "Key"), oom);
		t->value = kw_xml_text(kw_xml_child(m, "Value"), oom);
		if (!t->value)
			t->value = strdup("");
		if (!t->key || !t->value)
			*oom = true;
	}
}

static void parse_user(const xmlNode *u, struct kw_iam_user *out, bool *oom)
{
	out->user_name = kw_xml_text(kw_xml_child(u, "UserName"), oom);
	out->user_id = kw_xml_text(kw_xml_child(u, "UserId"), oom);
	out->arn = kw_xml_text(kw_xml_child(u, "Arn"), oom);
	out->path = kw_xml_text(kw_xml_child(u, "Path"), oom);
	out->create_date = kw_xml_time(kw_xml_child(u, "CreateDate"));
	out->password_last_used = kw_xml_time(kw_xml_child(u, "PasswordLastUsed"));
	out->permissions_boundary_arn =
	        kw_xml_text(kw_xml_path(u, "PermissionsBoundary/PermissionsBoundaryArn"), oom);
	parse_tags(kw_xml_child(u, "Tags"), &out->tags, oom);
}

static void parse_group(const xmlNode *g, struct kw_iam_group *out, bool *oom)
{
	out->group_name = kw_xml_text(kw_xml_child(g, "GroupName"), oom);
	out->group_id = kw_xml_text(kw_xml_child(g, "GroupId"), oom);
	out->arn = kw_xml_text(kw_xml_child(g, "Arn"), oom);
	out->path = kw_xml_text(kw_xml_child(g, "Path"), oom);
	out->create_date = kw_xml_time(kw_xml_child(g, "CreateDate"));
}

static void parse_names(const xmlNode *list, struct kw_iam_names *out, bool *oom)
{
	FOR_MEMBERS(m, list)
	{
		char **s = kw_array_grow(&out->items, &out->n, sizeof(*s));
		if (!s || !(*s = kw_xml_text(m, oom))) {
			*oom = true;
			return;
		}
	}
}

static void parse_attached(const xmlNode *list, struct kw_iam_attached_policy_list *out, bool *oom)
{
	FOR_MEMBERS(m, list)
	{
		struct kw_iam_attached_policy *p = kw_array_grow(&out->items, &out->n, sizeof(*p));
		if (!p) {
			*oom = true;
			return;
		}
		p->policy_name = kw_xml_text(kw_xml_child(m, "PolicyName"), oom);
		p->policy_arn = kw_xml_text(kw_xml_child(m, "PolicyArn"), oom);
	}
}

static void parse_inline_list(const xmlNode *list, struct kw_iam_inline_policy_list *out, bool *oom)
{
	FOR_MEMBERS(m, list)
	{
		struct kw_iam_inline_policy *p = kw_array_grow(&out->items, &out->n, sizeof(*p));
		if (!p) {
			*oom = true;
			return;
		}
		p->policy_name = kw_xml_text(kw_xml_child(m, "PolicyName"), oom);
		p->document = policy_document(kw_xml_child(m, "PolicyDocument"), oom);
	}
}

static enum kw_iam_key_status parse_status(const xmlNode *n)
{
	char *s = kw_xml_text(n, NULL);
	enum kw_iam_key_status st = s && !strcmp(s, "Active") ? KW_IAM_KEY_ACTIVE : KW_IAM_KEY_INACTIVE;

	free(s);
	return st;
}

static void parse_access_key(const xmlNode *k, struct kw_iam_access_key *out, bool *oom)
{
	out->user_name = kw_xml_text(kw_xml_child(k, "UserName"), oom);
	out->access_key_id = kw_xml_text(kw_xml_child(k, "AccessKeyId"), oom);
	out->status = parse_status(kw_xml_child(k, "Status"));
	out->create_date = kw_xml_time(kw_xml_child(k, "CreateDate"));
}

static void parse_mfa(const xmlNode *m, struct kw_iam_mfa_device *out, bool *oom)
{
	const xmlNode *user = kw_xml_child(m, "User");

	out->serial_number = kw_xml_text(kw_xml_child(m, "SerialNumber"), oom);
	/* ListMFADevices carries UserName; ListVirtualMFADevices a User structure */
	out->user_name =
	        kw_xml_text(user ? kw_xml_child(user, "UserName") : kw_xml_child(m, "UserName"), oom);
	out->enable_date = kw_xml_time(kw_xml_child(m, "EnableDate"));
}

/* --- calling ----------------------------------------------------------------------------- */

/*
 * One non-paginated call; *res is the <ActionResult> (inside *doc, freed by the caller), or
 * the call fails when want_result and the answer has none.
 */
static int call(struct kw_aws_client *c, struct kw_query *q, xmlDoc **doc, xmlNode **res,
                struct kw_error *err)
{
	int rc = kw_aws_call(c, KW_AWS_IAM, q, doc, res, err);

	if (!rc && res && !*res) {
		kw_error_set(err, KW_ERR_AWS, q->action, "answer without %sResult", q->action);
		xmlFreeDoc(*doc);
		*doc = NULL;
		rc = -1;
	}
	kw_query_release(q);
	return rc;
}

/* A call whose answer carries nothing keywarden needs. */
static int simple(struct kw_aws_client *c, const char *action, const struct kw_aws_param *ps, size_t n,
                  struct kw_error *err)
{
	struct kw_query q;

	kw_query_init(&q, action, KW_IAM_API_VERSION);
	for (size_t i = 0; i < n; i++)
		kw_query_add(&q, ps[i].name, ps[i].value);
	return call(c, &q, NULL, NULL, err);
}

#define NPARAMS(a) (sizeof(a) / sizeof((a)[0]))

/* Collects the members of one list element of every page. */
struct collect {
	const char *list; /* element under the result holding the members */
	void (*parse)(const xmlNode *member, void *item, bool *oom);
	void **items;
	size_t *n;
	size_t size;
	size_t max; /* 0: all */
};

static int collect_page(void *vctx, xmlNode *res, struct kw_error *err)
{
	struct collect *c = vctx;
	bool oom = false;

	FOR_MEMBERS(m, kw_xml_child(res, c->list))
	{
		void *item = kw_array_grow(c->items, c->n, c->size);
		if (!item)
			return kw_error_nomem(err);
		c->parse(m, item, &oom);
		if (oom)
			return kw_error_nomem(err);
	}
	return c->max && *c->n >= c->max ? 1 : 0;
}

static int list(struct kw_aws_client *c, const char *action, const struct kw_aws_param *ps, size_t n,
                struct collect *col, struct kw_error *err)
{
	struct kw_aws_param all[8];

	if (n + 1 > NPARAMS(all))
		return kw_error_set(err, KW_ERR_INTERNAL, action, "too many parameters");
	memcpy(all, ps, n * sizeof(*ps));
	all[n] = (struct kw_aws_param){"MaxItems", PAGE_SIZE};
	return kw_aws_paginate(c, KW_AWS_IAM, action, all, n + 1, collect_page, col, err);
}

/* Member parsers with the collect signature. */
static void m_group(const xmlNode *m, void *it, bool *oom)
{
	parse_group(m, it, oom);
}

static void m_name(const xmlNode *m, void *it, bool *oom)
{
	if (!(*(char **)it = kw_xml_text(m, oom)))
		*oom = true;
}

static void m_attached(const xmlNode *m, void *it, bool *oom)
{
	struct kw_iam_attached_policy *p = it;

	p->policy_name = kw_xml_text(kw_xml_child(m, "PolicyName"), oom);
	p->policy_arn = kw_xml_text(kw_xml_child(m, "PolicyArn"), oom);
}

static void m_tag(const xmlNode *m, void *it, bool *oom)
{
	struct kw_iam_tag *t = it;

	t->key = kw_xml_text(kw_xml_child(m, "Key"), oom);
	t->value = kw_xml_text(kw_xml_child(m, "Value"), oom);
	if (!t->value && !(t->value = strdup("")))
		*oom = true;
}

static void m_access_key(const xmlNode *m, void *it, bool *oom)
{
	parse_access_key(m, it, oom);
}

static void m_mfa(const xmlNode *m, void *it, bool *oom)
{
	parse_mfa(m, it, oom);
}

#define COLLECT(listname, fn, out, maxn)                                                     \
	{                                                                                    \
		listname, fn, (void **)&(out)->items, &(out)->n, sizeof(*(out)->items), maxn \
	}

/* --- users ------------------------------------------------------------------------------- */

int kw_iam_get_user(struct kw_aws_client *c, const char *user_name, struct kw_iam_user *out,
                    struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res;
	bool oom = false;

	memset(out, 0, sizeof(*out));
	kw_query_init(&q, "GetUser", KW_IAM_API_VERSION);
	kw_query_add(&q, "UserName", user_name);
	if (call(c, &q, &doc, &res, err))
		return -1;
	parse_user(kw_xml_child(res, "User"), out, &oom);
	xmlFreeDoc(doc);
	if (oom) {
		kw_iam_user_release(out);
		return kw_error_nomem(err);
	}
	return 0;
}

static void add_tags(struct kw_query *q, const char *list, const struct kw_iam_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kw_query_add_member(q, list, i + 1, "Key", tags[i].key);
		kw_query_add_member(q, list, i + 1, "Value", tags[i].value);
	}
}

int kw_iam_create_user(struct kw_aws_client *c, const struct kw_iam_create_user_input *in,
                       struct kw_iam_user *out, struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res;
	bool oom = false;

	if (out)
		memset(out, 0, sizeof(*out));
	kw_query_init(&q, "CreateUser", KW_IAM_API_VERSION);
	kw_query_add(&q, "UserName", in->user_name);
	kw_query_add(&q, "Path", in->path);
	kw_query_add(&q, "PermissionsBoundary", in->permissions_boundary);
	add_tags(&q, "Tags", in->tags, in->ntags);
	if (call(c, &q, &doc, &res, err))
		return -1;
	if (out)
		parse_user(kw_xml_child(res, "User"), out, &oom);
	xmlFreeDoc(doc);
	if (oom) {
		kw_iam_user_release(out);
		return kw_error_nomem(err);
	}
	return 0;
}

int kw_iam_delete_user(struct kw_aws_client *c, const char *user_name, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}};

	return simple(c, "DeleteUser", ps, NPARAMS(ps), err);
}

int kw_iam_tag_user(struct kw_aws_client *c, const char *user_name, const struct kw_iam_tag *tags,
                    size_t ntags, struct kw_error *err)
{
	struct kw_query q;

	kw_query_init(&q, "TagUser", KW_IAM_API_VERSION);
	kw_query_add(&q, "UserName", user_name);
	add_tags(&q, "Tags", tags, ntags);
	return call(c, &q, NULL, NULL, err);
}

int kw_iam_untag_user(struct kw_aws_client *c, const char *user_name, const char *const *keys, size_t nkeys,
                      struct kw_error *err)
{
	struct kw_query q;

	kw_query_init(&q, "UntagUser", KW_IAM_API_VERSION);
	kw_query_add(&q, "UserName", user_name);
	for (size_t i = 0; i < nkeys; i++)
		kw_query_add_member(&q, "TagKeys", i + 1, NULL, keys[i]);
	return call(c, &q, NULL, NULL, err);
}

int kw_iam_list_user_tags(struct kw_aws_client *c, const char *user_name, struct kw_iam_tag_list *out,
                          struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}};
	struct collect col = COLLECT("Tags", m_tag, out, 0);

	memset(out, 0, sizeof(*out));
	if (list(c, "ListUserTags", ps, NPARAMS(ps), &col, err)) {
		kw_iam_tag_list_release(out);
		return -1;
	}
	return 0;
}

int kw_iam_put_user_permissions_boundary(struct kw_aws_client *c, const char *user_name,
                                         const char *policy_arn, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}, {"PermissionsBoundary", policy_arn}};

	return simple(c, "PutUserPermissionsBoundary", ps, NPARAMS(ps), err);
}

int kw_iam_delete_user_permissions_boundary(struct kw_aws_client *c, const char *user_name,
                                            struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}};

	return simple(c, "DeleteUserPermissionsBoundary", ps, NPARAMS(ps), err);
}

static int list_names(struct kw_aws_client *c, const char *action, const char *pname, const char *pvalue,
                      struct kw_iam_names *out, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{pname, pvalue}};
	struct collect col = COLLECT("PolicyNames", m_name, out, 0);

	memset(out, 0, sizeof(*out));
	if (list(c, action, ps, NPARAMS(ps), &col, err)) {
		kw_iam_names_release(out);
		return -1;
	}
	return 0;
}

static int list_attached(struct kw_aws_client *c, const char *action, const char *pname, const char *pvalue,
                         struct kw_iam_attached_policy_list *out, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{pname, pvalue}};
	struct collect col = COLLECT("AttachedPolicies", m_attached, out, 0);

	memset(out, 0, sizeof(*out));
	if (list(c, action, ps, NPARAMS(ps), &col, err)) {
		kw_iam_attached_policy_list_release(out);
		return -1;
	}
	return 0;
}

/* GetUserPolicy / GetGroupPolicy. */
static int get_policy(struct kw_aws_client *c, const char *action, const char *pname, const char *pvalue,
                      const char *policy_name, struct kw_iam_inline_policy *out, struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res;
	bool oom = false;

	memset(out, 0, sizeof(*out));
	kw_query_init(&q, action, KW_IAM_API_VERSION);
	kw_query_add(&q, pname, pvalue);
	kw_query_add(&q, "PolicyName", policy_name);
	if (call(c, &q, &doc, &res, err))
		return -1;
	out->policy_name = kw_xml_text(kw_xml_child(res, "PolicyName"), &oom);
	out->document = policy_document(kw_xml_child(res, "PolicyDocument"), &oom);
	xmlFreeDoc(doc);
	if (oom || !out->policy_name || !out->document) {
		kw_iam_inline_policy_release(out);
		return oom ? kw_error_nomem(err)
		           : kw_error_set(err, KW_ERR_AWS, action, "answer without a policy document");
	}
	return 0;
}

int kw_iam_list_user_policies(struct kw_aws_client *c, const char *user_name, struct kw_iam_names *out,
                              struct kw_error *err)
{
	return list_names(c, "ListUserPolicies", "UserName", user_name, out, err);
}

int kw_iam_get_user_policy(struct kw_aws_client *c, const char *user_name, const char *policy_name,
                           struct kw_iam_inline_policy *out, struct kw_error *err)
{
	return get_policy(c, "GetUserPolicy", "UserName", user_name, policy_name, out, err);
}

int kw_iam_delete_user_policy(struct kw_aws_client *c, const char *user_name, const char *policy_name,
                              struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}, {"PolicyName", policy_name}};

	return simple(c, "DeleteUserPolicy", ps, NPARAMS(ps), err);
}

int kw_iam_list_attached_user_policies(struct kw_aws_client *c, const char *user_name,
                                       struct kw_iam_attached_policy_list *out, struct kw_error *err)
{
	return list_attached(c, "ListAttachedUserPolicies", "UserName", user_name, out, err);
}

int kw_iam_detach_user_policy(struct kw_aws_client *c, const char *user_name, const char *policy_arn,
                              struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}, {"PolicyArn", policy_arn}};

	return simple(c, "DetachUserPolicy", ps, NPARAMS(ps), err);
}

/* --- groups ------------------------------------------------------------------------------ */

struct get_group_ctx {
	struct kw_iam_group *group;
	struct kw_iam_user_list *members;
	bool have_group;
};

static int get_group_page(void *vctx, xmlNode *res, struct kw_error *err)
{
	struct get_group_ctx *g = vctx;
	bool oom = false;

	if (!g->have_group) {
		parse_group(kw_xml_child(res, "Group"), g->group, &oom);
		g->have_group = true;
	}
	if (g->members) {
		FOR_MEMBERS(m, kw_xml_child(res, "Users"))
		{
			struct kw_iam_user *u = kw_array_grow(&g->members->items, &g->members->n, sizeof(*u));
			if (!u)
				return kw_error_nomem(err);
			parse_user(m, u, &oom);
		}
	}
	if (oom)
		return kw_error_nomem(err);
	return g->members ? 0 : 1; /* without members one page is enough */
}

int kw_iam_get_group(struct kw_aws_client *c, const char *group_name, struct kw_iam_group *out,
                     struct kw_iam_user_list *members, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"GroupName", group_name}, {"MaxItems", members ? PAGE_SIZE : "1"}};
	struct get_group_ctx g = {out, members, false};
	int rc;

	memset(out, 0, sizeof(*out));
	if (members)
		memset(members, 0, sizeof(*members));
	rc = kw_aws_paginate(c, KW_AWS_IAM, "GetGroup", ps, NPARAMS(ps), get_group_page, &g, err);
	if (rc) {
		kw_iam_group_release(out);
		kw_iam_user_list_release(members);
	}
	return rc;
}

int kw_iam_create_group(struct kw_aws_client *c, const char *group_name, const char *path,
                        struct kw_iam_group *out, struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res;
	bool oom = false;

	if (out)
		memset(out, 0, sizeof(*out));
	kw_query_init(&q, "CreateGroup", KW_IAM_API_VERSION);
	kw_query_add(&q, "GroupName", group_name);
	kw_query_add(&q, "Path", path);
	if (call(c, &q, &doc, &res, err))
		return -1;
	if (out)
		parse_group(kw_xml_child(res, "Group"), out, &oom);
	xmlFreeDoc(doc);
	if (oom) {
		kw_iam_group_release(out);
		return kw_error_nomem(err);
	}
	return 0;
}

int kw_iam_delete_group(struct kw_aws_client *c, const char *group_name, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"GroupName", group_name}};

	return simple(c, "DeleteGroup", ps, NPARAMS(ps), err);
}

int kw_iam_add_user_to_group(struct kw_aws_client *c, const char *group_name, const char *user_name,
                             struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"GroupName", group_name}, {"UserName", user_name}};

	return simple(c, "AddUserToGroup", ps, NPARAMS(ps), err);
}

int kw_iam_remove_user_from_group(struct kw_aws_client *c, const char *group_name, const char *user_name,
                                  struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"GroupName", group_name}, {"UserName", user_name}};

	return simple(c, "RemoveUserFromGroup", ps, NPARAMS(ps), err);
}

int kw_iam_list_groups_for_user(struct kw_aws_client *c, const char *user_name, struct kw_iam_group_list *out,
                                struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}};
	struct collect col = COLLECT("Groups", m_group, out, 0);

	memset(out, 0, sizeof(*out));
	if (list(c, "ListGroupsForUser", ps, NPARAMS(ps), &col, err)) {
		kw_iam_group_list_release(out);
		return -1;
	}
	return 0;
}

int kw_iam_put_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_name,
                            const char *document, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {
	        {"GroupName", group_name}, {"PolicyName", policy_name}, {"PolicyDocument", document}};

	return simple(c, "PutGroupPolicy", ps, NPARAMS(ps), err);
}

int kw_iam_get_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_name,
                            struct kw_iam_inline_policy *out, struct kw_error *err)
{
	return get_policy(c, "GetGroupPolicy", "GroupName", group_name, policy_name, out, err);
}

int kw_iam_get_policy(struct kw_aws_client *c, const char *policy_arn, bool *attachable, struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res, *pol;

	*attachable = false;
	kw_query_init(&q, "GetPolicy", KW_IAM_API_VERSION);
	kw_query_add(&q, "PolicyArn", policy_arn);
	if (call(c, &q, &doc, &res, err))
		return -1;
	if (!(pol = kw_xml_child(res, "Policy"))) {
		xmlFreeDoc(doc);
		return kw_error_set(err, KW_ERR_NETWORK, "GetPolicy", "answer without a Policy");
	}
	*attachable = kw_xml_bool(kw_xml_child(pol, "IsAttachable"));
	xmlFreeDoc(doc);
	return 0;
}

int kw_iam_delete_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_name,
                               struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"GroupName", group_name}, {"PolicyName", policy_name}};

	return simple(c, "DeleteGroupPolicy", ps, NPARAMS(ps), err);
}

int kw_iam_list_group_policies(struct kw_aws_client *c, const char *group_name, struct kw_iam_names *out,
                               struct kw_error *err)
{
	return list_names(c, "ListGroupPolicies", "GroupName", group_name, out, err);
}

int kw_iam_attach_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_arn,
                               struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"GroupName", group_name}, {"PolicyArn", policy_arn}};

	return simple(c, "AttachGroupPolicy", ps, NPARAMS(ps), err);
}

int kw_iam_detach_group_policy(struct kw_aws_client *c, const char *group_name, const char *policy_arn,
                               struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"GroupName", group_name}, {"PolicyArn", policy_arn}};

	return simple(c, "DetachGroupPolicy", ps, NPARAMS(ps), err);
}

int kw_iam_list_attached_group_policies(struct kw_aws_client *c, const char *group_name,
                                        struct kw_iam_attached_policy_list *out, struct kw_error *err)
{
	return list_attached(c, "ListAttachedGroupPolicies", "GroupName", group_name, out, err);
}

/* --- console access ---------------------------------------------------------------------- */

int kw_iam_get_login_profile(struct kw_aws_client *c, const char *user_name, struct kw_iam_login_profile *out,
                             struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res, *lp;
	bool oom = false;

	memset(out, 0, sizeof(*out));
	kw_query_init(&q, "GetLoginProfile", KW_IAM_API_VERSION);
	kw_query_add(&q, "UserName", user_name);
	if (call(c, &q, &doc, &res, err))
		return -1;
	lp = kw_xml_child(res, "LoginProfile");
	out->user_name = kw_xml_text(kw_xml_child(lp, "UserName"), &oom);
	out->create_date = kw_xml_time(kw_xml_child(lp, "CreateDate"));
	out->password_reset_required = kw_xml_bool(kw_xml_child(lp, "PasswordResetRequired"));
	xmlFreeDoc(doc);
	if (oom) {
		kw_iam_login_profile_release(out);
		return kw_error_nomem(err);
	}
	return 0;
}

int kw_iam_delete_login_profile(struct kw_aws_client *c, const char *user_name, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}};

	return simple(c, "DeleteLoginProfile", ps, NPARAMS(ps), err);
}

/* --- SSH public keys, signing certificates, service-specific credentials ------------------ */

static const struct {
	const char *list, *del, *members, *id;
} user_creds[] = {
        [KW_IAM_SSH_PUBLIC_KEY] = {"ListSSHPublicKeys", "DeleteSSHPublicKey", "SSHPublicKeys",
                                   "SSHPublicKeyId"},
        [KW_IAM_SIGNING_CERTIFICATE] = {"ListSigningCertificates", "DeleteSigningCertificate", "Certificates",
                                        "CertificateId"},
        [KW_IAM_SERVICE_CREDENTIAL] = {"ListServiceSpecificCredentials", "DeleteServiceSpecificCredential",
                                       "ServiceSpecificCredentials", "ServiceSpecificCredentialId"},
};

static void m_ssh_id(const xmlNode *m, void *it, bool *oom)
{
	m_name(kw_xml_child(m, user_creds[KW_IAM_SSH_PUBLIC_KEY].id), it, oom);
}

static void m_cert_id(const xmlNode *m, void *it, bool *oom)
{
	m_name(kw_xml_child(m, user_creds[KW_IAM_SIGNING_CERTIFICATE].id), it, oom);
}

static void m_ssc_id(const xmlNode *m, void *it, bool *oom)
{
	m_name(kw_xml_child(m, user_creds[KW_IAM_SERVICE_CREDENTIAL].id), it, oom);
}

int kw_iam_list_user_creds(struct kw_aws_client *c, enum kw_iam_user_cred kind, const char *user_name,
                           struct kw_iam_names *out, struct kw_error *err)
{
	static void (*const parse[])(const xmlNode *, void *, bool *) = {m_ssh_id, m_cert_id, m_ssc_id};
	const struct kw_aws_param ps[] = {{"UserName", user_name}};
	struct collect col = COLLECT(user_creds[kind].members, parse[kind], out, 0);
	int rc;

	memset(out, 0, sizeof(*out));
	if (kind == KW_IAM_SERVICE_CREDENTIAL) { /* one page: no Marker, no MaxItems */
		struct kw_query q;
		xmlDoc *doc = NULL;
		xmlNode *res;

		kw_query_init(&q, user_creds[kind].list, KW_IAM_API_VERSION);
		kw_query_add(&q, "UserName", user_name);
		if ((rc = call(c, &q, &doc, &res, err)) == 0)
			rc = collect_page(&col, res, err) < 0 ? -1 : 0;
		xmlFreeDoc(doc);
	} else {
		rc = list(c, user_creds[kind].list, ps, NPARAMS(ps), &col, err);
	}
	if (rc)
		kw_iam_names_release(out);
	return rc;
}

int kw_iam_delete_user_cred(struct kw_aws_client *c, enum kw_iam_user_cred kind, const char *user_name,
                            const char *id, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}, {user_creds[kind].id, id}};

	return simple(c, user_creds[kind].del, ps, NPARAMS(ps), err);
}

/* --- MFA --------------------------------------------------------------------------------- */

int kw_iam_create_virtual_mfa_device(struct kw_aws_client *c, const char *name, const char *path,
                                     struct kw_iam_virtual_mfa *out, struct kw_error *err)
{
	return kw_iam_create_virtual_mfa_device_tagged(c, name, path, NULL, 0, out, err);
}

int kw_iam_create_virtual_mfa_device_tagged(struct kw_aws_client *c, const char *name, const char *path,
                                            const struct kw_iam_tag *tags, size_t ntags,
                                            struct kw_iam_virtual_mfa *out, struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res, *dev;
	bool oom = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	kw_query_init(&q, "CreateVirtualMFADevice", KW_IAM_API_VERSION);
	kw_query_add(&q, "VirtualMFADeviceName", name);
	kw_query_add(&q, "Path", path);
	if (ntags)
		add_tags(&q, "Tags", tags, ntags);
	if (call(c, &q, &doc, &res, err))
		return -1;
	dev = kw_xml_child(res, "VirtualMFADevice");
	out->serial_number = kw_xml_text(kw_xml_child(dev, "SerialNumber"), &oom);
	/* the XML blob is base64 of the base32 text */
	out->seed_base32 = kw_xml_base64_secret(kw_xml_child(dev, "Base32StringSeed"));
	if (oom) {
		kw_error_nomem(err);
		goto out;
	}
	if (!out->serial_number || !out->seed_base32 || !out->seed_base32->len) {
		kw_error_set(err, KW_ERR_AWS, "iam:CreateVirtualMFADevice",
		             "answer without a serial number or seed");
		goto out;
	}
	rc = 0;
out:
	xmlFreeDoc(doc); /* freed through the wiping allocator */
	if (rc)
		kw_iam_virtual_mfa_release(out);
	return rc;
}

int kw_iam_delete_virtual_mfa_device(struct kw_aws_client *c, const char *serial_number, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"SerialNumber", serial_number}};

	return simple(c, "DeleteVirtualMFADevice", ps, NPARAMS(ps), err);
}

int kw_iam_enable_mfa_device(struct kw_aws_client *c, const char *user_name, const char *serial_number,
                             const char *code1, const char *code2, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name},
	                                  {"SerialNumber", serial_number},
	                                  {"AuthenticationCode1", code1},
	                                  {"AuthenticationCode2", code2}};

	return simple(c, "EnableMFADevice", ps, NPARAMS(ps), err);
}

int kw_iam_deactivate_mfa_device(struct kw_aws_client *c, const char *user_name, const char *serial_number,
                                 struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}, {"SerialNumber", serial_number}};

	return simple(c, "DeactivateMFADevice", ps, NPARAMS(ps), err);
}

int kw_iam_list_mfa_devices(struct kw_aws_client *c, const char *user_name,
                            struct kw_iam_mfa_device_list *out, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}};
	struct collect col = COLLECT("MFADevices", m_mfa, out, 0);

	memset(out, 0, sizeof(*out));
	if (list(c, "ListMFADevices", ps, NPARAMS(ps), &col, err)) {
		kw_iam_mfa_device_list_release(out);
		return -1;
	}
	return 0;
}

int kw_iam_list_virtual_mfa_devices(struct kw_aws_client *c, enum kw_iam_assignment status, size_t max_items,
                                    struct kw_iam_mfa_device_list *out, struct kw_error *err)
{
	static const char *const names[] = {"Any", "Assigned", "Unassigned"};
	const struct kw_aws_param ps[] = {{"AssignmentStatus", names[status]}};
	struct collect col = COLLECT("VirtualMFADevices", m_mfa, out, max_items);

	memset(out, 0, sizeof(*out));
	if (list(c, "ListVirtualMFADevices", ps, NPARAMS(ps), &col, err)) {
		kw_iam_mfa_device_list_release(out);
		return -1;
	}
	return 0;
}

/* --- access keys ------------------------------------------------------------------------- */

int kw_iam_create_access_key(struct kw_aws_client *c, const char *user_name, struct kw_iam_access_key *out,
                             struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res, *k;
	bool oom = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	kw_query_init(&q, "CreateAccessKey", KW_IAM_API_VERSION);
	kw_query_add(&q, "UserName", user_name);
	if (call(c, &q, &doc, &res, err))
		return -1;
	k = kw_xml_child(res, "AccessKey");
	parse_access_key(k, out, &oom);
	out->secret = kw_xml_secret(kw_xml_child(k, "SecretAccessKey"));
	if (oom) {
		kw_error_nomem(err);
		goto out;
	}
	if (!out->access_key_id || !out->secret || !out->secret->len) {
		kw_error_set(err, KW_ERR_AWS, "iam:CreateAccessKey",
		             "answer without an access key id or secret");
		goto out;
	}
	rc = 0;
out:
	xmlFreeDoc(doc); /* freed through the wiping allocator */
	if (rc)
		kw_iam_access_key_release(out);
	return rc;
}

int kw_iam_update_access_key(struct kw_aws_client *c, const char *user_name, const char *access_key_id,
                             enum kw_iam_key_status status, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name},
	                                  {"AccessKeyId", access_key_id},
	                                  {"Status", kw_iam_key_status_name(status)}};

	return simple(c, "UpdateAccessKey", ps, NPARAMS(ps), err);
}

int kw_iam_delete_access_key(struct kw_aws_client *c, const char *user_name, const char *access_key_id,
                             struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}, {"AccessKeyId", access_key_id}};

	return simple(c, "DeleteAccessKey", ps, NPARAMS(ps), err);
}

int kw_iam_list_access_keys(struct kw_aws_client *c, const char *user_name,
                            struct kw_iam_access_key_list *out, struct kw_error *err)
{
	const struct kw_aws_param ps[] = {{"UserName", user_name}};
	struct collect col = COLLECT("AccessKeyMetadata", m_access_key, out, 0);

	memset(out, 0, sizeof(*out));
	if (list(c, "ListAccessKeys", ps, NPARAMS(ps), &col, err)) {
		kw_iam_access_key_list_release(out);
		return -1;
	}
	return 0;
}

int kw_iam_get_access_key_last_used(struct kw_aws_client *c, const char *access_key_id,
                                    struct kw_iam_access_key_last_used *out, struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res, *lu;
	bool oom = false;

	memset(out, 0, sizeof(*out));
	kw_query_init(&q, "GetAccessKeyLastUsed", KW_IAM_API_VERSION);
	kw_query_add(&q, "AccessKeyId", access_key_id);
	if (call(c, &q, &doc, &res, err))
		return -1;
	lu = kw_xml_child(res, "AccessKeyLastUsed");
	out->user_name = kw_xml_text(kw_xml_child(res, "UserName"), &oom);
	out->last_used_date = kw_xml_time(kw_xml_child(lu, "LastUsedDate"));
	out->service_name = kw_xml_text(kw_xml_child(lu, "ServiceName"), &oom);
	out->region = kw_xml_text(kw_xml_child(lu, "Region"), &oom);
	if (!oom && !out->service_name)
		oom = !(out->service_name = strdup("N/A"));
	if (!oom && !out->region)
		oom = !(out->region = strdup("N/A"));
	xmlFreeDoc(doc);
	if (oom) {
		kw_iam_access_key_last_used_release(out);
		return kw_error_nomem(err);
	}
	return 0;
}

/* --- account-wide reads ------------------------------------------------------------------ */

struct aad_ctx {
	struct kw_iam_authorization_details *out;
	size_t max;
};

static int aad_page(void *vctx, xmlNode *res, struct kw_error *err)
{
	struct aad_ctx *a = vctx;
	struct kw_iam_authorization_details *d = a->out;
	bool oom = false;

	FOR_MEMBERS(m, kw_xml_child(res, "UserDetailList"))
	{
		struct kw_iam_user_detail *u = kw_array_grow(&d->users, &d->nusers, sizeof(*u));
		if (!u)
			return kw_error_nomem(err);
		parse_user(m, &u->user, &oom);
		parse_names(kw_xml_child(m, "GroupList"), &u->groups, &oom);
		parse_inline_list(kw_xml_child(m, "UserPolicyList"), &u->policies, &oom);
		parse_attached(kw_xml_child(m, "AttachedManagedPolicies"), &u->attached, &oom);
	}
	FOR_MEMBERS(m, kw_xml_child(res, "GroupDetailList"))
	{
		struct kw_iam_group_detail *g = kw_array_grow(&d->groups, &d->ngroups, sizeof(*g));
		if (!g)
			return kw_error_nomem(err);
		parse_group(m, &g->group, &oom);
		parse_inline_list(kw_xml_child(m, "GroupPolicyList"), &g->policies, &oom);
		parse_attached(kw_xml_child(m, "AttachedManagedPolicies"), &g->attached, &oom);
	}
	if (oom)
		return kw_error_nomem(err);
	return a->max && d->nusers + d->ngroups >= a->max ? 1 : 0;
}

int kw_iam_get_account_authorization_details(struct kw_aws_client *c, unsigned filter, size_t max_items,
                                             struct kw_iam_authorization_details *out, struct kw_error *err)
{
	struct kw_aws_param ps[3];
	struct aad_ctx a = {out, max_items};
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!filter)
		filter = KW_IAM_AAD_USER | KW_IAM_AAD_GROUP;
	static const char *const slots[] = {"Filter.member.1", "Filter.member.2"};

	if (filter & KW_IAM_AAD_USER) {
		ps[n] = (struct kw_aws_param){slots[n], "User"};
		n++;
	}
	if (filter & KW_IAM_AAD_GROUP) {
		ps[n] = (struct kw_aws_param){slots[n], "Group"};
		n++;
	}
	ps[n++] = (struct kw_aws_param){"MaxItems", PAGE_SIZE};
	rc = kw_aws_paginate(c, KW_AWS_IAM, "GetAccountAuthorizationDetails", ps, n, aad_page, &a, err);
	if (rc)
		kw_iam_authorization_details_release(out);
	return rc;
}

int kw_iam_generate_credential_report(struct kw_aws_client *c, enum kw_iam_report_state *state,
                                      struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res;
	char *s;

	kw_query_init(&q, "GenerateCredentialReport", KW_IAM_API_VERSION);
	if (call(c, &q, &doc, &res, err))
		return -1;
	s = kw_xml_text(kw_xml_child(res, "State"), NULL);
	*state = !s                         ? KW_IAM_REPORT_STARTED
	         : !strcmp(s, "COMPLETE")   ? KW_IAM_REPORT_COMPLETE
	         : !strcmp(s, "INPROGRESS") ? KW_IAM_REPORT_INPROGRESS
	                                    : KW_IAM_REPORT_STARTED;
	free(s);
	xmlFreeDoc(doc);
	return 0;
}

int kw_iam_get_credential_report(struct kw_aws_client *c, struct kw_iam_credential_report *out,
                                 struct kw_error *err)
{
	struct kw_query q;
	xmlDoc *doc = NULL;
	xmlNode *res;

	memset(out, 0, sizeof(*out));
	kw_query_init(&q, "GetCredentialReport", KW_IAM_API_VERSION);
	if (call(c, &q, &doc, &res, err))
		return -1;
	out->csv = kw_xml_base64_text(kw_xml_child(res, "Content"), &out->len);
	out->generated_time = kw_xml_time(kw_xml_child(res, "GeneratedTime"));
	xmlFreeDoc(doc);
	if (!out->csv)
		return kw_error_set(err, KW_ERR_AWS, "iam:GetCredentialReport",
		                    "answer without a readable report");
	return 0;
}
