#include "engine/render.h"

#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

#define GREEN  "\033[32m"
#define YELLOW "\033[33m"
#define RED    "\033[31m"
#define BOLD   "\033[1m"
#define RESET  "\033[0m"

const char *kw_step_symbol(const struct kw_step *step)
{
	switch (step->action) {
	case KW_ACT_CREATE: return "+";
	case KW_ACT_UPDATE: return "~";
	case KW_ACT_DELETE: return "-";
	}
	return "?";
}

static const char *action_color(const struct kw_step *step)
{
	switch (step->action) {
	case KW_ACT_CREATE: return GREEN;
	case KW_ACT_UPDATE: return YELLOW;
	case KW_ACT_DELETE: return RED;
	}
	return "";
}

int kw_step_title(const struct kw_plan *plan, const struct kw_step *s, struct kw_buf *out)
{
	const struct kw_desired *d = &plan->desired[s->account];
	const char *act = kw_step_action_name(s->action);

	switch (s->resource) {
	case KW_RES_USER: return kw_buf_appendf(out, "%s user %s", act, s->subject);
	case KW_RES_BOUNDARY:
		return kw_buf_appendf(out, "%s permissions boundary of user %s",
		                      s->action == KW_ACT_DELETE ? "remove" : "set", s->subject);
	case KW_RES_GROUP: return kw_buf_appendf(out, "%s group %s", act, s->subject);
	case KW_RES_MEMBERSHIP:
		return kw_buf_appendf(out, "%s user %s %s group %s",
		                      s->action == KW_ACT_DELETE ? "remove" : "add", d->user_name,
		                      s->action == KW_ACT_DELETE ? "from" : "to", s->subject);
	case KW_RES_GROUP_POLICY:
		return kw_buf_appendf(out, "%s inline policy %s of group %s", act, s->subject, d->group_name);
	case KW_RES_GROUP_ATTACHMENT:
		return kw_buf_appendf(out, "%s managed policy %s %s group %s",
		                      s->action == KW_ACT_DELETE ? "detach" : "attach", s->subject,
		                      s->action == KW_ACT_DELETE ? "from" : "to", d->group_name);
	case KW_RES_USER_POLICY:
		return kw_buf_appendf(out, "delete inline policy %s of user %s", s->subject, d->user_name);
	case KW_RES_USER_ATTACHMENT:
		return kw_buf_appendf(out, "detach managed policy %s from user %s", s->subject, d->user_name);
	case KW_RES_LOGIN_PROFILE:
		return kw_buf_appendf(out, "delete login profile of user %s (console disabled)", s->subject);
	case KW_RES_TAGS: return kw_buf_appendf(out, "update tags of user %s", s->subject);
	case KW_RES_MFA: return kw_buf_appendf(out, "enroll virtual MFA device %s", s->subject);
	case KW_RES_ACCESS_KEY:
		if (s->action == KW_ACT_DELETE)
			return kw_buf_appendf(out, "delete access key %s of user %s", s->subject,
			                      d->user_name);
		if (s->action == KW_ACT_UPDATE)
			return kw_buf_appendf(out,
			                      "deactivate access key %s of user %s (kept inactive for its "
			                      "%d-day rotation grace period)",
			                      s->subject, d->user_name, KW_DEFAULT_GRACE_DAYS);
		return kw_buf_appendf(out, "create access key for user %s", s->subject);
	}
	return 0;
}

/* Append every line of text with an indent and a prefix ("+ ", "- ", "  "). */
static int prefixed_lines(struct kw_buf *out, const char *indent, const char *color, const char *prefix,
                          const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (kw_buf_appendf(out, "%s%s%s%.*s%s\n", indent, color, prefix, (int)n, p,
		                   *color ? RESET : ""))
			return -1;
		p += n + (nl ? 1 : 0);
	}
	return 0;
}

/* A policy document in the policy module's canonical format, appended to out. */
static int pretty_doc(const char *doc, struct kw_buf *out)
{
	json_t *j = json_loads(doc, 0, NULL);
	int rc;

	if (!j)
		return kw_buf_puts(out, doc);
	rc = kw_policy_format(j, out);
	json_decref(j);
	return rc;
}

/*
 * The difference between two policy documents, as lines for a reviewer: for a change, the
 * policy module's semantic diff (statements, actions, resources, conditions added and
 * removed); for a new or removed policy, the whole document as "+" or "-" lines.
 */
