/*
 * summary.c - the JSON summaries --notify sends (summary.h).
 */
#include "notify/summary.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sns.h"
#include "lifecycle/auditor.h"
#include "lifecycle/keyjson.h"
#include "notify/notify.h"
#include "util/array.h"
#include "util/log.h"
#include "util/vocab.h"

static json_t *envelope(const char *kind, const char *subject, time_t now)
{
	char t[32];

	kw_iso8601_format(now, t, sizeof(t));
	return json_pack("{s:s, s:s, s:s, s:s}", "source", "keywarden", "kind", kind, "subject", subject,
	                 "time", t);
}

static char *dump(json_t *root)
{
	char *text = root ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(root);
	return text;
}

static json_t *account_json(const struct kw_lc_subject *s, const struct kw_lc_findings *f, time_t now,
                            int max_access_key_age, json_t *codes)
{
	json_t *o, *keys = json_array(), *fs = json_array();

	for (size_t k = 0; k < s->nkeys; k++)
		json_array_append_new(keys, kw_lc_key_json(s->user, &s->keys[k], now, max_access_key_age));
	for (size_t i = 0; i < f->n; i++) {
		const char *code = kw_lc_code_name(f->v[i].code);

		if (strcmp(f->v[i].user, s->user))
			continue;
		json_array_append_new(fs, json_pack("{s:s, s:s, s:s}", "code", code, "resource",
		                                    f->v[i].resource, "message", f->v[i].message));
		json_object_set_new(codes, code,
		                    json_integer(json_integer_value(json_object_get(codes, code)) + 1));
	}
	if (!json_array_size(fs)) {
		json_decref(keys);
		json_decref(fs);
		return NULL;
	}
	o = json_pack("{s:s, s:s?, s:i, s:s, s:o, s:o}", "user", s->user, "manifest", s->origin,
	              "max_age_days", s->max_age_days ? s->max_age_days : KW_LC_DEFAULT_MAX_AGE_DAYS,
	              "access_keys_rotated",
	              kw_lc_compliance_name(kw_lc_user_access_keys_rotated(s, max_access_key_age, now)),
	              "keys", keys, "findings", fs);
	return o;
}

char *kw_notify_audit_message(const struct kw_lc_subject *const *subjects, size_t n,
                              const struct kw_lc_findings *f, time_t now, int max_access_key_age,
                              char *subject, size_t size)
{
	json_t *root, *accounts = json_array(), *codes = json_object();
	size_t with = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *a = account_json(subjects[i], f, now, max_access_key_age, codes);
		if (a) {
			json_array_append_new(accounts, a);
			with++;
		}
	}
	snprintf(subject, size, "keywarden audit: %zu finding%s in %zu account%s", f->n, f->n == 1 ? "" : "s",
	         with, with == 1 ? "" : "s");
	root = envelope("audit", subject, now);
	if (root) {
		json_object_set_new(root, "accounts_audited", json_integer((json_int_t)n));
		json_object_set_new(root, "accounts_with_findings", json_integer((json_int_t)with));
		json_object_set_new(root, "findings", json_integer((json_int_t)f->n));
	}
	json_object_set(root, "codes", codes);
	json_object_set(root, "accounts", accounts);
	json_decref(codes);
	json_decref(accounts);
	return dump(root);
}

int kw_notify_audit_send(const struct kw_lc_auditor *A, int max_access_key_age,
                         const struct kw_notify_list *targets, const struct kw_notify_env *env,
                         struct kw_error *err)
{
	const struct kw_lc_subject **subjects;
	char subject[KW_SNS_SUBJECT_MAX + 1], *message = NULL;
	size_t n = 0;
	int rc = -1;

	if (!targets->n)
		return 0;
	if (!A->findings.n) {
		kw_log(KW_LOG_INFO, "audit clean: no notification sent");
		return 0;
	}
	subjects = calloc(A->n ? A->n : 1, sizeof(*subjects));
	if (!subjects)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < A->n; i++)
		if (!A->e[i].missing)
			subjects[n++] = &A->e[i].s;
	message = kw_notify_audit_message(subjects, n, &A->findings, A->now, max_access_key_age, subject,
	                                  sizeof(subject));
	if (!message)
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	else if (!kw_notify_list_send(targets, env, subject, message, err))
		rc = 0;
	free(message);
	free(subjects);
	return rc;
}

