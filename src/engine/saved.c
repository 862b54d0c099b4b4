#include "engine/saved.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sts.h"
#include "engine/render.h"
#include "lifecycle/rotation.h"
#include "manifest/manifest.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/output.h"

#define FILE_MAX (16u << 20) /* larger than any manifest or policy file we accept */
#define HEX_LEN  65

static void sha256_hex(const void *data, size_t len, char out[HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL) || n != 32) {
		memset(out, '0', HEX_LEN - 1);
		out[HEX_LEN - 1] = '\0';
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- the files a run read ------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append path (kind) to files unless already there. */
static int add_file(json_t *files, const char *path, const char *kind, struct kw_error *err)
{
	char hex[HEX_LEN], *data = NULL;
	size_t i, len = 0;
	json_t *v;

	json_array_foreach(files, i,
	                   v) if (!strcmp(json_string_value(json_object_get(v, "path")), path)) return 0;
	if (kw_read_file(path, FILE_MAX, &data, &len, err))
		return -1;
	sha256_hex(data, len, hex);
	free(data);
	if (json_array_append_new(files,
	                          json_pack("{s:s, s:s, s:s}", "path", path, "kind", kind, "sha256", hex)))
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "path")),
	              json_string_value(json_object_get(*(json_t *const *)b, "path")));
}

/* Every manifest, policy and folder settings file of the run, with its SHA-256, sorted by path. */
static json_t *files_json(const struct kw_session *s, struct kw_error *err)
{
	const struct kw_manifest_set *set = s->set;
	json_t *files = json_array(), *sorted = NULL, **v = NULL;
	size_t n;

	if (!files)
		goto nomem;
	for (size_t i = 0; set && i < set->n; i++) {
		const struct kw_manifest *m = set->items[i];

		if (add_file(files, m->file, "manifest", err))
			goto fail;
		for (size_t k = 0; k < m->ninline; k++)
			if (add_file(files, m->inline_policies[k].file, "policy", err))
				goto fail;
	}
	if (s->owner_file && add_file(files, s->owner_file, "settings", err))
		goto fail;
	n = json_array_size(files);
	v = calloc(n ? n : 1, sizeof(*v));
	sorted = json_array();
	if (!v || !sorted)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(files, i);
	qsort(v, n, sizeof(*v), file_cmp);
	for (size_t i = 0; i < n; i++)
		if (json_array_append(sorted, v[i]))
			goto nomem;
	free(v);
	json_decref(files);
	return sorted;
nomem:
	kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
fail:
	free(v);
	json_decref(files);
	json_decref(sorted);
	return NULL;
}

/* ---- the live state a plan depends on ------------------------------------------------- */

/* Lines of one part of the live state, sorted before hashing (IAM's list order is no change). */
struct lines {
	struct kw_strlist l;
	bool nomem;
};

__attribute__((format(printf, 2, 3))) static void line(struct lines *ls, const char *fmt, ...)
{
	struct kw_buf b = KW_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = kw_buf_vappendf(&b, fmt, ap);
	va_end(ap);
	if (rc || kw_strlist_add(&ls->l, b.data ? b.data : ""))
		ls->nomem = true;
	kw_buf_release(&b);
}

/* A policy document as canonical JSON (sorted keys, compact), so formatting is no change. */
static void doc_line(struct lines *ls, const char *kind, const char *name, const char *doc)
{
	json_t *j = doc ? json_loads(doc, 0, NULL) : NULL;
	char *c = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

	line(ls, "%s\t%s\t%s", kind, name, c ? c : doc ? doc : "");
	free(c);
	json_decref(j);
}

/* The lines of a user's or a group's policies: each inline one with its document, each managed ARN. */
static void policy_lines(struct lines *ls, const struct kw_doclist *inline_policies,
                         const struct kw_strlist *managed_arns)
{
	for (size_t i = 0; i < inline_policies->n; i++)
		doc_line(ls, "inline", inline_policies->v[i].name, inline_policies->v[i].document);
	for (size_t i = 0; i < managed_arns->n; i++)
		line(ls, "managed\t%s", managed_arns->v[i]);
}

