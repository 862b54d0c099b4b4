/* Unit tests for src/engine plan computation and rendering, on hand-built states (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/held.h"
#include "engine/plan.h"
#include "engine/render.h"
#include "util/error.h"

#define NOW ((time_t)1800000000)
#define DAY 86400

static const char POLICY[] =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
        "\"Action\":[\"ec2:DescribeInstances\",\"ec2:DescribeRegions\"],\"Resource\":\"*\"}]}";
/* the same document, reformatted and with its keys in another order */
static const char POLICY_REFORMATTED[] =
        "{\n  \"Statement\": [\n    {\"Resource\": \"*\", \"Effect\": \"Allow\",\n"
        "     \"Action\": [\"ec2:DescribeInstances\", \"ec2:DescribeRegions\"]}\n  ],\n"
        "  \"Version\": \"2012-10-17\"\n}\n";
static const char POLICY_EDITED[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                                    "\"Action\":[\"ec2:*\"],\"Resource\":\"*\"}]}";
static const char MANAGED[] = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";

static void desired_init(struct kw_desired *d, const char *name)
{
	char buf[128];

	memset(d, 0, sizeof(*d));
	d->name = strdup(name);
	snprintf(buf, sizeof(buf), "service-%s", name);
	d->user_name = strdup(buf);
	d->group_name = strdup(buf);
	d->path = strdup("/service/");
	d->origin = strdup("manifests/x.yaml");
	assert_int_equal(kw_taglist_add(&d->tags, "owner", "platform-team"), 0);
	assert_int_equal(kw_taglist_add(&d->tags, KW_MANAGED_TAG_KEY, KW_MANAGED_TAG_VALUE), 0);
	assert_int_equal(kw_doclist_add(&d->inline_policies, "inventory", POLICY), 0);
	assert_int_equal(kw_strlist_add(&d->managed_arns, MANAGED), 0);
	d->mfa = true;
	d->max_age_days = 90;
	d->ndeliver = 1;
	d->deliver_summary = strdup("profile service-x");
}

/* A live state that matches desired exactly, with one fresh key and an enabled MFA device. */
static void live_converged(struct kw_live_account *l, const struct kw_desired *d)
{
	memset(l, 0, sizeof(*l));
	l->user.exists = true;
	l->user.name = strdup(d->user_name);
	l->user.path = strdup(d->path);
	for (size_t i = 0; i < d->tags.n; i++)
		assert_int_equal(kw_taglist_add(&l->user.tags, d->tags.v[i].key, d->tags.v[i].value), 0);
	assert_int_equal(kw_strlist_add(&l->user.groups, d->group_name), 0);
	l->user.keys_read = true;
	assert_int_equal(kw_live_add_key(&l->user, "AKIAFRESH", true, NOW - 10 * DAY), 0);
	assert_int_equal(kw_strlist_add(&l->user.mfa, "arn:aws:iam::123456789012:mfa/service/x"), 0);
	l->group.exists = true;
	l->group.name = strdup(d->group_name);
	assert_int_equal(kw_doclist_add(&l->group.inline_policies, "inventory", POLICY_REFORMATTED), 0);
	assert_int_equal(kw_strlist_add(&l->group.managed_arns, MANAGED), 0);
}

static const struct kw_plan_opts OPTS = {.now = NOW};

static void expect_step(const struct kw_plan *p, size_t i, enum kw_step_action act, enum kw_step_resource res,
                        const char *subject)
{
	assert_true(i < p->nsteps);
	assert_int_equal(p->steps[i].action, act);
	assert_int_equal(p->steps[i].resource, res);
	if (subject)
		assert_string_equal(p->steps[i].subject, subject);
}

static void plan_fresh_creates_everything_in_design_order(void **state)
{
	struct kw_desired d;
	struct kw_live_account l = {0};
	struct kw_plan p = {0};
	struct kw_error err;
	size_t add, change, destroy;

	desired_init(&d, "x");
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 7);
	expect_step(&p, 0, KW_ACT_CREATE, KW_RES_USER, "service-x");
	expect_step(&p, 1, KW_ACT_CREATE, KW_RES_GROUP, "service-x");
	expect_step(&p, 2, KW_ACT_CREATE, KW_RES_MEMBERSHIP, "service-x");
	expect_step(&p, 3, KW_ACT_CREATE, KW_RES_GROUP_POLICY, "inventory");
	expect_step(&p, 4, KW_ACT_CREATE, KW_RES_GROUP_ATTACHMENT, MANAGED);
	expect_step(&p, 5, KW_ACT_CREATE, KW_RES_MFA, "service-x");
	expect_step(&p, 6, KW_ACT_CREATE, KW_RES_ACCESS_KEY, "service-x");
	for (size_t i = 1; i < p.nsteps; i++)
		assert_true(kw_step_phase(p.steps[i - 1].resource) <= kw_step_phase(p.steps[i].resource));
	kw_plan_counts(&p, &add, &change, &destroy);
	assert_int_equal(add, 7);
	assert_int_equal(change + destroy, 0);
	kw_plan_release(&p);
	kw_desired_release(&d);
}

