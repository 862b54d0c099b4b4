/*
 * assume_role.c - the assume-role provider (botocore AssumeRoleProvider): a profile with
 * role_arn assumes it with the credentials of its source_profile (chains of any length, a
 * loop named) or of its credential_source (Environment, Ec2InstanceMetadata, EcsContainer:
 * botocore's CanonicalNameCredentialSourcer), with external_id,
 * role_session_name, duration_seconds and mfa_serial (the code from --mfa-code, else asked on
 * the terminal). Assumed credentials are cached as the AWS CLI caches them (cache.h) and
 * assumed again, through the source's own refresh, before they expire.
 * Source: AWS SDKs and Tools Reference Guide, "Assume role credential provider"; botocore
 * credentials.py AssumeRoleProvider, AssumeRoleCredentialFetcher.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/credentials/cache.h"
#include "aws/credentials/provider.h"
#include "aws/profile.h"
#include "aws/sts.h"
#include "util/buf.h"
#include "util/deadline.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/vocab.h"

/* What assuming the role again needs. */
struct role_state {
	char *profile; /* the profile with role_arn */
	char *role_arn, *session_name, *external_id, *mfa_serial, *where;
	int duration;
	bool session_name_set;            /* configured (part of the cache key) */
	struct kw_cred_options opt;       /* the client options, copied */
	bool env_disabled;                /* --profile given */
	char mfa_code[16];                /* --mfa-code, used once (then asked on the terminal) */
	char *source_name;                /* "profile NAME" or "environment", for the chain */
	struct kw_aws_credentials source; /* credentials that assume the role (refreshable);
	                                     * empty until needed (a cache hit needs none) */
	char *cache_path;                 /* NULL: no cache */
	/* kw_aws_credentials_assume: the client whose credentials assume the role (borrowed, it
	 * outlives these credentials and refreshes its own); NULL for a profile's role */
	struct kw_aws_client *via;
	char *via_chain; /* how via's credentials were reached, for the chain */
};

static void free_state(void *vs)
{
	struct role_state *s = vs;

	if (!s)
		return;
	free(s->profile);
	free(s->role_arn);
	free(s->session_name);
	free(s->external_id);
	free(s->mfa_serial);
	free(s->where);
	kw_cred_options_release(&s->opt);
	free(s->source_name);
	free(s->via_chain);
	OPENSSL_cleanse(s->mfa_code, sizeof(s->mfa_code));
	kw_aws_credentials_release(&s->source);
	free(s->cache_path);
	free(s);
}

/* Ask for the MFA code on the terminal without echo; 0, or -1 when there is no terminal. */
static int prompt_code(const char *serial, char *code, size_t size)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), rc = -1;
	bool restore = false, paused = false;
	size_t n = 0;
	char prompt[600];

	if (fd < 0)
		return -1;
	if (!tcgetattr(fd, &old)) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = !tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	snprintf(prompt, sizeof(prompt), "Enter MFA code for %s: ", serial);
	kw_deadline_pause(); /* time at a prompt is not time without progress */
	paused = true;
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	while (n + 1 < size) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			goto out; /* Ctrl-C: no code */
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		code[n++] = c;
	}
	code[n] = '\0';
	rc = n ? 0 : -1;
	if (write(fd, "\n", 1) < 0)
		rc = -1;
out:
	if (paused)
		kw_deadline_resume();
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	return rc;
}

static int source_credentials(const struct kw_cred_lookup *l, struct role_state *s, bool fetch,
                              struct kw_error *err);

/* Resolve the source credentials later (a cache hit needed none): the files read again. */
static int load_source(struct role_state *s, time_t now, struct kw_error *err)
{
	const struct kw_aws_options opt = kw_cred_options_view(&s->opt);
	struct kw_aws_profile p;
	struct kw_cred_lookup l = {0};
	int rc;

	if (kw_aws_profile_load(s->opt.profile, &p, err))
		return -1;
	l.files = &p;
	l.profile = s->profile;
	l.config_sec = kw_ini_profile(p.config, KW_INI_CONFIG, s->profile);
	l.cred_sec = kw_ini_profile(p.credentials, KW_INI_CREDENTIALS, s->profile);
	l.opt = &opt;
	l.now = now;
	l.env_disabled = s->env_disabled;
	rc = source_credentials(&l, s, true, err);
	kw_aws_profile_release(&p);
	return rc;
}

