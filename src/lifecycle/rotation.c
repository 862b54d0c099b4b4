#define _GNU_SOURCE /* strptime */
#include "lifecycle/rotation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/state.h"
#include "lifecycle/audit.h"
#include "util/deadline.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"

const char *kw_lc_rot_step_name(enum kw_lc_rot_step step)
{
	switch (step) {
	case KW_LC_ROT_PREPARE: return "prepare";
	case KW_LC_ROT_DELETE_EXPIRED: return "delete expired key";
	case KW_LC_ROT_DELETE_INACTIVE: return "delete inactive key";
	case KW_LC_ROT_CREATE: return "create";
	case KW_LC_ROT_CONFIRM: return "confirm";
	case KW_LC_ROT_DELIVER: return "deliver";
	case KW_LC_ROT_DEACTIVATE: return "deactivate";
	case KW_LC_ROT_RETIRE: return "retire old key";
	case KW_LC_ROT_DONE: return "done";
	}
	return "?";
}

static void copy_id(char *dst, const char *id)
{
	snprintf(dst, KW_LC_KEY_ID_MAX, "%s", id ? id : "");
}

static bool expired(const struct kw_lc_rot_key *k, time_t now)
{
	struct kw_lc_key a = {
	        .active = k->active, .inactive_since = k->inactive_since, .grace_days = k->grace_days};

	return kw_lc_grace_expired(&a, now);
}

/* After key id was deleted: remove its keywarden tags (best effort). */
static void untag(const struct kw_lc_rot_ops *ops, const char *id)
{
	struct kw_error werr;

	if (ops->untag && ops->untag(ops->ctx, id, &werr))
		kw_log(KW_LOG_WARN, "deleted key %s but not its keywarden tags: %s", id, werr.msg);
}

/* Delete key id (step 1 or 2) and its tags; records it in res. */
static int remove_key(const struct kw_lc_rot_ops *ops, const char *id, struct kw_lc_rot_result *res,
                      struct kw_error *err)
{
	if (ops->delete_key(ops->ctx, id, err))
		return kw_error_prefix(err, "delete inactive key %s", id);
	if (res->nremoved < 2)
		copy_id(res->removed[res->nremoved++], id);
	untag(ops, id);
	return 0;
}

/*
 * Steps 1 and 2: pick the old key and make room for a new one. *old is the index of the
 * key rotated, or -1 when there is none.
 */
static int make_room(const struct kw_lc_rot_key *keys, size_t nkeys, const struct kw_lc_rot_opts *o,
                     const struct kw_lc_rot_ops *ops, long *old, struct kw_lc_rot_result *res,
                     struct kw_error *err)
{
	bool gone[8] = {false};
	size_t left = nkeys, nactive = 0;

	*old = -1;
	if (nkeys > 8)
		return kw_error_set(err, KW_ERR_INVALID, NULL, "%zu access keys listed (IAM allows 2)",
		                    nkeys);
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].active)
			nactive++;
		if (o->current ? !strcmp(keys[i].id, o->current) : keys[i].active)
			*old = (long)i;
	}
	if (o->current && *old < 0) {
		res->failed = KW_LC_ROT_PREPARE;
		return kw_error_set(err, KW_ERR_NOT_FOUND, NULL,
		                    "key %s is not one of the user's access keys", o->current);
	}
	if (!o->current && nactive > 1) {
		res->failed = KW_LC_ROT_PREPARE;
		return kw_error_set(
		        err, KW_ERR_CONFLICT, NULL,
		        "two active keys (%s, %s) and IAM allows no third: deactivate or delete the "
		        "one not in use, then rotate again",
		        keys[0].id, keys[1].id);
	}
	copy_id(res->old_id, *old >= 0 ? keys[*old].id : "");
	res->old_active = *old >= 0 && keys[*old].active;

	res->failed = KW_LC_ROT_DELETE_EXPIRED;
	for (size_t i = 0; i < nkeys; i++) {
		if ((long)i == *old || !expired(&keys[i], o->now))
			continue;
		if (remove_key(ops, keys[i].id, res, err))
			return -1;
		gone[i] = true;
		left--;
	}
	if (left < 2)
		return 0;

	res->failed = KW_LC_ROT_DELETE_INACTIVE;
	for (size_t i = 0; i < nkeys && left >= 2; i++) {
		if (gone[i] || (long)i == *old)
			continue;
		if (keys[i].active)
			return kw_error_set(
			        err, KW_ERR_CONFLICT, NULL,
			        "two active keys (%s, %s) and IAM allows no third: deactivate or delete "
			        "the one not in use, then rotate again",
			        keys[*old].id, keys[i].id);
		if (!o->delete_inactive)
			return kw_error_set(
			        err, KW_ERR_CONFLICT, NULL,
			        "two keys already, the most IAM allows: inactive key %s is in the way; "
			        "rerun with --delete-inactive to delete it",
			        keys[i].id);
		if (remove_key(ops, keys[i].id, res, err))
			return -1;
		gone[i] = true;
		left--;
	}
	return 0;
}

/* Undo after a failure before delivery, or a delivery that wrote nothing: drop the new key. */
static void drop_new_key(const struct kw_lc_rot_ops *ops, struct kw_lc_rot_result *res)
{
	struct kw_error derr;

	if (ops->delete_key(ops->ctx, res->new_id, &derr)) {
		snprintf(res->state, sizeof(res->state),
		         "new key %s could not be deleted (%.120s): nobody holds it, delete it by hand; "
		         "%s%s%s",
		         res->new_id, derr.msg, *res->old_id ? "old key " : "no old key", res->old_id,
		         *res->old_id ? " is unchanged" : "");
		return;
	}
	res->new_key_deleted = true;
	snprintf(res->state, sizeof(res->state), "new key %s deleted; %s%s%s", res->new_id,
	         *res->old_id ? "old key " : "no old key", res->old_id,
	         *res->old_id ? (res->old_active ? " is still active and unchanged" : " is unchanged") : "");
	res->new_id[0] = '\0';
}

