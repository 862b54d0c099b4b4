/* Unit tests for src/lifecycle: audit findings, prune decisions, the rotation state machine
 * (with a fake IAM that fails on demand), destroy ordering, grace tags and NAME resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle/audit.h"
#include "lifecycle/names.h"
#include "lifecycle/report.h"
#include "lifecycle/rotation.h"
#include "lifecycle/teardown.h"
#include "util/error.h"
#include "util/secret.h"

#define NOW     ((time_t)1800000000) /* 2027-01-15 */
#define DAYS(n) ((time_t)(n)*KW_LC_DAY)

/* A clean, managed service account: one active key used yesterday, in its group, MFA. */
static struct kw_lc_subject clean_subject(struct kw_lc_key *keys, size_t nkeys)
{
	return (struct kw_lc_subject){
	        .user = "service-app",
	        .group = "service-app",
	        .managed = true,
	        .managed_known = true,
	        .mfa_wanted = true,
	        .has_mfa = true,
	        .in_group = true,
	        .details_known = true,
	        .keys = keys,
	        .nkeys = nkeys,
	};
}

static struct kw_lc_key fresh_key(const char *id)
{
	return (struct kw_lc_key){
	        .id = id, .active = true, .created = NOW - DAYS(10), .last_used = NOW - DAYS(1)};
}

static size_t count_code(const struct kw_lc_findings *f, enum kw_lc_code code)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].code == code;
	return n;
}

static void run_audit(const struct kw_lc_subject *s, struct kw_lc_findings *f)
{
	struct kw_lc_audit_opts o = {.now = NOW};

	assert_int_equal(kw_lc_audit(s, &o, f), 0);
}

static void audit_clean_account_has_no_findings(void **state)
{
	struct kw_lc_key k = fresh_key("AKIAAAAAAAAAAAAAAAA1");
	struct kw_lc_subject s = clean_subject(&k, 1);
	struct kw_lc_findings f = {0};

	run_audit(&s, &f);
	assert_int_equal(f.n, 0);
	kw_lc_findings_release(&f);
}

static void audit_key_undelivered_only_untagged_unused_managed_active(void **state)
{
	struct kw_lc_key k = fresh_key("AKIAAAAAAAAAAAAAAAA1");
	struct kw_lc_subject s = clean_subject(&k, 1);
	struct {
		bool known, delivered, used, active, managed;
		size_t findings;
	} cases[] = {
	        {true, false, false, true, true, 1},  /* nobody may hold it */
	        {true, true, false, true, true, 0},   /* tagged delivered */
	        {true, false, true, true, true, 0},   /* used: someone holds it */
	        {true, false, false, false, true, 0}, /* inactive */
	        {true, false, false, true, false, 0}, /* not keywarden's user */
	        {false, false, false, true, true, 0}, /* tags not read (report slot) */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kw_lc_findings f = {0};

		k.delivered_known = cases[i].known;
		k.delivered = cases[i].delivered;
		k.last_used = cases[i].used ? NOW - DAYS(1) : 0;
		k.active = cases[i].active;
		s.managed = cases[i].managed;
		run_audit(&s, &f);
		assert_int_equal(count_code(&f, KW_LC_KEY_UNDELIVERED), cases[i].findings);
		if (cases[i].findings)
			assert_string_equal(f.v[0].resource, "AKIAAAAAAAAAAAAAAAA1");
		kw_lc_findings_release(&f);
	}
	assert_string_equal(kw_lc_code_name(KW_LC_KEY_UNDELIVERED), "key-undelivered");
}

static void audit_key_older_than_max_age(void **state)
{
	struct kw_lc_key k = fresh_key("AKIAAAAAAAAAAAAAAAA1");
	struct kw_lc_subject s = clean_subject(&k, 1);
	struct kw_lc_findings f = {0};

	k.created = NOW - DAYS(91);
	run_audit(&s, &f);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].code, KW_LC_KEY_TOO_OLD);
	assert_string_equal(kw_lc_code_name(f.v[0].code), "key-too-old");
	assert_string_equal(f.v[0].resource, "AKIAAAAAAAAAAAAAAAA1");
	assert_non_null(strstr(f.v[0].message, "91 days"));
	kw_lc_findings_release(&f);

	/* the manifest's maxAgeDays wins over the default */
	k.created = NOW - DAYS(31);
	s.max_age_days = 30;
	run_audit(&s, &f);
	assert_int_equal(count_code(&f, KW_LC_KEY_TOO_OLD), 1);
	kw_lc_findings_release(&f);

	/* exactly maxAgeDays is not older than it; inactive keys are not judged by age */
	k.created = NOW - DAYS(30);
	run_audit(&s, &f);
	assert_int_equal(f.n, 0);
	k.created = NOW - DAYS(300);
	k.active = false;
	run_audit(&s, &f);
	assert_int_equal(count_code(&f, KW_LC_KEY_TOO_OLD), 0);
	kw_lc_findings_release(&f);
}

