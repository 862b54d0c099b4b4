/*
 * lint.c - IAM policy grammar and least-privilege findings with stable codes.
 *
 * Sources: IAM User Guide, "IAM JSON policy element reference" (elements, Sid characters,
 * Version values), "IAM JSON policy elements: Condition operators" (operator names,
 * ForAllValues/ForAnyValue, ...IfExists), "IAM and AWS STS quotas" (5,120 characters for a
 * group's inline policies); privilege escalation paths as catalogued by Rhino Security Labs
 * ("AWS IAM Privilege Escalation – Methods and Mitigation").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "policy/internal.h"
#include "policy/policy.h"
#include "util/error.h"

static const struct code_info {
	const char *code;
	enum kw_severity severity;
	const char *summary;
	const char *aa; /* IAM Access Analyzer's issue code for the same check */
	bool catalog;   /* depends on the catalog: a warning naming its version */
} codes[] = {
        {"KWP001", KW_SEV_ERROR, "invalid policy grammar", NULL, false},
        {"KWP002", KW_SEV_WARNING, "Version missing (IAM then uses 2008-10-17: no policy variables)",
         "MISSING_VERSION", false},
        {"KWP003", KW_SEV_WARNING, "Version is not 2012-10-17", NULL, false},
        {"KWP010", KW_SEV_ERROR, "Allow with Action \"*\" (full administrator)", NULL, false},
        {"KWP011", KW_SEV_WARNING, "Allow with a whole service (\"service:*\")", NULL, false},
        {"KWP012", KW_SEV_WARNING, "Allow with NotAction", NULL, false},
        {"KWP013", KW_SEV_WARNING, "Allow with NotResource", NULL, false},
        {"KWP020", KW_SEV_WARNING, "Write, Permissions management or Tagging actions on Resource \"*\"", NULL,
         false},
        {"KWP021", KW_SEV_WARNING, "privilege-escalation action (a set of actions that escalates)", NULL,
         false},
        {"KWP022", KW_SEV_WARNING, "credential-exposure action (its answer holds credentials)", NULL, false},
        {"KWP030", KW_SEV_ERROR, "larger than IAM's quota for a group's inline policies (5,120 characters)",
         "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", false},
        {"KWP040", KW_SEV_ERROR, "malformed action name", NULL, false},
        {"KWP041", KW_SEV_ERROR, "unknown condition operator", "INVALID_CONDITION_OPERATOR", false},
        {"KWP042", KW_SEV_ERROR, "Principal or NotPrincipal in an identity-based policy",
         "UNSUPPORTED_PRINCIPAL", false},
        {"KWP043", KW_SEV_ERROR, "duplicate Sid", "UNIQUE_SIDS_REQUIRED", false},
        {"KWP050", KW_SEV_WARNING, "placeholder not filled: ${NAME} template, or <name> from published text",
         NULL, false},
        {"KWP060", KW_SEV_WARNING, "unknown service prefix in an action", "INVALID_SERVICE_IN_ACTION", true},
        {"KWP061", KW_SEV_WARNING, "unknown action", "INVALID_ACTION", true},
        {"KWP062", KW_SEV_WARNING, "wildcard action that matches no action", "INVALID_ACTION", true},
        {"KWP063", KW_SEV_WARNING, "action that no Resource of the statement fits: that part grants nothing",
         NULL, true},
        {"KWP064", KW_SEV_WARNING, "Resource that matches no resource type of the statement's actions", NULL,
         true},
        {"KWP065", KW_SEV_WARNING, "Resource ARN of the wrong shape (partition, service, account)",
         "INVALID_ARN_RESOURCE", true},
        {"KWP070", KW_SEV_WARNING, "unknown condition key", "INVALID_SERVICE_CONDITION_KEY", true},
        {"KWP071", KW_SEV_WARNING, "condition key that none of the statement's actions supports",
         "UNSUPPORTED_ACTION_FOR_CONDITION_KEY", true},
        {"KWP072", KW_SEV_WARNING, "condition operator whose type does not fit the key or the value",
         "TYPE_MISMATCH", true},
        {"KWP073", KW_SEV_ERROR, "...IfExists with the Null operator", "NULL_WITH_IF_EXISTS", false},
};

static const struct code_info *code_find(const char *code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(codes[i].code, code))
			return &codes[i];
	return NULL;
}

const char *kw_policy_lint_code_aa(const char *code)
{
	const struct code_info *ci = code_find(code);
	return ci ? ci->aa : NULL;
}

const char *kw_policy_lint_code_info(const char *code, enum kw_severity *severity)
{
	const struct code_info *ci = code_find(code);

	if (ci && severity)
		*severity = ci->severity;
	return ci ? ci->summary : NULL;
}

const char *kw_policy_lint_code_at(size_t i)
{
	return i < sizeof(codes) / sizeof(codes[0]) ? codes[i].code : NULL;
}