static void plan_converged_is_empty(void **state)
{
	struct kw_desired d;
	struct kw_live_account l;
	struct kw_plan p = {0};
	struct kw_error err;
	struct kw_buf b = KW_BUF_INIT;

	desired_init(&d, "x");
	live_converged(&l, &d);
	/* rotate's bookkeeping tags are not drift */
	assert_int_equal(kw_taglist_add(&l.user.tags, "keywarden:inactive:AKIAOLD", "2026-11-29T17:55:00Z"),
	                 0);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 0);
	assert_int_equal(p.nnotes, 0);
	assert_int_equal(kw_plan_render_text(&p, false, &b), 0);
	assert_non_null(strstr(b.data, "No changes."));
	kw_buf_release(&b);
	kw_plan_release(&p);
	kw_live_release(&l);
	kw_desired_release(&d);
}

static void plan_repairs_drift(void **state)
{
	struct kw_desired d;
	struct kw_live_account l;
	struct kw_plan p = {0};
	struct kw_error err;
	struct kw_buf b = KW_BUF_INIT;
	size_t add, change, destroy;

	desired_init(&d, "x");
	live_converged(&l, &d);
	/* tag changed, extra tag */
	free(l.user.tags.v[0].value);
	l.user.tags.v[0].value = strdup("someone-else");
	assert_int_equal(kw_taglist_add(&l.user.tags, "extra", "1"), 0);
	/* inline policy edited, an extra one, an extra attachment */
	free(l.group.inline_policies.v[0].document);
	l.group.inline_policies.v[0].document = strdup(POLICY_EDITED);
	assert_int_equal(kw_doclist_add(&l.group.inline_policies, "sneaky", POLICY_EDITED), 0);
	assert_int_equal(kw_strlist_add(&l.group.managed_arns, "arn:aws:iam::aws:policy/AdministratorAccess"),
	                 0);
	/* policy on the user */
	assert_int_equal(kw_doclist_add(&l.user.inline_policies, "direct", POLICY), 0);
	/*
	 * login profile, out of its group and into another service group and a group that is not
	 * keywarden's (a note: the operator policy cannot remove from it), MFA deactivated (device
	 * left unassigned)
	 */
	l.user.login_profile = true;
	free(l.user.groups.v[0]);
	l.user.groups.v[0] = strdup("service-admins");
	assert_int_equal(kw_strlist_add(&l.user.groups, "ops"), 0);
	kw_strlist_release(&l.user.mfa);
	l.orphan_mfa = strdup("arn:aws:iam::123456789012:mfa/service/service-x");

	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	expect_step(&p, 0, KW_ACT_CREATE, KW_RES_MEMBERSHIP, "service-x");
	expect_step(&p, 1, KW_ACT_DELETE, KW_RES_MEMBERSHIP, "service-admins");
	expect_step(&p, 2, KW_ACT_UPDATE, KW_RES_GROUP_POLICY, "inventory");
	expect_step(&p, 3, KW_ACT_DELETE, KW_RES_GROUP_POLICY, "sneaky");
	expect_step(&p, 4, KW_ACT_DELETE, KW_RES_GROUP_ATTACHMENT,
	            "arn:aws:iam::aws:policy/AdministratorAccess");
	expect_step(&p, 5, KW_ACT_DELETE, KW_RES_USER_POLICY, "direct");
	expect_step(&p, 6, KW_ACT_DELETE, KW_RES_LOGIN_PROFILE, "service-x");
	expect_step(&p, 7, KW_ACT_UPDATE, KW_RES_TAGS, "service-x");
	assert_int_equal(p.steps[7].set.n, 1);
	assert_string_equal(p.steps[7].set.v[0].key, "owner");
	assert_string_equal(p.steps[7].set.v[0].value, "platform-team");
	assert_int_equal(p.steps[7].unset.n, 1);
	assert_string_equal(p.steps[7].unset.v[0], "extra");
	expect_step(&p, 8, KW_ACT_CREATE, KW_RES_MFA, "service-x");
	assert_string_equal(p.steps[8].replaces, "arn:aws:iam::123456789012:mfa/service/service-x");
	assert_int_equal(p.nsteps, 9);
	kw_plan_counts(&p, &add, &change, &destroy);
	assert_int_equal(add, 2);
	assert_int_equal(change, 2);
	assert_int_equal(destroy, 5);

	assert_int_equal(kw_plan_render_text(&p, false, &b), 0);
	assert_non_null(strstr(b.data, "~ update inline policy inventory of group service-x\n"));
	assert_non_null(strstr(b.data, "~ owner: \"someone-else\" -> \"platform-team\"\n"));
	assert_non_null(strstr(b.data, "- extra: \"1\"\n"));
	assert_non_null(strstr(b.data, "Plan: 2 to add, 2 to change, 5 to destroy.\n"));
	assert_non_null(strstr(b.data, "- remove user service-x from group service-admins\n"));
	assert_null(strstr(b.data, "from group ops\n"));
	assert_non_null(strstr(b.data, "note: user service-x is also in group ops, which keywarden does "
	                               "not manage"));
	assert_null(strstr(b.data, "\033["));
	kw_buf_release(&b);
	kw_plan_release(&p);
	kw_live_release(&l);
	kw_desired_release(&d);
}

