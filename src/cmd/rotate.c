/*
 * rotate.c - `keywarden rotate NAME...` (service accounts) and `keywarden rotate --profile P
 * ... | --all-profiles` (a local profile's key rotates itself). The state machine and its undo
 * are in lifecycle/rotation.h; this file supplies the IAM calls, delivery and confirmation.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/iam.h"
#include "aws/ini.h"
#include "aws/sts.h"
#include "cmd/cmd.h"
#include "cmd/lifecycle.h"
#include "engine/exec.h"
#include "keys/issue.h"
#include "keys/sink.h"
#include "lifecycle/accounts.h"
#include "lifecycle/rotation.h"
#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/output.h"
#include "util/secret.h"

static const char usage[] =
        "usage: keywarden rotate [OPTIONS] NAME...\n"
        "       keywarden rotate [OPTIONS] --profile P [--profile Q ...] | --all-profiles\n"
        "\n"
        "Rotate access keys safely: make room under IAM's two-key limit, create the new key,\n"
        "confirm it works (STS GetCallerIdentity), deliver it, deactivate the old key, then delete\n"
        "the old key (--delete-old) or keep it inactive for a grace period. A failure before the\n"
        "old key is deactivated leaves it active and deletes a new key nobody received.\n"
        "NAME is a manifest file, a folder of manifests, or an IAM user name (with --stdout).\n"
        "\n"
        "Options:\n"
        "  --delete-old           delete the old key at once instead of keeping it inactive\n"
        "  --grace DAYS           keep the old key inactive this many days (default 7); a later\n"
        "                         rotate or audit --prune-unused deletes it afterwards\n"
        "  --delete-inactive      with two keys already, delete the inactive one to make room\n"
        "  --stdout               for a NAME that is a user name: print the new key as JSON on stdout\n"
        "  --all-profiles         rotate every profile with static keys in the credentials file\n"
        "  --confirm-timeout SEC  how long to wait for a new key to work (default 60)\n"
        "  --profile P            (common option) with no NAME: rotate profile P's own key in place\n"
        "\n"
        "Ctrl-C stops before the next account or the next new key; a key already created is\n"
        "delivered and confirmed, or deleted, first. What was done and what was not is printed.\n"
        "\n"
        "Exit status: 0 every key rotated, 1 an error or a stop (what was left behind is printed).\n";

struct opts {
	bool delete_old, delete_inactive, all_profiles, to_stdout, grace_set;
	int grace_days;
	double confirm_timeout;
};

/* The result table, and the accounts a stop request (Ctrl-C) left unstarted. */
struct outcome {
	struct kw_table *t;
	bool any_failed;
	struct kw_buf skipped; /* "service-a, profile b" */
};

/* Whether a stop was requested; if so, name is added to the accounts not started. */
static bool skip_if_stopped(struct outcome *oc, const char *prefix, const char *name)
{
	if (!kw_interrupted())
		return false;
	if (oc->skipped.len)
		(void)kw_buf_puts(&oc->skipped, ", ");
	(void)kw_buf_appendf(&oc->skipped, "%s%s", prefix, name);
	return true;
}

static const char *const result_cols[] = {"Account", "OldKey", "NewKey", "OldKeyState", "DeliveredTo"};

/* --- service accounts ---------------------------------------------------------------------- */

struct svc {
	struct kw_ctx *ctx;
	const struct opts *o;
	struct kw_aws_client *admin;
	struct kw_aws_options aopt;
	struct kw_key_issuer is; /* admin client, the account's user */
	const struct kw_lc_account *acct;
	time_t created;
	struct kw_buf delivered; /* "profile x, file y" */
};

/* CreateAccessKey through the one key-issuing path (keys/issue.h); the secret moves to *secret. */
static int create_key(const struct kw_key_issuer *is, char *id, struct kw_secret **secret, time_t *created,
                      struct kw_error *err)
{
	struct kw_new_key k;

