/*
 * keyjson.h - one access key as JSON, the same object in `audit -o json` and in the
 * notifications (notify/summary.h), so the two never drift apart. No secret is in it.
 */
#ifndef KW_LIFECYCLE_KEYJSON_H
#define KW_LIFECYCLE_KEYJSON_H

#include <jansson.h>
#include <time.h>

#include "lifecycle/audit.h"

/*
 * kw_lc_key_json - a new object for key k of user: user, access_key_id (the report slot
 * "access_key_N" when the id is unknown), status, age_days, days_since_creation (the same
 * whole days), created, last_used/last_used_service/last_used_region (when used),
 * inactive_since/grace_days (grace tag), and AWS Config's view: max_access_key_age and
 * access_keys_rotated (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE; audit.h).
 * @max_access_key_age: the access-keys-rotated rule's maxAccessKeyAge (days, > 0).
 * Returns the object (the caller owns a reference), or NULL when out of memory.
 */
json_t *kw_lc_key_json(const char *user, const struct kw_lc_key *k, time_t now, int max_access_key_age);

#endif