static void plan_refuses_unmanaged_user_unless_adopt(void **state)
{
	struct kw_desired d;
	struct kw_live_account l;
	struct kw_plan p = {0};
	struct kw_error err;
	struct kw_plan_opts adopt = {.now = NOW, .adopt = true};

	desired_init(&d, "x");
	live_converged(&l, &d);
	kw_taglist_release(&l.user.tags);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), -1);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	assert_non_null(strstr(err.msg, "--adopt"));
	kw_plan_release(&p);

	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &adopt, &err), 0);
	assert_int_equal(p.nsteps, 1);
	expect_step(&p, 0, KW_ACT_UPDATE, KW_RES_TAGS, "service-x");
	assert_int_equal(p.steps[0].set.n, 2);
	assert_string_equal(p.steps[0].set.v[1].key, KW_MANAGED_TAG_KEY);
	kw_plan_release(&p);
	kw_live_release(&l);
	kw_desired_release(&d);
}

static void plan_refuses_group_without_managed_user(void **state)
{
	struct kw_desired d;
	struct kw_live_account l = {0};
	struct kw_plan p = {0};
	struct kw_error err;

	desired_init(&d, "x");
	l.group.exists = true;
	l.group.name = strdup("service-x");
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), -1);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	assert_non_null(strstr(err.msg, "group service-x"));
	kw_plan_release(&p);
	kw_live_release(&l);
	kw_desired_release(&d);
}

