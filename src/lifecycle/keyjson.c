/*
 * keyjson.c - an access key as JSON (keyjson.h).
 */
#include "lifecycle/keyjson.h"

#include <stdio.h>
#include <string.h>

#include "lifecycle/rotation.h"
#include "util/vocab.h"

static const char *known(const struct kw_lc_key *k, const char *s)
{
	return k->last_used && s && *s && strcmp(s, "N/A") ? s : NULL;
}

json_t *kw_lc_key_json(const char *user, const struct kw_lc_key *k, time_t now, int max_access_key_age)
{
	char created[32], used[32], slot[32];
	json_int_t age = (json_int_t)kw_lc_age_days(k->created, now);
	json_t *o;

	if (!k->id)
		snprintf(slot, sizeof(slot), "access_key_%d", k->slot);
	kw_iso8601_format(k->created, created, sizeof(created));
	kw_iso8601_format(k->last_used, used, sizeof(used));
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s?, s:s?, s:s?, s:i, s:s}", "user", user,
	              "access_key_id", k->id ? k->id : slot, "status", k->active ? "Active" : "Inactive",
	              "age_days", age, "days_since_creation", age, "created", created, "last_used",
	              k->last_used ? used : NULL, "last_used_service", known(k, k->last_service),
	              "last_used_region", known(k, k->last_region), "max_access_key_age", max_access_key_age,
	              "access_keys_rotated",
	              kw_lc_compliance_name(kw_lc_access_keys_rotated(k, max_access_key_age, now)));
	if (o && k->inactive_since) {
		char since[32];
		kw_iso8601_format(k->inactive_since, since, sizeof(since));
		json_object_set_new(o, "inactive_since", json_string(since));
		json_object_set_new(o, "grace_days", json_integer(k->grace_days));
	}
	return o;
}
