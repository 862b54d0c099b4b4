/*
 * lint_catalog.c - the lint findings that need AWS's action catalog: unknown services and
 * actions (KWP060-KWP062), parts of a statement that grant nothing because no Resource fits
 * (KWP063, KWP064), ARNs of the wrong shape (KWP065), and condition keys: unknown, supported
 * by none of the actions, or of a type the operator or the value does not fit (KWP070-KWP072).
 *
 * All are warnings naming the catalog's version (kw_lint_finding adds it): an action newer
 * than the pinned catalog must not block a pipeline, and allow: accepts them.
 * Sources: Service Authorization Reference (actions, resource types, condition keys); IAM
 * User Guide, "IAM JSON policy elements: Condition operators", "IAM identifiers" (ARN format),
 * "Access Analyzer policy check reference" (the issue codes named in the findings).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "policy/internal.h"
#include "policy/policy.h"

/* Partitions (AWS General Reference, "Amazon Resource Names"; botocore endpoints.json). */
static const char *const partitions[] = {"aws",       "aws-cn",    "aws-us-gov", "aws-iso", "aws-iso-b",
                                         "aws-iso-e", "aws-iso-f", "aws-eusc",   NULL};

static void list_add(struct kw_lint *L, struct kw_buf *b, size_t *n, const char *item)
{
	if (*n < 5 && kw_buf_appendf(b, "%s%s", *n ? ", " : "", item))
		L->nomem = true;
	(*n)++;
}

static void list_end(struct kw_lint *L, struct kw_buf *b, size_t n)
{
	if (n > 5 && kw_buf_appendf(b, " and %zu more", n - 5))
		L->nomem = true;
}

static bool wild(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || (s[i] == '$' && i + 1 < n && s[i + 1] == '{'))
			return true;
	return false;
}