static void plan_keys_respect_age_and_prune(void **state)
{
	struct kw_desired d;
	struct kw_live_account l;
	struct kw_plan p = {0};
	struct kw_error err;
	struct kw_plan_opts prune = {.now = NOW, .prune_keys = true};

	desired_init(&d, "x");
	live_converged(&l, &d);
	/* the only key is too old: a new one, the old one noted */
	l.user.keys[0].created = NOW - 91 * DAY;
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 1);
	expect_step(&p, 0, KW_ACT_CREATE, KW_RES_ACCESS_KEY, "service-x");
	assert_int_equal(p.nnotes, 2); /* due for rotation (91 days, maxAgeDays 90), then not needed */
	assert_non_null(strstr(p.notes[0].text, "AKIAFRESH"));
	assert_non_null(strstr(p.notes[0].text, "due for rotation"));
	assert_non_null(strstr(p.notes[1].text, "AKIAFRESH"));
	assert_non_null(strstr(p.notes[1].text, "not needed"));
	kw_plan_release(&p);
	/* 90 days and an hour: not yet over maxAgeDays in whole days, so not noted as due */
	l.user.keys[0].created = NOW - 90 * DAY - 3600;
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	for (size_t i = 0; i < p.nnotes; i++)
		assert_null(strstr(p.notes[i].text, "due for rotation"));
	kw_plan_release(&p);
	l.user.keys[0].created = NOW - 91 * DAY;
	/* with --prune-keys it is deleted after the new key */
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &prune, &err), 0);
	assert_int_equal(p.nsteps, 2);
	expect_step(&p, 0, KW_ACT_CREATE, KW_RES_ACCESS_KEY, "service-x");
	expect_step(&p, 1, KW_ACT_DELETE, KW_RES_ACCESS_KEY, "AKIAFRESH");
	kw_plan_release(&p);
	/* two keys, none usable: IAM's limit needs --prune-keys, which deletes first */
	assert_int_equal(kw_live_add_key(&l.user, "AKIAINACTIVE", false, NOW - DAY), 0);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), -1);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	kw_plan_release(&p);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &prune, &err), 0);
	assert_int_equal(p.nsteps, 3);
	expect_step(&p, 0, KW_ACT_DELETE, KW_RES_ACCESS_KEY, "AKIAFRESH");
	expect_step(&p, 1, KW_ACT_DELETE, KW_RES_ACCESS_KEY, "AKIAINACTIVE");
	expect_step(&p, 2, KW_ACT_CREATE, KW_RES_ACCESS_KEY, "service-x");
	kw_plan_release(&p);
	/* a fresh active key and an inactive one: nothing to create, the extra one noted */
	l.user.keys[0].created = NOW - DAY;
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 0);
	assert_int_equal(p.nnotes, 1);
	assert_non_null(strstr(p.notes[0].text, "AKIAINACTIVE"));
	kw_plan_release(&p);
	kw_live_release(&l);
	kw_desired_release(&d);
}

static void plan_issues_keys_after_every_account(void **state)
{
	struct kw_desired d[2];
	struct kw_live_account l[2];
	struct kw_plan p = {0};
	struct kw_error err;
	json_t *j;

	memset(l, 0, sizeof(l));
	desired_init(&d[0], "a");
	desired_init(&d[1], "b");
	assert_int_equal(kw_plan_compute(&p, d, l, 2, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 14);
	for (size_t i = 0; i < 12; i++)
		assert_int_not_equal(p.steps[i].resource, KW_RES_ACCESS_KEY);
	expect_step(&p, 12, KW_ACT_CREATE, KW_RES_ACCESS_KEY, "service-a");
	expect_step(&p, 13, KW_ACT_CREATE, KW_RES_ACCESS_KEY, "service-b");

	j = kw_plan_json(&p);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "add")), 14);
	assert_int_equal(json_array_size(json_object_get(j, "steps")), 14);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "steps"), 0),
	                                                      "resource")),
	                    "user");
	assert_true(json_is_true(json_object_get(j, "changes")));
	json_decref(j);
	kw_plan_release(&p);
	kw_desired_release(&d[0]);
	kw_desired_release(&d[1]);
}

