/*
 * sink.h - delivery of a new access key to where it is used (a manifest's accessKeys.deliver):
 * a profile in the AWS shared credentials file, a file, a stream (stdout), a command's standard
 * input, an AWS Secrets Manager secret or an SSM SecureString parameter. Every kind is one row
 * of the table in sink.c (deliver, replace for rotate, preflight, remove for destroy); the
 * secret stores are in secretsmanager.c and ssmparameter.c, the preflight of local targets in
 * preflight.c, the formats in format.h.
 *
 * Invariants: the secret access key is only read from its struct kw_secret; every byte string
 * that contains it (the JSON text, the new credentials file) is a struct kw_secret too, wiped
 * when freed; it never reaches argv, the environment, a log line or an error message. Files are
 * written with kw_atomic_write, mode 0600, never through a symbolic link. A sink either delivers
 * the whole key or fails with err set; there is no undo: when any sink fails the engine deletes
 * the key in IAM, so that there is never a key that nobody holds.
 * Deliveries that write a file (profile, file) hold that file's lock (keys/lock.h) from reading
 * it to renaming its new version into place: concurrent deliveries into one credentials file,
 * from threads of this run or from another keywarden process, lose no profile.
 *
 * The JSON (for file, stdout and exec) is one object, keys in this order, then "\n":
 *   {"AccessKeyId": "AKIA...", "SecretAccessKey": "...", "UserName": "service-ansible",
 *    "CreateDate": "2026-11-29T17:47:25Z"}
 * (indented by 2 spaces for file and exec, on one line for a stream; CreateDate in ISO 8601 UTC,
 * as IAM's CreateAccessKey returns it).
 */
#ifndef KW_KEYS_SINK_H
#define KW_KEYS_SINK_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "keys/format.h"

struct kw_aws_options;
struct kw_buf;
struct kw_deliver;
struct kw_error;
struct kw_manifest;
struct kw_secret;

/* A new access key as CreateAccessKey returned it. Everything is borrowed. */
struct kw_access_key {
	const char *access_key_id;                 /* "AKIA..." */
	const struct kw_secret *secret_access_key; /* the secret */
	const char *user_name;                     /* IAM user name */
	time_t create_date;                        /* seconds since the Unix epoch, UTC */
};

enum kw_key_sink_kind {
	KW_KEY_SINK_PROFILE,         /* profile: NAME */
	KW_KEY_SINK_FILE,            /* file: PATH */
	KW_KEY_SINK_STDOUT,          /* stdout */
	KW_KEY_SINK_EXEC,            /* exec: CMD */
	KW_KEY_SINK_SECRETS_MANAGER, /* secretsManager: {name, region, kmsKeyId, format, profile} */
	KW_KEY_SINK_SSM_PARAMETER,   /* ssmParameter: {name, region, kmsKeyId, tier, format, profile} */
	KW_KEY_SINK_NKINDS
};

/* One delivery target. Everything is borrowed. */
struct kw_key_sink {
	enum kw_key_sink_kind kind;
	const char *target;        /* profile name, file path, shell command, secret name or ARN, parameter
	                     * name; unused for stdout */
	const char *region;        /* profile: `region` in the config file, NULL to leave it as is;
	                     * stores: the store's region, NULL for the operator's */
	const char *output;        /* profile only: `output` in the config file, NULL to leave it as is */
	FILE *fp;                  /* stdout only: the stream (the command's ctx->out) */
	const char *cwd;           /* exec only: folder the command runs in (the manifest's), NULL = ours */
	enum kw_key_format format; /* file, stdout, exec, stores: what they receive (default json) */
	const char *tmpl;          /* format template: the template */
	const char *kms_key_id;    /* stores: KMS key id, ARN or alias; NULL for the AWS managed key */
	const char *tier;          /* ssmParameter: Standard, Advanced, Intelligent-Tiering or NULL */
	const char *profile;       /* stores: the profile whose credentials write the store; NULL
	                            * for the operator's own (the same chain as IAM) */
	const struct kw_aws_options *aws; /* stores: the operator's client options (the command's
	                                   * --profile, --region, --endpoint-url); set by the engine */
	const char *const *held;          /* kw_keys_remove of a profile: the access key ids the user
	                                   * had (read from IAM before the destroy); a profile holding
	                                   * none of them is kept */
	size_t nheld;
	const char *credentials_file; /* profile: the shared credentials file and the config file */
	const char *config_file;      /* to use (keys/record.h); NULL: found as the chain finds them */
};

