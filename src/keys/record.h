/*
 * record.h - the local record of where keywarden wrote each service account's keys: every
 * `file:` and `profile:` target a confirmed delivery wrote, per AWS account and IAM user, so
 * that pruning (`apply --prune-accounts`) and `destroy NAME` of an account whose manifest is
 * gone can still remove them. IAM cannot hold it (the user's tag budget is full, and those
 * paths belong to the machine that applied), so it lives beside the user's other local state.
 *
 * Where: STATE/targets/ACCOUNT/USER.json, STATE being (first that applies)
 *   - the folder kw_key_record_set_dir was given (--state-dir, or stateDir: in keywarden.yaml);
 *   - $XDG_STATE_HOME/keywarden, when XDG_STATE_HOME is set to an absolute path;
 *   - ~/.local/state/keywarden.
 * USER is the IAM user name in lower case (IAM names ignore case); folders are made 0700.
 *
 * What (version 1, JSON, mode 0600, written atomically - and only when it changes - under the
 * lock of its account's folder, STATE/targets/ACCOUNT.lock, keys/lock.h):
 *   {"version": 1, "account": "123456789012", "user": "service-app",
 *    "targets": [{"kind": "file", "path": "/abs/key.json", "keyId": "AKIA...",
 *                 "written": "2026-12-01T15:00:00Z"},
 *                {"kind": "profile", "name": "service-app",
 *                 "credentialsFile": "/home/u/.aws/credentials", "configFile": "/home/u/.aws/config",
 *                 "keyId": "AKIA...", "written": "..."}]}
 * Never a secret: paths, profile names, the account, the user and the id of the key delivered
 * last. A target stays recorded when a later manifest no longer names it (the file keywarden
 * wrote is still there); its keyId is then the key it was given last.
 * Source: XDG Base Directory Specification 0.8 ($XDG_STATE_HOME, relative paths ignored).
 */
#ifndef KW_KEYS_RECORD_H
#define KW_KEYS_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "keys/sink.h"

struct kw_buf;
struct kw_error;

#define KW_KEY_RECORD_VERSION 1

/* One recorded target. Strings owned. */
struct kw_key_record_target {
	enum kw_key_sink_kind kind; /* KW_KEY_SINK_FILE or KW_KEY_SINK_PROFILE */
	char *target;               /* file: its absolute path; profile: the profile name */
	char *credentials_file;     /* profile: the shared credentials file it was written to */
	char *config_file;          /* profile: the config file */
	char *key_id;               /* the access key id delivered there last */
	char *written;              /* when (ISO 8601 UTC) */
};

/* One account's record. Strings owned. */
struct kw_key_record {
	char *account; /* the 12-digit AWS account id */
	char *user;    /* the IAM user name */
	char *path;    /* the record file */
	struct kw_key_record_target *v;
	size_t n;
};

/*
 * kw_key_record_set_dir - use dir (borrowed; must outlive every use) as STATE instead of the
 * XDG default; NULL goes back to the default. Call before any thread records.
 */
void kw_key_record_set_dir(const char *dir);

/*
 * kw_key_record_dir - STATE, as above, appended to out (an empty owned buffer).
 * Returns 0, or -1 with err set (KW_ERR_NOMEM).
 */
int kw_key_record_dir(struct kw_buf *out, struct kw_error *err);

/*
 * kw_key_record_delivered - note that key_id was delivered (and confirmed) to sinks[0..n) of
 * user in AWS account: each file and profile target gets (or keeps, updated) its entry; other
 * kinds are not recorded (stores are found by their tags, stdout and exec keep nothing). No
 * file or profile target and no record yet: nothing is written.
 * Returns 0, or -1 with err set (KW_ERR_IO naming the record, KW_ERR_INVALID for an account
 * or user that cannot name a file, KW_ERR_NOMEM).
 */
int kw_key_record_delivered(const char *account, const char *user, const char *key_id,
                            const struct kw_key_sink *sinks, size_t n, struct kw_error *err);

/*
 * kw_key_record_note - kw_key_record_delivered, called once a delivery is confirmed (account
 * as engine/live.h kw_live_account_id reads it from the user's ARN; NULL or "" when unknown):
 * a failure is warned (the key is delivered and works; only pruning without the manifest would
 * miss its files), never an error.
 */
void kw_key_record_note(const char *account, const char *user, const char *key_id,
                        const struct kw_key_sink *sinks, size_t n);

/*
 * kw_key_record_load - the record of user in account; account NULL: of user in whichever
 * account has one (the account is then unknown, as for a user IAM no longer has).
 * @out: zeroed on entry; no record leaves it empty (n 0, path NULL). Release with
 *       kw_key_record_release in every case.
 * Returns 0, or -1 with err set (KW_ERR_INVALID for a record that is not one, naming it;
 * KW_ERR_CONFLICT when account is NULL and several accounts have a record of user, naming
 * them; KW_ERR_IO).
 */
int kw_key_record_load(const char *account, const char *user, struct kw_key_record *out,
                       struct kw_error *err);

/*
 * kw_key_record_forget - remove r's file (r->path; nothing when NULL), under its lock: the
 * account is gone. Returns 0 (also when it was already gone), or -1 with err set (KW_ERR_IO).
 */
int kw_key_record_forget(const struct kw_key_record *r, struct kw_error *err);

/*
 * kw_key_record_sink - the sink for recorded target t (borrowed: t must outlive sink): kind,
 * path or profile name, and a profile's credentials and config files.
 */
void kw_key_record_sink(const struct kw_key_record_target *t, struct kw_key_sink *sink);

/*
 * kw_key_record_names - whether recorded target t is sink's target: the same kind and file
 * (absolute paths compared), or the same profile in the same credentials file.
 */
bool kw_key_record_names(const struct kw_key_record_target *t, const struct kw_key_sink *sink);

/*
 * kw_key_record_describe - "file /x/key.json, profile service-app" for r's targets into out.
 * Returns 0, or -1 when out of memory.
 */
int kw_key_record_describe(const struct kw_key_record *r, struct kw_buf *out);

/* kw_key_record_release - free what r owns; r becomes all zero. */
void kw_key_record_release(struct kw_key_record *r);

#endif