int kw_lc_rotate(const struct kw_lc_rot_key *keys, size_t nkeys, const struct kw_lc_rot_opts *o,
                 const struct kw_lc_rot_ops *ops, struct kw_lc_rot_result *res, struct kw_error *err)
{
	struct kw_secret *secret = NULL;
	char value[KW_GRACE_VALUE_MAX];
	time_t created = 0;
	long old;
	int rc = -1;
	bool held = false, holding = false; /* the key window: the no-progress deadline waits */

	memset(res, 0, sizeof(*res));
	res->failed = KW_LC_ROT_PREPARE;
	if (ops->check_stop && ops->check_stop(ops->ctx, err)) {
		res->stopped = true;
		snprintf(res->state, sizeof(res->state), "stopped before any change%s",
		         nkeys ? "; the keys are unchanged" : "");
		goto out;
	}
	if (make_room(keys, nkeys, o, ops, &old, res, err)) {
		snprintf(res->state, sizeof(res->state), "nothing created%s%s%s",
		         *res->old_id ? "; old key " : "", res->old_id, *res->old_id ? " is unchanged" : "");
		goto out;
	}

	res->failed = KW_LC_ROT_CREATE;
	if (ops->check_stop && ops->check_stop(ops->ctx, err)) {
		res->stopped = true;
		snprintf(res->state, sizeof(res->state), "stopped before creating a new key%s%s%s",
		         *res->old_id ? "; old key " : "", res->old_id, *res->old_id ? " is unchanged" : "");
		goto out;
	}
	held = kw_deadline_hold(true), holding = true;
	if (ops->create(ops->ctx, res->new_id, &secret, &created, err)) {
		res->new_id[0] = '\0';
		snprintf(res->state, sizeof(res->state), "no new key%s%s%s", *res->old_id ? "; old key " : "",
		         res->old_id, *res->old_id ? " is unchanged" : "");
		goto out;
	}

	res->failed = KW_LC_ROT_CONFIRM;
	if (ops->confirm(ops->ctx, res->new_id, secret, err)) {
		drop_new_key(ops, res);
		goto out;
	}

	res->failed = KW_LC_ROT_DELIVER;
	if (ops->deliver(ops->ctx, res->new_id, secret, &res->written, err)) {
		if (!res->written) {
			drop_new_key(ops, res);
		} else {
			snprintf(res->state, sizeof(res->state),
			         "new key %s reached %zu target(s) before the failure and stays "
			         "active%s%s%s; fix the "
			         "target, then rotate again with --delete-inactive after deactivating the "
			         "key not in use",
			         res->new_id, res->written, *res->old_id ? ", as does old key " : "",
			         res->old_id, *res->old_id ? " (held by the other targets)" : "");
		}
		goto out;
	}
	kw_deadline_hold(held), holding = false;
	if (ops->tag_delivered) {
		struct kw_error werr;

		if (ops->tag_delivered(ops->ctx, res->new_id, &werr))
			kw_log(KW_LOG_WARN,
			       "new key %s is delivered and works, but its delivered tag was not "
			       "written: %s",
			       res->new_id, werr.msg);
		else
			res->delivered_tagged = true;
	}

	if (old < 0 || !keys[old].active) {
		if (old < 0)
			goto done;
	} else {
		res->failed = KW_LC_ROT_DEACTIVATE;
		if (ops->deactivate(ops->ctx, res->old_id, err)) {
			snprintf(res->state, sizeof(res->state),
			         "new key %s is delivered and works; old key %s is still active: deactivate "
			         "it by hand "
			         "or rerun rotate once IAM answers",
			         res->new_id, res->old_id);
			goto out;
		}
		res->old_active = false;
	}

	res->failed = KW_LC_ROT_RETIRE;
	if (o->delete_old) {
		if (ops->delete_key(ops->ctx, res->old_id, err)) {
			snprintf(res->state, sizeof(res->state),
			         "new key %s is delivered and works; old key %s is inactive but not deleted",
			         res->new_id, res->old_id);
			goto out;
		}
		res->old_deleted = true;
		untag(ops, res->old_id);
	} else if (ops->tag_grace) {
		time_t since = created ? created : o->now;

		if (!keys[old].active && keys[old].inactive_since)
			since = keys[old].inactive_since;

		if (kw_grace_format(since, o->grace_days, value, sizeof(value))) {
			kw_error_set(err, KW_ERR_INTERNAL, NULL, "grace tag value does not fit");
			goto out;
		}
		if (ops->tag_grace(ops->ctx, res->old_id, value, err)) {
			snprintf(res->state, sizeof(res->state),
			         "new key %s is delivered and works; old key %s is inactive, but its grace "
			         "tag was not "
			         "written: audit --prune-unused treats it by its last use",
			         res->new_id, res->old_id);
			goto out;
		}
		res->old_tagged = true;
		kw_iso8601_format(since + (time_t)o->grace_days * KW_LC_DAY, res->grace_until,
		                  sizeof(res->grace_until));
	}
done:
	res->failed = KW_LC_ROT_DONE;
	rc = 0;
out:
	if (rc && err->kind != KW_ERR_NONE && !res->stopped && res->failed != KW_LC_ROT_PREPARE &&
	    res->failed != KW_LC_ROT_DELETE_INACTIVE && res->failed != KW_LC_ROT_DELETE_EXPIRED)
		kw_error_prefix(err, "%s", kw_lc_rot_step_name(res->failed));
	if (holding)
		kw_deadline_hold(held);
	kw_secret_free(secret);
	return rc;
}
