#define _GNU_SOURCE /* strptime */
#include "lifecycle/rotation.h"

#include <stdarg.h>
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

/* At most this many keys are rotated (IAM allows 2; more is a broken answer). */
#define KW_LC_ROT_KEYS_MAX 8

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

/* A refusal before any change: res->failed is the preparation, err of kind says why. Returns -1. */
static int refuse(struct kw_lc_rot_result *res, struct kw_error *err, enum kw_err_kind kind, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

static int refuse(struct kw_lc_rot_result *res, struct kw_error *err, enum kw_err_kind kind, const char *fmt,
                  ...)
{
	char msg[KW_ERR_MSG_MAX];
	va_list ap;

	res->failed = KW_LC_ROT_PREPARE;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kw_error_set(err, kind, NULL, "%s", msg);
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
	if (o->current && *old < 0)
		return refuse(res, err, KW_ERR_NOT_FOUND, "key %s is not one of the user's access keys",
		              o->current);
	if (!o->current && nactive > 1)
		return refuse(res, err, KW_ERR_CONFLICT,
		              "two active keys (%s, %s) and IAM allows no third: deactivate or delete the "
		              "one not in use, then rotate again",
		              keys[0].id, keys[1].id);
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

/*
 * Step 7 for key k (res->old_id): delete it (--delete-old), or tag its grace period as begun at
 * since (unless it has one already). Returns 0, or -1 with err set and res->state told.
 */
static int retire(const struct kw_lc_rot_key *k, time_t since, const struct kw_lc_rot_opts *o,
                  const struct kw_lc_rot_ops *ops, struct kw_lc_rot_result *res, struct kw_error *err)
{
	char value[KW_GRACE_VALUE_MAX];

	res->failed = KW_LC_ROT_RETIRE;
	if (o->delete_old) {
		if (ops->delete_key(ops->ctx, res->old_id, err)) {
			snprintf(res->state, sizeof(res->state),
			         "new key %s is delivered and works; old key %s is inactive but not deleted",
			         res->new_id, res->old_id);
			return -1;
		}
		res->old_deleted = true;
		untag(ops, res->old_id);
		return 0;
	}
	if (!ops->tag_grace)
		return 0;
	if (!k->active && k->inactive_since)
		since = k->inactive_since;
	if (kw_grace_format(since, o->grace_days, value, sizeof(value)))
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "grace tag value does not fit");
	if (ops->tag_grace(ops->ctx, res->old_id, value, err)) {
		snprintf(res->state, sizeof(res->state),
		         "new key %s is delivered and works; old key %s is inactive, but its grace "
		         "tag was not "
		         "written: audit --prune-unused treats it by its last use",
		         res->new_id, res->old_id);
		return -1;
	}
	res->old_tagged = true;
	kw_iso8601_format(since + (time_t)o->grace_days * KW_LC_DAY, res->grace_until,
	                  sizeof(res->grace_until));
	return 0;
}

int kw_lc_retire_old(const struct kw_lc_rot_key *k, const char *held_id, const struct kw_lc_rot_opts *o,
                     const struct kw_lc_rot_ops *ops, struct kw_lc_rot_result *res, struct kw_error *err)
{
	copy_id(res->new_id, held_id);
	copy_id(res->old_id, k->id);
	res->old_active = k->active;
	if (k->active) {
		res->failed = KW_LC_ROT_DEACTIVATE;
		if (ops->deactivate(ops->ctx, k->id, err)) {
			snprintf(res->state, sizeof(res->state),
			         "key %s is held by the targets; old key %s is still active: rerun once IAM "
			         "answers",
			         res->new_id, k->id);
			return -1;
		}
		res->old_active = false;
	}
	return retire(k, o->now, o, ops, res, err);
}

int kw_lc_delivered_later(time_t delivered_a, time_t created_a, time_t delivered_b, time_t created_b)
{
	if (delivered_a != delivered_b)
		return delivered_a > delivered_b ? 1 : -1;
	if (created_a != created_b)
		return created_a > created_b ? 1 : -1;
	return 0;
}

/* Whether key a was delivered later than b (kw_lc_delivered_later); a tie is not. */
static bool delivered_later(const struct kw_lc_rot_key *a, const struct kw_lc_rot_key *b)
{
	return a->delivered_at &&
	       kw_lc_delivered_later(a->delivered_at, a->created, b->delivered_at, b->created) > 0;
}

/*
 * A rotation stopped earlier (rotation.h "Resume"): finish it. Returns 1 when it was finished
 * (no new rotation), 0 to rotate as asked (a key nobody holds may have been deleted), -1 with
 * err set (a refusal, KW_ERR_CONFLICT, or a failed call).
 */
static int resume(const struct kw_lc_rot_key *keys, size_t nkeys, const struct kw_lc_rot_opts *o,
                  const struct kw_lc_rot_ops *ops, bool *gone, struct kw_lc_rot_result *res,
                  struct kw_error *err)
{
	long h = -1, other = -1;
	size_t nheld = 0, nactive = 0;
	bool finished = false;

	if (!o->resume || o->current)
		return 0;
	for (size_t i = 0; i < nkeys; i++) {
		nactive += keys[i].active;
		if (keys[i].active && keys[i].held)
			h = (long)i, nheld++;
	}
	if (nheld > 1)
		return refuse(res, err, KW_ERR_CONFLICT,
		              "some delivery targets hold key %s and others key %s (a rotation stopped "
		              "part way through delivery): run 'keywarden apply' to give every target "
		              "one new key, or rewrite the targets that hold the older key, then rotate "
		              "again",
		              keys[0].id, keys[1].id);
	/* no readable target holds an active key: the delivered tag tells for the others */
	for (size_t i = 0; h < 0 && o->targets_unknown && i < nkeys; i++) {
		bool best = keys[i].active && keys[i].delivered_at;

		for (size_t j = 0; best && j < nkeys; j++)
			if (j != i && keys[j].active && !delivered_later(&keys[i], &keys[j]))
				best = false;
		if (best)
			h = (long)i;
	}
	if (h < 0) {
		if (nactive < 2)
			return 0;
		for (size_t i = 0; i < nkeys && other < 0; i++)
			for (size_t j = 0; j < nkeys && other < 0; j++)
				if (i != j && keys[i].active && keys[j].active &&
				    delivered_later(&keys[j], &keys[i]))
					other = (long)i; /* delivered earlier, or never */
		if (other >= 0)
			return refuse(res, err, KW_ERR_CONFLICT,
			              "two active keys (%s, %s) and neither is held by a delivery target "
			              "keywarden manages: delete %s (%s), then rotate again",
			              keys[0].id, keys[1].id, keys[other].id,
			              keys[other].delivered_at ? "delivered earlier"
			                                       : "never tagged delivered");
		return refuse(res, err, KW_ERR_CONFLICT,
		              "two active keys (%s, %s) and neither is held by a delivery target keywarden "
		              "manages, nor tells its delivered tag which is newer: delete the one not in "
		              "use ('keywarden audit' shows their last use), then rotate again",
		              keys[0].id, keys[1].id);
	}
	for (size_t i = 0; i < nkeys; i++) {
		const struct kw_lc_rot_key *k = &keys[i];

		if ((long)i == h || k->held)
			continue;
		if (k->active && !k->delivered_at && !o->targets_unknown) {
			/* stopped before delivery: nobody holds it; then rotate as asked */
			kw_log(KW_LOG_INFO,
			       "access key %s: no delivery target holds it and it was never "
			       "delivered (a rotation stopped before delivery): deleting it",
			       k->id);
			res->failed = KW_LC_ROT_DELETE_INACTIVE;
			if (ops->delete_key(ops->ctx, k->id, err))
				return kw_error_prefix(err, "delete undelivered key %s", k->id);
			if (res->nremoved < 2)
				copy_id(res->removed[res->nremoved++], k->id);
			untag(ops, k->id);
			gone[i] = true;
			continue;
		}
		/* inactive: retired already (grace tag), or never keywarden's delivery (no delivered
		 * tag: deactivated by hand, which make_room's rules judge) */
		if (!k->active &&
		    (k->inactive_since || !k->delivered_at || (!ops->tag_grace && !o->delete_old)))
			continue;
		if (k->active && !k->delivered_at) /* a target that cannot be read may hold it */
			return refuse(res, err, KW_ERR_CONFLICT,
			              "two active keys (%s, %s): the targets hold %s, and %s was never "
			              "tagged delivered but may have reached a target keywarden cannot read "
			              "(%s): if it did not, delete %s, then rotate again",
			              keys[h].id, k->id, keys[h].id, k->id, "stdout or exec", k->id);
		/* stopped before deactivation, or before retiring: finish it */
		if (kw_lc_retire_old(k, keys[h].id, o, ops, res, err))
			return -1;
		finished = true;
	}
	if (!finished)
		return 0;
	res->resumed = true;
	res->written = 0;
	snprintf(res->state, sizeof(res->state),
	         "finished a rotation stopped earlier: key %s is held by the targets, old key %s %s",
	         res->new_id, res->old_id, res->old_deleted ? "deleted" : "inactive");
	return 1;
}

int kw_lc_rotate(const struct kw_lc_rot_key *all, size_t nkeys, const struct kw_lc_rot_opts *o,
                 const struct kw_lc_rot_ops *ops, struct kw_lc_rot_result *res, struct kw_error *err)
{
	struct kw_lc_rot_key left[KW_LC_ROT_KEYS_MAX];
	const struct kw_lc_rot_key *keys = all;
	bool gone[KW_LC_ROT_KEYS_MAX] = {false};
	size_t nleft = 0;
	struct kw_secret *secret = NULL;
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
	if (nkeys > KW_LC_ROT_KEYS_MAX) {
		kw_error_set(err, KW_ERR_INVALID, NULL, "%zu access keys listed (IAM allows 2)", nkeys);
		goto out;
	}
	switch (resume(all, nkeys, o, ops, gone, res, err)) {
	case 1: goto done;
	case -1:
		if (!res->state[0])
			snprintf(res->state, sizeof(res->state), "nothing created%s%s%s",
			         *res->old_id ? "; old key " : "", res->old_id,
			         *res->old_id ? " is unchanged" : "");
		goto out;
	}
	for (size_t i = 0; i < nkeys; i++) /* without the keys resume deleted */
		if (!gone[i])
			left[nleft++] = all[i];
	keys = left;
	nkeys = nleft;
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

	if (retire(&keys[old], created ? created : o->now, o, ops, res, err))
		goto out;
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