/* Whether resource is exactly the calling user's own ARN (the ${aws:username} variable). */
static bool own_user_arn(const char *r)
{
	static const char suffix[] = ":user/${aws:username}";
	size_t n = strlen(r), ns = sizeof(suffix) - 1;
	const char *p;

	if (n <= ns || strcmp(r + n - ns, suffix) || strncmp(r, "arn:", 4))
		return false;
	p = strchr(r + 4, ':'); /* after the partition */
	if (!p || strncmp(p, ":iam::", 6))
		return false;
	p += 6; /* account id or "*", then the suffix */
	for (; p < r + n - ns; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '*'))
			return false;
	return true;
}

/* Verbs of read-only actions; any other action is treated as a write. */
static const char *const read_verbs[] = {"Get",      "List",  "Describe", "Head",   "Search",
                                         "Lookup",   "Query", "Scan",     "Select", "View",
                                         "BatchGet", "Check", "Read",     NULL};

static const char *const condition_ops[] = {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
        NULL,
};

static const char *const top_keys[] = {"Version", "Id", "Statement", NULL};
static const char *const statement_keys[] = {"Sid",       "Effect",   "Principal",   "NotPrincipal", "Action",
                                             "NotAction", "Resource", "NotResource", "Condition",    NULL};

void kw_lint_finding(struct kw_lint *L, const char *code, bool at_key, const char *fmt, ...)
{
	struct kw_policy_findings *f = L->out;
	struct kw_policy_finding *it;
	struct kw_buf msg = KW_BUF_INIT;
	const char *ptr = L->ptr.data ? L->ptr.data : "";
	const struct code_info *ci;
	va_list ap;
	int r;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct kw_policy_finding *n = realloc(f->items, cap * sizeof(*n));
		if (!n) {
			L->nomem = true;
			return;
		}
		f->items = n;
		f->cap = cap;
	}
	va_start(ap, fmt);
	r = kw_buf_vappendf(&msg, fmt, ap);
	va_end(ap);
	it = &f->items[f->n];
	memset(it, 0, sizeof(*it));
	it->code = code;
	ci = code_find(code);
	it->severity = ci->severity;
	it->access_analyzer = L->aa ? L->aa : ci->aa;
	L->aa = NULL;
	if (ci->catalog && L->cat) {
		it->catalog = L->cat->version;
		if (!r)
			r = kw_buf_appendf(&msg, " (catalog %s)", L->cat->version);
	}
	it->message = r ? NULL : kw_buf_detach(&msg);
	it->pointer = strdup(ptr);
	if (!it->message || !it->pointer) {
		free(it->message);
		free(it->pointer);
		kw_buf_release(&msg);
		L->nomem = true;
		return;
	}
	if (at_key)
		kw_policy_key_position(L->p, ptr, &it->line, &it->col);
	else
		kw_policy_position(L->p, ptr, &it->line, &it->col);
	it->col += L->col_offset;
	f->n++;
}

const struct kw_expansion *kw_lint_expand(struct kw_lint *L, const char *pattern)
{
	const struct kw_expansion *e = kw_expansions_get(&L->exp, pattern);

	if (!e)
		L->nomem = true;
	return e;
}

static const char *type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

bool kw_lint_push(struct kw_lint *L, const char *key)
{
	if (kw_pointer_push(&L->ptr, key)) {
		L->nomem = true;
		return false;
	}
	return true;
}

bool kw_lint_push_index(struct kw_lint *L, size_t i)
{
	if (kw_pointer_push_index(&L->ptr, i)) {
		L->nomem = true;
		return false;
	}
	return true;
}

static void unknown_keys(struct kw_lint *L, const json_t *obj, const char *const *known, const char *where)
{
	size_t mark = L->ptr.len;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		bool ok = false;
		const char *hint;
		for (size_t i = 0; known[i]; i++)
			ok |= !strcmp(known[i], key);
		if (ok || !kw_lint_push(L, key))
			continue;
		hint = kw_closest_word(key, known);
		if (hint)
			kw_lint_finding(L, "KWP001", true, "unknown element '%s' in %s (did you mean '%s'?)",
			                key, where, hint);
		else
			kw_lint_finding(L, "KWP001", true, "unknown element '%s' in %s", key, where);
		kw_pointer_pop(&L->ptr, mark);
	}
}

/* A string or a non-empty array of strings; a finding otherwise. */
static bool string_or_array(struct kw_lint *L, const json_t *v, const char *name)
{
	size_t n;

	if (kw_json_strings(v, &n) || n == 0) {
		kw_lint_finding(L, "KWP001", false,
		                "%s must be a string or a non-empty array of strings, found %s", name,
		                json_is_array(v) && json_array_size(v) == 0 ? "an empty array" : type_of(v));
		return false;
	}
	return true;
}