static int policy_diff_text(const char *before, const char *after, bool color, struct kw_buf *out)
{
	struct kw_buf a = KW_BUF_INIT, b = KW_BUF_INIT;
	json_t *ja = NULL, *jb = NULL, *diff = NULL;
	int rc = -1;

	if (before && after && (ja = json_loads(before, 0, NULL)) && (jb = json_loads(after, 0, NULL))) {
		diff = kw_policy_diff(ja, jb);
		if (!diff || kw_policy_diff_render(diff, color, &a) ||
		    prefixed_lines(out, "      ", "", "", a.data ? a.data : ""))
			goto out;
		rc = 0;
		goto out;
	}
	if ((before && pretty_doc(before, &a)) || (after && pretty_doc(after, &b)))
		goto out;
	if (before && !after && prefixed_lines(out, "      ", color ? RED : "", "- ", a.data ? a.data : ""))
		goto out;
	if (after && prefixed_lines(out, "      ", color ? GREEN : "", "+ ", b.data ? b.data : ""))
		goto out;
	rc = 0;
out:
	json_decref(ja);
	json_decref(jb);
	json_decref(diff);
	kw_buf_release(&a);
	kw_buf_release(&b);
	return rc;
}

int kw_step_details(const struct kw_plan *plan, const struct kw_step *s, bool color, struct kw_buf *out)
{
	const struct kw_desired *d = &plan->desired[s->account];
	const struct kw_live_account *l = &plan->live[s->account];

	switch (s->resource) {
	case KW_RES_USER:
		if (kw_buf_appendf(out, "      path: %s\n", d->path ? d->path : "/"))
			return -1;
		if (d->boundary && kw_buf_appendf(out, "      permissions boundary: %s\n", d->boundary))
			return -1;
		for (size_t i = 0; i < d->tags.n; i++)
			if (kw_buf_appendf(out, "      tag %s: \"%s\"\n", d->tags.v[i].key,
			                   d->tags.v[i].value))
				return -1;
		return 0;
	case KW_RES_BOUNDARY:
		return kw_buf_appendf(out, "      %s -> %s\n", s->before ? s->before : "(none)",
		                      s->after ? s->after : "(none)");
	case KW_RES_GROUP: return kw_buf_appendf(out, "      path: %s\n", d->path ? d->path : "/");
	case KW_RES_GROUP_POLICY:
	case KW_RES_USER_POLICY: return policy_diff_text(s->before, s->after, color, out);
	case KW_RES_TAGS:
		for (size_t i = 0; i < s->set.n; i++) {
			const struct kw_tagkv *have = kw_taglist_find(&l->user.tags, s->set.v[i].key);
			bool changed = have && !strcmp(have->key, s->set.v[i].key);

			if (changed ? kw_buf_appendf(out, "      %s~ %s: \"%s\" -> \"%s\"%s\n",
			                             color ? YELLOW : "", s->set.v[i].key, have->value,
			                             s->set.v[i].value, color ? RESET : "")
			            : kw_buf_appendf(out, "      %s+ %s: \"%s\"%s\n", color ? GREEN : "",
			                             s->set.v[i].key, s->set.v[i].value, color ? RESET : ""))
				return -1;
		}
		for (size_t i = 0; i < s->unset.n; i++) {
			const struct kw_tagkv *have = kw_taglist_find(&l->user.tags, s->unset.v[i]);

			if (kw_buf_appendf(out, "      %s- %s: \"%s\"%s\n", color ? RED : "", s->unset.v[i],
			                   have ? have->value : "", color ? RESET : ""))
				return -1;
		}
		return 0;
	case KW_RES_MFA:
		if (s->replaces &&
		    kw_buf_appendf(out, "      replaces the unassigned device %s\n", s->replaces))
			return -1;
		return kw_buf_puts(out,
		                   "      QR code, two codes from the authenticator app, EnableMFADevice\n");
	case KW_RES_ACCESS_KEY:
		if (s->action == KW_ACT_CREATE)
			return kw_buf_appendf(out, "      deliver to: %s\n",
			                      d->deliver_summary ? d->deliver_summary : "(no target)");
		if (s->reason)
			return kw_buf_appendf(out, "      why: %s\n", s->reason);
		return 0;
	default: return 0;
	}
}

int kw_plan_summary(const struct kw_plan *plan, struct kw_buf *out)
{
	size_t add, change, destroy;

	kw_plan_counts(plan, &add, &change, &destroy);
	return kw_buf_appendf(out, "Plan: %zu to add, %zu to change, %zu to destroy.", add, change, destroy);
}

static bool account_has_output(const struct kw_plan *plan, size_t a)
{
	for (size_t i = 0; i < plan->nsteps; i++)
		if (plan->steps[i].account == a)
			return true;
	for (size_t i = 0; i < plan->nnotes; i++)
		if (plan->notes[i].account == a)
			return true;
	return false;
}