	if (kw_key_create(is, &k, err))
		return -1;
	snprintf(id, KW_LC_KEY_ID_MAX, "%s", k.id);
	*secret = k.secret;
	k.secret = NULL;
	*created = k.created;
	kw_new_key_release(&k);
	return 0;
}

static int svc_create(void *ud, char *id, struct kw_secret **secret, time_t *created, struct kw_error *err)
{
	struct svc *s = ud;

	if (create_key(&s->is, id, secret, created, err))
		return -1;
	s->created = *created;
	return 0;
}

/* The state machine's safe points (before any change, before CreateAccessKey): Ctrl-C stops there. */
static int check_stop(void *ud, struct kw_error *err)
{
	(void)ud;
	return kw_interrupt_check(NULL, err);
}

static int svc_confirm(void *ud, const char *id, const struct kw_secret *secret, struct kw_error *err)
{
	struct svc *s = ud;

	return kw_key_prove(&s->is, id, secret, NULL, true, NULL, NULL, err);
}

/* The sink for a manifest's delivery entry and its name for messages (src/keys/sink.h). */
static void sink_of(const struct kw_manifest *m, const struct kw_deliver *d, FILE *out, struct kw_key_sink *k,
                    char *what, size_t size)
{
	kw_keys_sink_from_manifest(m, d, out, k);
	kw_keys_sink_describe(k, what, size);
}

static int svc_deliver(void *ud, const char *id, const struct kw_secret *secret, size_t *written,
                       struct kw_error *err)
{
	struct svc *s = ud;
	struct kw_access_key key = {id, secret, s->acct->user, s->created};
	const struct kw_manifest *m = s->acct->manifest;
	char what[PATH_MAX + 32];

	*written = 0;
	if (!m) { /* a bare user name: --stdout was required */
		if (kw_keys_deliver_stream(s->ctx->out, &key, err))
			return -1;
		*written = 1;
		return kw_buf_puts(&s->delivered, "stdout");
	}
	for (size_t i = 0; i < m->ndeliver; i++) {
		struct kw_key_sink sink;

		sink_of(m, &m->deliver[i], s->ctx->out, &sink, what, sizeof(what));
		/* a file target holds the old key: replaced, where apply would refuse to overwrite */
		if (sink.kind == KW_KEY_SINK_FILE ? kw_keys_replace_file(sink.target, &key, err)
		                                  : kw_keys_deliver(&sink, &key, err))
			return kw_error_prefix(err, "%s", what);
		++*written;
		kw_log(KW_LOG_INFO, "%s: key %s delivered to %s", s->acct->user, id, what);
		if ((s->delivered.len && kw_buf_puts(&s->delivered, ", ")) ||
		    kw_buf_puts(&s->delivered, what))
			return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	}
	return 0;
}

static int svc_deactivate(void *ud, const char *id, struct kw_error *err)
{
	struct svc *s = ud;

	return kw_iam_update_access_key(s->admin, s->acct->user, id, KW_IAM_KEY_INACTIVE, err);
}

static int svc_delete(void *ud, const char *id, struct kw_error *err)
{
	struct svc *s = ud;

	return kw_key_delete(&s->is, id, err); /* the machine untags (svc_untag) */
}

static int svc_tag(void *ud, const char *id, const char *value, struct kw_error *err)
{
	struct svc *s = ud;
	char key[160];
	struct kw_iam_tag tag = {key, (char *)value};

	if (kw_lc_grace_tag_key(id, key, sizeof(key)))
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "tag key too long");
	return kw_iam_tag_user(s->admin, s->acct->user, &tag, 1, err);
}

static int svc_untag(void *ud, const char *id, struct kw_error *err)
{
	struct svc *s = ud;

	return kw_cmd_untag_key(s->admin, s->acct->user, id, err);
}

/* keywarden:delivered:<id> = now (UTC), as apply writes it (keys/issue.h). */
static int svc_tag_delivered(void *ud, const char *id, struct kw_error *err)
{
	struct svc *s = ud;

	return kw_key_tag_delivered(&s->is, id, err);
}