bool kw_action_well_formed(const char *a)
{
	const char *colon = strchr(a, ':');

	if (!strcmp(a, "*"))
		return true;
	if (!colon || colon == a || !colon[1])
		return false;
	for (const char *c = a; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '-'))
			return false;
	for (const char *c = colon + 1; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '*' || *c == '?'))
			return false;
	return true;
}

static bool is_read_action(const char *a)
{
	const char *name = strchr(a, ':');

	if (!name)
		return false;
	name++;
	for (size_t i = 0; read_verbs[i]; i++) {
		size_t n = strlen(read_verbs[i]);
		/* the verb must be followed by an upper-case letter, a wildcard or the end: "Get*", "GetObject" */
		if (!strncasecmp(name, read_verbs[i], n) &&
		    (name[n] == '\0' || name[n] == '*' || (name[n] >= 'A' && name[n] <= 'Z')))
			return true;
	}
	return false;
}

static bool operator_known(const char *op)
{
	char base[128];
	size_t n;

	if (!strncmp(op, "ForAllValues:", 13))
		op += 13;
	else if (!strncmp(op, "ForAnyValue:", 12))
		op += 12;
	n = strlen(op);
	if (n >= sizeof(base))
		return false;
	memcpy(base, op, n + 1);
	if (n > 8 && !strcmp(base + n - 8, "IfExists"))
		base[n - 8] = '\0'; /* NullIfExists is KWP073 */
	for (size_t i = 0; condition_ops[i]; i++)
		if (!strcmp(condition_ops[i], base))
			return true;
	return false;
}

static void lint_condition(struct kw_lint *L, const json_t *cond)
{
	size_t mark = L->ptr.len;
	const char *op, *key;
	json_t *block, *v;

	if (!json_is_object(cond)) {
		kw_lint_finding(L, "KWP001", false, "Condition must be an object, found %s", type_of(cond));
		return;
	}
	json_object_foreach((json_t *)cond, op, block)
	{
		size_t mark2;
		if (!kw_lint_push(L, op))
			return;
		if (!operator_known(op)) {
			const char *hint = kw_closest_word(op, condition_ops);
			if (hint)
				kw_lint_finding(L, "KWP041", true,
				                "unknown condition operator '%s' (did you mean '%s'?)", op,
				                hint);
			else
				kw_lint_finding(L, "KWP041", true, "unknown condition operator '%s'", op);
		}
		{
			const char *b = strchr(op, ':') ? strchr(op, ':') + 1 : op;
			if (!strcmp(b, "NullIfExists"))
				kw_lint_finding(L, "KWP073", true,
				                "'%s': the Null operator takes no IfExists (Null itself "
				                "tests whether "
				                "the key is present)",
				                op);
		}
		mark2 = L->ptr.len;
		if (!json_is_object(block) || json_object_size(block) == 0) {
			kw_lint_finding(L, "KWP001", false,
			                "condition operator '%s' must map condition keys to values", op);
		} else {
			json_object_foreach(block, key, v)
			{
				bool ok = json_is_string(v) || json_is_number(v) || json_is_boolean(v);
				if (!kw_lint_push(L, key))
					return;
				if (json_is_array(v)) {
					ok = json_array_size(v) > 0;
					for (size_t i = 0; i < json_array_size(v); i++) {
						json_t *e = json_array_get(v, i);
						ok &= json_is_string(e) || json_is_number(e) ||
						      json_is_boolean(e);
					}
				}
				if (!ok)
					kw_lint_finding(
					        L, "KWP001", false,
					        "value of condition key '%s' must be a string, number, "
					        "boolean or a non-empty array of them",
					        key);
				kw_pointer_pop(&L->ptr, mark2);
			}
		}
		kw_pointer_pop(&L->ptr, mark);
	}
}

static void list_append(struct kw_buf *list, size_t *count, const char *item, bool *nomem)
{
	if (*count < 5 && kw_buf_appendf(list, "%s%s", *count ? ", " : "", item))
		*nomem = true;
	(*count)++;
}

static void finish_list(struct kw_buf *list, size_t count, bool *nomem)
{
	if (count > 5 && kw_buf_appendf(list, " and %zu more", count - 5))
		*nomem = true;
}

/* Whether every Resource of statement st is the caller's own user (see own_user_arn). */
static bool stmt_self_only(const json_t *st)
{
	const json_t *r = json_object_get(st, "Resource");
	size_t n;

	if (!r || kw_json_strings(r, &n) || n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!own_user_arn(kw_json_string_at(r, i)))
			return false;
	return true;
}

/* Whether the Action (or NotAction) value v allows the action named x. */
static bool element_grants(const json_t *v, bool not_action, const char *x)
{
	size_t n;
	bool any = false;

	if (kw_json_strings(v, &n))
		return false;
	for (size_t i = 0; i < n && !any; i++)
		any = kw_glob_match_ci(kw_json_string_at(v, i), x);
	return not_action ? !any : any;
}