static void plan_boundary_changes(void **state)
{
	struct kw_desired d;
	struct kw_live_account l;
	struct kw_plan p = {0};
	struct kw_error err;

	desired_init(&d, "x");
	live_converged(&l, &d);
	d.boundary = strdup("arn:aws:iam::123456789012:policy/b");
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 1);
	expect_step(&p, 0, KW_ACT_CREATE, KW_RES_BOUNDARY, "service-x");
	assert_string_equal(p.steps[0].after, d.boundary);
	kw_plan_release(&p);
	l.user.boundary = strdup("arn:aws:iam::123456789012:policy/old");
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	expect_step(&p, 0, KW_ACT_UPDATE, KW_RES_BOUNDARY, "service-x");
	kw_plan_release(&p);
	kw_live_release(&l);
	kw_desired_release(&d);
}

/* The one target of l holds id (held.h), read from the target; marks the keys. */
static void target_holds(struct kw_live_account *l, enum kw_key_held held, const char *id)
{
	free(l->targets);
	l->targets = calloc(1, sizeof(*l->targets));
	assert_non_null(l->targets);
	l->ntargets = 1;
	l->targets[0].held = held;
	snprintf(l->targets[0].id, sizeof(l->targets[0].id), "%s", id ? id : "");
	kw_held_mark(l);
}

/* A converged account x whose target holds AKIAFRESH, and another active key id created at created. */
static void held_and_another(struct kw_desired *d, struct kw_live_account *l, const char *id, time_t created)
{
	desired_init(d, "x");
	live_converged(l, d);
	assert_int_equal(kw_live_add_key(&l->user, id, true, created), 0);
	target_holds(l, KW_KEY_HELD_KEY, "AKIAFRESH");
}

static void plan_keeps_the_key_the_target_holds_not_the_newest(void **state)
{
	struct kw_desired d;
	struct kw_live_account l;
	struct kw_plan p = {0};
	struct kw_error err;
	struct kw_plan_opts prune = {.now = NOW, .prune_keys = true};

	(void)state;
	/* a newer key (a rotation stopped after confirming it), used, never delivered */
	held_and_another(&d, &l, "AKIANEWERNOTHELD", NOW - DAY);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &prune, &err), 0);
	assert_int_equal(p.nsteps, 1);
	expect_step(&p, 0, KW_ACT_DELETE, KW_RES_ACCESS_KEY, "AKIANEWERNOTHELD");
	kw_plan_release(&p);
	/* the same CreateDate (a tie) does not matter either: the held key is kept */
	l.user.keys[1].created = l.user.keys[0].created;
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &prune, &err), 0);
	assert_int_equal(p.nsteps, 1);
	expect_step(&p, 0, KW_ACT_DELETE, KW_RES_ACCESS_KEY, "AKIANEWERNOTHELD");
	kw_plan_release(&p);
	/* no target could be read and the tie leaves nothing to tell: neither is deleted */
	free(l.targets);
	l.targets = NULL;
	l.ntargets = 0;
	kw_held_mark(&l);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &prune, &err), 0);
	assert_int_equal(p.nsteps, 0);
	kw_plan_release(&p);
	kw_live_release(&l);
	kw_desired_release(&d);
}

static void plan_replaces_a_key_no_longer_in_iam(void **state)
{
	struct kw_desired d;
	struct kw_live_account l;
	struct kw_plan p = {0};
	struct kw_error err;

	(void)state;
	desired_init(&d, "x");
	live_converged(&l, &d);
	/* the target holds a key IAM does not list (after the wait): a new key for it */
	target_holds(&l, KW_KEY_HELD_KEY, "AKIADELETEDINIAM0");
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 1);
	expect_step(&p, 0, KW_ACT_CREATE, KW_RES_ACCESS_KEY, "service-x");
	kw_plan_release(&p);
	/* a target holding the key IAM lists: nothing to do */
	target_holds(&l, KW_KEY_HELD_KEY, "AKIAFRESH");
	assert_true(l.user.keys[0].held);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 0);
	kw_plan_release(&p);
	/* an undelivered-looking key (no tag, never used) that the target holds is kept */
	l.user.keys[0].undelivered = true;
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 0);
	kw_plan_release(&p);
	kw_live_release(&l);
	kw_desired_release(&d);
}

