/*
 * notify.c - the notification targets table (notify.h): one row per kind.
 */
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/sns.h"
#include "util/error.h"
#include "util/exec.h"
#include "util/log.h"

struct kw_notify_kind {
	const char *name; /* the TARGET's prefix before ':' */
	int (*parse)(const char *arg, struct kw_error *err);
	int (*check)(const struct kw_notify_target *t, const struct kw_notify_env *env, struct kw_error *err);
	int (*send)(const struct kw_notify_target *t, const struct kw_notify_env *env, const char *subject,
	            const char *message, struct kw_error *err);
};

/* --- sns:ARN ------------------------------------------------------------------------------- */

static int sns_parse(const char *arn, struct kw_error *err)
{
	char region[64];

	return kw_sns_topic_arn_parse(arn, region, sizeof(region), err);
}

/* A client for the topic's region, with the command's profile, endpoints and retries. */
static int sns_client(const struct kw_notify_target *t, const struct kw_notify_env *env,
                      struct kw_aws_client **c, struct kw_error *err)
{
	struct kw_aws_options o = {0};
	char region[64];

	if (kw_sns_topic_arn_parse(t->arg, region, sizeof(region), err))
		return -1;
	if (env && env->aws)
		o = *env->aws;
	o.region = region;
	return kw_aws_client_new(&o, c, err);
}

/*
 * One SNS call for t in the topic's region: Publish of subject and message, or without a
 * message the check (GetTopicAttributes; a caller not allowed to read the topic is only warned).
 */
static int sns_call(const struct kw_notify_target *t, const struct kw_notify_env *env, const char *subject,
                    const char *message, struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	char id[128];
	int rc = -1;

	if (sns_client(t, env, &c, err))
		goto out;
	if (message) {
		if (kw_sns_publish(c, t->arg, subject, message, id, sizeof(id), err))
			goto out;
		kw_log(KW_LOG_DEBUG, "notify: published to %s, MessageId %s", t->arg, id);
	} else if (kw_sns_get_topic_attributes(c, t->arg, err)) {
		if (strcmp(err->aws_code, "AuthorizationError") && strcmp(err->aws_code, "AccessDenied"))
			goto out;
		kw_log(KW_LOG_WARN,
		       "--notify %s: not allowed to read the topic, so it is not checked before the run (%s)",
		       t->spec, err->msg);
	}
	rc = 0;
out:
	if (rc)
		kw_error_prefix(err, "--notify %s", t->spec);
	kw_aws_client_free(c);
	return rc;
}

static int sns_check(const struct kw_notify_target *t, const struct kw_notify_env *env, struct kw_error *err)
{
	return sns_call(t, env, NULL, NULL, err);
}

static int sns_send(const struct kw_notify_target *t, const struct kw_notify_env *env, const char *subject,
                    const char *message, struct kw_error *err)
{
	return sns_call(t, env, subject, message, err);
}

/* --- exec:CMD ------------------------------------------------------------------------------ */

static int exec_parse(const char *cmd, struct kw_error *err)
{
	if (!*cmd)
		return kw_error_set(err, KW_ERR_USAGE, "--notify", "exec: wants a command (exec:CMD)");
	return 0;
}

static int exec_check(const struct kw_notify_target *t, const struct kw_notify_env *env, struct kw_error *err)
{
	(void)t;
	(void)env;
	(void)err;
	return 0;
}

static int exec_send(const struct kw_notify_target *t, const struct kw_notify_env *env, const char *subject,
                     const char *message, struct kw_error *err)
{
	int rc;

	(void)env;
	/* the subject is no secret: the command may read it from its environment */
	if (setenv("KEYWARDEN_SUBJECT", subject ? subject : "", 1))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	rc = kw_exec_stdin(t->arg, NULL, message, strlen(message), err);
	unsetenv("KEYWARDEN_SUBJECT");
	if (rc)
		kw_error_prefix(err, "--notify");
	return rc;
}

/* --- the table ----------------------------------------------------------------------------- */

static const struct kw_notify_kind kinds[] = {
        {"sns", sns_parse, sns_check, sns_send},
        {"exec", exec_parse, exec_check, exec_send},
};

const char kw_notify_kinds_help[] = "sns:TOPIC_ARN or exec:COMMAND";

int kw_notify_parse(const char *spec, struct kw_notify_target *out, struct kw_error *err)
{
	const char *colon = strchr(spec, ':');

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; colon && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i].name) != (size_t)(colon - spec) ||
		    strncmp(spec, kinds[i].name, colon - spec))
			continue;
		if (kinds[i].parse(colon + 1, err)) {
			kw_error_prefix(err, "--notify");
			return -1;
		}
		*out = (struct kw_notify_target){&kinds[i], spec, colon + 1};
		return 0;
	}
	return kw_error_set(err, KW_ERR_USAGE, "--notify", "'%s' is not a target: give %s", spec,
	                    kw_notify_kinds_help);
}

int kw_notify_check(const struct kw_notify_target *t, const struct kw_notify_env *env, struct kw_error *err)
{
	return t->kind->check(t, env, err);
}

int kw_notify_send(const struct kw_notify_target *t, const struct kw_notify_env *env, const char *subject,
                   const char *message, struct kw_error *err)
{
	return t->kind->send(t, env, subject, message, err);
}

int kw_notify_list_add(struct kw_notify_list *l, const char *spec, struct kw_error *err)
{
	if (l->n >= KW_NOTIFY_MAX)
		return kw_error_set(err, KW_ERR_USAGE, "--notify", "at most %d targets", KW_NOTIFY_MAX);
	if (kw_notify_parse(spec, &l->v[l->n], err))
		return -1;
	l->n++;
	return 0;
}

int kw_notify_list_check(const struct kw_notify_list *l, const struct kw_notify_env *env,
                         struct kw_error *err)
{
	for (size_t i = 0; i < l->n; i++)
		if (kw_notify_check(&l->v[i], env, err))
			return -1;
	return 0;
}

int kw_notify_list_send(const struct kw_notify_list *l, const struct kw_notify_env *env, const char *subject,
                        const char *message, struct kw_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct kw_error e;

		if (!kw_notify_send(&l->v[i], env, subject, message, &e))
			continue;
		if (!rc)
			*err = e;
		else
			kw_log(KW_LOG_WARN, "%s%s%s", e.where, e.where[0] ? ": " : "", e.msg);
		rc = -1;
	}
	return rc;
}