/*
 * Which escalation sets the whole policy completes (every action of the set granted by some
 * Allow statement), found once per policy: L->esc_complete[k] for kw_escalation_sets[k].
 * False when out of memory.
 */
static bool complete_sets(struct kw_lint *L)
{
	const json_t *sts = json_object_get(L->p->doc, "Statement");
	size_t n = json_is_array(sts) ? json_array_size(sts) : 1, slots = kw_escalation_nsets * 4;
	bool *any, *others; /* per set and action: an Allow statement grants it; one not self-only does */

	if (L->esc_complete)
		return true;
	L->esc_complete = calloc(kw_escalation_nsets ? kw_escalation_nsets : 1, 1);
	any = calloc(slots ? 2 * slots : 1, sizeof(bool));
	if (!L->esc_complete || !any) {
		free(any);
		L->nomem = true;
		return false;
	}
	others = any + slots;
	/* each statement read once, not once per action of every set */
	for (size_t s = 0; s < n; s++) {
		const json_t *st = json_is_array(sts) ? json_array_get(sts, s) : sts;
		const json_t *e = json_object_get(st, "Effect"), *a = json_object_get(st, "Action"),
		             *v = a ? a : json_object_get(st, "NotAction");
		size_t nv;
		bool self_only;
		if (!json_is_string(e) || strcmp(json_string_value(e), "Allow") || !v ||
		    kw_json_strings(v, &nv))
			continue;
		self_only = stmt_self_only(st);
		for (size_t k = 0; k < kw_escalation_nsets; k++)
			for (size_t i = 0; kw_escalation_sets[k].actions[i]; i++) {
				const char *x = kw_escalation_sets[k].actions[i];
				bool matched = false; /* element_grants, the values taken out once */
				if (any[k * 4 + i] && (self_only || others[k * 4 + i]))
					continue;
				for (size_t j = 0; j < nv && !matched; j++)
					matched = kw_glob_match_ci(kw_json_string_at(v, j), x);
				if (matched == !a) /* Action: a value matches; NotAction: none does */
					continue;
				any[k * 4 + i] = true;
				others[k * 4 + i] |= !self_only;
			}
	}
	for (size_t k = 0; k < kw_escalation_nsets; k++) {
		const struct kw_risk_set *rs = &kw_escalation_sets[k];
		bool complete = true;
		for (size_t i = 0; rs->actions[i]; i++)
			complete &= rs->self_ok ? others[k * 4 + i] : any[k * 4 + i];
		L->esc_complete[k] = complete;
	}
	free(any);
	return true;
}

/* Escalation sets complete in the policy to which value v contributes, listed into esc. */
static void escalations(struct kw_lint *L, const json_t *v, bool not_action, bool self_only,
                        struct kw_buf *esc, size_t *nesc)
{
	if (!complete_sets(L))
		return;
	for (size_t k = 0; k < kw_escalation_nsets; k++) {
		const struct kw_risk_set *rs = &kw_escalation_sets[k];
		bool contributes = false;
		struct kw_buf name = KW_BUF_INIT;
		if ((rs->self_ok && self_only) || !L->esc_complete[k])
			continue;
		for (size_t i = 0; rs->actions[i] && !contributes; i++)
			contributes = element_grants(v, not_action, rs->actions[i]);
		if (!contributes)
			continue;
		for (size_t i = 0; rs->actions[i]; i++)
			if (kw_buf_appendf(&name, "%s%s", i ? "+" : "", rs->actions[i]))
				L->nomem = true;
		if (name.data)
			list_append(esc, nesc, name.data, &L->nomem);
		kw_buf_release(&name);
	}
}

/*
 * Number of Write, Permissions management and Tagging actions that value v grants, from the
 * catalog; for a value the catalog does not know (or without a catalog) the verb rule: 1 when
 * the name is not a read verb's.
 */
static size_t writes_granted(struct kw_lint *L, const char *v, bool *exact)
{
	const struct kw_expansion *e = L->cat ? kw_lint_expand(L, v) : NULL;
	size_t n = 0;

	*exact = !strpbrk(v, "*?");
	if (e && e->n > 0) {
		for (size_t i = 0; i < e->n; i++)
			n += L->cat->actions[e->actions[i]].level >= KW_ACCESS_WRITE;
		return n;
	}
	return is_read_action(v) ? 0 : 1;
}

/* The same for a NotAction statement: every catalog action none of its values matches. */
static size_t writes_granted_not(struct kw_lint *L, const json_t *na)
{
	struct kw_actionset set;
	size_t n = 0;

	if (!L->cat)
		return 0; /* without the catalog KWP012 says it */
	if (kw_actionset_init(&set, L->cat)) {
		L->nomem = true;
		return 0;
	}
	if (!kw_statement_expand(L->cat, &L->exp, na, true, &set, NULL))
		for (size_t i = kw_actionset_next(&set, 0); i != (size_t)-1;
		     i = kw_actionset_next(&set, i + 1))
			n += L->cat->actions[i].level >= KW_ACCESS_WRITE;
	kw_actionset_release(&set);
	return n;
}