/* access-keys-rotated and due: whole days since creation above the limit, active keys only. */
static void audit_compliance_and_due_follow_key_age(void **state)
{
	struct kw_lc_key keys[] = {
	        {.id = "AKIAOLD", .active = true, .created = NOW - 91 * KW_LC_DAY},
	        {.id = "AKIAEDGE", .active = true, .created = NOW - 90 * KW_LC_DAY - 3600},
	        {.id = "AKIAYOUNG", .active = true, .created = NOW - 80 * KW_LC_DAY},
	        {.id = "AKIAOFF", .active = false, .created = NOW - 400 * KW_LC_DAY},
	};
	struct kw_lc_subject s = {.user = "service-app", .keys = keys + 1, .nkeys = 3};

	(void)state;
	assert_int_equal(kw_lc_access_keys_rotated(&keys[0], 90, NOW), KW_LC_NON_COMPLIANT);
	assert_int_equal(kw_lc_access_keys_rotated(&keys[1], 90, NOW), KW_LC_COMPLIANT); /* 90 days */
	assert_int_equal(kw_lc_access_keys_rotated(&keys[2], 0, NOW), KW_LC_COMPLIANT);  /* default 90 */
	assert_int_equal(kw_lc_access_keys_rotated(&keys[2], 79, NOW), KW_LC_NON_COMPLIANT);
	assert_int_equal(kw_lc_access_keys_rotated(&keys[3], 90, NOW), KW_LC_NOT_APPLICABLE);
	assert_string_equal(kw_lc_compliance_name(KW_LC_NON_COMPLIANT), "NON_COMPLIANT");
	assert_int_equal(kw_lc_user_access_keys_rotated(&s, 90, NOW), KW_LC_COMPLIANT);
	assert_int_equal(kw_lc_user_access_keys_rotated(&s, 85, NOW), KW_LC_NON_COMPLIANT);
	s.keys = keys + 3;
	s.nkeys = 1;
	assert_int_equal(kw_lc_user_access_keys_rotated(&s, 90, NOW), KW_LC_NOT_APPLICABLE);

	assert_true(kw_lc_key_due(&keys[0], 90, 0, NOW));
	assert_false(kw_lc_key_due(&keys[1], 90, 0, NOW));
	assert_true(kw_lc_key_due(&keys[1], 90, 1, NOW)); /* due tomorrow */
	assert_false(kw_lc_key_due(&keys[2], 90, 10, NOW));
	assert_true(kw_lc_key_due(&keys[2], 90, 11, NOW));
	assert_true(kw_lc_key_due(&keys[2], 0, 11, NOW));  /* 0: the default 90 */
	assert_false(kw_lc_key_due(&keys[0], -1, 0, NOW)); /* no limit */
	assert_false(kw_lc_key_due(&keys[3], 90, 0, NOW)); /* inactive */
	/* due and key-too-old agree */
	for (int i = 0; i < 3; i++) {
		struct kw_lc_subject one = {.user = "service-app", .keys = &keys[i], .nkeys = 1};
		struct kw_lc_findings f = {0};
		bool too_old = false;

		run_audit(&one, &f);
		for (size_t j = 0; j < f.n; j++)
			too_old |= f.v[j].code == KW_LC_KEY_TOO_OLD;
		assert_int_equal(too_old, kw_lc_key_due(&keys[i], 0, 0, NOW));
		kw_lc_findings_release(&f);
	}
}

static void audit_never_used_and_unused(void **state)
{
	struct kw_lc_key k[2] = {fresh_key("AKIAAAAAAAAAAAAAAAA1"), fresh_key("AKIAAAAAAAAAAAAAAAA2")};
	struct kw_lc_subject s = clean_subject(k, 1);
	struct kw_lc_findings f = {0};
	struct kw_lc_audit_opts o = {.now = NOW, .unused_days = 30};

	k[0].last_used = 0;
	k[0].created = NOW - DAYS(20);
	run_audit(&s, &f); /* never used, but young */
	assert_int_equal(f.n, 0);
	assert_int_equal(kw_lc_audit(&s, &o, &f), 0);
	assert_int_equal(f.n, 0);
	k[0].created = NOW - DAYS(40);
	assert_int_equal(kw_lc_audit(&s, &o, &f), 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].code, KW_LC_KEY_NEVER_USED);
	kw_lc_findings_release(&f);

	k[0].last_used = NOW - DAYS(35);
	assert_int_equal(kw_lc_audit(&s, &o, &f), 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].code, KW_LC_KEY_UNUSED);
	assert_non_null(strstr(f.v[0].message, "35 days"));
	kw_lc_findings_release(&f);
}

static void audit_two_active_keys_outside_rotation(void **state)
{
	struct kw_lc_key k[2] = {fresh_key("AKIAAAAAAAAAAAAAAAA1"), fresh_key("AKIAAAAAAAAAAAAAAAA2")};
	struct kw_lc_subject s = clean_subject(k, 2);
	struct kw_lc_findings f = {0};

	run_audit(&s, &f);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].code, KW_LC_TWO_ACTIVE_KEYS);
	assert_string_equal(f.v[0].resource, "service-app");
	assert_non_null(strstr(f.v[0].message, "AKIAAAAAAAAAAAAAAAA2"));
	kw_lc_findings_release(&f);

	/* a key made minutes ago: a rotation in progress */
	k[1].created = NOW - 120;
	run_audit(&s, &f);
	assert_int_equal(f.n, 0);
	/* one of them inactive: fine */
	k[1].created = NOW - DAYS(3);
	k[1].active = false;
	run_audit(&s, &f);
	assert_int_equal(f.n, 0);
	kw_lc_findings_release(&f);
}