/*
 * kw_keys_sink_from_manifest - the sink for a manifest's accessKeys.deliver entry d: profile
 * name, region and output; the file path (already resolved); the command, run in the manifest's
 * folder; stdout writes to out.
 * @m:   the manifest d belongs to (borrowed; its dir becomes the exec sink's cwd).
 * @d:   the entry (borrowed; the sink points into it: keep m alive while using the sink).
 * @out: the stream for the stdout target (borrowed; the command's ctx->out).
 */
void kw_keys_sink_from_manifest(const struct kw_manifest *m, const struct kw_deliver *d, FILE *out,
                                struct kw_key_sink *sink);

/*
 * kw_keys_sink_describe - a short, secret-free name for progress lines and errors:
 * "profile service-ansible", "file /path/key.json", "stdout", "exec 'vault write ...'",
 * "secretsManager NAME (REGION)", "ssmParameter NAME (REGION)".
 * Written into buf (size bytes, always NUL-terminated, truncated if needed); returns buf.
 */
const char *kw_keys_sink_describe(const struct kw_key_sink *sink, char *buf, size_t size);

/*
 * kw_keys_deliver - deliver key to one sink (the sink table's deliver). A secret store's
 * delivery includes its read-back: it succeeds only when the store answers with the version
 * just written holding exactly the value sent.
 * Returns 0, or -1 with err set; err->where names the sink ("profile service-ansible",
 * a path, "exec") but never the secret.
 */
int kw_keys_deliver(const struct kw_key_sink *sink, const struct kw_access_key *key, struct kw_error *err);

/*
 * kw_keys_replace - deliver key to a sink that already holds the key it replaces (rotate): a
 * file is replaced atomically instead of refused; every other kind delivers as above (a
 * secret gets a new AWSCURRENT version, the old key staying AWSPREVIOUS).
 */
int kw_keys_replace(const struct kw_key_sink *sink, const struct kw_access_key *key, struct kw_error *err);

/*
 * kw_keys_preflight - check, before any IAM write, that sink can take a key: files and the
 * shared credentials/config files (folder exists and is writable, the file is not a symbolic
 * link, not read-only, not another user's; for apply an existing key file is refused, for
 * rotate (replace) it must exist), the command of exec exists, a secret store answers a
 * read-only probe (DescribeSecret / GetParameter) with the operator's credentials without
 * AccessDenied, and an existing secret or parameter is keywarden's own for user_name
 * (tagged managed-by: keywarden and keywarden:user).
 * Returns 0, or -1 with err set (KW_ERR_USAGE, KW_ERR_IO, KW_ERR_AUTH, KW_ERR_CONFLICT,
 * KW_ERR_AWS), the message naming the target.
 */
int kw_keys_preflight(const struct kw_key_sink *sink, const char *user_name, bool replace,
                      struct kw_error *err);

/*
 * kw_keys_sweep - for a file or profile sink: wipe and remove what a write killed between its
 * temporary file and the rename left in the target's folder (util/atomic.h kw_atomic_sweep;
 * only files no live process holds). Other kinds have nothing local. Errors are ignored.
 */
void kw_keys_sweep(const struct kw_key_sink *sink);

/* What a delivery target holds (kw_keys_held). */
enum kw_key_held {
	KW_KEY_HELD_UNKNOWN, /* cannot tell: write-only (stdout, exec), or this run cannot read it */
	KW_KEY_HELD_NONE,    /* no key: the file, profile, secret or parameter does not exist (yet) */
	KW_KEY_HELD_KEY,     /* an access key, whose id kw_keys_held returns */
	KW_KEY_HELD_OTHER,   /* something that is not an access key (a file of other content) */
};

/*
 * kw_keys_held - which access key sink holds now, read from the target itself: a profile's
 * aws_access_key_id in the shared credentials file, the key id in a key file (kw_keys_key_id_in,
 * any format), the key id in a secret's AWSCURRENT version (AWSPREVIOUS is a fallback for
 * readers, not a holder) or in a parameter's value. The secret is never kept: what is read is
 * wiped. A write-only target (stdout, exec) is KW_KEY_HELD_UNKNOWN, and so is one this run cannot
 * read (no permission to read a secret's value, an unreadable file): callers then fall back on
 * the user's delivered tags.
 * @id:  receives the key id (KW_KEYS_ID_MAX bytes) for KW_KEY_HELD_KEY, else "".
 * @why: when not NULL, for KW_KEY_HELD_UNKNOWN: why (kind KW_ERR_NONE for a write-only kind).
 * Returns what the target holds.
 */