/* "did you mean" among the names of a table (borrowed strings, NULL-terminated copy made here). */
static const char *closest(struct kw_lint *L, const char *word, const char *(*name_at)(const void *, size_t),
                           const void *table, size_t n)
{
	const char **names = calloc(n + 1, sizeof(*names));
	const char *hit;

	if (!names) {
		L->nomem = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		names[i] = name_at(table, i);
	hit = kw_closest_word(word, names);
	free(names);
	return hit;
}

static const char *service_name_at(const void *t, size_t i)
{
	return ((const struct kw_service *)t)[i].prefix;
}

static const char *action_name_at(const void *t, size_t i)
{
	return ((const struct kw_action *)t)[i].name;
}

/* KWP060-KWP062 for one Action/NotAction value; returns the number of catalog actions it matches. */
static size_t check_action_value(struct kw_lint *L, const char *a)
{
	const struct kw_catalog *c = L->cat;
	const char *colon = strchr(a, ':'), *hint;
	const struct kw_service *s = NULL;
	const struct kw_expansion *e;
	size_t plen = (size_t)(colon - a), n;
	char prefix[128];

	if (!wild(a, plen) && !(s = kw_catalog_service(c, a, plen))) {
		if (plen >= sizeof(prefix))
			plen = sizeof(prefix) - 1;
		memcpy(prefix, a, plen);
		prefix[plen] = '\0';
		hint = closest(L, prefix, service_name_at, c->services, c->nservices);
		if (hint)
			kw_lint_finding(L, "KWP060", false,
			                "unknown service prefix '%s' in '%s' (did you mean '%s'?)", prefix, a,
			                hint);
		else
			kw_lint_finding(L, "KWP060", false, "unknown service prefix '%s' in '%s'", prefix, a);
		return 0;
	}
	e = kw_lint_expand(L, a);
	n = e ? e->n : 0;
	if (n)
		return n;
	if (strpbrk(a, "*?")) {
		kw_lint_finding(L, "KWP062", false, "'%s' matches no action", a);
		return 0;
	}
	hint = closest(L, colon + 1, action_name_at, c->actions + s->first_action, s->nactions);
	if (hint)
		kw_lint_finding(L, "KWP061", false, "unknown action '%s' (did you mean '%s:%s'?)", a,
		                s->prefix, hint);
	else
		kw_lint_finding(L, "KWP061", false, "unknown action '%s' of %s", a, s->prefix);
	return 0;
}

/* The Resource values of a statement that can be matched against ARN formats. */
struct resources {
	const json_t *v;
	size_t n;
	bool star;      /* "*" among them */
	bool templated; /* a placeholder among them: what it becomes is unknown */
	uint8_t **fit;  /* [n * nservices] lazily: per resource type 1 fits, 2 does not */
};

/*
 * The first five fields of an ARN (arn, partition, service, region, account): starts and
 * lengths; colons inside a policy variable (${aws:username}) do not separate. Returns false
 * when r has fewer than six fields.
 */
static bool arn_fields(const char *r, const char *f[5], size_t len[5])
{
	const char *start = r;
	int k = 0;

	for (const char *p = r; *p && k < 5; p++) {
		if (p[0] == '$' && p[1] == '{') {
			const char *e = strchr(p, '}');
			if (!e)
				return false;
			p = e;
		} else if (*p == ':') {
			f[k] = start;
			len[k++] = (size_t)(p - start);
			start = p + 1;
		}
	}
	return k == 5;
}

static bool arn_checkable(const char *r)
{
	const char *f[5];
	size_t len[5];

	return !strncmp(r, "arn:", 4) && arn_fields(r, f, len) && !kw_has_placeholder(r);
}

/* Whether resource i fits resource type rt of service si (cached). */
static bool fits(struct kw_lint *L, struct resources *R, size_t i, uint32_t si, uint32_t rt)
{
	const struct kw_service *s = &L->cat->services[si];
	uint8_t **slot = &R->fit[i * L->cat->nservices + si];
	const char *r = kw_json_string_at(R->v, i);

	if (!arn_checkable(r))
		return true; /* "*", or not an ARN (KWP001 says so) */
	if (!*slot && !(*slot = calloc(s->nrtypes ? s->nrtypes : 1, 1))) {
		L->nomem = true;
		return true;
	}
	if (!(*slot)[rt])
		(*slot)[rt] = kw_arn_overlap(r, s->rtypes[rt].arn) ? 1 : 2;
	return (*slot)[rt] == 1;
}

/* Whether some Resource of the statement fits some resource type of action a. */
static bool action_fits(struct kw_lint *L, struct resources *R, const struct kw_action *a)
{
	for (size_t i = 0; i < R->n; i++)
		for (uint32_t k = 0; k < a->nrtypes; k++)
			if (fits(L, R, i, a->service, a->rtypes[k] & ~KW_RTYPE_REQUIRED))
				return true;
	return false;
}

/* KWP063 for one Action value: no Resource fits any action it matches. */
static void check_value_fits(struct kw_lint *L, struct resources *R, const char *a)
{
	const struct kw_catalog *c = L->cat;
	const struct kw_expansion *e = kw_lint_expand(L, a);
	struct kw_buf types = KW_BUF_INIT;
	size_t count = 0, ntypes = 0;
	const struct kw_action *one = NULL;

	for (size_t i = 0; e && i < e->n; i++) {
		if (action_fits(L, R, &c->actions[e->actions[i]]))
			goto out;
		one = &c->actions[e->actions[i]];
		count++;
	}
	if (!count)
		goto out;
	if (count == 1 && !strpbrk(a, "*?")) {
		const struct kw_service *s = kw_catalog_action_service(c, one);
		for (uint32_t k = 0; k < one->nrtypes; k++)
			list_add(L, &types, &ntypes, s->rtypes[one->rtypes[k] & ~KW_RTYPE_REQUIRED].arn);
		list_end(L, &types, ntypes);
		if (!one->nrtypes)
			kw_lint_finding(L, "KWP063", false,
			                "'%s' takes no resource-level permissions: without Resource \"*\" "
			                "this part of "
			                "the statement grants nothing",
			                a);
		else
			kw_lint_finding(
			        L, "KWP063", false,
			        "no Resource of the statement is a resource of '%s' (%s): this part of the "
			        "statement grants nothing",
			        a, types.data);
	} else {
		kw_lint_finding(
		        L, "KWP063", false,
		        "none of the %zu actions '%s' matches takes a Resource of the statement: this part "
		        "of the statement grants nothing",
		        count, a);
	}
out:
	kw_buf_release(&types);
}

/* KWP064 for resource i: it fits no resource type of any action of the statement (set). */
static void check_resource_fits(struct kw_lint *L, struct resources *R, size_t i,
                                const struct kw_actionset *set)
{
	const struct kw_catalog *c = L->cat;
	struct kw_buf types = KW_BUF_INIT;
	size_t ntypes = 0;
	bool any = false;

	if (!arn_checkable(kw_json_string_at(R->v, i)))
		return;
	for (size_t a = kw_actionset_next(set, 0); a != (size_t)-1; a = kw_actionset_next(set, a + 1)) {
		const struct kw_action *ac = &c->actions[a];
		for (uint32_t k = 0; k < ac->nrtypes; k++) {
			any = true;
			if (fits(L, R, i, ac->service, ac->rtypes[k] & ~KW_RTYPE_REQUIRED))
				return;
		}
	}
	if (!any)
		return; /* no action takes resources: KWP063 says it */
	for (size_t a = kw_actionset_next(set, 0); a != (size_t)-1 && ntypes <= 5;
	     a = kw_actionset_next(set, a + 1)) {
		const struct kw_action *ac = &c->actions[a];
		const struct kw_service *s = kw_catalog_action_service(c, ac);
		for (uint32_t k = 0; k < ac->nrtypes && ntypes <= 5; k++) {
			const char *arn = s->rtypes[ac->rtypes[k] & ~KW_RTYPE_REQUIRED].arn;
			if (!types.data || !strstr(types.data, arn))
				list_add(L, &types, &ntypes, arn);
		}
	}
	list_end(L, &types, ntypes);
	kw_lint_finding(
	        L, "KWP064", false,
	        "Resource '%s' is no resource of the statement's actions (they take %s): it grants nothing",
	        kw_json_string_at(R->v, i), types.data ? types.data : "");
	kw_buf_release(&types);
}

/* KWP065: partition, service and account of an ARN. */
static void check_arn_shape(struct kw_lint *L, const char *r)
{
	const char *f[5];
	size_t len[5];
	bool known = false;

	if (!arn_checkable(r) || !arn_fields(r, f, len))
		return;
	if (!wild(f[1], len[1])) {
		for (size_t i = 0; partitions[i]; i++)
			known |= strlen(partitions[i]) == len[1] && !strncmp(partitions[i], f[1], len[1]);
		if (!known) {
			L->aa = "INVALID_PARTITION";
			kw_lint_finding(L, "KWP065", false,
			                "'%s': '%.*s' is no AWS partition (aws, aws-cn, aws-us-gov, ...)", r,
			                (int)len[1], f[1]);
			return;
		}
	}
	if (!wild(f[2], len[2])) {
		bool upper = false;
		for (size_t i = 0; i < len[2]; i++)
			upper |= f[2][i] >= 'A' && f[2][i] <= 'Z';
		if (upper) {
			L->aa = "INVALID_ARN_SERVICE_CASE";
			kw_lint_finding(L, "KWP065", false,
			                "'%s': the service in an ARN is lower-case ('%.*s')", r, (int)len[2],
			                f[2]);
			return;
		}
		if (!kw_catalog_arn_service(L->cat, f[2], len[2])) {
			L->aa = "INVALID_SERVICE";
			kw_lint_finding(L, "KWP065", false,
			                "'%s': '%.*s' is the service of no AWS resource type", r, (int)len[2],
			                f[2]);
			return;
		}
	}
	if (len[4] && !wild(f[4], len[4]) && !(len[4] == 3 && !strncmp(f[4], "aws", 3))) {
		bool digits = len[4] == 12;
		for (size_t i = 0; i < len[4]; i++)
			digits &= f[4][i] >= '0' && f[4][i] <= '9';
		if (!digits) {
			L->aa = "INVALID_ARN_ACCOUNT";
			kw_lint_finding(L, "KWP065", false,
			                "'%s': the account '%.*s' is not a 12-digit account ID", r,
			                (int)len[4], f[4]);
		}
	}
}

/* Operator families (IAM User Guide, "Condition operators"). */
enum opclass { OP_STRING, OP_NUMERIC, OP_DATE, OP_BOOL, OP_BINARY, OP_IP, OP_ARN, OP_NULL, OP_UNKNOWN };

static enum opclass op_class(const char *op)
{
	static const struct {
		const char *prefix;
		enum opclass c;
	} t[] = {{"String", OP_STRING},   {"Numeric", OP_NUMERIC}, {"Date", OP_DATE},
	         {"Bool", OP_BOOL},       {"Binary", OP_BINARY},   {"IpAddress", OP_IP},
	         {"NotIpAddress", OP_IP}, {"Arn", OP_ARN},         {"Null", OP_NULL}};
	const char *colon = strchr(op, ':');

	if (colon && (!strncmp(op, "ForAllValues:", 13) || !strncmp(op, "ForAnyValue:", 12)))
		op = colon + 1;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strncmp(op, t[i].prefix, strlen(t[i].prefix)))
			return t[i].c;
	return OP_UNKNOWN;
}