/* The user's keys with what their grace tags say. keys[i].id borrows from list. */
static int read_keys(struct kw_aws_client *c, const char *user, const struct kw_iam_tag_list *tags,
                     struct kw_iam_access_key_list *list, struct kw_lc_rot_key **keys, struct kw_error *err)
{
	if (kw_iam_list_access_keys(c, user, list, err))
		return -1;
	*keys = calloc(list->n ? list->n : 1, sizeof(**keys));
	if (!*keys)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < list->n; i++) {
		struct kw_lc_rot_key *k = &(*keys)[i];
		char tagkey[160];

		k->id = list->items[i].access_key_id;
		k->active = list->items[i].status == KW_IAM_KEY_ACTIVE;
		if (!tags || kw_lc_grace_tag_key(k->id, tagkey, sizeof(tagkey)))
			continue;
		for (size_t j = 0; j < tags->n; j++)
			if (!strcasecmp(tags->items[j].key, tagkey) &&
			    kw_lc_grace_parse(tags->items[j].value, &k->inactive_since, &k->grace_days))
				kw_log(KW_LOG_WARN, "%s: tag %s has an unreadable value, ignored", user,
				       tagkey);
	}
	return 0;
}

static bool user_managed(const struct kw_iam_user *u)
{
	for (size_t i = 0; i < u->tags.n; i++)
		if (!strcmp(u->tags.items[i].key, KW_MANAGED_BY_KEY) &&
		    !strcmp(u->tags.items[i].value, KW_MANAGED_BY_VALUE))
			return true;
	return false;
}

/* "deleted", "inactive until ...", "still active", "none". */
static void old_state(const struct kw_lc_rot_result *r, char *buf, size_t size)
{
	if (!*r->old_id)
		snprintf(buf, size, "none");
	else if (r->old_deleted)
		snprintf(buf, size, "deleted");
	else if (r->old_active)
		snprintf(buf, size, "still active");
	else if (r->old_tagged)
		snprintf(buf, size, "inactive until %s", r->grace_until);
	else
		snprintf(buf, size, "inactive");
}

static void report(struct kw_ctx *ctx, struct outcome *oc, const char *account,
                   const struct kw_lc_rot_result *r, const char *delivered, int rc,
                   const struct kw_error *err)
{
	char state[KW_LC_GRACE_VALUE_MAX + 32];
	const char *cells[5];

	if (rc) {
		kw_error_print(err, ctx->err);
		if (r->state[0])
			fprintf(ctx->err, "note: %s: %s\n", account, r->state);
		oc->any_failed = true;
	}
	for (size_t i = 0; i < r->nremoved; i++)
		fprintf(ctx->err, "%s: deleted inactive key %s to stay under the two-key limit\n", account,
		        r->removed[i]);
	if (rc && r->failed <= KW_LC_ROT_CREATE)
		return;
	old_state(r, state, sizeof(state));
	cells[0] = account;
	cells[1] = *r->old_id ? r->old_id : "-";
	cells[2] = *r->new_id ? r->new_id : "-";
	cells[3] = state;
	cells[4] = delivered && *delivered ? delivered : "-";
	if (kw_table_add_row(oc->t, cells))
		oc->any_failed = true;
}