/* Assume the role of s with its source credentials (refreshed first when they expire). */
static int assume(struct role_state *s, time_t now, struct kw_aws_credentials *out, char **arn,
                  struct kw_error *err)
{
	const struct kw_aws_options opt = kw_cred_options_view(&s->opt);
	struct kw_sts_assume_role_input in = {s->role_arn, s->session_name, s->external_id, NULL,
	                                      NULL,        s->duration};
	struct kw_sts_assumed_role who = {0};
	struct kw_aws_client *c = NULL;
	char code[16] = "";
	int rc = -1;

	*arn = NULL;
	if (s->via) { /* the run's own client assumes it (and refreshes its own credentials) */
		kw_log(KW_LOG_INFO, "aws: assuming %s (AssumeRole)", s->role_arn);
		if (kw_sts_assume_role(s->via, &in, out, &who, err)) {
			kw_error_prefix(err, "assume %s", s->role_arn);
			goto out;
		}
		goto done;
	}
	if (!s->source.access_key_id && load_source(s, now, err))
		return -1;
	if (kw_aws_credentials_expiring(&s->source, now)) {
		struct kw_aws_credentials fresh;
		if (kw_aws_credentials_refresh(&s->source, now, &fresh, err))
			return -1;
		kw_aws_credentials_release(&s->source);
		s->source = fresh;
	}
	if (s->mfa_serial) {
		if (s->mfa_code[0]) {
			memcpy(code, s->mfa_code, sizeof(code));
			OPENSSL_cleanse(s->mfa_code, sizeof(s->mfa_code));
		} else if (prompt_code(s->mfa_serial, code, sizeof(code))) {
			return kw_error_set(
			        err, KW_ERR_AUTH, s->where,
			        "profile '%s' needs an MFA code for mfa_serial %s: give --mfa-code "
			        "CODE, or run on a terminal to be asked",
			        s->profile, s->mfa_serial);
		}
		in.serial_number = s->mfa_serial;
		in.token_code = code;
	}
	kw_log(KW_LOG_INFO, "aws: profile '%s': assuming %s (AssumeRole)", s->profile, s->role_arn);
	if (kw_aws_client_new_static(&opt, s->source.access_key_id, s->source.secret, s->source.session_token,
	                             &c, err) ||
	    kw_sts_assume_role(c, &in, out, &who, err)) {
		kw_error_prefix(err, "profile '%s': assume %s", s->profile, s->role_arn);
		goto out;
	}
done:
	*arn = who.arn;
	who.arn = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(code, sizeof(code));
	kw_sts_assumed_role_release(&who);
	kw_aws_client_free(c);
	return rc;
}

/* "SRC → assume ROLE (assumed|cached until 2026-12-01T10:42:00Z)" into out->chain. */
static void describe(struct kw_aws_credentials *out, const struct role_state *s, const char *how)
{
	const char *src = s->via ? s->via_chain : s->source.chain ? s->source.chain : s->source_name;
	char until[32];

	kw_iso8601_format(out->expiration, until, sizeof(until));
	free(out->chain);
	out->chain = kw_strdup_printf("%s → assume %s (%s until %s)", src, s->role_arn, how, until);
}

/* Credentials just assumed (arn: the assumed-role ARN, may be NULL): cached, described. */
static void remember(const struct role_state *s, struct kw_aws_credentials *out, const char *arn)
{
	struct kw_error cerr;

	if (s->cache_path && kw_cred_cache_store(s->cache_path, out, arn, &cerr))
		kw_log(KW_LOG_INFO, "aws: credential cache not written: %s: %s", cerr.where, cerr.msg);
	describe(out, s, "assumed");
}

static int refresh(void *vs, time_t now, struct kw_aws_credentials *out, struct kw_error *err)
{
	struct role_state *s = vs;
	char *arn = NULL;

	if (assume(s, now, out, &arn, err))
		return -1;
	remember(s, out, arn);
	free(arn);
	return 0;
}

