/*
 * sso.c - the IAM Identity Center (SSO) provider (botocore SSOProvider): a profile with
 * sso_session (and an [sso-session NAME] section: sso_start_url, sso_region) or the legacy
 * sso_start_url + sso_region, and sso_account_id + sso_role_name. The access token is the one
 * `aws sso login` cached in ~/.aws/sso/cache/<sha1>.json (sha1 of the session name, or of the
 * start URL for the legacy form); the role's credentials come from the portal's
 * GetRoleCredentials (GET /federation/credentials, header x-amz-sso_bearer_token, no
 * signature). keywarden never logs in itself: an expired or missing token is an error that
 * says to run `aws sso login --profile NAME`. Endpoint: AWS_ENDPOINT_URL_SSO, the services
 * section's sso, AWS_ENDPOINT_URL, endpoint_url, else https://portal.sso.REGION.amazonaws.com.
 * Source: AWS SDKs and Tools Reference Guide, "IAM Identity Center credential provider";
 * botocore credentials.py SSOProvider, SSOCredentialFetcher; botocore sso service-2.json.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials/provider.h"
#include "aws/endpoint.h"
#include "aws/ini.h"
#include "aws/profile.h"
#include "aws/xml.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/vocab.h"

#define TOKEN_MAX (64 * 1024)

struct sso_state {
	char *profile, *cache_path, *url, *account, *role;
};

static void free_state(void *vs)
{
	struct sso_state *s = vs;

	if (!s)
		return;
	free(s->profile);
	free(s->cache_path);
	free(s->url);
	free(s->account);
	free(s->role);
	free(s);
}

/* ~/.aws/sso/cache/<sha1 hex of key>.json */
static char *token_path(const char *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct kw_buf b = KW_BUF_INIT;
	char *dir = kw_aws_expand_home("~/.aws/sso/cache"), *out = NULL;

	if (!dir || !EVP_Digest(key, strlen(key), md, &n, EVP_sha1(), NULL) || kw_buf_appendf(&b, "%s/", dir))
		goto out;
	for (unsigned int i = 0; i < n; i++)
		if (kw_buf_appendf(&b, "%02x", md[i]))
			goto out;
	if (!kw_buf_puts(&b, ".json"))
		out = kw_buf_detach(&b);
out:
	free(dir);
	kw_buf_release(&b);
	return out;
}

/* expiresAt as the CLI writes it: ISO 8601 with Z or an offset, or the older "...UTC". */
static int parse_expiry(const char *v, time_t *out)
{
	char buf[40];
	size_t n = strlen(v);

	if (n > 3 && n < sizeof(buf) && !strcmp(v + n - 3, "UTC")) {
		snprintf(buf, sizeof(buf), "%.*sZ", (int)(n - 3), v);
		return kw_iso8601_parse(buf, out);
	}
	return kw_iso8601_parse(v, out);
}

static int expired_error(const struct sso_state *s, struct kw_error *err, const char *why)
{
	return kw_error_set(err, KW_ERR_AUTH, s->cache_path,
	                    "profile '%s': the IAM Identity Center (SSO) session %s: run aws sso login "
	                    "--profile %s",
	                    s->profile, why, s->profile);
}

static int fetch(const struct sso_state *s, time_t now, struct kw_aws_credentials *out, struct kw_error *err)
{
	struct kw_secret *text = NULL, *token = NULL;
	struct kw_http_response resp = {0};
	struct kw_buf url = KW_BUF_INIT;
	json_t *root = NULL, *rc_ = NULL;
	const char *tok, *exp;
	char *acct = NULL, *role = NULL;
	time_t t;
	int rc = -1;

	if (kw_cred_read_secret_file(s->cache_path, TOKEN_MAX, &text, err)) {
		if (err && err->kind == KW_ERR_NOT_FOUND)
			return expired_error(s, err, "has no cached token");
		return -1;
	}
	root = kw_cred_json_load((const char *)text->data, text->len);
	tok = json_string_value(json_object_get(root, "accessToken"));
	exp = json_string_value(json_object_get(root, "expiresAt"));
	if (!tok || !*tok || !exp || parse_expiry(exp, &t)) {
		expired_error(s, err, "token cache is unreadable");
		goto out;
	}
	if (t <= now) {
		expired_error(s, err, "has expired");
		goto out;
	}
	if (!(token = kw_secret_from(tok, strlen(tok))) || !(acct = curl_easy_escape(NULL, s->account, 0)) ||
	    !(role = curl_easy_escape(NULL, s->role, 0)) ||
	    kw_buf_appendf(&url, "%sfederation/credentials?role_name=%s&account_id=%s", s->url, role, acct)) {
		kw_error_nomem(err);
		goto out;
	}
	{
		struct kw_http_header h = {"x-amz-sso_bearer_token", kw_secret_str(token)};
		if (kw_cred_metadata_request("GET", url.data, &h, 1, 10000, 3, &resp, err))
			goto out;
	}
	if (resp.status == 401 || resp.status == 403) {
		expired_error(s, err, "was refused by the portal (UnauthorizedException)");
		goto out;
	}
	if (resp.status != 200) {
		kw_error_set(err, KW_ERR_AWS, "sso:GetRoleCredentials", "HTTP %ld for account %s role %s",
		             resp.status, s->account, s->role);
		goto out;
	}
	json_decref(root);
	root = kw_cred_json_load(resp.body, resp.len);
	rc_ = json_object_get(root, "roleCredentials");
	{
		const char *id = json_string_value(json_object_get(rc_, "accessKeyId"));
		const char *sk = json_string_value(json_object_get(rc_, "secretAccessKey"));
		const char *st = json_string_value(json_object_get(rc_, "sessionToken"));
		json_t *e = json_object_get(rc_, "expiration");
		if (!id || !*id || !sk || !*sk || !st || !*st || !json_is_integer(e)) {
			kw_error_set(err, KW_ERR_AWS, "sso:GetRoleCredentials",
			             "answer lacks roleCredentials");
			goto out;
		}
		out->access_key_id = strdup(id);
		out->secret = kw_secret_from(sk, strlen(sk));
		out->session_token = kw_secret_from(st, strlen(st));
		out->expiration = (time_t)(json_integer_value(e) / 1000); /* milliseconds */
		if (!out->access_key_id || !out->secret || !out->session_token) {
			kw_error_nomem(err);
			goto out;
		}
	}
	out->source = kw_cred_sso.name;
	rc = 0;
out:
	json_decref(root);
	curl_free(acct);
	curl_free(role);
	kw_buf_release(&url);
	kw_http_response_release(&resp);
	kw_secret_free(token);
	kw_secret_free(text);
	return rc;
}

