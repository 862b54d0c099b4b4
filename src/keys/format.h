/*
 * format.h - what a delivery target receives: the new access key rendered in one of four
 * formats (a manifest's `format:`), always into a wiped struct kw_secret.
 *
 *   json         {"AccessKeyId": ..., "SecretAccessKey": ..., "UserName": ..., "CreateDate": ...}
 *                (sink.h kw_keys_json; indented by 2 for files and commands, one line for
 *                streams and secret stores)
 *   env          AWS_ACCESS_KEY_ID=AKIA...\nAWS_SECRET_ACCESS_KEY=...\n (a dotenv / env file,
 *                as `docker --env-file` and systemd's EnvironmentFile= read it)
 *   credentials  [default]\naws_access_key_id = AKIA...\naws_secret_access_key = ...\n (an AWS
 *                shared credentials file, e.g. for external-dns's AWS_SHARED_CREDENTIALS_FILE)
 *   template     the manifest's `template:` text with {{AccessKeyId}}, {{SecretAccessKey}},
 *                {{UserName}} and {{CreateDate}} replaced (spaces inside the braces allowed);
 *                any other {{...}} is an error found by kw_keys_template_check (validate)
 *
 * Source: AWS CLI User Guide, "Configuration and credential file settings" and "Environment
 * variables to configure the AWS CLI".
 */
#ifndef KW_KEYS_FORMAT_H
#define KW_KEYS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

struct kw_access_key;
struct kw_error;
struct kw_secret;

enum kw_key_format {
	KW_KEY_FORMAT_JSON, /* the default */
	KW_KEY_FORMAT_ENV,
	KW_KEY_FORMAT_CREDENTIALS,
	KW_KEY_FORMAT_TEMPLATE,
};

/* kw_keys_format_name - "json", "env", "credentials", "template" (static). */
const char *kw_keys_format_name(enum kw_key_format f);

/* kw_keys_format_parse - the format named s; returns 0, or -1 for an unknown name. */
int kw_keys_format_parse(const char *s, enum kw_key_format *out);

/*
 * kw_keys_template_check - every {{...}} in tmpl names a field. Returns 0, or -1 with the
 * first unknown field (or "unterminated {{") written into bad (size bytes, NUL-terminated).
 */
int kw_keys_template_check(const char *tmpl, char *bad, size_t size);

/*
 * kw_keys_render - key in format f (tmpl: the template for KW_KEY_FORMAT_TEMPLATE, else
 * unused); compact: JSON on one line.
 * @out: receives the text (new; kw_secret_free).
 * Returns 0, or -1 with err set (KW_ERR_INVALID for an incomplete key or a bad template,
 * KW_ERR_NOMEM).
 */
int kw_keys_render(enum kw_key_format f, const char *tmpl, bool compact, const struct kw_access_key *key,
                   struct kw_secret **out, struct kw_error *err);

/* AccessKeyIds are 16 to 128 characters (IAM API reference, AccessKeyMetadata), + NUL. */
#define KW_KEYS_ID_MAX 129

/*
 * kw_keys_key_id_in - the access key id in text (len bytes; a rendering of any format, or a
 * file or secret value written otherwise): the value of a field labelled AccessKeyId (json) or
 * aws_access_key_id / AWS_ACCESS_KEY_ID (credentials, env), else the first word that starts
 * with AKIA or ASIA; a key id is 16 to 128 of A-Z and 0-9. Never reads it as anything else:
 * text may hold a secret, which is neither copied nor kept.
 * @id: receives the id (size bytes, NUL-terminated).
 * Returns 0, or -1 when text holds no key id (or it does not fit).
 */
int kw_keys_key_id_in(const char *text, size_t len, char *id, size_t size);

/*
 * kw_keys_secret_in - the secret access key in text, as kw_keys_key_id_in finds the id: the
 * value of a field labelled SecretAccessKey (json) or aws_secret_access_key /
 * AWS_SECRET_ACCESS_KEY (credentials, env): 16 to 128 of A-Z a-z 0-9 / + =.
 * @out: receives it (new; kw_secret_free wipes it).
 * Returns 0, or -1 with err set (KW_ERR_NOT_FOUND: no such field, a template; KW_ERR_NOMEM).
 */
int kw_keys_secret_in(const char *text, size_t len, struct kw_secret **out, struct kw_error *err);

#endif