/* Hash the lines (sorted, each ending in a newline) into hex, and empty them. */
static int lines_digest(struct lines *ls, char hex[HEX_LEN])
{
	struct kw_buf b = KW_BUF_INIT;
	int rc = -1;

	if (ls->nomem)
		goto out;
	if (ls->l.n)
		qsort(ls->l.v, ls->l.n, sizeof(*ls->l.v), cmp_str);
	for (size_t i = 0; i < ls->l.n; i++)
		if (kw_buf_puts(&b, ls->l.v[i]) || kw_buf_putc(&b, '\n'))
			goto out;
	sha256_hex(b.data, b.len, hex);
	rc = 0;
out:
	kw_buf_release(&b);
	kw_strlist_release(&ls->l);
	ls->nomem = false;
	return rc;
}

/* The parts of an account's live state, in the order they are checked, with their names. */
enum part {
	P_USER,
	P_BOUNDARY,
	P_TAGS,
	P_GROUPS,
	P_USER_POLICIES,
	P_KEYS,
	P_LOGIN,
	P_MFA,
	P_GROUP,
	P_GROUP_POLICIES,
	P_ORPHAN_MFA,
	P_COUNT,
};

static const struct {
	const char *key;  /* in the saved plan */
	const char *name; /* in messages */
} parts[P_COUNT] = {
        [P_USER] = {"user", "user"},
        [P_BOUNDARY] = {"permissions_boundary", "permissions boundary"},
        [P_TAGS] = {"user_tags", "user tags"},
        [P_GROUPS] = {"group_memberships", "group memberships"},
        [P_USER_POLICIES] = {"user_policies", "user policies"},
        [P_KEYS] = {"access_keys", "access keys"},
        [P_LOGIN] = {"login_profile", "login profile"},
        [P_MFA] = {"mfa_devices", "MFA devices"},
        [P_GROUP] = {"group", "group"},
        [P_GROUP_POLICIES] = {"group_policies", "group policies"},
        [P_ORPHAN_MFA] = {"unassigned_mfa_device", "unassigned MFA device"},
};

static void part_lines(const struct kw_live_account *a, enum part p, struct lines *ls)
{
	const struct kw_live_user *u = &a->user;
	const struct kw_live_group *g = &a->group;

	switch (p) {
	case P_USER:
		line(ls, "%d\t%s\t%s\t%s\t%s", u->exists, u->name ? u->name : "", u->path ? u->path : "",
		     u->arn ? u->arn : "", u->id ? u->id : "");
		break;
	case P_BOUNDARY: line(ls, "%s", u->boundary ? u->boundary : ""); break;
	case P_TAGS:
		for (size_t i = 0; i < u->tags.n; i++)
			line(ls, "%s\t%s", u->tags.v[i].key, u->tags.v[i].value);
		break;
	case P_GROUPS:
		for (size_t i = 0; i < u->groups.n; i++)
			line(ls, "%s", u->groups.v[i]);
		break;
	case P_USER_POLICIES: policy_lines(ls, &u->inline_policies, &u->managed_arns); break;
	case P_KEYS:
		line(ls, "read\t%d", u->keys_read);
		for (size_t i = 0; i < u->nkeys; i++)
			line(ls, "key\t%s\t%d\t%lld\t%d", u->keys[i].id, u->keys[i].active,
			     (long long)u->keys[i].created, u->keys[i].undelivered);
		break;
	case P_LOGIN: line(ls, "%d", u->login_profile); break;
	case P_MFA:
		for (size_t i = 0; i < u->mfa.n; i++)
			line(ls, "%s", u->mfa.v[i]);
		break;
	case P_GROUP:
		line(ls, "%d\t%s\t%s\t%s", g->exists, g->name ? g->name : "", g->path ? g->path : "",
		     g->arn ? g->arn : "");
		break;
	case P_GROUP_POLICIES: policy_lines(ls, &g->inline_policies, &g->managed_arns); break;
	case P_ORPHAN_MFA: line(ls, "%s", a->orphan_mfa ? a->orphan_mfa : ""); break;
	case P_COUNT: break;
	}
}