/*
 * The role's credentials into out, refreshable through s: from the CLI cache, else assumed
 * (with l, its source fetched first) and cached. s is consumed: out owns it after 0, it is
 * freed after -1 (err set).
 */
static int cached_or_assumed(const struct kw_cred_lookup *l, struct role_state *s, time_t now,
                             struct kw_aws_credentials *out, struct kw_error *err)
{
	char *arn = NULL;

	if (s->cache_path && kw_cred_cache_load(s->cache_path, now, out, &arn)) {
		kw_log(KW_LOG_INFO, "aws: %s '%s': %s from the credential cache",
		       s->via ? "option" : "profile", s->profile, s->role_arn);
		describe(out, s, "cached");
	} else if ((l && source_credentials(l, s, true, err)) || assume(s, now, out, &arn, err)) {
		free(arn);
		free_state(s);
		return -1;
	} else {
		remember(s, out, arn);
	}
	free(arn);
	out->source = kw_cred_assume_role.name;
	out->provider = &kw_cred_assume_role;
	out->state = s;
	return 0;
}

/*
 * The source of the role: source_profile, or credential_source, checked; with fetch, its
 * credentials into s->source (a source_profile's role assumed in turn).
 */
static int source_credentials(const struct kw_cred_lookup *l, struct role_state *s, bool fetch,
                              struct kw_error *err)
{
	char *src = NULL, *cs = NULL, where_p[KW_ERR_WHERE_MAX], where_c[KW_ERR_WHERE_MAX];
	int rp, rc = -1;

	if ((rp = kw_cred_setting_str(l, "source_profile", &src, where_p, sizeof(where_p), err)) < 0 ||
	    kw_cred_setting_str(l, "credential_source", &cs, where_c, sizeof(where_c), err) < 0)
		goto out;
	if (src && cs) {
		kw_error_set(err, KW_ERR_INVALID, where_c,
		             "profile '%s' has both source_profile and credential_source", l->profile);
	} else if (src && !fetch) {
		rc = (s->source_name = kw_strdup_printf("profile %s", src)) ? 0 : kw_error_nomem(err);
	} else if (src) {
		rc = kw_cred_resolve_profile(l, src, where_p, &s->source, err);
		if (!rc && !s->source.chain)
			s->source.chain = kw_strdup_printf("profile %s (%s)", src, s->source.source);
	} else if (cs && !strcmp(cs, "Environment")) {
		int r = fetch ? kw_cred_env.resolve(l, &s->source, err) : 1;
		if (r == 0)
			kw_error_set(
			        err, KW_ERR_AUTH, where_c,
			        "credential_source Environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
			        "are not set");
		rc = r > 0 ? 0 : -1;
		if (!rc && !s->source_name && !(s->source_name = strdup("environment")))
			rc = kw_error_nomem(err);
	} else if (cs && (!strcmp(cs, "Ec2InstanceMetadata") || !strcmp(cs, "EcsContainer"))) {
		const struct kw_cred_provider *pr =
		        !strcmp(cs, "EcsContainer") ? &kw_cred_container : &kw_cred_imds;
		int r = fetch ? pr->resolve(l, &s->source, err) : 1;
		if (r == 0)
			kw_error_set(err, KW_ERR_AUTH, where_c,
			             "credential_source %s: no credentials there (%s)", cs,
			             !strcmp(cs, "EcsContainer")
			                     ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI unset"
			                     : "no instance metadata service answered");
		rc = r > 0 ? 0 : -1;
		if (!rc && !s->source_name && !(s->source_name = strdup(pr->name)))
			rc = kw_error_nomem(err);
	} else if (cs) {
		kw_error_set(
		        err, KW_ERR_INVALID, where_c,
		        "credential_source: '%s' is not Environment, Ec2InstanceMetadata or EcsContainer",
		        cs);
	} else {
		kw_error_set(err, KW_ERR_INVALID, s->where,
		             "profile '%s' has role_arn but neither source_profile nor credential_source",
		             l->profile);
	}
out:
	free(src);
	free(cs);
	return rc;
}