/* Credential-exposure actions that value v grants, listed into list. */
static void exposures(struct kw_lint *L, const json_t *v, bool not_action, struct kw_buf *list, size_t *n)
{
	for (size_t k = 0; kw_credential_exposure[k]; k++)
		if (element_grants(v, not_action, kw_credential_exposure[k]))
			list_append(list, n, kw_credential_exposure[k], &L->nomem);
}

/* Findings of one Action value, or of the NotAction key (name NULL), of an Allow statement. */
static void allow_value(struct kw_lint *L, const json_t *v, const char *name, bool star, bool self_only,
                        struct kw_buf *writes, size_t *nwrite)
{
	struct kw_buf esc = KW_BUF_INIT, cred = KW_BUF_INIT;
	size_t nesc = 0, ncred = 0, w;
	bool not_action = name == NULL, exact = !not_action;
	const char *shown = name ? name : "NotAction";

	escalations(L, v, not_action, self_only, &esc, &nesc);
	if (star && element_grants(v, not_action, "sts:AssumeRole"))
		list_append(&esc, &nesc, "sts:AssumeRole on \"*\"", &L->nomem);
	finish_list(&esc, nesc, &L->nomem);
	if (nesc)
		kw_lint_finding(L, "KWP021", not_action, "'%s' allows privilege escalation (%s)", shown,
		                esc.data);
	if (star) {
		exposures(L, v, not_action, &cred, &ncred);
		finish_list(&cred, ncred, &L->nomem);
		if (ncred)
			kw_lint_finding(L, "KWP022", not_action,
			                "'%s' grants actions whose answer holds credentials (%s)", shown,
			                cred.data);
		w = not_action ? writes_granted_not(L, v) : writes_granted(L, name, &exact);
		if (w) {
			struct kw_buf item = KW_BUF_INIT;
			int r = exact || !L->cat ? kw_buf_puts(&item, shown)
			                         : kw_buf_appendf(&item, "%s (%zu action%s)", shown, w,
			                                          w > 1 ? "s" : "");
			if (r)
				L->nomem = true;
			else
				list_append(writes, nwrite, item.data, &L->nomem);
			kw_buf_release(&item);
		}
	}
	kw_buf_release(&esc);
	kw_buf_release(&cred);
}

/* Action or NotAction elements of an Allow statement: wildcards, escalation, exposure, writes on "*". */
static void lint_allow_actions(struct kw_lint *L, const json_t *st)
{
	const json_t *actions = json_object_get(st, "Action"), *notactions = json_object_get(st, "NotAction");
	const json_t *resources = json_object_get(st, "Resource");
	size_t n = 0, nres = 0, mark = L->ptr.len, nwrite = 0;
	struct kw_buf writes = KW_BUF_INIT;
	bool star = json_object_get(st, "NotResource") != NULL, self_only = stmt_self_only(st);

	if (resources && !kw_json_strings(resources, &nres))
		for (size_t i = 0; i < nres; i++)
			star |= !strcmp(kw_json_string_at(resources, i), "*");
	if (!actions && notactions && !kw_json_strings(notactions, &n) && kw_lint_push(L, "NotAction")) {
		allow_value(L, notactions, NULL, star, self_only, &writes, &nwrite);
		kw_pointer_pop(&L->ptr, mark);
	}
	if (!actions || kw_json_strings(actions, &n) || !kw_lint_push(L, "Action"))
		goto writes;
	for (size_t i = 0; i < n; i++) {
		size_t amark = L->ptr.len;
		const char *a = kw_json_string_at(actions, i);
		const char *colon = strchr(a, ':');
		json_t *one;

		if (json_is_array(actions) && !kw_lint_push_index(L, i))
			break;
		if (!strcmp(a, "*")) {
			kw_lint_finding(L, "KWP010", false,
			                "Allow with Action \"*\" grants every action of every service");
		} else if (kw_action_well_formed(a)) {
			if (!strcmp(colon + 1, "*"))
				kw_lint_finding(L, "KWP011", false,
				                "Allow with '%s' grants every action of the service", a);
			one = json_string(a);
			if (!one)
				L->nomem = true;
			else
				allow_value(L, one, a, star, self_only, &writes, &nwrite);
			json_decref(one);
		}
		kw_pointer_pop(&L->ptr, amark);
	}
	kw_pointer_pop(&L->ptr, mark);
writes:
	finish_list(&writes, nwrite, &L->nomem);
	if (nwrite && kw_lint_push(L, resources ? "Resource" : "NotResource")) {
		size_t idx = 0;
		for (size_t i = 0; json_is_array(resources) && i < nres; i++)
			if (!strcmp(kw_json_string_at(resources, i), "*"))
				idx = i;
		if (!json_is_array(resources) || kw_lint_push_index(L, idx))
			kw_lint_finding(L, "KWP020", false, "%s%s on Resource \"*\": %s",
			                L->cat ? "Write, Permissions management or Tagging action"
			                       : "write or permissions-management action",
			                nwrite > 1 ? "s" : "", writes.data);
	}
	kw_pointer_pop(&L->ptr, mark);
	kw_buf_release(&writes);
}

