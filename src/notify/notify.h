/*
 * notify.h - telling someone: `audit --notify TARGET` and `rotate --notify TARGET` send one
 * JSON summary with a short subject to a target, one kind per row of a table (notify.c):
 *
 *   sns:ARN    Amazon SNS Publish to the topic ARN (the message is the JSON, with Subject),
 *              through the command's own AWS client settings (credential chain, endpoints:
 *              AWS_ENDPOINT_URL_SNS, the config services section's `sns`), in the topic's region
 *   exec:CMD   `/bin/sh -c CMD` with the JSON on its standard input and the subject in
 *              $KEYWARDEN_SUBJECT, in the scrubbed environment of delivery commands (util/exec.h:
 *              no AWS credentials), for a chat webhook or a ticket system
 *
 * Invariants: a summary never holds a secret (access key ids, user names, dates, finding codes
 * and messages only); nothing here prints or exits. A new kind is one row in notify.c.
 */
#ifndef KW_NOTIFY_NOTIFY_H
#define KW_NOTIFY_NOTIFY_H

#include <stddef.h>

struct kw_aws_options;
struct kw_error;
struct kw_notify_kind;

/* A parsed --notify TARGET. Strings borrowed from the TARGET given to kw_notify_parse. */
struct kw_notify_target {
	const struct kw_notify_kind *kind;
	const char *spec; /* the whole TARGET, for messages ("sns:arn:aws:sns:...") */
	const char *arg;  /* what follows "KIND:" */
};

/*
 * kw_notify_parse - check TARGET (offline: the kind, an SNS ARN's form, a non-empty command).
 * @spec: "sns:ARN" or "exec:CMD" (borrowed; must outlive out).
 * Returns 0, or -1 with err set (KW_ERR_USAGE naming the known kinds, KW_ERR_INVALID).
 */
int kw_notify_parse(const char *spec, struct kw_notify_target *out, struct kw_error *err);

/* What a send needs besides the target: the command's AWS settings (borrowed). */
struct kw_notify_env {
	const struct kw_aws_options *aws; /* profile, region, --endpoint-url; the region is replaced
	                                   * by the topic's for sns: */
};

/*
 * kw_notify_check - before anything changes, whether the target can be reached: for sns: the
 * topic exists (GetTopicAttributes; a caller not allowed to read it is not an error: Publish
 * is what counts, and the answer is left to it); for exec: nothing to check.
 * Returns 0, or -1 with err set.
 */
int kw_notify_check(const struct kw_notify_target *t, const struct kw_notify_env *env, struct kw_error *err);

/*
 * kw_notify_send - send subject (ASCII, < 100 characters) and message (JSON text) to t.
 * Returns 0, or -1 with err set (the AWS error of Publish; the command's exit status).
 */
int kw_notify_send(const struct kw_notify_target *t, const struct kw_notify_env *env, const char *subject,
                   const char *message, struct kw_error *err);

/* Every --notify of one command (given several times: each target gets the message). */
#define KW_NOTIFY_MAX 8

struct kw_notify_list {
	struct kw_notify_target v[KW_NOTIFY_MAX];
	size_t n;
};

/* kw_notify_list_add - parse spec (borrowed) into l. Returns 0, or -1 with err set (also when
 * more than KW_NOTIFY_MAX are given). */
int kw_notify_list_add(struct kw_notify_list *l, const char *spec, struct kw_error *err);

/* kw_notify_list_check - kw_notify_check of every target; the first failure is returned. */
int kw_notify_list_check(const struct kw_notify_list *l, const struct kw_notify_env *env,
                         struct kw_error *err);

/*
 * kw_notify_list_send - send to every target of l, even after one failed. Returns 0, or -1
 * with err set to the first failure (later ones are logged as warnings).
 */
int kw_notify_list_send(const struct kw_notify_list *l, const struct kw_notify_env *env, const char *subject,
                        const char *message, struct kw_error *err);

/* The usage line of --notify, listing the kinds: "sns:TOPIC_ARN or exec:COMMAND". */
extern const char kw_notify_kinds_help[];

#endif
