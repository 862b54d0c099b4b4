/*
 * chain.c - the credential chain: the table of providers in botocore's order, refresh, and
 * the helpers the providers share (credentials.h, provider.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/credentials/provider.h"
#include "aws/ini.h"
#include "aws/profile.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/secret.h"

/* botocore create_credential_resolver: env, assume-role, the profile providers, then the
 * providers that need no profile (container, instance metadata). */
static const struct kw_cred_provider *const chain[] = {
        &kw_cred_env,     &kw_cred_assume_role, &kw_cred_web_identity, &kw_cred_sso,  &kw_cred_shared_file,
        &kw_cred_process, &kw_cred_config_file, &kw_cred_container,    &kw_cred_imds,
};

/* ProfileProviderBuilder.providers: what a source_profile is resolved with (after its role). */
static const struct kw_cred_provider *const profile_chain[] = {
        &kw_cred_web_identity, &kw_cred_sso, &kw_cred_shared_file, &kw_cred_process, &kw_cred_config_file,
};

/*
 * Credential settings keywarden does not support: an error naming the setting, its file and
 * line, never "no credentials found". Settings that concern neither credentials nor the
 * services keywarden calls are ignored, as the AWS CLI ignores what it does not use.
 */
static const struct {
	const char *key, *what;
} unsupported[] = {
        {"login_session", "an `aws login` session"},
};