static void audit_user_level_findings(void **state)
{
	struct kw_lc_key k = fresh_key("AKIAAAAAAAAAAAAAAAA1");
	struct kw_lc_subject s = clean_subject(&k, 1);
	struct kw_lc_findings f = {0};

	s.managed = false;
	s.console = true;
	s.has_mfa = false;
	s.user_policies = 2;
	s.in_group = false;
	run_audit(&s, &f);
	assert_int_equal(f.n, 5);
	/* stable order: not-managed, console-enabled, no-mfa, user-policy, not-in-group */
	assert_int_equal(f.v[0].code, KW_LC_NOT_MANAGED);
	assert_int_equal(f.v[1].code, KW_LC_CONSOLE_ENABLED);
	assert_int_equal(f.v[2].code, KW_LC_NO_MFA);
	assert_int_equal(f.v[3].code, KW_LC_USER_POLICY);
	assert_non_null(strstr(f.v[3].message, "2 policies"));
	assert_int_equal(f.v[4].code, KW_LC_NOT_IN_GROUP);
	assert_non_null(strstr(f.v[4].message, "service-app"));
	for (size_t i = 0; i < f.n; i++)
		assert_string_equal(f.v[i].user, "service-app");
	kw_lc_findings_release(&f);

	/* what was not read is not judged: the credential report alone */
	s.managed_known = false;
	s.details_known = false;
	s.mfa_wanted = false;
	run_audit(&s, &f);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].code, KW_LC_CONSOLE_ENABLED);
	kw_lc_findings_release(&f);
}

static void audit_grace_expired_and_report_slots(void **state)
{
	struct kw_lc_key k[2] = {fresh_key(NULL), fresh_key("AKIAAAAAAAAAAAAAAAA2")};
	struct kw_lc_subject s = clean_subject(k, 2);
	struct kw_lc_findings f = {0};

	k[0].slot = 1;
	k[0].created = NOW - DAYS(200);
	k[1].active = false;
	k[1].inactive_since = NOW - DAYS(8);
	k[1].grace_days = 7;
	run_audit(&s, &f);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.v[0].code, KW_LC_KEY_TOO_OLD);
	assert_string_equal(f.v[0].resource, "access_key_1");
	assert_int_equal(f.v[1].code, KW_LC_GRACE_EXPIRED);
	assert_string_equal(f.v[1].resource, "AKIAAAAAAAAAAAAAAAA2");
	kw_lc_findings_release(&f);
	k[1].grace_days = 30;
	run_audit(&s, &f);
	assert_int_equal(count_code(&f, KW_LC_GRACE_EXPIRED), 0);
	kw_lc_findings_release(&f);
}

static void prune_never_deletes_recently_used_or_unmanaged(void **state)
{
	struct kw_lc_key k = fresh_key("AKIAAAAAAAAAAAAAAAA1");
	struct kw_lc_subject s = clean_subject(&k, 1);

	k.created = NOW - DAYS(400);
	k.last_used = NOW - DAYS(5);
	assert_int_equal(kw_lc_prune_reason(&s, &k, 30, NOW), KW_LC_PRUNE_KEEP);
	k.active = false; /* inactive, but used within the threshold and no grace tag */
	assert_int_equal(kw_lc_prune_reason(&s, &k, 30, NOW), KW_LC_PRUNE_KEEP);
	k.last_used = NOW - DAYS(31);
	assert_int_equal(kw_lc_prune_reason(&s, &k, 30, NOW), KW_LC_PRUNE_UNUSED);
	assert_int_equal(kw_lc_prune_reason(&s, &k, 0, NOW), KW_LC_PRUNE_KEEP); /* default 90 */
	k.last_used = 0;
	assert_int_equal(kw_lc_prune_reason(&s, &k, 0, NOW), KW_LC_PRUNE_NEVER_USED);
	k.created = NOW - DAYS(2);
	assert_int_equal(kw_lc_prune_reason(&s, &k, 0, NOW), KW_LC_PRUNE_KEEP);
	k.inactive_since = NOW - DAYS(2);
	k.grace_days = 1;
	assert_int_equal(kw_lc_prune_reason(&s, &k, 0, NOW), KW_LC_PRUNE_GRACE_EXPIRED);
	assert_string_equal(kw_lc_prune_name(KW_LC_PRUNE_GRACE_EXPIRED), "grace-expired");
	s.managed = false;
	assert_int_equal(kw_lc_prune_reason(&s, &k, 0, NOW), KW_LC_PRUNE_KEEP);
	s.managed = true;
	s.managed_known = false;
	assert_int_equal(kw_lc_prune_reason(&s, &k, 0, NOW), KW_LC_PRUNE_KEEP);
}

static void grace_tag_round_trip(void **state)
{
	char v[KW_GRACE_VALUE_MAX], key[160];
	time_t since;
	int days;

	assert_int_equal(kw_grace_format(NOW, 7, v, sizeof(v)), 0);
	assert_string_equal(v, "2027-01-15T08:00:00Z grace=7d");
	assert_int_equal(kw_grace_parse(v, &since, &days), 0);
	assert_int_equal(since, NOW);
	assert_int_equal(days, 7);
	assert_int_equal(kw_grace_parse("2027-01-15T08:00:00Z", &since, &days), 0);
	assert_int_equal(days, KW_DEFAULT_GRACE_DAYS);
	assert_int_equal(kw_grace_parse("2027-01-15T08:00:00.123Z grace=0d", &since, &days), 0);
	assert_int_equal(days, 0);
	assert_int_equal(kw_grace_parse("yesterday", &since, &days), -1);
	assert_int_equal(kw_grace_parse("2027-01-15T08:00:00Z grace=7", &since, &days), -1);
	assert_int_equal(kw_grace_parse("2027-01-15T08:00:00Z grace=-1d", &since, &days), -1);
	assert_int_equal(kw_grace_tag_key("AKIAB", key, sizeof(key)), 0);
	assert_string_equal(key, "keywarden:inactive:AKIAB");
	assert_int_equal(kw_grace_tag_key("AKIAB", key, 10), -1);
}

/* --- the rotation state machine against a fake IAM ---------------------------------------- */