static int rotate_account(struct kw_ctx *ctx, const struct opts *o, struct kw_aws_client *admin,
                          const struct kw_lc_account *a, struct outcome *oc)
{
	struct svc s = {.ctx = ctx, .o = o, .admin = admin, .acct = a};
	struct kw_lc_rot_ops ops = {&s,         svc_create, svc_confirm, svc_deliver, svc_deactivate,
	                            svc_delete, svc_tag,    svc_untag,   check_stop,  svc_tag_delivered};
	struct kw_lc_rot_opts ro = {.delete_inactive = o->delete_inactive,
	                            .delete_old = o->delete_old,
	                            .grace_days = o->grace_days,
	                            .now = time(NULL)};
	struct kw_iam_user user = {0};
	struct kw_iam_access_key_list list = {0};
	struct kw_lc_rot_key *keys = NULL;
	struct kw_lc_rot_result res = {0};
	struct kw_error err = {0};
	int rc = -1;

	kw_cmd_aws_options(ctx, ctx->profile, &s.aopt);
	s.aopt.adaptive_default = true;
	s.is = (struct kw_key_issuer){admin, a->user, &s.aopt, o->confirm_timeout, false};
	kw_buf_init(&s.delivered);
	if (a->manifest && !a->manifest->ndeliver) {
		kw_error_set(
		        &err, KW_ERR_INVALID, a->manifest->file,
		        "%s: the manifest has no accessKeys.deliver targets, so a new key would reach nobody",
		        a->user);
		goto fail;
	}
	if (!a->manifest && !o->to_stdout) {
		kw_error_set(
		        &err, KW_ERR_USAGE, NULL,
		        "%s: no manifest names where the new key goes: name the manifest, or add --stdout",
		        a->user);
		goto fail;
	}
	if (kw_iam_get_user(admin, a->user, &user, &err))
		goto fail;
	if (!user_managed(&user)) {
		kw_error_set(&err, KW_ERR_CONFLICT, a->user,
		             "not tagged %s: %s, so keywarden leaves it alone", KW_MANAGED_BY_KEY,
		             KW_MANAGED_BY_VALUE);
		goto fail;
	}
	if (read_keys(admin, a->user, &user.tags, &list, &keys, &err))
		goto fail;
	rc = kw_lc_rotate(keys, list.n, &ro, &ops, &res, &err);
	if (rc && err.where[0] == '\0')
		snprintf(err.where, sizeof(err.where), "%s", a->user);
	report(ctx, oc, a->user, &res, s.delivered.data, rc, &err);
	goto out;
fail:
	kw_error_print(&err, ctx->err);
	oc->any_failed = true;
out:
	kw_buf_release(&s.delivered);
	free(keys);
	kw_iam_access_key_list_release(&list);
	kw_iam_user_release(&user);
	return rc;
}

/* --- local profiles: the key rotates itself -------------------------------------------------- */

struct self {
	struct kw_ctx *ctx;
	const struct opts *o;
	struct kw_aws_client *old; /* signs with the old key */
	struct kw_aws_client *new; /* signs with the new key, once confirmed */
	struct kw_aws_options aopt;
	const char *const *profiles; /* every profile holding the old key */
	size_t nprofiles;
	const char *user;
	time_t created;
	struct kw_buf delivered;
	struct kw_key_issuer is; /* the old key's client (the new one's once confirmed), the caller */
};

static struct kw_aws_client *self_client(struct self *s)
{
	return s->new ? s->new : s->old;
}

static int self_create(void *ud, char *id, struct kw_secret **secret, time_t *created, struct kw_error *err)
{
	struct self *s = ud;

	if (create_key(&s->is, id, secret, created, err))
		return -1;
	s->created = *created;
	return 0;
}

static int self_confirm(void *ud, const char *id, const struct kw_secret *secret, struct kw_error *err)
{
	struct self *s = ud;

	struct kw_key_issuer is = s->is;

	is.user = s->user; /* the new key must sign as the profile's user */
	if (kw_key_prove(&is, id, secret, NULL, true, &s->new, NULL, err))
		return -1;
	s->is.c = s->new;
	return 0;
}

static int self_deliver(void *ud, const char *id, const struct kw_secret *secret, size_t *written,
                        struct kw_error *err)
{
	struct self *s = ud;
	struct kw_access_key key = {id, secret, s->user, s->created};

	*written = 0;
	for (size_t i = 0; i < s->nprofiles; i++) {
		if (kw_keys_deliver_profile(s->profiles[i], &key, NULL, NULL, err))
			return kw_error_prefix(err, "profile %s", s->profiles[i]);
		++*written;
		if ((s->delivered.len && kw_buf_puts(&s->delivered, ", ")) ||
		    kw_buf_appendf(&s->delivered, "profile %s", s->profiles[i]))
			return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	}
	return 0;
}