static bool class_fits(enum opclass oc, enum kw_ckey_type t)
{
	switch (oc) {
	case OP_STRING:
	case OP_ARN: return t == KW_CKEY_STRING || t == KW_CKEY_ARN;
	case OP_NUMERIC: return t == KW_CKEY_NUMERIC;
	case OP_DATE: return t == KW_CKEY_DATE;
	case OP_BOOL: return t == KW_CKEY_BOOL;
	case OP_BINARY: return t == KW_CKEY_BINARY;
	case OP_IP: return t == KW_CKEY_IPADDRESS;
	default: return true;
	}
}

static const char *class_for_type(enum kw_ckey_type t)
{
	switch (t) {
	case KW_CKEY_STRING: return "String";
	case KW_CKEY_ARN: return "Arn";
	case KW_CKEY_NUMERIC: return "Numeric";
	case KW_CKEY_DATE: return "Date";
	case KW_CKEY_BOOL: return "Bool";
	case KW_CKEY_BINARY: return "Binary";
	case KW_CKEY_IPADDRESS: return "IpAddress";
	}
	return "?";
}

/* ISO 8601 as IAM reads it (YYYY-MM-DD, optional THH:MM[:SS[.fff]] and zone), or epoch seconds. */
static bool date_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n && strspn(s, "0123456789") == n)
		return true;
	if (n < 10)
		return false;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
			return false;
	if (n == 10)
		return true;
	if (s[10] != 'T' && s[10] != 't')
		return false;
	return strspn(s + 11, "0123456789:.+-Zz") == n - 11 && n >= 16;
}

