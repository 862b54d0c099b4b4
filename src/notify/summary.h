/*
 * summary.h - what --notify sends: one JSON message and a short subject per run.
 *
 *   audit:  {"source": "keywarden", "kind": "audit", "subject", "time", "accounts_audited",
 *            "accounts_with_findings", "findings", "codes": {CODE: N},
 *            "accounts": [{"user", "manifest"?, "max_age_days", "access_keys_rotated",
 *                          "keys": [keyjson.h objects], "findings": [{"code", "resource",
 *                          "message"}]}]}       (only the accounts that have findings)
 *   rotate: {"source": "keywarden", "kind": "rotate", "subject", "time", "rotated", "failed",
 *            "rotations": [{"account", "result": "rotated"|"failed", "old_access_key_id",
 *                           "new_access_key_id", "delivered", "failed_step", "state", "error"}]}
 *
 * Subjects: "keywarden audit: 3 findings in 2 accounts", "keywarden rotate: 2 rotated, 1
 * failed" (ASCII, under 100 characters: SNS's Subject limit). Never a secret: key ids, user
 * names, dates, codes and error messages (which never hold secrets, util/error.h) only.
 */
#ifndef KW_NOTIFY_SUMMARY_H
#define KW_NOTIFY_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lifecycle/audit.h"
#include "lifecycle/rotation.h"
#include "util/error.h"

/*
 * kw_notify_audit_message - the audit summary as JSON text (new, free()) and its subject.
 * @subjects: the audited accounts (borrowed pointers, n of them).
 * @f: the findings of the run (their user names match subjects' users).
 * @max_access_key_age: maxAccessKeyAge for access_keys_rotated (days, > 0).
 * @subject: receives the subject (size bytes, >= 100).
 * Returns the text, or NULL when out of memory.
 */
char *kw_notify_audit_message(const struct kw_lc_subject *const *subjects, size_t n,
                              const struct kw_lc_findings *f, time_t now, int max_access_key_age,
                              char *subject, size_t size);

struct kw_lc_auditor;
struct kw_notify_list;
struct kw_notify_env;

/*
 * kw_notify_audit_send - with findings, the audit summary of A's users (the missing left out;
 * kw_notify_audit_message at A->now) to every target (notify.h kw_notify_list_send); a clean
 * audit, or no target, sends nothing (a clean one logs that).
 * Returns 0, or -1 with err set.
 */
int kw_notify_audit_send(const struct kw_lc_auditor *A, int max_access_key_age,
                         const struct kw_notify_list *targets, const struct kw_notify_env *env,
                         struct kw_error *err);

/* One rotation that ran (or was refused) for the rotate summary. */
struct kw_notify_rotation {
	const char *account;                /* "service-x" or "profile p" (borrowed) */
	bool ok;                            /* rotated */
	const struct kw_lc_rot_result *res; /* what happened (borrowed), or NULL (refused before) */
	const char *delivered;              /* "profile x, file y", or NULL */
	const char *error;                  /* the error message when !ok (borrowed), or NULL */
	size_t index;                       /* the account's place in the run (kw_notify_rotations) */
};

/* kw_notify_rotate_message - the rotate summary as JSON text (new, free()) and its subject. */
char *kw_notify_rotate_message(const struct kw_notify_rotation *r, size_t n, time_t now, char *subject,
                               size_t size);

/*
 * The rotations of a run as they end (several accounts at once: in any order), kept in the
 * accounts' order: by index, and in the order they came for one index (the profiles of one
 * rotate). Every string and result in v is owned (copies of what the events lend).
 */
struct kw_notify_rotations {
	struct kw_notify_rotation *v;
	size_t n;
};

/*
 * kw_notify_rotations_add - keep a copy of one rotation of the account of index: ok, res (may
 * be NULL: refused before any change), delivered (may be NULL), and when !ok err's "where: msg".
 * Returns 0, or -1 when out of memory (nothing kept).
 */
int kw_notify_rotations_add(struct kw_notify_rotations *l, size_t index, const char *account, bool ok,
                            const struct kw_lc_rot_result *res, const char *delivered,
                            const struct kw_error *err);

/*
 * kw_notify_rotations_send - the summary of l (kw_notify_rotate_message, now) to every target
 * (notify.h kw_notify_list_send); nothing when there is no target or no rotation.
 * Returns 0, or -1 with err set.
 */
int kw_notify_rotations_send(const struct kw_notify_rotations *l, const struct kw_notify_list *targets,
                             const struct kw_notify_env *env, time_t now, struct kw_error *err);

/* kw_notify_rotations_release - free every copy; l becomes empty. */
void kw_notify_rotations_release(struct kw_notify_rotations *l);

#endif