struct fake {
	enum kw_lc_rot_step fail_at; /* KW_LC_ROT_DONE: never */
	size_t written_before_failure;
	bool fail_undo_delete;
	char log[2048]; /* the operations, in order */
	char created[KW_LC_KEY_ID_MAX];
	int ncreated;
	time_t created_at; /* CreateDate the fake IAM reports, 0 = none */
	int stop_at_check; /* f_check asks to stop at this call (1-based); 0: never */
	bool fail_tag_delivered;
	int nchecks;
};

static void note(struct fake *f, const char *what, const char *id)
{
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, "%s%s%s;", what, *id ? " " : "", id);
}

static int f_create(void *ctx, char *id, struct kw_secret **secret, time_t *created, struct kw_error *err)
{
	struct fake *f = ctx;

	note(f, "create", "");
	if (f->fail_at == KW_LC_ROT_CREATE)
		return kw_error_set(err, KW_ERR_AWS, "CreateAccessKey", "injected");
	snprintf(id, KW_LC_KEY_ID_MAX, "AKIANEW%d", ++f->ncreated);
	snprintf(f->created, sizeof(f->created), "%s", id);
	*secret = kw_secret_from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYNEWSECRETKEY", 40);
	*created = f->created_at;
	return *secret ? 0 : -1;
}

static int f_confirm(void *ctx, const char *id, const struct kw_secret *secret, struct kw_error *err)
{
	struct fake *f = ctx;

	assert_non_null(secret);
	note(f, "confirm", id);
	return f->fail_at == KW_LC_ROT_CONFIRM ? kw_error_set(err, KW_ERR_TIMEOUT, NULL, "injected") : 0;
}

static int f_deliver(void *ctx, const char *id, const struct kw_secret *secret, size_t *written,
                     struct kw_error *err)
{
	struct fake *f = ctx;

	note(f, "deliver", id);
	if (f->fail_at == KW_LC_ROT_DELIVER) {
		*written = f->written_before_failure;
		return kw_error_set(err, KW_ERR_IO, NULL, "injected");
	}
	*written = 2;
	return 0;
}

static int f_deactivate(void *ctx, const char *id, struct kw_error *err)
{
	struct fake *f = ctx;

	note(f, "deactivate", id);
	return f->fail_at == KW_LC_ROT_DEACTIVATE ? kw_error_set(err, KW_ERR_AWS, NULL, "injected") : 0;
}

static int f_delete(void *ctx, const char *id, struct kw_error *err)
{
	struct fake *f = ctx;

	note(f, "delete", id);
	if (f->fail_undo_delete && !strcmp(id, f->created))
		return kw_error_set(err, KW_ERR_AWS, NULL, "injected");
	if (f->fail_at == KW_LC_ROT_RETIRE && strcmp(id, f->created))
		return kw_error_set(err, KW_ERR_AWS, NULL, "injected");
	if (f->fail_at == KW_LC_ROT_DELETE_EXPIRED)
		return kw_error_set(err, KW_ERR_AWS, NULL, "injected");
	return 0;
}

static int f_tag(void *ctx, const char *id, const char *value, struct kw_error *err)
{
	struct fake *f = ctx;

	note(f, "tag", id);
	return f->fail_at == KW_LC_ROT_RETIRE ? kw_error_set(err, KW_ERR_AWS, NULL, "injected") : 0;
}

static int f_untag(void *ctx, const char *id, struct kw_error *err)
{
	note(ctx, "untag", id);
	return 0;
}

/* A Ctrl-C arriving before check number f->stop_at_check. */
static int f_check(void *ctx, struct kw_error *err)
{
	struct fake *f = ctx;

	note(f, "check", "");
	if (++f->nchecks == f->stop_at_check)
		return kw_error_set(err, KW_ERR_ABORTED, NULL, "interrupted (SIGINT)");
	return 0;
}

static int f_tag_delivered(void *ctx, const char *id, struct kw_error *err)
{
	struct fake *f = ctx;

	note(f, "tag-delivered", id);
	return f->fail_tag_delivered ? kw_error_set(err, KW_ERR_AWS, NULL, "injected") : 0;
}

static struct kw_lc_rot_ops fake_ops(struct fake *f)
{
	return (struct kw_lc_rot_ops){f,        f_create, f_confirm, f_deliver, f_deactivate,
	                              f_delete, f_tag,    f_untag,   NULL,      NULL};
}

static int rotate(struct fake *f, const struct kw_lc_rot_key *keys, size_t n, struct kw_lc_rot_opts o,
                  struct kw_lc_rot_result *res, struct kw_error *err)
{
	struct kw_lc_rot_ops ops = fake_ops(f);

	o.now = NOW;
	return kw_lc_rotate(keys, n, &o, &ops, res, err);
}

static void rotate_with_zero_keys_creates_and_delivers(void **state)
{
	struct fake f = {.fail_at = KW_LC_ROT_DONE};
	struct kw_lc_rot_result res;
	struct kw_error err;

	assert_int_equal(rotate(&f, NULL, 0, (struct kw_lc_rot_opts){.grace_days = 7}, &res, &err), 0);
	assert_string_equal(f.log, "create;confirm AKIANEW1;deliver AKIANEW1;");
	assert_string_equal(res.new_id, "AKIANEW1");
	assert_string_equal(res.old_id, "");
	assert_int_equal(res.failed, KW_LC_ROT_DONE);
}