int kw_cred_read_secret_file(const char *path, size_t max, struct kw_secret **out, struct kw_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = -1;

	*out = NULL;
	if (fd < 0)
		return kw_error_set(err, errno == ENOENT ? KW_ERR_NOT_FOUND : KW_ERR_IO, path,
		                    "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max)
		kw_error_set(err, KW_ERR_IO, path, "not a regular file of at most %zu bytes", max);
	else
		rc = kw_secret_read_fd(fd, path, (size_t)st.st_size, out, err);
	close(fd);
	return rc;
}

int kw_cred_options_copy(const struct kw_aws_options *opt, struct kw_cred_options *out, struct kw_error *err)
{
	memset(out, 0, sizeof(*out));
	if (opt && ((opt->profile && !(out->profile = strdup(opt->profile))) ||
	            (opt->region && !(out->region = strdup(opt->region))) ||
	            (opt->endpoint_url && !(out->endpoint_url = strdup(opt->endpoint_url))))) {
		kw_cred_options_release(out);
		return kw_error_nomem(err);
	}
	return 0;
}

struct kw_aws_options kw_cred_options_view(const struct kw_cred_options *o)
{
	return (struct kw_aws_options){
	        .profile = o->profile, .region = o->region, .endpoint_url = o->endpoint_url};
}

void kw_cred_options_release(struct kw_cred_options *o)
{
	free(o->profile);
	free(o->region);
	free(o->endpoint_url);
	memset(o, 0, sizeof(*o));
}

char *kw_cred_session_name(time_t now)
{
	return kw_strdup_printf("keywarden-session-%lld", (long long)now);
}

void kw_aws_credentials_release(struct kw_aws_credentials *c)
{
	if (!c)
		return;
	free(c->access_key_id);
	kw_secret_free(c->secret);
	kw_secret_free(c->session_token);
	free(c->chain);
	if (c->state && c->provider && c->provider->free_state)
		c->provider->free_state(c->state);
	memset(c, 0, sizeof(*c));
}

const struct kw_ini_entry *kw_cred_setting(const struct kw_cred_lookup *l, const char *key,
                                           const struct kw_ini **ini)
{
	const struct kw_ini_entry *e = kw_ini_get(l->cred_sec, key, NULL);
	const struct kw_ini *in = l->files->credentials;

	if (!e) {
		e = kw_ini_get(l->config_sec, key, NULL);
		in = l->files->config;
	}
	if (ini)
		*ini = e ? in : NULL;
	return e;
}

int kw_cred_setting_str(const struct kw_cred_lookup *l, const char *key, char **out, char *where, size_t size,
                        struct kw_error *err)
{
	const struct kw_ini *ini;
	const struct kw_ini_entry *e = kw_cred_setting(l, key, &ini);

	*out = NULL;
	if (where && size)
		where[0] = '\0';
	if (!e)
		return 0;
	if (where)
		kw_ini_where(ini, e->line, where, size);
	*out = kw_strdup_span(e->value);
	return *out ? 1 : kw_error_nomem(err);
}

bool kw_aws_section_has_session_token(const struct kw_ini_section *sec)
{
	const struct kw_ini_entry *a = kw_ini_get(sec, "aws_session_token", NULL),
	                          *b = kw_ini_get(sec, "aws_security_token", NULL);

	return (a && a->value.len) || (b && b->value.len);
}

int kw_cred_static_keys(const struct kw_ini *ini, const struct kw_ini_section *sec, const char *source,
                        struct kw_aws_credentials *out, struct kw_error *err)
{
	const struct kw_ini_entry *id, *sk, *tok;
	char where[KW_ERR_WHERE_MAX];

	if (!sec)
		return 0;
	id = kw_ini_get(sec, "aws_access_key_id", NULL);
	sk = kw_ini_get(sec, "aws_secret_access_key", NULL);
	tok = kw_ini_get(sec, "aws_session_token", NULL);
	if (!tok || !tok->value.len)
		tok = kw_ini_get(sec, "aws_security_token", NULL); /* botocore's legacy name */
	if (!id && !sk)
		return 0;
	if (!id || !sk || !id->value.len || !sk->value.len) {
		kw_ini_where(ini, id ? id->line : sk->line, where, sizeof(where));
		return kw_error_set(err, KW_ERR_INVALID, where,
		                    "profile [%s] needs both aws_access_key_id and aws_secret_access_key",
		                    sec->name);
	}
	out->access_key_id = kw_strdup_span(id->value);
	out->secret = kw_secret_from(sk->value.ptr, sk->value.len);
	if (tok && tok->value.len)
		out->session_token = kw_secret_from(tok->value.ptr, tok->value.len);
	if (!out->access_key_id || !out->secret || (tok && tok->value.len && !out->session_token))
		return kw_error_nomem(err);
	out->source = source;
	return 1;
}

/* An unsupported credential setting of the looked-up profile is an error at its line. */
static int check_unsupported(const struct kw_cred_lookup *l, struct kw_error *err)
{
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		const struct kw_ini *ini;
		const struct kw_ini_entry *e = kw_cred_setting(l, unsupported[i].key, &ini);
		char where[KW_ERR_WHERE_MAX];

		if (!e)
			continue;
		kw_ini_where(ini, e->line, where, sizeof(where));
		return kw_error_set(err, KW_ERR_INVALID, where,
		                    "profile '%s': %s (%s) is not supported by keywarden", l->profile,
		                    unsupported[i].key, unsupported[i].what);
	}
	return 0;
}

/* Run providers[0..n) for l: the first that applies wins. */
static int run(const struct kw_cred_provider *const *providers, size_t n, const struct kw_cred_lookup *l,
               struct kw_aws_credentials *out, struct kw_error *err)
{
	if (check_unsupported(l, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int r;

		if (providers[i] == &kw_cred_env && l->env_disabled)
			continue;
		memset(out, 0, sizeof(*out));
		r = providers[i]->resolve(l, out, err);
		if (r != 0) {
			if (r < 0)
				kw_aws_credentials_release(out);
			return r;
		}
		kw_aws_credentials_release(out);
	}
	return 0;
}

/* The error for a source_profile loop: "a -> b -> a". */
static int loop_error(const char *const *v, size_t n, size_t from, const char *name, const char *where,
                      struct kw_error *err)
{
	struct kw_buf b = KW_BUF_INIT;

	for (size_t j = from; j < n; j++)
		kw_buf_appendf(&b, "%s -> ", v[j]);
	kw_buf_puts(&b, name);
	kw_error_set(err, KW_ERR_INVALID, where, "source_profile loop: %s", b.data ? b.data : name);
	kw_buf_release(&b);
	return -1;
}

int kw_cred_resolve_profile(const struct kw_cred_lookup *l, const char *name, const char *where,
                            struct kw_aws_credentials *out, struct kw_error *err)
{
	struct kw_cred_lookup sub = *l;
	int r;

