/*
 * store.h - for src/keys only: what the two secret-store targets share (secretsmanager.c,
 * ssmparameter.c): their client, their tags, the check that an existing secret or parameter is
 * keywarden's own for the user, and comparing a read-back with what was written.
 */
#ifndef KW_KEYS_STORE_H
#define KW_KEYS_STORE_H

#include <stdbool.h>

#include "aws/secretsmanager.h" /* struct kw_aws_tag */
#include "keys/sink.h"

struct kw_aws_client;
struct kw_error;
struct kw_secret;

/* The tags keywarden puts on a secret or parameter: managed-by: keywarden, keywarden:user. */
void kw_keys_store_tags(const char *user_name, struct kw_aws_tag tags[2]);

/*
 * kw_keys_store_owned - whether tags managed-by and keywarden:user (their values, NULL when
 * absent) make a store entry keywarden's for user_name; when not, err says why (KW_ERR_CONFLICT,
 * naming what and the tags to set to adopt it). Returns 0 when owned, -1 otherwise.
 */
int kw_keys_store_owned(const char *what, const char *managed_by, const char *user_tag, const char *user_name,
                        struct kw_error *err);

/* kw_keys_store_denied - err is an AccessDenied answer (any service's spelling). */
bool kw_keys_store_denied(const struct kw_error *err);

/*
 * kw_keys_store_held - what a store holds (sink.h kw_keys_held) after the read of its value:
 * rc the read's result (0, or -1 with err set: a missing entry is KW_KEY_HELD_NONE, any other
 * failure is returned), value what it held; with secret, the key's secret too (kw_keys_secret_in).
 * Returns 0 with *held set, or -1.
 */
int kw_keys_store_held(int rc, const struct kw_secret *value, char id[KW_KEYS_ID_MAX],
                       struct kw_secret **secret, enum kw_key_held *held, struct kw_error *err);

/* kw_keys_store_same - a and b hold the same bytes. */
bool kw_keys_store_same(const struct kw_secret *a, const struct kw_secret *b);

#endif