int kw_orphan_text(const struct kw_plan *plan, size_t i, struct kw_buf *out)
{
	const char *u = plan->orphans.v[i];
	const char *t = i < plan->orphan_targets.n ? plan->orphan_targets.v[i] : "";

	if (plan->prune_accounts
	            ? kw_buf_appendf(out,
	                             "destroy account %s (tagged %s: %s and %s: %s; no manifest of this run "
	                             "names it)",
	                             u, KW_MANAGED_TAG_KEY, KW_MANAGED_TAG_VALUE, KW_OWNER_TAG_KEY,
	                             plan->owner ? plan->owner : "")
	            : kw_buf_appendf(out,
	                             "user %s (%s: %s, %s: %s) has no manifest in this run: a destroy "
	                             "candidate; --prune-accounts destroys it",
	                             u, KW_MANAGED_TAG_KEY, KW_MANAGED_TAG_VALUE, KW_OWNER_TAG_KEY,
	                             plan->owner ? plan->owner : ""))
		return -1;
	/* what pruning also removes on this machine (keys/record.h) */
	return *t ? kw_buf_appendf(out, "; its key files and profiles recorded here: %s", t) : 0;
}

/* The accounts without a manifest: "- destroy account ..." lines, or notes. */
static int orphans_text(const struct kw_plan *plan, bool color, struct kw_buf *out)
{
	if (!plan->orphans.n)
		return 0;
	if (kw_buf_appendf(out, "\n  %s# accounts without a manifest (owner %s)%s\n", color ? BOLD : "",
	                   plan->owner ? plan->owner : "", color ? RESET : ""))
		return -1;
	for (size_t i = 0; i < plan->orphans.n; i++) {
		if (plan->prune_accounts
		            ? kw_buf_appendf(out, "  %s-%s ", color ? RED : "", color ? RESET : "")
		            : kw_buf_puts(out, "    note: "))
			return -1;
		if (kw_orphan_text(plan, i, out) || kw_buf_putc(out, '\n'))
			return -1;
	}
	return 0;
}

int kw_plan_render_text(const struct kw_plan *plan, bool color, struct kw_buf *out)
{
	if (!kw_plan_changes(plan)) {
		if (kw_buf_appendf(out, "%sNo changes.%s IAM matches the manifests (%zu account%s).\n",
		                   color ? BOLD : "", color ? RESET : "", plan->naccounts,
		                   plan->naccounts == 1 ? "" : "s"))
			return -1;
	} else if (kw_buf_puts(out, "keywarden will perform the following actions, in this order:\n")) {
		return -1;
	}
	for (size_t a = 0; a < plan->naccounts; a++) {
		const struct kw_desired *d = &plan->desired[a];

		if (!account_has_output(plan, a))
			continue;
		if (kw_buf_appendf(out, "\n  %s# account %s%s%s%s\n", color ? BOLD : "", d->name,
		                   d->origin ? " (" : "", d->origin ? d->origin : "", d->origin ? ")" : "") ||
		    (color && kw_buf_puts(out, RESET)))
			return -1;
		for (size_t i = 0; i < plan->nsteps; i++) {
			const struct kw_step *s = &plan->steps[i];

			if (s->account != a)
				continue;
			if (kw_buf_appendf(out, "  %s%s%s ", color ? action_color(s) : "", kw_step_symbol(s),
			                   color ? RESET : "") ||
			    kw_step_title(plan, s, out) || kw_buf_putc(out, '\n') ||
			    kw_step_details(plan, s, color, out))
				return -1;
		}
		for (size_t i = 0; i < plan->nnotes; i++)
			if (plan->notes[i].account == a &&
			    kw_buf_appendf(out, "    note: %s\n", plan->notes[i].text))
				return -1;
	}
	if (orphans_text(plan, color, out))
		return -1;
	if (!kw_plan_changes(plan))
		return 0;
	if (kw_buf_putc(out, '\n') || (color && kw_buf_puts(out, BOLD)) || kw_plan_summary(plan, out) ||
	    (color && kw_buf_puts(out, RESET)) || kw_buf_putc(out, '\n'))
		return -1;
	return 0;
}

static json_t *doc_json(const char *doc)
{
	json_t *j;

	if (!doc)
		return json_null();
	j = json_loads(doc, 0, NULL);
	return j ? j : json_string(doc);
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
	return v ? json_object_set_new(obj, key, v) : -1;
}

