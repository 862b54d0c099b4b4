/*
 * cache.c - the AWS CLI's credential cache (cache.h). Source: botocore credentials.py
 * CachedCredentialFetcher._create_cache_key, utils.JSONFileCache.
 */
#include "aws/credentials/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/credentials.h"
#include "aws/credentials/provider.h"
#include "aws/profile.h"
#include "aws/wipe.h"
#include "aws/xml.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/vocab.h"

#define CACHE_DIR "~/.aws/cli/cache"
#define CACHE_MAX (64 * 1024)

/* `"name": "value"` as Python's json.dumps writes it (ASCII values: " and \ escaped). */
static int put_str(struct kw_buf *b, const char *name, const char *v)
{
	if (kw_buf_appendf(b, "%s\"%s\": \"", b->len > 1 ? ", " : "", name))
		return -1;
	for (; *v; v++)
		if ((*v == '"' || *v == '\\') ? kw_buf_appendf(b, "\\%c", *v) : kw_buf_putc(b, *v))
			return -1;
	return kw_buf_putc(b, '"');
}

char *kw_cred_cache_path(const struct kw_cred_cache_key *k)
{
	struct kw_buf b = KW_BUF_INIT, p = KW_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *dir = NULL, *out = NULL;
	int f;

	/* keys in sorted order: DurationSeconds, ExternalId, RoleArn, RoleSessionName, SerialNumber */
	f = kw_buf_putc(&b, '{');
	if (!f && k->duration_seconds > 0)
		f = kw_buf_appendf(&b, "\"DurationSeconds\": %d", k->duration_seconds);
	if (!f && k->external_id)
		f = put_str(&b, "ExternalId", k->external_id);
	if (!f)
		f = put_str(&b, "RoleArn", k->role_arn);
	if (!f && k->role_session_name)
		f = put_str(&b, "RoleSessionName", k->role_session_name);
	if (!f && k->serial_number)
		f = put_str(&b, "SerialNumber", k->serial_number);
	if (!f)
		f = kw_buf_putc(&b, '}');
	if (f || !EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha1(), NULL) ||
	    !(dir = kw_aws_expand_home(CACHE_DIR)))
		goto out;
	if (kw_buf_appendf(&p, "%s/", dir))
		goto out;
	for (unsigned int i = 0; i < mdlen; i++)
		if (kw_buf_appendf(&p, "%02x", md[i]))
			goto out;
	if (kw_buf_puts(&p, ".json"))
		goto out;
	out = kw_buf_detach(&p);
out:
	free(dir);
	kw_buf_release(&b);
	kw_buf_release(&p);
	return out;
}

int kw_cred_cache_load(const char *path, time_t now, struct kw_aws_credentials *out, char **arn)
{
	struct kw_secret *text = NULL;
	json_t *root = NULL, *cr;
	const char *id, *sk, *tok, *exp, *a;
	time_t t;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	*arn = NULL;
	if (kw_cred_read_secret_file(path, CACHE_MAX, &text, NULL))
		return 0;
	kw_wipe_install_jansson();
	root = json_loadb((const char *)text->data, text->len, 0, NULL);
	cr = json_object_get(root, "Credentials");
	id = json_string_value(json_object_get(cr, "AccessKeyId"));
	sk = json_string_value(json_object_get(cr, "SecretAccessKey"));
	tok = json_string_value(json_object_get(cr, "SessionToken"));
	exp = json_string_value(json_object_get(cr, "Expiration"));
	a = json_string_value(json_object_get(json_object_get(root, "AssumedRoleUser"), "Arn"));
	if (!id || !*id || !sk || !*sk || !tok || !*tok || !exp || kw_iso8601_parse(exp, &t) ||
	    t - now <= KW_CRED_CACHE_WINDOW)
		goto out;
	out->access_key_id = strdup(id);
	out->secret = kw_secret_from(sk, strlen(sk));
	out->session_token = kw_secret_from(tok, strlen(tok));
	out->expiration = t;
	if (a)
		*arn = strdup(a);
	if (!out->access_key_id || !out->secret || !out->session_token) {
		kw_aws_credentials_release(out);
		goto out;
	}
	rc = 1;
out:
	json_decref(root);
	kw_secret_free(text);
	return rc;
}

/* mkdir -p for the cache folder, each new level 0700. */
static int make_dirs(const char *path, struct kw_error *err)
{
	char *d = strdup(path);
	int rc = 0;

	if (!d)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (char *s = strchr(d + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(d, 0700) && errno != EEXIST) {
			rc = kw_error_set(err, KW_ERR_IO, d, "cannot create folder: %s", strerror(errno));
			break;
		}
		*s = '/';
	}
	free(d);
	return rc;
}

int kw_cred_cache_store(const char *path, const struct kw_aws_credentials *c, const char *arn,
                        struct kw_error *err)
{
	char exp[32];
	json_t *root;
	char *text = NULL;
	int rc = -1;

	kw_wipe_install_jansson();
	kw_iso8601_format(c->expiration, exp, sizeof(exp)); /* botocore parses it as its own */
	root = json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:s?}, s:{}}", "Credentials", "AccessKeyId",
	                 c->access_key_id, "SecretAccessKey", kw_secret_str(c->secret), "SessionToken",
	                 kw_secret_str(c->session_token), "Expiration", exp, "AssumedRoleUser", "Arn", arn,
	                 "ResponseMetadata");
	if (!root || !(text = json_dumps(root, JSON_COMPACT))) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (make_dirs(path, err) || kw_atomic_write(path, text, strlen(text), 0600, 0, err))
		goto out;
	rc = 0;
out:
	if (text)
		kw_wipe_free(text);
	json_decref(root);
	return rc;
}