static void rotate_with_one_key_keeps_it_inactive_with_grace_tag(void **state)
{
	struct kw_lc_rot_key k = {.id = "AKIAOLD", .active = true};
	struct fake f = {.fail_at = KW_LC_ROT_DONE};
	struct kw_lc_rot_result res;
	struct kw_error err;

	assert_int_equal(rotate(&f, &k, 1, (struct kw_lc_rot_opts){.grace_days = 7}, &res, &err), 0);
	assert_string_equal(f.log,
	                    "create;confirm AKIANEW1;deliver AKIANEW1;deactivate AKIAOLD;tag AKIAOLD;");
	assert_true(res.old_tagged);
	assert_false(res.old_active);
	assert_string_equal(res.grace_until, "2027-01-22T08:00:00Z");

	/* IAM's clock (the new key's CreateDate) dates the deactivation, not the local one */
	memset(&f, 0, sizeof(f));
	f.fail_at = KW_LC_ROT_DONE;
	f.created_at = NOW - DAYS(8);
	assert_int_equal(rotate(&f, &k, 1, (struct kw_lc_rot_opts){.grace_days = 7}, &res, &err), 0);
	assert_string_equal(res.grace_until, "2027-01-14T08:00:00Z");

	memset(&f, 0, sizeof(f));
	f.fail_at = KW_LC_ROT_DONE;
	assert_int_equal(rotate(&f, &k, 1, (struct kw_lc_rot_opts){.delete_old = true}, &res, &err), 0);
	assert_string_equal(f.log,
	                    "create;confirm AKIANEW1;deliver AKIANEW1;deactivate AKIAOLD;delete AKIAOLD;"
	                    "untag AKIAOLD;");
	assert_true(res.old_deleted);
}

static void rotate_resumes_a_rotation_stopped_earlier(void **state)
{
	struct kw_lc_rot_opts o = {.grace_days = 7, .resume = true};
	struct kw_lc_rot_result res;
	struct kw_error err;
	struct fake f = {.fail_at = KW_LC_ROT_DONE};

	(void)state;
	/* stopped between delivery and deactivation: the target holds the new key */
	{
		struct kw_lc_rot_key k[2] = {
		        {.id = "AKIAOLD", .active = true, .delivered_at = NOW - DAYS(30)},
		        {.id = "AKIAHELD", .active = true, .held = true}};

		assert_int_equal(rotate(&f, k, 2, o, &res, &err), 0);
		assert_string_equal(f.log, "deactivate AKIAOLD;tag AKIAOLD;");
		assert_true(res.resumed);
		assert_string_equal(res.new_id, "AKIAHELD");
		assert_string_equal(res.old_id, "AKIAOLD");
	}
	/* stopped before retiring: an inactive key without its grace tag */
	memset(&f, 0, sizeof(f));
	f.fail_at = KW_LC_ROT_DONE;
	{
		struct kw_lc_rot_key k[2] = {
		        {.id = "AKIAOLD", .active = false, .delivered_at = NOW - DAYS(30)},
		        {.id = "AKIAHELD", .active = true, .held = true}};

		assert_int_equal(rotate(&f, k, 2, o, &res, &err), 0);
		assert_string_equal(f.log, "tag AKIAOLD;");
		assert_true(res.resumed);
		/* one deactivated by hand (never delivered by keywarden) is not a rotation's */
		memset(&f, 0, sizeof(f));
		f.fail_at = KW_LC_ROT_DONE;
		k[0].delivered_at = 0;
		assert_int_equal(rotate(&f, k, 2, o, &res, &err), -1);
		assert_non_null(strstr(err.msg, "--delete-inactive"));
		assert_false(res.resumed);
	}
	/* stopped before delivery: the new key nobody holds is deleted, then a rotation as asked */
	memset(&f, 0, sizeof(f));
	f.fail_at = KW_LC_ROT_DONE;
	{
		struct kw_lc_rot_key k[2] = {{.id = "AKIAHELD", .active = true, .held = true},
		                             {.id = "AKIAUNDELIVERED", .active = true}};

		assert_int_equal(rotate(&f, k, 2, o, &res, &err), 0);
		assert_string_equal(f.log, "delete AKIAUNDELIVERED;untag AKIAUNDELIVERED;create;confirm "
		                           "AKIANEW1;deliver AKIANEW1;deactivate AKIAHELD;tag AKIAHELD;");
		assert_false(res.resumed);
	}
	/* two active keys, neither held: refused, naming the one delivered earlier */
	memset(&f, 0, sizeof(f));
	f.fail_at = KW_LC_ROT_DONE;
	{
		struct kw_lc_rot_key k[2] = {{.id = "AKIAA", .active = true, .delivered_at = NOW - DAYS(9)},
		                             {.id = "AKIAB", .active = true, .delivered_at = NOW - DAYS(1)}};

		assert_int_equal(rotate(&f, k, 2, o, &res, &err), -1);
		assert_int_equal(err.kind, KW_ERR_CONFLICT);
		assert_non_null(strstr(err.msg, "delete AKIAA"));
		assert_string_equal(f.log, "");
		/* targets that cannot be read: the delivered tag tells, and the rotation is finished */
		o.targets_unknown = true;
		assert_int_equal(rotate(&f, k, 2, o, &res, &err), 0);
		assert_string_equal(f.log, "deactivate AKIAA;tag AKIAA;");
	}
}