char *kw_notify_rotate_message(const struct kw_notify_rotation *r, size_t n, time_t now, char *subject,
                               size_t size)
{
	json_t *root, *list = json_array();
	size_t ok = 0;

	for (size_t i = 0; i < n; i++) {
		const struct kw_lc_rot_result *res = r[i].res;
		json_t *o = json_pack("{s:s, s:s}", "account", r[i].account, "result",
		                      r[i].ok ? "rotated" : "failed");

		ok += r[i].ok;
		if (res && res->old_id[0])
			json_object_set_new(o, "old_access_key_id", json_string(res->old_id));
		if (res && res->new_id[0])
			json_object_set_new(o, "new_access_key_id", json_string(res->new_id));
		if (r[i].delivered && *r[i].delivered)
			json_object_set_new(o, "delivered", json_string(r[i].delivered));
		if (!r[i].ok && res && res->failed != KW_LC_ROT_DONE)
			json_object_set_new(o, "failed_step", json_string(kw_lc_rot_step_name(res->failed)));
		if (!r[i].ok && res && res->state[0])
			json_object_set_new(o, "state", json_string(res->state));
		if (!r[i].ok && r[i].error)
			json_object_set_new(o, "error", json_string(r[i].error));
		json_array_append_new(list, o);
	}
	snprintf(subject, size, "keywarden rotate: %zu rotated, %zu failed", ok, n - ok);
	root = envelope("rotate", subject, now);
	if (root) {
		json_object_set_new(root, "rotated", json_integer((json_int_t)ok));
		json_object_set_new(root, "failed", json_integer((json_int_t)(n - ok)));
	}
	json_object_set(root, "rotations", list);
	json_decref(list);
	return dump(root);
}

static void rotation_release(struct kw_notify_rotation *r)
{
	free((void *)r->account);
	free((void *)r->delivered);
	free((void *)r->res);
	free((void *)r->error);
}

int kw_notify_rotations_add(struct kw_notify_rotations *l, size_t index, const char *account, bool ok,
                            const struct kw_lc_rot_result *res, const char *delivered,
                            const struct kw_error *err)
{
	struct kw_notify_rotation r = {.ok = ok, .index = index};
	char msg[KW_ERR_WHERE_MAX + KW_ERR_MSG_MAX + 4];
	size_t at;
	bool nomem;

	r.account = strdup(account);
	nomem = !r.account;
	if (delivered && *delivered)
		nomem |= !(r.delivered = strdup(delivered));
	if (res && (r.res = malloc(sizeof(*res))))
		memcpy((void *)r.res, res, sizeof(*res));
	nomem |= res && !r.res;
	if (!ok && err) {
		snprintf(msg, sizeof(msg), "%s%s%s", err->where, err->where[0] ? ": " : "", err->msg);
		nomem |= !(r.error = strdup(msg));
	}
	if (nomem || !kw_array_grow(&l->v, &l->n, sizeof(*l->v))) {
		rotation_release(&r);
		return -1;
	}
	for (at = l->n - 1; at > 0 && l->v[at - 1].index > index; at--) /* after index's rotations */
		l->v[at] = l->v[at - 1];
	l->v[at] = r;
	return 0;
}

int kw_notify_rotations_send(const struct kw_notify_rotations *l, const struct kw_notify_list *targets,
                             const struct kw_notify_env *env, time_t now, struct kw_error *err)
{
	char subject[KW_SNS_SUBJECT_MAX + 1], *message;
	int rc;

	if (!targets->n || !l->n)
		return 0;
	message = kw_notify_rotate_message(l->v, l->n, now, subject, sizeof(subject));
	if (!message)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	rc = kw_notify_list_send(targets, env, subject, message, err);
	free(message);
	return rc;
}

void kw_notify_rotations_release(struct kw_notify_rotations *l)
{
	for (size_t i = 0; i < l->n; i++)
		rotation_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