enum kw_key_held kw_keys_held(const struct kw_key_sink *sink, char id[KW_KEYS_ID_MAX], struct kw_error *why);

/*
 * kw_keys_held_secret - the secret of key id that sink holds, read as kw_keys_held reads: for
 * finishing a delivery that stopped part way (rotate gives the key the other targets lack),
 * its only use. The secret goes into a new kw_secret (wiped when freed), nowhere else.
 * Returns 0 with *secret set, or -1 with err set (the target no longer holds id, cannot be
 * read, or does not say which part is the secret, as a template).
 */
int kw_keys_held_secret(const struct kw_key_sink *sink, const char *id, struct kw_secret **secret,
                        struct kw_error *err);

/* kw_keys_id_among - whether access key id is one of ids[0..n) (NULL entries skipped). */
bool kw_keys_id_among(const char *id, const char *const *ids, size_t n);

/* What kw_keys_remove did. */
enum kw_key_removed {
	KW_KEY_REMOVED_NOTHING, /* the kind keeps nothing keywarden can remove (stdout, exec) */
	KW_KEY_REMOVED,         /* deleted */
	KW_KEY_REMOVED_ABSENT,  /* there was nothing to remove */
	KW_KEY_REMOVED_FOREIGN, /* kept: not keywarden's for this user (tags, or not a key file) */
};

/*
 * kw_keys_remove - destroy: remove what keywarden delivered to sink for user_name: a file
 * target (only a regular file holding that user's key), a secret (deleted without recovery
 * window: the key it holds is deleted too) or a parameter, each only when tagged
 * managed-by: keywarden and keywarden:user: user_name; a profile only when its
 * aws_access_key_id is one of sink->held: its section in the shared credentials file and its
 * section in the config file go (under each file's lock, atomically; every other byte stays),
 * or, when a section also holds settings keywarden never writes, only keywarden's keys
 * (aws_access_key_id, aws_secret_access_key, aws_session_token; region, output) go.
 * Returns 0 with *what set, or -1 with err set.
 */
int kw_keys_remove(const struct kw_key_sink *sink, const char *user_name, enum kw_key_removed *what,
                   struct kw_error *err);

/* Secrets and parameters that kw_keys_find_stores found tagged for a user. */
struct kw_key_stores_found {
	char **names; /* owned: each secret's or parameter's name */
	size_t n;
	char *region; /* owned: the region searched (resolved as the store client resolves it) */
};

/*
 * kw_keys_find_stores - destroy without a manifest (or beyond its targets): the entries of one
 * store kind that keywarden tagged for user_name, in where's region with where's credentials
 * (where->aws, ->region, ->profile as for a delivery; where->kind says which store):
 * Secrets Manager ListSecrets with the filters tag-key keywarden:user and tag-value user_name
 * (prefix matches, so each secret's tags are then checked exactly: managed-by: keywarden and
 * keywarden:user: user_name); SSM DescribeParameters with the filter tag:keywarden:user Equals
 * user_name (managed-by is checked by kw_keys_remove). Every page is read. Both listings are
 * eventually consistent: an entry written in the last minutes may be missing.
 * @out: zeroed on entry; release with kw_keys_stores_found_release in every case.
 * Returns 0, or -1 with err set (KW_ERR_AUTH / AccessDenied: the operator may not list them).
 * Source: AWS Secrets Manager API Reference, ListSecrets (Filter); AWS Systems Manager API
 * Reference, DescribeParameters (ParameterStringFilter).
 */
int kw_keys_find_stores(const struct kw_key_sink *where, const char *user_name,
                        struct kw_key_stores_found *out, struct kw_error *err);

/* kw_keys_stores_found_release - free what f owns; f becomes all zero. */
void kw_keys_stores_found_release(struct kw_key_stores_found *f);

/*
 * kw_keys_json - the JSON object above, as text ending in "\n".
 * @out: receives it (new; free with kw_secret_free).
 * Built with jansson and dumped with json_dumpb straight into the kw_secret; jansson's own
 * copy of the secret (inside the json_t string) is wiped before json_decref, so no unwiped
 * copy remains on the heap.
 * Returns 0, or -1 with err set (KW_ERR_INVALID for missing fields, KW_ERR_NOMEM).
 */