/* Whether the plan deactivates key id (an update access-key step, Active -> Inactive). */
static bool deactivates(const struct kw_plan *p, const char *id)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].resource == KW_RES_ACCESS_KEY && p->steps[i].action == KW_ACT_UPDATE &&
		    !strcmp(p->steps[i].subject, id)) {
			assert_string_equal(p->steps[i].before, "Active");
			assert_string_equal(p->steps[i].after, "Inactive");
			assert_non_null(p->steps[i].reason);
			return true;
		}
	return false;
}

static void plan_deactivates_a_rotations_leftover_and_a_replaced_key(void **state)
{
	struct kw_desired d;
	struct kw_live_account l;
	struct kw_plan p = {0};
	struct kw_error err;
	struct kw_plan_opts prune = {.now = NOW, .prune_keys = true};

	(void)state;
	/* a rotation stopped before deactivation: the old key delivered, the target holds the new */
	held_and_another(&d, &l, "AKIAOLDDELIVERED", NOW - 20 * DAY);
	assert_int_equal(
	        kw_taglist_add(&l.user.tags, "keywarden:delivered:AKIAOLDDELIVERED", "2026-01-01T00:00:00Z"),
	        0);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 1);
	assert_true(deactivates(&p, "AKIAOLDDELIVERED"));
	assert_non_null(strstr(p.steps[0].reason, "they hold AKIAFRESH"));
	kw_plan_release(&p);
	/* --prune-keys too deactivates it: deleted only after its grace period */
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &prune, &err), 0);
	assert_int_equal(p.nsteps, 1);
	assert_true(deactivates(&p, "AKIAOLDDELIVERED"));
	kw_plan_release(&p);
	/* a target that cannot be read (write-only, unreadable): a note, no step */
	l.targets[0].held = KW_KEY_HELD_UNKNOWN;
	kw_held_mark(&l);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 0);
	kw_plan_release(&p);
	/* never tagged delivered: not a rotation's leftover (--prune-keys deletes it) */
	target_holds(&l, KW_KEY_HELD_KEY, "AKIAFRESH");
	kw_taglist_release(&l.user.tags);
	for (size_t i = 0; i < d.tags.n; i++)
		assert_int_equal(kw_taglist_add(&l.user.tags, d.tags.v[i].key, d.tags.v[i].value), 0);
	assert_int_equal(kw_plan_compute(&p, &d, &l, 1, &OPTS, &err), 0);
	assert_int_equal(p.nsteps, 0);
	kw_plan_release(&p);
	kw_live_release(&l);

	/* the held key past maxAgeDays: the new key first, then the old one deactivated */
	live_converged(&l, &d);
	l.user.keys[0].created = NOW - 91 * DAY;
	target_holds(&l, KW_KEY_HELD_KEY, "AKIAFRESH");
	for (int k = 0; k < 2; k++) {
		assert_int_equal(kw_plan_compute(&p, &d, &l, 1, k ? &prune : &OPTS, &err), 0);
		assert_int_equal(p.nsteps, 2);
		expect_step(&p, 0, KW_ACT_CREATE, KW_RES_ACCESS_KEY, "service-x");
		expect_step(&p, 1, KW_ACT_UPDATE, KW_RES_ACCESS_KEY, "AKIAFRESH");
		assert_true(deactivates(&p, "AKIAFRESH"));
		kw_plan_release(&p);
	}
	kw_live_release(&l);
	kw_desired_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(plan_fresh_creates_everything_in_design_order),
	        cmocka_unit_test(plan_converged_is_empty),
	        cmocka_unit_test(plan_repairs_drift),
	        cmocka_unit_test(plan_refuses_unmanaged_user_unless_adopt),
	        cmocka_unit_test(plan_refuses_group_without_managed_user),
	        cmocka_unit_test(plan_keys_respect_age_and_prune),
	        cmocka_unit_test(plan_keeps_the_key_the_target_holds_not_the_newest),
	        cmocka_unit_test(plan_replaces_a_key_no_longer_in_iam),
	        cmocka_unit_test(plan_deactivates_a_rotations_leftover_and_a_replaced_key),
	        cmocka_unit_test(plan_issues_keys_after_every_account),
	        cmocka_unit_test(plan_boundary_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