	memset(out, 0, sizeof(*out));
	if (sub.nvisited >= KW_CRED_MAX_CHAIN)
		return kw_error_set(err, KW_ERR_INVALID, where,
		                    "source_profile chain longer than %d profiles", KW_CRED_MAX_CHAIN);
	sub.visited[sub.nvisited++] = l->profile;
	for (size_t i = 0; i < sub.nvisited; i++) {
		if (strcmp(sub.visited[i], name))
			continue;
		/* a profile may name itself as source_profile for its own static keys (botocore) */
		if (i == sub.nvisited - 1) {
			r = kw_cred_static_keys(l->files->credentials, l->cred_sec, "shared-credentials-file",
			                        out, err);
			if (r == 0)
				r = kw_cred_static_keys(l->files->config, l->config_sec, "config-file", out,
				                        err);
			if (r)
				return r < 0 ? -1 : 0;
		}
		return loop_error(sub.visited, sub.nvisited, i, name, where, err);
	}
	sub.profile = name;
	sub.env_disabled = true; /* botocore: a source profile's providers ignore the environment */
	sub.config_sec = kw_ini_profile(l->files->config, KW_INI_CONFIG, name);
	sub.cred_sec = kw_ini_profile(l->files->credentials, KW_INI_CREDENTIALS, name);
	if (!sub.config_sec && !sub.cred_sec)
		return kw_error_set(err, KW_ERR_INVALID, where, "source_profile '%s' is in neither %s nor %s",
		                    name, l->files->config_path, l->files->credentials_path);
	r = 0;
	if (kw_cred_setting(&sub, "role_arn", NULL))
		r = check_unsupported(&sub, err) ? -1 : kw_cred_assume_role.resolve(&sub, out, err);
	if (r == 0)
		r = run(profile_chain, sizeof(profile_chain) / sizeof(profile_chain[0]), &sub, out, err);
	if (r <= 0)
		kw_aws_credentials_release(out);
	if (r == 0)
		return kw_error_set(err, KW_ERR_AUTH, where, "source_profile '%s' has no credentials", name);
	return r < 0 ? -1 : 0;
}

int kw_aws_credentials_resolve(const struct kw_aws_profile *p, const struct kw_aws_options *opt, time_t now,
                               struct kw_aws_credentials *out, struct kw_error *err)
{
	struct kw_cred_lookup l = {.files = p,
	                           .profile = p->name,
	                           .config_sec = p->config_sec,
	                           .cred_sec = p->cred_sec,
	                           .opt = opt,
	                           .now = now,
	                           .env_disabled = p->from_cli};
	int r;

	memset(out, 0, sizeof(*out));
	r = run(chain, sizeof(chain) / sizeof(chain[0]), &l, out, err);
	if (r > 0)
		return 0;
	if (r == 0)
		kw_error_set(err, KW_ERR_AUTH, NULL,
		             "no AWS credentials found for profile '%s' (looked at: environment, %s, %s, "
		             "web identity, container and instance credentials; see docs/credentials.md)",
		             p->name, p->credentials_path, p->config_path);
	kw_aws_credentials_release(out);
	return -1;
}

bool kw_aws_credentials_expiring(const struct kw_aws_credentials *c, time_t now)
{
	return c->expiration && c->provider && c->provider->refresh && c->state &&
	       now + KW_CRED_REFRESH_MARGIN >= c->expiration;
}

int kw_aws_credentials_refresh(struct kw_aws_credentials *cur, time_t now, struct kw_aws_credentials *out,
                               struct kw_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!cur->provider || !cur->provider->refresh || !cur->state)
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "credentials from %s cannot be refreshed",
		                    cur->source ? cur->source : "?");
	if (cur->provider->refresh(cur->state, now, out, err)) {
		kw_aws_credentials_release(out);
		return -1;
	}
	out->provider = cur->provider;
	out->state = cur->state;
	cur->state = NULL;
	if (!out->chain && cur->chain)
		out->chain = strdup(cur->chain); /* a description only: NULL when out of memory */
	return 0;
}