static int self_deactivate(void *ud, const char *id, struct kw_error *err)
{
	struct self *s = ud;

	return kw_iam_update_access_key(self_client(s), NULL, id, KW_IAM_KEY_INACTIVE, err);
}

static int self_delete(void *ud, const char *id, struct kw_error *err)
{
	struct self *s = ud;

	s->is.c = self_client(s);
	return kw_key_delete(&s->is, id, err);
}

/* Whether section sec of the credentials file holds static long-term keys; why not in *why. */
static bool has_static_keys(const struct kw_ini_section *sec, const char **why)
{
	if (!sec) {
		*why = "not in the credentials file";
		return false;
	}
	if (!kw_ini_get(sec, "aws_access_key_id", NULL) || !kw_ini_get(sec, "aws_secret_access_key", NULL)) {
		*why = "no static keys";
		return false;
	}
	if (kw_aws_section_has_session_token(sec)) {
		*why = "temporary credentials (a session token) are not rotated";
		return false;
	}
	return true;
}

/* Copy the access key id of sec into buf (not a secret). */
static void key_id_of(const struct kw_ini_section *sec, char *buf, size_t size)
{
	const struct kw_ini_entry *e = kw_ini_get(sec, "aws_access_key_id", NULL);
	size_t n = e->value.len < size - 1 ? e->value.len : size - 1;

	memcpy(buf, e->value.ptr, n);
	buf[n] = '\0';
}

static int rotate_profile(struct kw_ctx *ctx, const struct opts *o, const char *const *profiles,
                          size_t nprofiles, struct outcome *oc)
{
	struct self s = {.ctx = ctx, .o = o, .profiles = profiles, .nprofiles = nprofiles};
	struct kw_lc_rot_ops ops = {&s,          self_create, self_confirm, self_deliver, self_deactivate,
	                            self_delete, NULL,        NULL,         check_stop,   NULL};
	struct kw_lc_rot_opts ro = {.delete_inactive = o->delete_inactive,
	                            .delete_old = !o->grace_set || o->delete_old,
	                            .grace_days = o->grace_days,
	                            .now = time(NULL)};
	struct kw_iam_access_key_list list = {0};
	struct kw_lc_rot_key *keys = NULL;
	struct kw_lc_rot_result res = {0};
	struct kw_error err = {0};
	char account[512];
	int rc = -1;

	snprintf(account, sizeof(account), "profile %s", profiles[0]);
	kw_buf_init(&s.delivered);
	kw_cmd_aws_options(ctx, profiles[0], &s.aopt);
	s.aopt.adaptive_default = true;
	if (kw_aws_client_new(&s.aopt, &s.old, &err))
		goto fail;
	ro.current = kw_aws_client_access_key_id(s.old);
	s.is = (struct kw_key_issuer){s.old, NULL, &s.aopt, o->confirm_timeout, false};
	if (read_keys(s.old, NULL, NULL, &list, &keys, &err))
		goto fail;
	if (list.n)
		s.user = list.items[0].user_name;
	rc = kw_lc_rotate(keys, list.n, &ro, &ops, &res, &err);
	if (rc && err.where[0] == '\0')
		snprintf(err.where, sizeof(err.where), "%s", account);
	report(ctx, oc, account, &res, s.delivered.data, rc, &err);
	goto out;
fail:
	kw_error_prefix(&err, "%s", account);
	kw_error_print(&err, ctx->err);
	oc->any_failed = true;
out:
	kw_buf_release(&s.delivered);
	free(keys);
	kw_iam_access_key_list_release(&list);
	kw_aws_client_free(s.new);
	kw_aws_client_free(s.old);
	return rc;
}

/*
 * Rotate the profiles named (or all, with --all-profiles) that hold static keys; profiles
 * holding the same key are rotated together (every one of them gets the new key).
 */