static bool number_ok(const char *s)
{
	char *end;

	if (!*s)
		return false;
	(void)strtod(s, &end);
	return *end == '\0';
}

/* KWP072 for the values of one key under an operator of class oc. */
static void check_values(struct kw_lint *L, enum opclass oc, const char *op, const char *key, const json_t *v)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;

	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
		const char *s = json_is_string(e) ? json_string_value(e) : NULL;
		if (s && strstr(s, "${"))
			continue; /* a policy variable: its value is known only at request time */
		if (oc == OP_BOOL && !json_is_boolean(e) &&
		    !(s && (!strcmp(s, "true") || !strcmp(s, "false")))) {
			L->aa = "TYPE_MISMATCH_BOOLEAN";
			kw_lint_finding(L, "KWP072", false, "'%s' on '%s' takes true or false, not %s%s%s",
			                op, key, s ? "'" : "a non-boolean", s ? s : "", s ? "'" : "");
			return;
		}
		if (oc == OP_DATE && !(json_is_integer(e) || (s && date_ok(s)))) {
			L->aa = "TYPE_MISMATCH_DATE";
			kw_lint_finding(L, "KWP072", false,
			                "'%s' on '%s' takes an ISO 8601 date (2026-01-31T12:00:00Z) or epoch "
			                "seconds, "
			                "not '%s'",
			                op, key, s ? s : "a non-date");
			return;
		}
		if (oc == OP_NUMERIC && !(json_is_number(e) || (s && number_ok(s)))) {
			L->aa = "TYPE_MISMATCH_NUMBER";
			kw_lint_finding(L, "KWP072", false, "'%s' on '%s' takes a number, not '%s'", op, key,
			                s ? s : "a non-number");
			return;
		}
	}
}