/* The role's settings of l into s; -1 with err naming a bad one. */
static int read_settings(const struct kw_cred_lookup *l, struct role_state *s, struct kw_error *err)
{
	char where[KW_ERR_WHERE_MAX], *v = NULL;
	int r;

	if (kw_cred_setting_str(l, "role_session_name", &s->session_name, where, sizeof(where), err) < 0 ||
	    kw_cred_setting_str(l, "external_id", &s->external_id, where, sizeof(where), err) < 0 ||
	    kw_cred_setting_str(l, "mfa_serial", &s->mfa_serial, where, sizeof(where), err) < 0)
		return -1;
	s->session_name_set = s->session_name != NULL;
	if (!s->session_name && !(s->session_name = kw_cred_session_name(l->now)))
		return kw_error_nomem(err);
	if ((r = kw_cred_setting_str(l, "duration_seconds", &v, where, sizeof(where), err)) < 0)
		return -1;
	if (r) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || end == v || n < 900 || n > 43200) {
			kw_error_set(err, KW_ERR_INVALID, where,
			             "duration_seconds: '%s' is not a number of seconds from 900 to 43200",
			             v);
			free(v);
			return -1;
		}
		s->duration = (int)n;
	}
	free(v);
	return 0;
}

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	struct role_state *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return kw_error_nomem(err);
	{
		char where[KW_ERR_WHERE_MAX];
		r = kw_cred_setting_str(l, "role_arn", &s->role_arn, where, sizeof(where), err);
		if (r > 0 && kw_cred_setting(l, "web_identity_token_file", NULL))
			r = 0; /* botocore: role_arn with a token file is web identity's */
		if (r <= 0) {
			free_state(s);
			return r;
		}
		s->where = strdup(where);
	}
	if (!s->where || !(s->profile = strdup(l->profile))) {
		kw_error_nomem(err);
		goto fail;
	}
	if (kw_cred_options_copy(l->opt, &s->opt, err) || read_settings(l, s, err))
		goto fail;
	{
		const struct kw_cred_cache_key key = {s->role_arn,
		                                      s->session_name_set ? s->session_name : NULL,
		                                      s->external_id, s->mfa_serial, s->duration};
		s->cache_path = kw_cred_cache_path(&key);
	}
	s->env_disabled = l->env_disabled;
	if (l->opt && l->opt->mfa_code)
		snprintf(s->mfa_code, sizeof(s->mfa_code), "%s", l->opt->mfa_code);
	/* the source is checked even on a cache hit, but only fetched when the role is assumed
	 * (botocore's deferred source credentials): a cached chain makes no call at all */
	if (source_credentials(l, s, false, err))
		goto fail;
	return cached_or_assumed(l, s, l->now, out, err) ? -1 : 1;
fail:
	free_state(s);
	return -1;
}

const struct kw_cred_provider kw_cred_assume_role = {"assume-role", resolve, refresh, free_state};

int kw_aws_credentials_assume(struct kw_aws_client *via, const char *role_arn, time_t now,
                              struct kw_aws_credentials *out, struct kw_error *err)
{
	struct role_state *s = calloc(1, sizeof(*s));
	const struct kw_cred_cache_key key = {role_arn, NULL, NULL, NULL, 0};
	const char *chain = kw_aws_client_credential_chain(via);

	memset(out, 0, sizeof(*out));
	if (!s)
		return kw_error_nomem(err);
	s->via = via;
	s->via_chain =
	        chain ? strdup(chain)
	              : kw_strdup_printf("%s (key %s)", kw_aws_client_credential_source(via),
	                                 kw_aws_client_access_key_id(via) ? kw_aws_client_access_key_id(via)
	                                                                  : "none");
	if (!s->via_chain || !(s->role_arn = strdup(role_arn)) ||
	    !(s->session_name = kw_cred_session_name(now)) || !(s->profile = strdup("--role-arn")) ||
	    !(s->where = strdup("--role-arn"))) {
		free_state(s);
		return kw_error_nomem(err);
	}
	s->cache_path = kw_cred_cache_path(&key);
	return cached_or_assumed(NULL, s, now, out, err);
}