static int rotate_profiles(struct kw_ctx *ctx, const struct opts *o, struct outcome *oc)
{
	struct kw_buf path = KW_BUF_INIT;
	struct kw_ini *ini = NULL;
	struct kw_error err = {0};
	const char **names = NULL, **group = NULL;
	char(*ids)[KW_LC_KEY_ID_MAX] = NULL;
	bool *done = NULL;
	size_t n = 0;
	int rc = -1;

	if (kw_keys_credentials_path(&path, &err) || kw_ini_load(path.data, &ini, &err))
		goto fail;
	n = o->all_profiles ? ini->nsections : ctx->nprofiles;
	names = calloc(n ? n : 1, sizeof(*names));
	group = calloc(n ? n : 1, sizeof(*group));
	ids = calloc(n ? n : 1, sizeof(*ids));
	done = calloc(n ? n : 1, sizeof(*done));
	if (!names || !group || !ids || !done) {
		kw_error_set(&err, KW_ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = o->all_profiles ? ini->sections[i].name : ctx->profiles[i];
		const struct kw_ini_section *sec = kw_ini_profile(ini, KW_INI_CREDENTIALS, name);
		const char *why = NULL;

		names[i] = name;
		if (!has_static_keys(sec, &why)) {
			fprintf(ctx->err, "note: profile %s skipped: %s\n", name, why);
			done[i] = true;
			if (!o->all_profiles)
				oc->any_failed = true;
			continue;
		}
		key_id_of(sec, ids[i], sizeof(ids[i]));
	}
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		size_t ng = 0;

		if (done[i])
			continue;
		if (skip_if_stopped(oc, "profile ", names[i])) {
			done[i] = true;
			continue;
		}
		group[ng++] = names[i];
		done[i] = true;
		for (size_t j = i + 1; j < n; j++) {
			if (done[j])
				continue;
			if (!strcmp(names[j], names[i])) {
				done[j] = true; /* the same profile named twice */
			} else if (!strcmp(ids[j], ids[i])) {
				group[ng++] = names[j]; /* holds the same key: gets the new one too */
				done[j] = true;
			}
		}
		if (rotate_profile(ctx, o, group, ng, oc))
			rc = -1;
	}
	goto out;
fail:
	kw_error_print(&err, ctx->err);
	oc->any_failed = true;
out:
	free(names);
	free(group);
	free(ids);
	free(done);
	kw_ini_free(ini);
	kw_buf_release(&path);
	return rc;
}

/* After a stop request (Ctrl-C): what was not started; the table above shows what was done. */
static void report_stop(struct kw_ctx *ctx, struct outcome *oc)
{
	struct kw_error err;

	if (!kw_interrupt_check("rotate", &err))
		return;
	if (oc->skipped.len) {
		kw_error_print(&err, ctx->err);
		fprintf(ctx->err, "note: stopped; not rotated (not started): %s\n", oc->skipped.data);
		oc->any_failed = true;
	} else if (!oc->any_failed) {
		fprintf(ctx->err,
		        "note: %s while the last rotation was under way: it was completed, every key is "
		        "rotated\n",
		        err.msg);
	}
}