static bool sid_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static void check_action(struct kw_lint *L, const char *name, const char *a)
{
	(void)name;
	if (!kw_action_well_formed(a))
		kw_lint_finding(
		        L, "KWP040", false,
		        "action '%s' is malformed (expected \"*\" or service:Action, letters, digits, "
		        "* and ?)",
		        a);
}

static void check_resource(struct kw_lint *L, const char *name, const char *s)
{
	size_t colons = 0, pp = 0, ps, pn;

	for (const char *c = s; *c; c++)
		colons += *c == ':';
	if (strcmp(s, "*") && !kw_placeholder_next(s, &pp, &ps, &pn) && (strncmp(s, "arn:", 4) || colons < 5))
		kw_lint_finding(
		        L, "KWP001", false,
		        "%s '%s' is neither \"*\" nor an ARN (arn:partition:service:region:account:resource)",
		        name, s);
}

/* A statement element with its Not form, and how its values are checked. */
struct element {
	const char *name, *not_name;
	const char *neither; /* the finding when a statement has neither */
	void (*check)(struct kw_lint *L, const char *name, const char *value); /* one value */
	const char *allow_not_code, *allow_not_msg; /* the finding for Allow with the Not form */
};

static const struct element elements[] = {
        {"Action", "NotAction", "statement has neither Action nor NotAction", check_action, "KWP012",
         "Allow with NotAction grants every action not listed, including future ones"},
        {"Resource", "NotResource",
         "statement has neither Resource nor NotResource (required in identity policies)", check_resource,
         "KWP013", "Allow with NotResource grants every resource not listed"},
};

/* A statement needs e's element or its Not form, not both. */
static void lint_presence(struct kw_lint *L, const json_t *st, const struct element *e)
{
	const bool plain = json_object_get(st, e->name), not = json_object_get(st, e->not_name);
	size_t mark = L->ptr.len;

	if (!plain && !not )
		kw_lint_finding(L, "KWP001", false, "%s", e->neither);
	if (plain && not &&kw_lint_push(L, e->not_name)) {
		kw_lint_finding(L, "KWP001", true, "statement has both %s and %s", e->name, e->not_name);
		kw_pointer_pop(&L->ptr, mark);
	}
}

/* Each value of e's element and of its Not form (a string or a list of strings), checked. */
static void lint_values(struct kw_lint *L, const json_t *st, const struct element *e, bool allow)
{
	size_t mark = L->ptr.len, n;

	for (int which = 0; which < 2; which++) {
		const char *name = which ? e->not_name : e->name;
		const json_t *a = json_object_get(st, name);
		if (!a || !kw_lint_push(L, name))
			continue;
		if (string_or_array(L, a, name)) {
			kw_json_strings(a, &n);
			for (size_t i = 0; i < n; i++) {
				size_t m2 = L->ptr.len;
				if (json_is_array(a) && !kw_lint_push_index(L, i))
					break;
				e->check(L, name, kw_json_string_at(a, i));
				kw_pointer_pop(&L->ptr, m2);
			}
		}
		if (which && allow)
			kw_lint_finding(L, e->allow_not_code, true, "%s", e->allow_not_msg);
		kw_pointer_pop(&L->ptr, mark);
	}
}