/* Condition keys that are global but listed per action, as the services that support them. */
static bool per_action_global(const char *key)
{
	return !strncasecmp(key, "aws:RequestTag/", 15) || !strncasecmp(key, "aws:ResourceTag/", 16) ||
	       !strcasecmp(key, "aws:TagKeys");
}

static void check_conditions(struct kw_lint *L, const json_t *cond, const struct kw_actionset *set,
                             bool judge)
{
	size_t mark = L->ptr.len;
	const char *op, *key;
	json_t *block, *v;

	json_object_foreach((json_t *)cond, op, block)
	{
		enum opclass oc = op_class(op);
		size_t mark2;
		if (!json_is_object(block) || !kw_lint_push(L, op))
			continue;
		mark2 = L->ptr.len;
		json_object_foreach(block, key, v)
		{
			const struct kw_service *owner;
			const struct kw_ckey *k;
			if (kw_has_placeholder(key) || !kw_lint_push(L, key))
				continue;
			k = kw_catalog_condition_key(L->cat, key, &owner);
			if (!k) {
				L->aa = strncasecmp(key, "aws:", 4) ? "INVALID_SERVICE_CONDITION_KEY"
				                                    : "INVALID_GLOBAL_CONDITION_KEY";
				kw_lint_finding(L, "KWP070", true, "unknown condition key '%s'", key);
			} else {
				if (judge && (owner || per_action_global(key))) {
					bool taken = false;
					for (size_t a = kw_actionset_next(set, 0); a != (size_t)-1 && !taken;
					     a = kw_actionset_next(set, a + 1))
						taken = kw_catalog_action_takes_key(L->cat,
						                                    &L->cat->actions[a], key);
					if (!taken)
						kw_lint_finding(L, "KWP071", true,
						                "no action of the statement takes condition "
						                "key '%s': it is "
						                "absent from their requests",
						                key);
				}
				if (oc != OP_UNKNOWN && !class_fits(oc, k->type))
					kw_lint_finding(L, "KWP072", true,
					                "'%s' compares %s values, but '%s' is of type %s "
					                "(use the %s operators)",
					                op,
					                oc == OP_STRING   ? "string"
					                : oc == OP_ARN    ? "ARN"
					                : oc == OP_DATE   ? "date"
					                : oc == OP_BOOL   ? "boolean"
					                : oc == OP_IP     ? "IP address"
					                : oc == OP_BINARY ? "binary"
					                                  : "numeric",
					                key, kw_ckey_type_name(k->type),
					                class_for_type(k->type));
			}
			check_values(L, oc, op, key, v);
			kw_pointer_pop(&L->ptr, mark2);
		}
		kw_pointer_pop(&L->ptr, mark);
	}
}