int cmd_rotate(int argc, char **argv, struct kw_ctx *ctx)
{
	enum { OPT_DELETE_OLD = 256, OPT_GRACE, OPT_DELETE_INACTIVE, OPT_STDOUT, OPT_ALL, OPT_TIMEOUT };
	static const struct option longopts[] = {
	        {"delete-old", no_argument, NULL, OPT_DELETE_OLD},
	        {"grace", required_argument, NULL, OPT_GRACE},
	        {"delete-inactive", no_argument, NULL, OPT_DELETE_INACTIVE},
	        {"stdout", no_argument, NULL, OPT_STDOUT},
	        {"all-profiles", no_argument, NULL, OPT_ALL},
	        {"confirm-timeout", required_argument, NULL, OPT_TIMEOUT},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct opts o = {.grace_days = KW_LC_DEFAULT_GRACE_DAYS, .confirm_timeout = 60};
	struct outcome oc = {0};
	struct kw_lc_accounts accts = {0};
	struct kw_aws_client *admin = NULL;
	struct kw_aws_options aopt;
	struct kw_error err = {0};
	bool stdout_used = false;
	int c, rc = KW_EXIT_ERROR;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': fprintf(ctx->out, "%s\n%s", usage, kw_common_options_help); return KW_EXIT_OK;
		case OPT_DELETE_OLD: o.delete_old = true; break;
		case OPT_GRACE:
			if (kw_cmd_parse_days(optarg, 0, 3650, &o.grace_days))
				return kw_cmd_usage_error(ctx, usage,
				                          "--grace wants whole days from 0 to 3650");
			o.grace_set = true;
			break;
		case OPT_DELETE_INACTIVE: o.delete_inactive = true; break;
		case OPT_STDOUT: o.to_stdout = true; break;
		case OPT_ALL: o.all_profiles = true; break;
		case OPT_TIMEOUT: {
			char *end;
			o.confirm_timeout = strtod(optarg, &end);
			if (*end || !(o.confirm_timeout >= 0 && o.confirm_timeout <= 3600))
				return kw_cmd_usage_error(ctx, usage,
				                          "--confirm-timeout wants seconds from 0 to 3600");
			break;
		}
		default: return kw_cmd_bad_option(ctx, usage, "rotate", "h", longopts, argv);
		}
	}
	if (o.delete_old && o.grace_set)
		return kw_cmd_usage_error(ctx, usage, "--delete-old and --grace exclude each other");
	if (optind < argc && ctx->nprofiles > 1)
		return kw_cmd_usage_error(
		        ctx, usage, "with NAME, --profile names the one admin profile to use: give it once");
	if (optind < argc && o.all_profiles)
		return kw_cmd_usage_error(ctx, usage, "--all-profiles rotates local profiles: give no NAME");
	if (optind == argc && !o.all_profiles && !ctx->nprofiles)
		return kw_cmd_usage_error(ctx, usage,
		                          "rotate what? give NAME..., --profile P or --all-profiles");

	/* Ctrl-C from here on is a request to stop at a safe point (util/interrupt.h) */
	kw_interrupt_install();
	kw_buf_init(&oc.skipped);
	oc.t = kw_table_new("Rotated keys", 5, result_cols);
	if (!oc.t) {
		fputs("error: out of memory\n", ctx->err);
		goto out;
	}
	if (optind == argc) {
		rotate_profiles(ctx, &o, &oc);
	} else {
		if (kw_cmd_resolve_accounts(ctx, argv + optind, (size_t)(argc - optind), &accts))
			goto out;
		kw_cmd_aws_options(ctx, ctx->profile, &aopt);
		aopt.adaptive_default = true;
		if (kw_aws_client_new(&aopt, &admin, &err)) {
			kw_error_print(&err, ctx->err);
			goto out;
		}
		for (size_t i = 0; i < accts.n; i++) {
			const struct kw_manifest *m = accts.v[i].manifest;
			for (size_t j = 0; m && j < m->ndeliver; j++)
				stdout_used |= m->deliver[j].kind == KW_DELIVER_STDOUT;
			stdout_used |= !m;
			if (!skip_if_stopped(&oc, "", accts.v[i].user))
				rotate_account(ctx, &o, admin, &accts.v[i], &oc);
		}
	}
	if (kw_table_rows(oc.t)) {
		/* a key delivered on stdout keeps stdout for the key alone: the summary goes to stderr */
		FILE *fp = stdout_used ? ctx->err : ctx->out;
		enum kw_output_format fmt = kw_cmd_output_format(ctx, fp);

		kw_table_print(oc.t, fmt, fp, !stdout_used && kw_cmd_color(ctx));
	}
	report_stop(ctx, &oc);
	rc = oc.any_failed ? KW_EXIT_ERROR : KW_EXIT_OK;
out:
	kw_aws_client_free(admin);
	kw_lc_accounts_release(&accts);
	kw_table_free(oc.t);
	kw_buf_release(&oc.skipped);
	return rc;
}