static void lint_statement(struct kw_lint *L, const json_t *st)
{
	size_t mark = L->ptr.len;
	const json_t *v, *effect;
	bool allow;

	if (!json_is_object(st)) {
		kw_lint_finding(L, "KWP001", false, "a statement must be an object, found %s", type_of(st));
		return;
	}
	unknown_keys(L, st, statement_keys, "a statement");
	if ((v = json_object_get(st, "Sid")) && kw_lint_push(L, "Sid")) {
		if (!json_is_string(v))
			kw_lint_finding(L, "KWP001", false, "Sid must be a string, found %s", type_of(v));
		else if (!sid_ok(json_string_value(v)))
			kw_lint_finding(L, "KWP001", false,
			                "Sid '%s' may hold only letters and digits in IAM policies",
			                json_string_value(v));
		else if (json_string_length(v) > 0) {
			if (json_object_get(L->sids, json_string_value(v)))
				kw_lint_finding(L, "KWP043", false,
				                "Sid '%s' is used by more than one statement",
				                json_string_value(v));
			else if (json_object_set_new(L->sids, json_string_value(v), json_true()))
				L->nomem = true;
		}
		kw_pointer_pop(&L->ptr, mark);
	}
	effect = json_object_get(st, "Effect");
	if (!effect)
		kw_lint_finding(L, "KWP001", false, "statement has no Effect (\"Allow\" or \"Deny\")");
	else if (kw_lint_push(L, "Effect")) {
		if (!json_is_string(effect) ||
		    (strcmp(json_string_value(effect), "Allow") && strcmp(json_string_value(effect), "Deny")))
			kw_lint_finding(L, "KWP001", false, "Effect must be \"Allow\" or \"Deny\"");
		kw_pointer_pop(&L->ptr, mark);
	}
	allow = effect && json_is_string(effect) && !strcmp(json_string_value(effect), "Allow");
	for (const char *const *k = (const char *const[]){"Principal", "NotPrincipal", NULL}; *k; k++)
		if (json_object_get(st, *k) && kw_lint_push(L, *k)) {
			kw_lint_finding(L, "KWP042", true,
			                "%s is not allowed in a policy attached to a group or user", *k);
			kw_pointer_pop(&L->ptr, mark);
		}
	for (size_t i = 0; i < sizeof(elements) / sizeof(elements[0]); i++)
		lint_presence(L, st, &elements[i]);
	for (size_t i = 0; i < sizeof(elements) / sizeof(elements[0]); i++)
		lint_values(L, st, &elements[i], allow);
	if ((v = json_object_get(st, "Condition")) && kw_lint_push(L, "Condition")) {
		lint_condition(L, v);
		kw_pointer_pop(&L->ptr, mark);
	}
	if (allow)
		lint_allow_actions(L, st);
	if (L->cat)
		kw_lint_catalog_statement(L, st);
}

/*
 * Angle-bracket placeholders as published in documentation ("arn:aws:ssm:*:<account_id>:..."):
 * '<', 1-64 letters, digits, '_' or '-', '>'. Returns the offset of the next one from *pos, or
 * -1; *n is its length.
 */
static long angle_placeholder_next(const char *s, size_t *pos, size_t *n)
{
	for (size_t i = *pos; s[i]; i++) {
		size_t k = i + 1;
		if (s[i] != '<')
			continue;
		while (k - i <= 64 && ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
		                       (s[k] >= '0' && s[k] <= '9') || s[k] == '_' || s[k] == '-'))
			k++;
		if (k > i + 1 && s[k] == '>') {
			*n = k + 1 - i;
			*pos = k + 1;
			return (long)i;
		}
	}
	return -1;
}

bool kw_has_placeholder(const char *s)
{
	size_t pos = 0, start, n;

	if (kw_placeholder_next(s, &pos, &start, &n))
		return true;
	pos = 0;
	return angle_placeholder_next(s, &pos, &n) >= 0;
}

static void lint_placeholders(struct kw_lint *L, const json_t *v)
{
	size_t mark = L->ptr.len;

	if (json_is_string(v)) {
		size_t pos = 0, start, n;
		const char *name;
		long at;
		while ((name = kw_placeholder_next(json_string_value(v), &pos, &start, &n))) {
			L->col_offset =
			        1 + (unsigned)start; /* past the opening quote; exact without escapes */
			kw_lint_finding(
			        L, "KWP050", false,
			        "template placeholder '${%.*s}' is not filled (give it a value in vars:)",
			        (int)n, name);
			L->col_offset = 0;
		}
		pos = 0;
		while ((at = angle_placeholder_next(json_string_value(v), &pos, &n)) >= 0) {
			L->col_offset = 1 + (unsigned)at;
			kw_lint_finding(
			        L, "KWP050", false,
			        "placeholder '%.*s' left from the published policy (write the value, or "
			        "${%.*s} with "
			        "vars:)",
			        (int)n, json_string_value(v) + at, (int)n - 2, json_string_value(v) + at + 1);
			L->col_offset = 0;
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (!kw_lint_push_index(L, i))
				return;
			lint_placeholders(L, json_array_get(v, i));
			kw_pointer_pop(&L->ptr, mark);
		}
	} else if (json_is_object(v)) {
		const char *key;
		json_t *e;
		json_object_foreach((json_t *)v, key, e)
		{
			size_t pos = 0, start, n;
			const char *name;
			if (!kw_lint_push(L, key))
				return;
			while ((name = kw_placeholder_next(key, &pos, &start, &n)))
				kw_lint_finding(
				        L, "KWP050", true,
				        "template placeholder '${%.*s}' is not filled (give it a value in "
				        "vars:)",
				        (int)n, name);
			lint_placeholders(L, e);
			kw_pointer_pop(&L->ptr, mark);
		}
	}
}

int kw_policy_lint(const struct kw_policy *p, struct kw_policy_findings *out, struct kw_error *err)
{
	const struct kw_catalog *c = kw_catalog_get();

	if (!c)
		return kw_error_set(err, KW_ERR_NOMEM, p->file,
		                    "out of memory (loading the AWS action catalog)");
	return kw_policy_lint_with(p, c, out, err);
}