static int refresh(void *vs, time_t now, struct kw_aws_credentials *out, struct kw_error *err)
{
	return fetch(vs, now, out, err);
}

/* A setting of the profile, required: where names the profile's section when missing. */
static int need(const struct kw_cred_lookup *l, const char *key, char **out, const char *why,
                struct kw_error *err)
{
	char where[KW_ERR_WHERE_MAX];
	int r = kw_cred_setting_str(l, key, out, where, sizeof(where), err);

	if (r < 0)
		return -1;
	if (r == 0)
		return kw_error_set(err, KW_ERR_INVALID, l->files->config_path,
		                    "profile '%s' has %s but no %s", l->profile, why, key);
	return 0;
}

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	char where[KW_ERR_WHERE_MAX], *session = NULL, *start = NULL, *region = NULL;
	struct sso_state *s = NULL;
	int rc = -1;

	if (kw_cred_setting_str(l, "sso_session", &session, where, sizeof(where), err) < 0)
		return -1;
	if (!session && !kw_cred_setting(l, "sso_start_url", NULL) &&
	    !kw_cred_setting(l, "sso_account_id", NULL) && !kw_cred_setting(l, "sso_role_name", NULL))
		return 0;
	if (!(s = calloc(1, sizeof(*s))) || !(s->profile = strdup(l->profile))) {
		kw_error_nomem(err);
		goto out;
	}
	if (session) {
		char header[512];
		const struct kw_ini_section *sec;
		snprintf(header, sizeof(header), "sso-session %s", session);
		sec = kw_ini_section(l->files->config, header);
		if (!sec) {
			kw_error_set(err, KW_ERR_INVALID, where,
			             "sso_session: there is no [sso-session %s] section", session);
			goto out;
		}
		if (kw_ini_get_str(sec, "sso_start_url", NULL, &start, err) < 0 ||
		    kw_ini_get_str(sec, "sso_region", NULL, &region, err) < 0)
			goto out;
		if (!start || !region) {
			char w[KW_ERR_WHERE_MAX];
			kw_ini_where(l->files->config, sec->line, w, sizeof(w));
			kw_error_set(err, KW_ERR_INVALID, w,
			             "[sso-session %s] needs sso_start_url and sso_region", session);
			goto out;
		}
		s->cache_path = token_path(session);
	} else {
		if (need(l, "sso_start_url", &start, "sso settings", err) ||
		    need(l, "sso_region", &region, "sso_start_url", err))
			goto out;
		s->cache_path = token_path(start);
	}
	if (need(l, "sso_account_id", &s->account, "IAM Identity Center settings", err) ||
	    need(l, "sso_role_name", &s->role, "IAM Identity Center settings", err))
		goto out;
	if (!kw_aws_region_valid(region)) {
		kw_error_set(err, KW_ERR_INVALID, where, "sso_region: '%s' is not a valid region name",
		             region);
		goto out;
	}
	if (kw_aws_endpoint_sso(region, l->files, &s->url, err))
		goto out;
	if (!s->cache_path) {
		kw_error_nomem(err);
		goto out;
	}
	if (fetch(s, l->now, out, err))
		goto out;
	out->chain =
	        kw_strdup_printf("IAM Identity Center %s (%s) account %s role %s", session ? session : start,
	                         session ? "sso-session" : "legacy", s->account, s->role);
	out->provider = &kw_cred_sso;
	out->state = s;
	s = NULL;
	rc = 1;
out:
	free(session);
	free(start);
	free(region);
	free_state(s);
	return rc;
}

const struct kw_cred_provider kw_cred_sso = {"sso", resolve, refresh, free_state};