void kw_lint_catalog_statement(struct kw_lint *L, const json_t *st)
{
	const struct kw_catalog *c = L->cat;
	const json_t *actions = json_object_get(st, "Action"), *cond = json_object_get(st, "Condition");
	const char *const names[2] = {"Action", "NotAction"};
	struct resources R = {.v = json_object_get(st, "Resource")};
	struct kw_actionset set = {0};
	size_t mark = L->ptr.len, n;
	bool unknown = false, values_ok = true;

	if (kw_actionset_init(&set, c)) {
		L->nomem = true;
		return;
	}
	for (int w = 0; w < 2; w++) {
		const json_t *v = json_object_get(st, names[w]);
		if (!v || kw_json_strings(v, &n) || !kw_lint_push(L, names[w]))
			continue;
		for (size_t i = 0; i < n; i++) {
			const char *a = kw_json_string_at(v, i);
			size_t m2 = L->ptr.len;
			if (!strcmp(a, "*") || !kw_action_well_formed(a))
				continue; /* "*" matches everything; malformed ones are KWP040 */
			if (json_is_array(v) && !kw_lint_push_index(L, i))
				break;
			if (check_action_value(L, a) == 0)
				unknown = true;
			kw_pointer_pop(&L->ptr, m2);
		}
		kw_pointer_pop(&L->ptr, mark);
	}
	if (actions && kw_json_strings(actions, &n))
		values_ok = false;
	for (size_t i = 0; actions && values_ok && i < n; i++) {
		const struct kw_expansion *e = kw_lint_expand(L, kw_json_string_at(actions, i));
		for (size_t k = 0; e && k < e->n; k++)
			kw_actionset_add(&set, e->actions[k]);
	}
	if (R.v && !kw_json_strings(R.v, &R.n) && kw_lint_push(L, "Resource")) {
		for (size_t i = 0; i < R.n; i++) {
			const char *r = kw_json_string_at(R.v, i);
			R.star |= !strcmp(r, "*");
			R.templated |= kw_has_placeholder(r);
		}
		R.fit = calloc(R.n * c->nservices, sizeof(*R.fit));
		if (!R.fit)
			L->nomem = true;
		for (size_t i = 0; R.fit && i < R.n; i++) {
			size_t m2 = L->ptr.len;
			if (json_is_array(R.v) && !kw_lint_push_index(L, i))
				break;
			check_arn_shape(L, kw_json_string_at(R.v, i));
			if (actions && values_ok && !unknown && !R.templated)
				check_resource_fits(L, &R, i, &set);
			kw_pointer_pop(&L->ptr, m2);
		}
		kw_pointer_pop(&L->ptr, mark);
		if (R.fit && actions && values_ok && !R.star && !R.templated &&
		    !kw_json_strings(actions, &n) && kw_lint_push(L, "Action")) {
			for (size_t i = 0; i < n; i++) {
				const char *a = kw_json_string_at(actions, i);
				size_t m2 = L->ptr.len;
				if (!strcmp(a, "*") || !kw_action_well_formed(a))
					continue;
				if (json_is_array(actions) && !kw_lint_push_index(L, i))
					break;
				check_value_fits(L, &R, a);
				kw_pointer_pop(&L->ptr, m2);
			}
			kw_pointer_pop(&L->ptr, mark);
		}
	}
	if (json_is_object(cond) && kw_lint_push(L, "Condition")) {
		check_conditions(L, cond, &set,
		                 actions && values_ok && !unknown && kw_actionset_count(&set) > 0);
		kw_pointer_pop(&L->ptr, mark);
	}
	for (size_t i = 0; R.fit && i < R.n * c->nservices; i++)
		free(R.fit[i]);
	free(R.fit);
	kw_actionset_release(&set);
}