int kw_policy_lint_with(const struct kw_policy *p, const struct kw_catalog *c, struct kw_policy_findings *out,
                        struct kw_error *err)
{
	struct kw_lint L = {.p = p, .cat = c, .out = out, .sids = json_object(), .exp = {.cat = c}};
	const json_t *doc = p->doc, *v;
	size_t size;
	int rc = 0;

	if (!L.sids)
		return kw_error_set(err, KW_ERR_NOMEM, p->file, "out of memory");
	if (!json_is_object(doc)) {
		kw_lint_finding(&L, "KWP001", false, "a policy must be a JSON object, found %s",
		                type_of(doc));
		goto out;
	}
	unknown_keys(&L, doc, top_keys, "the policy");
	v = json_object_get(doc, "Version");
	if (!v) {
		kw_lint_finding(&L, "KWP002", false,
		                "Version is missing: IAM then applies 2008-10-17, without policy variables "
		                "(add \"Version\": \"2012-10-17\")");
	} else if (kw_lint_push(&L, "Version")) {
		if (!json_is_string(v))
			kw_lint_finding(&L, "KWP001", false, "Version must be a string, found %s",
			                type_of(v));
		else if (!strcmp(json_string_value(v), "2008-10-17"))
			kw_lint_finding(&L, "KWP003", false,
			                "Version 2008-10-17 has no policy variables: use 2012-10-17");
		else if (strcmp(json_string_value(v), "2012-10-17"))
			kw_lint_finding(&L, "KWP001", false,
			                "Version must be \"2012-10-17\" (or \"2008-10-17\"), found \"%s\"",
			                json_string_value(v));
		kw_pointer_pop(&L.ptr, 0);
	}
	if ((v = json_object_get(doc, "Id")) && !json_is_string(v) && kw_lint_push(&L, "Id")) {
		kw_lint_finding(&L, "KWP001", false, "Id must be a string, found %s", type_of(v));
		kw_pointer_pop(&L.ptr, 0);
	}
	v = json_object_get(doc, "Statement");
	if (!v) {
		kw_lint_finding(&L, "KWP001", false, "the policy has no Statement");
	} else if (kw_lint_push(&L, "Statement")) {
		if (json_is_object(v)) {
			lint_statement(&L, v);
		} else if (!json_is_array(v) || json_array_size(v) == 0) {
			kw_lint_finding(
			        &L, "KWP001", false,
			        "Statement must be an object or a non-empty array of objects, found %s",
			        json_is_array(v) ? "an empty array" : type_of(v));
		} else {
			for (size_t i = 0; i < json_array_size(v); i++) {
				if (!kw_lint_push_index(&L, i))
					break;
				lint_statement(&L, json_array_get(v, i));
				kw_pointer_pop(&L.ptr, strlen("/Statement"));
			}
		}
		kw_pointer_pop(&L.ptr, 0);
	}
	lint_placeholders(&L, doc);
	size = kw_policy_size(doc);
	if (size > KW_POLICY_MAX_INLINE_GROUP)
		kw_lint_finding(
		        &L, "KWP030", false,
		        "policy holds %zu characters (whitespace not counted), over IAM's quota of %d "
		        "for a group's inline policies",
		        size, KW_POLICY_MAX_INLINE_GROUP);
out:
	if (L.nomem)
		rc = kw_error_set(err, KW_ERR_NOMEM, p->file, "out of memory");
	json_decref(L.sids);
	free(L.esc_complete);
	kw_expansions_release(&L.exp);
	kw_buf_release(&L.ptr);
	return rc;
}

void kw_policy_findings_release(struct kw_policy_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].message);
		free(f->items[i].pointer);
	}
	free(f->items);
	memset(f, 0, sizeof(*f));
}

const char *kw_closest_word(const char *word, const char *const *known)
{
	const char *best = NULL;
	size_t best_d = 99, la = strlen(word);

	if (la >= 63)
		return NULL;
	for (size_t k = 0; known[k]; k++) {
		size_t lb = strlen(known[k]), prev[64], cur[64];
		if (lb >= 63)
			continue;
		for (size_t j = 0; j <= lb; j++)
			prev[j] = j;
		for (size_t i = 1; i <= la; i++) {
			cur[0] = i;
			for (size_t j = 1; j <= lb; j++) {
				char ca = word[i - 1], cb = known[k][j - 1];
				size_t sub = prev[j - 1] + ((ca | 0x20) == (cb | 0x20) ? 0 : 1);
				size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
				cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			}
			memcpy(prev, cur, sizeof(prev));
		}
		if (prev[lb] < best_d) {
			best_d = prev[lb];
			best = known[k];
		}
	}
	return best && best_d <= 2 && best_d < la ? best : NULL;
}