json_t *kw_step_json(const struct kw_plan *plan, const struct kw_step *s)
{
	const struct kw_desired *d = &plan->desired[s->account];
	json_t *o = json_object(), *t;
	struct kw_buf title = KW_BUF_INIT;
	bool docs = s->resource == KW_RES_GROUP_POLICY || s->resource == KW_RES_USER_POLICY;

	if (!o || kw_step_title(plan, s, &title))
		goto fail;
	if (set_new(o, "phase", json_integer(kw_step_phase(s->resource))) ||
	    set_new(o, "action", json_string(kw_step_action_name(s->action))) ||
	    set_new(o, "resource", json_string(kw_step_resource_name(s->resource))) ||
	    set_new(o, "account", json_string(d->name)) || set_new(o, "subject", json_string(s->subject)) ||
	    set_new(o, "title", json_string(title.data ? title.data : "")))
		goto fail;
	if (s->before && set_new(o, "before", docs ? doc_json(s->before) : json_string(s->before)))
		goto fail;
	if (s->after && set_new(o, "after", docs ? doc_json(s->after) : json_string(s->after)))
		goto fail;
	if (s->replaces && set_new(o, "replaces", json_string(s->replaces)))
		goto fail;
	if (s->reason && set_new(o, "reason", json_string(s->reason)))
		goto fail;
	if (s->resource == KW_RES_TAGS) {
		if (set_new(o, "set_tags", t = json_object()))
			goto fail;
		for (size_t i = 0; i < s->set.n; i++)
			if (set_new(t, s->set.v[i].key, json_string(s->set.v[i].value)))
				goto fail;
		if (set_new(o, "unset_tags", t = json_array()))
			goto fail;
		for (size_t i = 0; i < s->unset.n; i++)
			if (json_array_append_new(t, json_string(s->unset.v[i])))
				goto fail;
	}
	kw_buf_release(&title);
	return o;
fail:
	kw_buf_release(&title);
	json_decref(o);
	return NULL;
}

json_t *kw_plan_json(const struct kw_plan *plan)
{
	json_t *o = json_object(), *accounts = json_array(), *steps = json_array(), *notes = json_array(),
	       *orphans = json_array(), *sum;
	size_t add, change, destroy;

	if (!o || !accounts || !steps || !notes || !orphans)
		goto fail;
	kw_plan_counts(plan, &add, &change, &destroy);
	if (set_new(o, "format_version", json_integer(1)) ||
	    set_new(o, "changes", json_boolean(kw_plan_changes(plan))))
		goto fail;
	for (size_t a = 0; a < plan->naccounts; a++) {
		const struct kw_desired *d = &plan->desired[a];
		json_t *acc = json_object();

		if (json_array_append_new(accounts, acc) || set_new(acc, "name", json_string(d->name)) ||
		    set_new(acc, "origin", d->origin ? json_string(d->origin) : json_null()) ||
		    set_new(acc, "user", json_string(d->user_name)) ||
		    set_new(acc, "group", json_string(d->group_name)))
			goto fail;
	}
	for (size_t i = 0; i < plan->nsteps; i++)
		if (json_array_append_new(steps, kw_step_json(plan, &plan->steps[i])))
			goto fail;
	for (size_t i = 0; i < plan->nnotes; i++) {
		json_t *n = json_object();

		if (json_array_append_new(notes, n) ||
		    set_new(n, "account", json_string(plan->desired[plan->notes[i].account].name)) ||
		    set_new(n, "text", json_string(plan->notes[i].text)))
			goto fail;
	}
	for (size_t i = 0; i < plan->orphans.n; i++) {
		struct kw_buf t = KW_BUF_INIT;
		json_t *n = NULL;

		if (!kw_orphan_text(plan, i, &t))
			n = json_pack("{s:s, s:s, s:s}", "user", plan->orphans.v[i], "action",
			              plan->prune_accounts ? "destroy" : "note", "text",
			              t.data ? t.data : "");
		kw_buf_release(&t);
		if (json_array_append_new(orphans, n))
			goto fail;
	}
	if (set_new(o, "owner", plan->owner ? json_string(plan->owner) : json_null()))
		goto fail;
	if (set_new(o, "accounts_without_manifest", orphans)) /* stolen, also on failure */
		goto fail_orphans;
	orphans = NULL;
	sum = json_pack("{s:I, s:I, s:I}", "add", (json_int_t)add, "change", (json_int_t)change, "destroy",
	                (json_int_t)destroy);
	if (set_new(o, "accounts", accounts) || set_new(o, "steps", steps) || set_new(o, "notes", notes) ||
	    set_new(o, "summary", sum))
		goto fail_owned;
	return o;
fail:
	json_decref(orphans);
fail_orphans:
	json_decref(accounts);
	json_decref(steps);
	json_decref(notes);
fail_owned:
	json_decref(o);
	return NULL;
}
