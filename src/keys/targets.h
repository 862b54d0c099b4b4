/*
 * targets.h - for src/keys only: the functions behind the sink table (sink.c). One file per
 * kind: profile.c, secretsmanager.c, ssmparameter.c; the local checks in preflight.c.
 */
#ifndef KW_KEYS_TARGETS_H
#define KW_KEYS_TARGETS_H

#include <stdbool.h>

#include "keys/sink.h"

struct kw_aws_client;

/* The row of a sink kind. NULL members: nothing to do for that kind. */
struct kw_key_sink_type {
	const char *name; /* the manifest key: "profile", "file", "secretsManager", ... */
	int (*deliver)(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err);
	int (*replace)(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err);
	int (*preflight)(const struct kw_key_sink *s, const char *user, bool replace, struct kw_error *err);
	int (*remove)(const struct kw_key_sink *s, const char *user, enum kw_key_removed *what,
	              struct kw_error *err);
	/* What the target holds (sink.h kw_keys_held): 0 with *held set (and id for a key; with
	 * secret not NULL, its secret too, new, or -1 when the target does not say which part it
	 * is), or -1 with err set when it cannot be read. NULL: a write-only kind. */
	int (*held)(const struct kw_key_sink *s, char id[KW_KEYS_ID_MAX], struct kw_secret **secret,
	            enum kw_key_held *held, struct kw_error *err);
};

/* preflight.c */
int kw_keys_file_preflight(const struct kw_key_sink *s, const char *user, bool replace, struct kw_error *err);
int kw_keys_profile_preflight(const struct kw_key_sink *s, const char *user, bool replace,
                              struct kw_error *err);
int kw_keys_exec_preflight(const struct kw_key_sink *s, const char *user, bool replace, struct kw_error *err);
int kw_keys_file_held(const struct kw_key_sink *s, char id[KW_KEYS_ID_MAX], struct kw_secret **secret,
                      enum kw_key_held *held, struct kw_error *err);
int kw_keys_profile_held(const struct kw_key_sink *s, char id[KW_KEYS_ID_MAX], struct kw_secret **secret,
                         enum kw_key_held *held, struct kw_error *err);
int kw_keys_file_remove(const struct kw_key_sink *s, const char *user, enum kw_key_removed *what,
                        struct kw_error *err);

/* profile.c */
int kw_keys_profile_remove(const struct kw_key_sink *s, const char *user, enum kw_key_removed *what,
                           struct kw_error *err);

/* secretsmanager.c */
int kw_keys_sm_held(const struct kw_key_sink *s, char id[KW_KEYS_ID_MAX], struct kw_secret **secret,
                    enum kw_key_held *held, struct kw_error *err);
int kw_keys_sm_deliver(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err);
int kw_keys_sm_preflight(const struct kw_key_sink *s, const char *user, bool replace, struct kw_error *err);
int kw_keys_sm_remove(const struct kw_key_sink *s, const char *user, enum kw_key_removed *what,
                      struct kw_error *err);

/* ssmparameter.c */
int kw_keys_ssm_held(const struct kw_key_sink *s, char id[KW_KEYS_ID_MAX], struct kw_secret **secret,
                     enum kw_key_held *held, struct kw_error *err);
int kw_keys_ssm_deliver(const struct kw_key_sink *s, const struct kw_access_key *k, struct kw_error *err);
int kw_keys_ssm_preflight(const struct kw_key_sink *s, const char *user, bool replace, struct kw_error *err);
int kw_keys_ssm_remove(const struct kw_key_sink *s, const char *user, enum kw_key_removed *what,
                       struct kw_error *err);

/*
 * kw_keys_store_client - a client for a secret store sink: the operator's options (s->aws)
 * with the sink's region and profile when set. Returns 0, or -1 with err set.
 */
int kw_keys_store_client(const struct kw_key_sink *s, struct kw_aws_client **out, struct kw_error *err);

#endif