static void rotate_with_two_keys_respects_the_limit(void **state)
{
	struct kw_lc_rot_key k[2] = {{.id = "AKIAOLD", .active = true}, {.id = "AKIAIDLE", .active = false}};
	struct fake f = {.fail_at = KW_LC_ROT_DONE};
	struct kw_lc_rot_result res;
	struct kw_error err;

	/* an inactive key in the way: stop and explain */
	assert_int_equal(rotate(&f, k, 2, (struct kw_lc_rot_opts){.grace_days = 7}, &res, &err), -1);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	assert_non_null(strstr(err.msg, "--delete-inactive"));
	assert_string_equal(f.log, "");

	/* allowed to delete it */
	assert_int_equal(rotate(&f, k, 2, (struct kw_lc_rot_opts){.delete_inactive = true, .grace_days = 7},
	                        &res, &err),
	                 0);
	assert_string_equal(f.log, "delete AKIAIDLE;untag AKIAIDLE;create;confirm AKIANEW1;deliver AKIANEW1;"
	                           "deactivate AKIAOLD;tag AKIAOLD;");
	assert_string_equal(res.removed[0], "AKIAIDLE");

	/* its grace period is over: deleted without asking */
	memset(&f, 0, sizeof(f));
	f.fail_at = KW_LC_ROT_DONE;
	k[1].inactive_since = NOW - DAYS(8);
	k[1].grace_days = 7;
	assert_int_equal(rotate(&f, k, 2, (struct kw_lc_rot_opts){.grace_days = 7}, &res, &err), 0);
	assert_true(!strncmp(f.log, "delete AKIAIDLE;untag AKIAIDLE;create;", 38));

	/* two active keys: never a third */
	memset(&f, 0, sizeof(f));
	f.fail_at = KW_LC_ROT_DONE;
	k[1].active = true;
	assert_int_equal(rotate(&f, k, 2, (struct kw_lc_rot_opts){.delete_inactive = true}, &res, &err), -1);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	assert_non_null(strstr(err.msg, "two active keys"));
	assert_string_equal(f.log, "");

	/* self-rotation names its key: the other active key still blocks */
	assert_int_equal(rotate(&f, k, 2, (struct kw_lc_rot_opts){.current = "AKIAIDLE"}, &res, &err), -1);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	assert_int_equal(rotate(&f, k, 2, (struct kw_lc_rot_opts){.current = "AKIANOPE"}, &res, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	assert_string_equal(f.log, "");
}

static void rotate_failure_at_each_step_leaves_a_working_key(void **state)
{
	struct kw_lc_rot_key k = {.id = "AKIAOLD", .active = true};
	struct {
		enum kw_lc_rot_step at;
		size_t written;
		const char *log;
		bool old_active, new_kept;
	} cases[] = {
	        {KW_LC_ROT_CREATE, 0, "create;", true, false},
	        {KW_LC_ROT_CONFIRM, 0, "create;confirm AKIANEW1;delete AKIANEW1;", true, false},
	        {KW_LC_ROT_DELIVER, 0, "create;confirm AKIANEW1;deliver AKIANEW1;delete AKIANEW1;", true,
	         false},
	        {KW_LC_ROT_DELIVER, 1, "create;confirm AKIANEW1;deliver AKIANEW1;", true, true},
	        {KW_LC_ROT_DEACTIVATE, 0, "create;confirm AKIANEW1;deliver AKIANEW1;deactivate AKIAOLD;",
	         true, true},
	        {KW_LC_ROT_RETIRE, 0,
	         "create;confirm AKIANEW1;deliver AKIANEW1;deactivate AKIAOLD;tag AKIAOLD;", false, true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f = {.fail_at = cases[i].at, .written_before_failure = cases[i].written};
		struct kw_lc_rot_result res;
		struct kw_error err;

		assert_int_equal(rotate(&f, &k, 1, (struct kw_lc_rot_opts){.grace_days = 7}, &res, &err), -1);
		assert_string_equal(f.log, cases[i].log);
		assert_int_equal(res.failed, cases[i].at);
		assert_int_equal(res.old_active, cases[i].old_active);
		assert_int_equal(res.new_id[0] != '\0', cases[i].new_kept);
		assert_true(res.state[0] != '\0');
		assert_non_null(strstr(err.msg, kw_lc_rot_step_name(cases[i].at)));
		/* the secret never reaches the error or the state line */
		assert_null(strstr(err.msg, "NEWSECRET"));
		assert_null(strstr(res.state, "NEWSECRET"));
	}
}

static void rotate_undo_that_fails_says_so(void **state)
{
	struct kw_lc_rot_key k = {.id = "AKIAOLD", .active = true};
	struct fake f = {.fail_at = KW_LC_ROT_CONFIRM, .fail_undo_delete = true};
	struct kw_lc_rot_result res;
	struct kw_error err;

	assert_int_equal(rotate(&f, &k, 1, (struct kw_lc_rot_opts){0}, &res, &err), -1);
	assert_false(res.new_key_deleted);
	assert_non_null(strstr(res.state, "delete it by hand"));
	assert_non_null(strstr(res.state, "AKIANEW1"));
}

static void rotate_stops_on_request_only_before_a_key_exists(void **state)
{
	struct kw_lc_rot_key k[2] = {
	        {.id = "AKIAOLD", .active = true},
	        {.id = "AKIAIDLE", .active = false, .inactive_since = NOW - DAYS(8), .grace_days = 7}};
	struct kw_lc_rot_opts o = {.grace_days = 7, .now = NOW};
	struct kw_lc_rot_result res;
	struct kw_error err;

	/* polled twice, never once a key exists: before any change, and before CreateAccessKey */
	for (int stop_at = 0; stop_at <= 2; stop_at++) {
		struct fake f = {.fail_at = KW_LC_ROT_DONE, .stop_at_check = stop_at};
		struct kw_lc_rot_ops ops = fake_ops(&f);
		int rc;

		ops.check_stop = f_check;
		rc = kw_lc_rotate(k, 2, &o, &ops, &res, &err);
		if (stop_at == 0) {
			assert_int_equal(rc, 0);
			assert_string_equal(
			        f.log, "check;delete AKIAIDLE;untag AKIAIDLE;check;create;"
			               "confirm AKIANEW1;deliver AKIANEW1;deactivate AKIAOLD;tag AKIAOLD;");
			assert_false(res.stopped);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_true(res.stopped);
		assert_int_equal(err.kind, KW_ERR_ABORTED);
		assert_string_equal(err.msg, "interrupted (SIGINT)"); /* no step prefix: nothing failed */
		assert_string_equal(res.new_id, "");
		if (stop_at == 1) {
			assert_string_equal(f.log, "check;");
			assert_int_equal(res.nremoved, 0);
			assert_non_null(strstr(res.state, "before any change"));
		} else {
			assert_true(res.old_active);
			assert_string_equal(f.log, "check;delete AKIAIDLE;untag AKIAIDLE;check;");
			assert_string_equal(res.removed[0], "AKIAIDLE");
			assert_string_equal(
			        res.state, "stopped before creating a new key; old key AKIAOLD is unchanged");
		}
	}
}

static void rotate_tags_the_new_key_delivered_once_every_target_has_it(void **state)
{
	struct kw_lc_rot_key k = {.id = "AKIAOLD", .active = true};
	struct kw_lc_rot_opts o = {.delete_old = true, .now = NOW};
	struct kw_lc_rot_result res;
	struct kw_error err;
	struct {
		enum kw_lc_rot_step fail_at;
		size_t written;
		bool fail_tag;
		int rc;
		const char *log;
	} cases[] = {
	        {KW_LC_ROT_DONE, 0, false, 0,
	         "create;confirm AKIANEW1;deliver AKIANEW1;tag-delivered AKIANEW1;deactivate AKIAOLD;"
	         "delete AKIAOLD;untag AKIAOLD;"},
	        /* the tag is best effort: the delivered key stays and the rotation completes */
	        {KW_LC_ROT_DONE, 0, true, 0,
	         "create;confirm AKIANEW1;deliver AKIANEW1;tag-delivered AKIANEW1;deactivate AKIAOLD;"
	         "delete AKIAOLD;untag AKIAOLD;"},
	        /* a key some targets lack is not tagged delivered; a key never delivered is not either */
	        {KW_LC_ROT_DELIVER, 1, false, -1, "create;confirm AKIANEW1;deliver AKIANEW1;"},
	        {KW_LC_ROT_CONFIRM, 0, false, -1, "create;confirm AKIANEW1;delete AKIANEW1;"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f = {.fail_at = cases[i].fail_at,
		                 .written_before_failure = cases[i].written,
		                 .fail_tag_delivered = cases[i].fail_tag};
		struct kw_lc_rot_ops ops = fake_ops(&f);

		ops.tag_delivered = f_tag_delivered;
		assert_int_equal(kw_lc_rotate(&k, 1, &o, &ops, &res, &err), cases[i].rc);
		assert_string_equal(f.log, cases[i].log);
		assert_int_equal(res.delivered_tagged, cases[i].rc == 0 && !cases[i].fail_tag);
	}
	{
		char key[64];
		assert_int_equal(kw_delivered_tag_key("AKIAB", key, sizeof(key)), 0);
		assert_string_equal(key, "keywarden:delivered:AKIAB");
	}
}

/* --- destroy ordering --------------------------------------------------------------------- */

static void teardown_follows_iam_order(void **state)
{
	const char *keys[] = {"AKIA1", "AKIA2"};
	const char *mfa[] = {"arn:aws:iam::123456789012:mfa/service-app", "GAHT12345678"};
	const char *groups[] = {"service-app", "other"};
	const char *inl[] = {"p1"};
	const char *arns[] = {"arn:aws:iam::aws:policy/ReadOnlyAccess"};
	const char *orphan[] = {"arn:aws:iam::123456789012:mfa/service-app-old"};
	struct kw_lc_td_user u = {
	        .name = "service-app",
	        .exists = true,
	        .keys = {keys, 2},
	        .mfa = {mfa, 2},
	        .login_profile = true,
	        .groups = {groups, 2},
	        .inline_policies = {inl, 1},
	        .managed_arns = {arns, 1},
	        .boundary = true,
	};
	struct kw_lc_td_group g = {.name = "service-app",
	                           .exists = true,
	                           .inline_policies = {inl, 1},
	                           .managed_arns = {arns, 1}};
	struct kw_lc_td_step steps[32];
	const enum kw_lc_td_op want[] = {
	        KW_LC_TD_DELETE_ACCESS_KEY,   KW_LC_TD_DELETE_ACCESS_KEY, KW_LC_TD_DEACTIVATE_MFA,
	        KW_LC_TD_DELETE_VIRTUAL_MFA,  KW_LC_TD_DEACTIVATE_MFA,    KW_LC_TD_DELETE_LOGIN_PROFILE,
	        KW_LC_TD_REMOVE_FROM_GROUP,   KW_LC_TD_REMOVE_FROM_GROUP, KW_LC_TD_DELETE_GROUP_POLICY,
	        KW_LC_TD_DETACH_GROUP_POLICY, KW_LC_TD_DELETE_GROUP,      KW_LC_TD_DELETE_USER_POLICY,
	        KW_LC_TD_DETACH_USER_POLICY,  KW_LC_TD_DELETE_BOUNDARY,   KW_LC_TD_DELETE_USER,
	        KW_LC_TD_DELETE_VIRTUAL_MFA,
	};
	char line[256];
	size_t n;

	assert_int_equal(kw_lc_teardown_plan(&u, &g, (struct kw_lc_names){orphan, 1}, steps, 32, &n), 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(steps[i].op, want[i]);
	assert_string_equal(steps[3].arg, mfa[0]); /* the hardware device is only deactivated */
	assert_string_equal(steps[4].arg, mfa[1]);
	kw_lc_td_describe(&steps[14], line, sizeof(line));
	assert_string_equal(line, "delete user service-app");
	assert_string_equal(kw_lc_td_op_name(steps[13].op), "DeleteUserPermissionsBoundary");

	/* too small a buffer is an error, not a silent cut */
	assert_int_equal(kw_lc_teardown_plan(&u, &g, (struct kw_lc_names){0}, steps, 4, &n), -1);

	/* a group someone else is in is kept; nothing that is gone is touched again */
	g.other_members = 1;
	u.exists = false;
	assert_int_equal(kw_lc_teardown_plan(&u, &g, (struct kw_lc_names){0}, steps, 32, &n), 0);
	assert_int_equal(n, 0);
}

static void names_resolve_files_folders_and_users(void **state)
{
	enum kw_lc_name_kind kind;
	struct kw_error err;

	assert_int_equal(kw_lc_name_classify("tests", &kind, &err), 0);
	assert_int_equal(kind, KW_LC_NAME_FOLDER);
	assert_int_equal(kw_lc_name_classify("CMakeLists.txt", &kind, &err), 0);
	assert_int_equal(kind, KW_LC_NAME_FILE);
	assert_int_equal(kw_lc_name_classify("service-app", &kind, &err), 0);
	assert_int_equal(kind, KW_LC_NAME_USER);
	assert_int_equal(kw_lc_name_classify("missing/app.yaml", &kind, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	assert_int_equal(kw_lc_name_classify("app.yaml", &kind, &err), -1);
	assert_int_equal(kw_lc_name_classify("bad name!", &kind, &err), -1);
	assert_int_equal(err.kind, KW_ERR_USAGE);
	assert_false(kw_lc_valid_user_name(""));
	assert_true(kw_lc_valid_user_name("a+b=c,d.e@f_g-h"));
	assert_string_equal(kw_lc_group_for_user("service-app"), "service-app");
	assert_null(kw_lc_group_for_user("alice"));
	assert_null(kw_lc_group_for_user("service-"));
}

static void report_reads_rows_by_header(void **state)
{
	static const char csv[] =
	        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
	        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
	        "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
	        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
	        "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
	        "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
	        "<root_account>,arn:aws:iam::123456789012:root,2026-01-01T00:00:00+00:00,not_supported,"
	        "no_information,not_supported,not_supported,false,true,2026-01-01T00:00:00+00:00,N/A,N/A,N/A,"
	        "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\r\n"
	        "\"service-a,b\",arn:aws:iam::123456789012:user/service-a,2026-01-01T00:00:00+00:00,true,"
	        "no_information,2026-01-02T00:00:00+00:00,N/A,true,true,2027-01-05T08:00:00+00:00,"
	        "2027-01-14T08:00:00+00:00,us-east-1,iam,false,2026-06-01T00:00:00+00:00,N/A,N/A,N/A,false,N/"
	        "A,"
	        "false,N/A\n";
	struct kw_lc_report r = {0};
	struct kw_error err;

	assert_int_equal(kw_lc_report_parse(csv, sizeof(csv) - 1, &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_true(r.rows[0].root);
	assert_string_equal(r.rows[1].user, "service-a,b");
	assert_true(r.rows[1].console);
	assert_true(r.rows[1].mfa);
	assert_true(r.rows[1].key[0].present);
	assert_true(r.rows[1].key[0].active);
	assert_int_equal(r.rows[1].key[0].created, NOW - DAYS(10));
	assert_int_equal(r.rows[1].key[0].last_used, NOW - DAYS(1));
	assert_string_equal(r.rows[1].key[0].service, "iam");
	assert_true(r.rows[1].key[1].present);
	assert_false(r.rows[1].key[1].active);
	assert_int_equal(r.rows[1].key[1].last_used, 0);
	kw_lc_report_release(&r);

	assert_int_equal(kw_lc_report_parse("user,arn\nx,y\n", 14, &r, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "password_enabled"));
	kw_lc_report_release(&r);
	assert_int_equal(kw_lc_report_parse("\"user", 5, &r, &err), -1);
	kw_lc_report_release(&r);
	assert_int_equal(kw_lc_report_parse("", 0, &r, &err), -1);
	kw_lc_report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(audit_clean_account_has_no_findings),
	        cmocka_unit_test(audit_key_older_than_max_age),
	        cmocka_unit_test(audit_key_undelivered_only_untagged_unused_managed_active),
	        cmocka_unit_test(audit_never_used_and_unused),
	        cmocka_unit_test(audit_compliance_and_due_follow_key_age),
	        cmocka_unit_test(audit_two_active_keys_outside_rotation),
	        cmocka_unit_test(audit_user_level_findings),
	        cmocka_unit_test(audit_grace_expired_and_report_slots),
	        cmocka_unit_test(prune_never_deletes_recently_used_or_unmanaged),
	        cmocka_unit_test(grace_tag_round_trip),
	        cmocka_unit_test(rotate_with_zero_keys_creates_and_delivers),
	        cmocka_unit_test(rotate_with_one_key_keeps_it_inactive_with_grace_tag),
	        cmocka_unit_test(rotate_resumes_a_rotation_stopped_earlier),
	        cmocka_unit_test(rotate_with_two_keys_respects_the_limit),
	        cmocka_unit_test(rotate_failure_at_each_step_leaves_a_working_key),
	        cmocka_unit_test(rotate_undo_that_fails_says_so),
	        cmocka_unit_test(rotate_stops_on_request_only_before_a_key_exists),
	        cmocka_unit_test(rotate_tags_the_new_key_delivered_once_every_target_has_it),
	        cmocka_unit_test(teardown_follows_iam_order),
	        cmocka_unit_test(names_resolve_files_folders_and_users),
	        cmocka_unit_test(report_reads_rows_by_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