static json_t *live_json(const struct kw_session *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->n; i++) {
		json_t *dig = json_object(), *acc;
		struct lines ls = {0};

		acc = json_pack("{s:s, s:s, s:o}", "account", s->desired[i].name, "user",
		                s->desired[i].user_name, "digests", dig);
		if (!dig || json_array_append_new(arr, acc))
			goto fail;
		for (int p = 0; p < P_COUNT; p++) {
			char hex[HEX_LEN];

			part_lines(&s->live[i], (enum part)p, &ls);
			if (lines_digest(&ls, hex) ||
			    json_object_set_new(dig, parts[p].key, json_string(hex)))
				goto fail;
		}
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* ---- the document --------------------------------------------------------------------- */

json_t *kw_saved_plan_new(const struct kw_session *s, const char *const *paths, size_t npaths,
                          const struct kw_plan_opts *opts, const char *account, const char *text,
                          const char *markdown, struct kw_error *err)
{
	json_t *doc = NULL, *jp = json_array(), *files = NULL, *live = NULL, *plan = NULL;
	char when[32];

	for (size_t i = 0; jp && i < npaths; i++)
		if (json_array_append_new(jp, json_string(paths[i])))
			goto nomem;
	files = files_json(s, err);
	if (!files)
		goto fail;
	live = live_json(s);
	plan = kw_plan_json(&s->plan);
	if (!jp || !live || !plan)
		goto nomem;
	kw_iso8601_format(opts->now, when, sizeof(when));
	doc = json_pack(
	        "{s:s, s:i, s:s, s:s, s:I, s:s, s:O, s:{s:b, s:b, s:o, s:b, s:o}, s:O, s:O, s:O, s:{s:s, "
	        "s:s}}",
	        "format", KW_SAVED_FORMAT, "format_version", KW_SAVED_FORMAT_VERSION, "keywarden_version",
	        KW_VERSION, "created", when, "created_unix", (json_int_t)opts->now, "account", account,
	        "paths", jp, "options", "adopt", opts->adopt, "prune_keys", opts->prune_keys, "owner",
	        opts->owner ? json_string(opts->owner) : json_null(), "prune_accounts", opts->prune_accounts,
	        "role_arn", opts->role_arn ? json_string(opts->role_arn) : json_null(), "files", files,
	        "live", live, "plan", plan, "rendered", "text", text, "markdown", markdown);
	if (!doc)
		goto nomem;
	goto out;
nomem:
	kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
fail:
	json_decref(doc);
	doc = NULL;
out:
	json_decref(jp);
	json_decref(files);
	json_decref(live);
	json_decref(plan);
	return doc;
}

int kw_saved_plan_write(const char *path, const json_t *doc, struct kw_error *err)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int rc;

	if (!text)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	rc = kw_atomic_write(path, text, strlen(text), 0600, 0, err);
	free(text);
	return rc;
}

int kw_saved_plan_read(const char *path, json_t **out, struct kw_error *err)
{
	json_error_t je;
	json_t *doc;
	char *text = NULL;
	size_t len;
	json_int_t version;

	*out = NULL;
	if (kw_read_file(path, FILE_MAX, &text, &len, err))
		return -1;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!doc)
		return kw_error_set(err, KW_ERR_INVALID, path, "not a saved plan: %d:%d: %s", je.line,
		                    je.column, je.text);
	if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "format")) ||
	    strcmp(json_string_value(json_object_get(doc, "format")), KW_SAVED_FORMAT)) {
		json_decref(doc);
		return kw_error_set(err, KW_ERR_INVALID, path, "not a saved plan (no \"format\": \"%s\")",
		                    KW_SAVED_FORMAT);
	}
	version = json_integer_value(json_object_get(doc, "format_version"));
	if (version != KW_SAVED_FORMAT_VERSION) {
		json_decref(doc);
		return kw_error_set(
		        err, KW_ERR_INVALID, path,
		        "saved plan format_version %lld; this keywarden reads version %d (make the "
		        "plan again with this version)",
		        (long long)version, KW_SAVED_FORMAT_VERSION);
	}
	if (!json_is_array(json_object_get(doc, "paths")) || !json_is_array(json_object_get(doc, "files")) ||
	    !json_is_array(json_object_get(doc, "live")) || !json_is_object(json_object_get(doc, "plan")) ||
	    !json_is_object(json_object_get(doc, "options")) ||
	    !json_is_string(json_object_get(doc, "account")) ||
	    !json_is_integer(json_object_get(doc, "created_unix")) ||
	    !json_is_object(json_object_get(doc, "rendered"))) {
		json_decref(doc);
		return kw_error_set(err, KW_ERR_INVALID, path, "saved plan incomplete (a field is missing)");
	}
	*out = doc;
	return 0;
}