int kw_keys_json(const struct kw_access_key *key, struct kw_secret **out, struct kw_error *err);

/* kw_keys_json_line - the same JSON on one line (compact), then "\n". */
int kw_keys_json_line(const struct kw_access_key *key, struct kw_secret **out, struct kw_error *err);

/*
 * kw_keys_deliver_file - create path holding the JSON, mode 0600, atomically, refusing to
 * overwrite an existing file and refusing a symbolic link (kw_atomic_write, KW_ATOMIC_NO_CLOBBER).
 * Returns 0, or -1 with err set (KW_ERR_CONFLICT when path exists, KW_ERR_IO).
 */
int kw_keys_deliver_file(const char *path, const struct kw_access_key *key, struct kw_error *err);

/*
 * kw_keys_replace_file - like kw_keys_deliver_file, but an existing file is replaced
 * (atomically, still 0600, still never through a symbolic link): for rotate, whose file
 * targets already hold the key being replaced.
 * Returns 0, or -1 with err set (KW_ERR_IO).
 */
int kw_keys_replace_file(const char *path, const struct kw_access_key *key, struct kw_error *err);

/*
 * kw_keys_deliver_stream - write the JSON to fp as one line (compact, no indentation, then
 * "\n"; several keys on one stream are JSON Lines): fp is flushed, then the line goes straight
 * to its descriptor (no copy in stdio's buffer; a closed pipe is EPIPE, not SIGPIPE), or
 * through fwrite for a stream without one (fmemopen).
 * Returns 0, or -1 with err set (KW_ERR_IO).
 */
int kw_keys_deliver_stream(FILE *fp, const struct kw_access_key *key, struct kw_error *err);

/*
 * kw_keys_deliver_exec - run `/bin/sh -c cmd` in folder cwd (NULL: ours) with the JSON on its
 * standard input (never in argv or the environment) and wait for it; see kw_exec_stdin
 * (util/exec.h).
 * Returns 0 when it read everything and exited 0, or -1 with err set (KW_ERR_IO naming cmd).
 */
int kw_keys_deliver_exec(const char *cmd, const char *cwd, const struct kw_access_key *key,
                         struct kw_error *err);

/*
 * kw_keys_deliver_profile - store key as profile `name`, the way `aws configure --profile name`
 * does: in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials)
 * section [name] gets aws_access_key_id and aws_secret_access_key, and a stale
 * aws_session_token is removed; in the config file (AWS_CONFIG_FILE, else ~/.aws/config)
 * section [profile name] ([default] for "default") gets region and output when given.
 * Every other line, comment, blank line and line ending (CRLF too) is kept byte for byte; a
 * missing file or section is created; ~/.aws is created 0700 when missing; both files are
 * written atomically with mode 0600. The credentials file is edited first, the config file
 * second. Used by apply (profile sinks) and by rotate --profile (self-rotation, issue 7).
 * @name:   profile name (borrowed); "default" is the [default] section in both files.
 * @key:    the key (borrowed).
 * @region: region to set in the config file, or NULL to leave it as is (borrowed).
 * @output: output format to set in the config file, or NULL to leave it as is (borrowed).
 * Returns 0, or -1 with err set (KW_ERR_INVALID for a bad profile name or unparsable file,
 * KW_ERR_IO). When the config edit fails the credentials file has already been written.
 * Source: AWS CLI User Guide, "Configuration and credential file settings"; `aws configure`.
 */
int kw_keys_deliver_profile(const char *name, const struct kw_access_key *key, const char *region,
                            const char *output, struct kw_error *err);

/*
 * kw_keys_credentials_path / kw_keys_config_path - where the shared credentials file and the
 * config file are, exactly as the credential chain finds them (kw_aws_shared_file_path in
 * aws/profile.h): $AWS_SHARED_CREDENTIALS_FILE / $AWS_CONFIG_FILE when set and not empty (a
 * leading "~/" expanded), else ~/.aws/credentials / ~/.aws/config.
 * @out: receives the path (appended to an empty, owned buffer).
 * Returns 0, or -1 with err set (KW_ERR_NOMEM).
 * Source: AWS SDKs and Tools Reference Guide, "Location of the shared files".
 */
int kw_keys_credentials_path(struct kw_buf *out, struct kw_error *err);
int kw_keys_config_path(struct kw_buf *out, struct kw_error *err);

#endif
