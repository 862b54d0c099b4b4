/*
 * vocab.h - keywarden's own vocabulary, each word defined once: the tag that marks what
 * keywarden manages, the tags it keeps about access keys (delivered, inactive with a grace
 * period) and their values, and the one ISO 8601 time format they (and AWS) use.
 *
 * Tag keys are compared without regard to case, as IAM does (a user cannot carry two tags whose
 * keys differ only in case); values are compared exactly.
 * Source: AWS IAM User Guide, "Tagging IAM resources" (tag key rules); RFC 3339 / ISO 8601.
 */
#ifndef KW_UTIL_VOCAB_H
#define KW_UTIL_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* managed-by: keywarden, on every user (and MFA device) keywarden creates. */
#define KW_MANAGED_TAG_KEY      "managed-by"
#define KW_MANAGED_TAG_VALUE    "keywarden"
/* The prefix of every tag keywarden keeps about a user's keys; manifests may not use it. */
#define KW_OWN_TAG_PREFIX       "keywarden:"
/* keywarden:user = service-NAME, beside managed-by: keywarden, on a secret or parameter a key
 * was delivered to (src/keys/store.h): whose key it holds. */
#define KW_STORE_USER_TAG       "keywarden:user"
/*
 * On every user apply manages when the run has an owner (--owner, keywarden.yaml): its value.
 * plan lists users with managed-by: keywarden and this owner that no manifest of the run names.
 */
#define KW_OWNER_TAG_KEY        "keywarden:owner"
/* keywarden:delivered:<AccessKeyId> = ISO 8601 time: the key reached every target and worked. */
#define KW_DELIVERED_TAG_PREFIX "keywarden:delivered:"
/* keywarden:inactive:<AccessKeyId> = "<ISO 8601> grace=<N>d": rotate deactivated the key then. */
#define KW_GRACE_TAG_PREFIX     "keywarden:inactive:"
/* Default grace period (days) for an old key kept inactive by rotate. */
#define KW_DEFAULT_GRACE_DAYS   7
/* Grace tag values: "2026-11-29T17:55:00Z grace=7d". */
#define KW_GRACE_VALUE_MAX      48
/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define KW_ISO8601_MAX          21

/* kw_tag_key_eq - whether two tag keys are the same key for IAM (case-insensitive). */
bool kw_tag_key_eq(const char *a, const char *b);

/* kw_tag_is_managed - whether key/value is managed-by: keywarden (THE rule; NULLs: false). */
bool kw_tag_is_managed(const char *key, const char *value);

/* kw_delivered_tag_key - "keywarden:delivered:<id>" into buf. Returns 0, or -1 if it does not fit. */
int kw_delivered_tag_key(const char *id, char *buf, size_t size);

/* kw_grace_tag_key - "keywarden:inactive:<id>" into buf. Returns 0, or -1 if it does not fit. */
int kw_grace_tag_key(const char *id, char *buf, size_t size);

/*
 * kw_grace_format - the grace tag's value for a key deactivated at since with a grace of days:
 * "2026-11-29T17:55:00Z grace=7d" (characters IAM allows in tag values). Returns 0, or -1 if it
 * does not fit.
 */
int kw_grace_format(time_t since, int days, char *buf, size_t size);

/*
 * kw_grace_parse - read a grace tag value back: *since and *days (a value without " grace=Nd"
 * gives KW_DEFAULT_GRACE_DAYS). Returns 0, or -1 when value is malformed.
 */
int kw_grace_parse(const char *value, time_t *since, int *days);

/* kw_iso8601_format - t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (>= KW_ISO8601_MAX bytes; "?" if not). */
void kw_iso8601_format(time_t t, char *buf, size_t size);

/*
 * kw_iso8601_parse - an ISO 8601 time as AWS writes it ("2026-11-29T17:55:00Z", optional
 * fractional seconds, "Z" or "+hh:mm"/"-hh:mm") into *out. Returns 0, or -1 when s is not one.
 */
int kw_iso8601_parse(const char *s, time_t *out);

#endif