int kw_saved_plan_args(const json_t *doc, const char ***paths, size_t *npaths, struct kw_plan_opts *opts,
                       struct kw_error *err)
{
	const json_t *jp = json_object_get(doc, "paths"), *o = json_object_get(doc, "options");
	size_t n = json_array_size(jp);
	const char **v = calloc(n + 1, sizeof(*v));

	if (!v)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = json_string_value(json_array_get(jp, i)))) {
			free(v);
			return kw_error_set(err, KW_ERR_INVALID, NULL, "saved plan: paths must be strings");
		}
	if (!n) {
		free(v);
		return kw_error_set(err, KW_ERR_INVALID, NULL, "saved plan: no paths");
	}
	opts->adopt = json_is_true(json_object_get(o, "adopt"));
	opts->prune_keys = json_is_true(json_object_get(o, "prune_keys"));
	opts->owner = json_string_value(json_object_get(o, "owner"));
	opts->prune_accounts = json_is_true(json_object_get(o, "prune_accounts"));
	opts->role_arn = json_string_value(json_object_get(o, "role_arn"));
	*paths = v;
	*npaths = n;
	return 0;
}

static void duration_text(long s, char *buf, size_t size)
{
	if (s >= 2 * 86400)
		snprintf(buf, size, "%ld days %ld hours", s / 86400, (s % 86400) / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%ld h %ld min", s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, size, "%ld min %ld s", s / 60, s % 60);
}

int kw_saved_plan_check_age(const json_t *doc, time_t now, long max_age, struct kw_error *err)
{
	time_t created = (time_t)json_integer_value(json_object_get(doc, "created_unix"));
	const char *when = json_string_value(json_object_get(doc, "created"));
	char age[64], limit[64];

	if (created > now + KW_SAVED_CLOCK_SKEW)
		return kw_error_set(
		        err, KW_ERR_CONFLICT, NULL,
		        "the saved plan is dated %s, in the future: check the clock; make the plan again",
		        when ? when : "?");
	if (now - created > max_age) {
		duration_text((long)(now - created), age, sizeof(age));
		duration_text(max_age, limit, sizeof(limit));
		return kw_error_set(
		        err, KW_ERR_CONFLICT, NULL,
		        "the saved plan was made %s ago (%s), more than --max-plan-age %s: make the "
		        "plan again",
		        age, when ? when : "?", limit);
	}
	return 0;
}

/* The entry of path in a files array, or NULL. */
static const json_t *find_file(const json_t *files, const char *path)
{
	size_t i;
	json_t *v;

	json_array_foreach(files, i,
	                   v) if (!strcmp(json_string_value(json_object_get(v, "path")), path)) return v;
	return NULL;
}

static int check_files(const json_t *saved, const json_t *now, struct kw_error *err)
{
	size_t i;
	json_t *v;

	json_array_foreach(saved, i, v)
	{
		const char *path = json_string_value(json_object_get(v, "path"));
		const char *kind = json_string_value(json_object_get(v, "kind"));
		const json_t *cur = find_file(now, path ? path : "");

		if (!path)
			return kw_error_set(err, KW_ERR_INVALID, NULL, "saved plan: a file without path");
		if (!cur)
			return kw_error_set(
			        err, KW_ERR_CONFLICT, NULL,
			        "%s %s is no longer read (removed, or its manifest no longer names "
			        "it) since the plan",
			        kind ? kind : "file", path);
		if (!json_equal(json_object_get(v, "sha256"), json_object_get(cur, "sha256")))
			return kw_error_set(err, KW_ERR_CONFLICT, NULL, "%s %s changed since the plan",
			                    kind ? kind : "file", path);
	}
	json_array_foreach(now, i, v)
	{
		const char *path = json_string_value(json_object_get(v, "path"));

		if (!find_file(saved, path))
			return kw_error_set(err, KW_ERR_CONFLICT, NULL, "%s %s is new since the plan",
			                    json_string_value(json_object_get(v, "kind")), path);
	}
	return 0;
}

static int check_live(const json_t *saved, const json_t *now, struct kw_error *err)
{
	if (json_array_size(saved) != json_array_size(now))
		return kw_error_set(err, KW_ERR_CONFLICT, NULL, "the accounts differ from the plan's");
	for (size_t i = 0; i < json_array_size(saved); i++) {
		const json_t *a = json_array_get(saved, i), *b = json_array_get(now, i);
		const json_t *da = json_object_get(a, "digests"), *db = json_object_get(b, "digests");
		const char *name = json_string_value(json_object_get(b, "account"));

		if (!json_equal(json_object_get(a, "account"), json_object_get(b, "account")))
			return kw_error_set(err, KW_ERR_CONFLICT, NULL,
			                    "the accounts differ from the plan's");
		for (int p = 0; p < P_COUNT; p++)
			if (!json_equal(json_object_get(da, parts[p].key), json_object_get(db, parts[p].key)))
				return kw_error_set(err, KW_ERR_CONFLICT, NULL,
				                    "account %s: %s of %s changed in IAM since the plan",
				                    name, parts[p].name,
				                    p == P_GROUP || p == P_GROUP_POLICIES
				                            ? "its group"
				                            : json_string_value(json_object_get(b, "user")));
	}
	return 0;
}

/* Whether member key of the saved plan differs from the plan computed now. */
static bool plan_differs(const json_t *saved, const json_t *plan, const char *key)
{
	return !json_equal(json_object_get(saved, key), json_object_get(plan, key));
}

/*
 * Same files, same IAM: the steps can still differ by time alone (a key passed maxAgeDays).
 * 0 when the saved plan (saved) is the plan computed now (plan), else -1 with err filled.
 */
static int check_plan(const json_t *saved, const json_t *plan, struct kw_error *err)
{
	if (plan_differs(saved, plan, "accounts_without_manifest"))
		return kw_error_set(
		        err, KW_ERR_CONFLICT, NULL,
		        "the users tagged with the owner that no manifest names differ from the saved plan's "
		        "(a user was created, tagged or deleted in IAM since the plan)");
	if (plan_differs(saved, plan, "steps") || plan_differs(saved, plan, "accounts"))
		return kw_error_set(
		        err, KW_ERR_CONFLICT, NULL,
		        "the plan computed now differs from the saved plan (files and IAM are unchanged; "
		        "time alone changed it, e.g. an access key passed maxAgeDays): make the plan again");
	return 0;
}

int kw_saved_plan_check(const json_t *doc, const struct kw_session *s, const char *account,
                        struct kw_error *err)
{
	json_t *files = NULL, *live = NULL, *plan = NULL;
	const char *saved_account = json_string_value(json_object_get(doc, "account"));
	int rc = -1;

	if (strcmp(saved_account ? saved_account : "", account ? account : ""))
		return kw_error_set(err, KW_ERR_CONFLICT, NULL,
		                    "the saved plan was made for AWS account %s, these credentials are of %s",
		                    saved_account ? saved_account : "?", account ? account : "?");
	files = files_json(s, err);
	if (!files)
		goto out;
	if (check_files(json_object_get(doc, "files"), files, err))
		goto out;
	live = live_json(s);
	plan = kw_plan_json(&s->plan);
	if (!live || !plan) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (check_live(json_object_get(doc, "live"), live, err))
		goto out;
	rc = check_plan(json_object_get(doc, "plan"), plan, err);
out:
	json_decref(files);
	json_decref(live);
	json_decref(plan);
	return rc;
}

int kw_saved_caller_account(struct kw_aws_client *c, char **account, struct kw_error *err)
{
	struct kw_sts_identity id = {0};

	*account = NULL;
	if (kw_sts_get_caller_identity(c, &id, err))
		return -1;
	*account = id.account;
	id.account = NULL;
	kw_sts_identity_release(&id);
	if (!*account)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

int kw_saved_run_accounts(struct kw_aws_client *c, const struct kw_session *s, char **account,
                          struct kw_error *err)
{
	struct kw_buf b = KW_BUF_INIT;

	if (!s->accounts.n)
		return kw_saved_caller_account(c, account, err);
	for (size_t i = 0; i < s->accounts.n; i++)
		if (kw_buf_appendf(&b, "%s%s", i ? "," : "", s->accounts.v[i].id)) {
			kw_buf_release(&b);
			return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		}
	*account = kw_buf_detach(&b);
	kw_buf_release(&b);
	return *account ? 0 : kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}
