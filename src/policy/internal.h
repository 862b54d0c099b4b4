/*
 * internal.h - helpers shared by the files of src/policy/ (not a public API).
 */
#ifndef KW_POLICY_INTERNAL_H
#define KW_POLICY_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "catalog/catalog.h" /* kw_glob_match_ci */
#include "util/buf.h"

/* kw_pointer_push - append "/" and the JSON-pointer escaped key (~0, ~1) to ptr. 0 or -1. */
int kw_pointer_push(struct kw_buf *ptr, const char *key);

/* kw_pointer_push_index - append "/<index>". 0 or -1. */
int kw_pointer_push_index(struct kw_buf *ptr, size_t index);

/* kw_pointer_pop - truncate ptr back to len bytes. */
void kw_pointer_pop(struct kw_buf *ptr, size_t len);

/*
 * kw_json_strings - when v is a string or an array of strings, the number of strings and
 * each through kw_json_string_at(); returns -1 when v is neither (or holds a non-string).
 */
int kw_json_strings(const json_t *v, size_t *n);
const char *kw_json_string_at(const json_t *v, size_t i);

/* kw_is_statement_key_order - index of a statement key in the canonical order, or -1. */
int kw_statement_key_rank(const char *key);

/* kw_strcasecmp_ascii - ASCII case-insensitive comparison (locale-free). */
int kw_strcasecmp_ascii(const char *a, const char *b);

/*
 * kw_placeholder_next - find the next template placeholder ${NAME} (NAME non-empty, no colon,
 * not "*", "?" or "$") in s from *pos. Sets *start (offset of '$'), *name_len, and returns
 * a pointer to NAME, or NULL when there is none. *pos moves past it.
 */
const char *kw_placeholder_next(const char *s, size_t *pos, size_t *start, size_t *name_len);

/*
 * kw_closest_word - the word of known (NULL-terminated) closest to word by edit distance
 * (ASCII case ignored), when close enough to be a likely typo (distance <= 2 and shorter
 * than word); else NULL. Also used by src/manifest for "did you mean".
 */
const char *kw_closest_word(const char *word, const char *const *known);

/* One way to escalate privileges: the actions that together allow it (risk.c). */
struct kw_risk_set {
	const char *name;       /* "CreateEC2WithExistingIP" */
	const char *actions[4]; /* "service:Action", NULL-terminated */
	const char *source;     /* see risk.c: "RSL 3" */
	bool self_ok;           /* harmless when every Resource is the caller's own user */
};
extern const struct kw_risk_set kw_escalation_sets[];
extern const size_t kw_escalation_nsets;
/* Actions whose answer holds credentials, NULL-terminated (risk.c). */
extern const char *const kw_credential_exposure[];

/* One Action or NotAction value expanded against the catalog (see kw_expansions_get). */
struct kw_expansion {
	char *pattern;     /* the value as written (owned) */
	uint32_t hash;     /* of pattern, to compare cheaply */
	uint32_t *actions; /* catalog->actions indices it matches, ascending (owned) */
	size_t n;
};

/*
 * A memo of expanded values, so that a value written many times (in one policy, or in the
 * two policies of --new-access) is expanded against the catalog once. Zero-initialize with
 * .cat set; kw_expansions_release frees it.
 */
struct kw_expansions {
	const struct kw_catalog *cat;
	struct kw_expansion **items; /* owned */
	size_t n, cap;
	uint32_t *scratch; /* room for every catalog action (owned) */
};

/*
 * kw_expansions_get - the catalog actions that Action value @pattern matches
 * (kw_catalog_expand), from the memo or expanded now. Returns the expansion (owned by @x,
 * valid until kw_expansions_release), or NULL when out of memory.
 */
const struct kw_expansion *kw_expansions_get(struct kw_expansions *x, const char *pattern);
void kw_expansions_release(struct kw_expansions *x);

/* Lint state shared by lint.c and lint_catalog.c; the pointer names the element at hand. */
struct kw_lint {
	const struct kw_policy *p;
	const struct kw_catalog *cat; /* NULL: no catalog checks */
	struct kw_policy_findings *out;
	struct kw_buf ptr;
	bool nomem;
	json_t *sids;
	unsigned col_offset; /* added to the next finding's column (a placeholder inside a string) */
	const char *aa;      /* Access Analyzer code of the next finding, when not the code's own */
	bool *esc_complete;  /* per kw_escalation_sets: the policy grants all its actions (owned; lazily) */
	struct kw_expansions exp; /* every value expanded so far in this policy */
};

/* kw_lint_finding - append a finding at the current pointer (its key with @at_key). */
void kw_lint_finding(struct kw_lint *L, const char *code, bool at_key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* kw_lint_push, kw_lint_push_index - extend the pointer; false (nomem set) when out of memory. */
bool kw_lint_push(struct kw_lint *L, const char *key);
bool kw_lint_push_index(struct kw_lint *L, size_t i);

/* kw_lint_expand - kw_expansions_get of the lint's memo; NULL with L->nomem set when out of memory. */
const struct kw_expansion *kw_lint_expand(struct kw_lint *L, const char *pattern);

/* kw_lint_catalog_statement - the catalog's checks of one statement (KWP060-KWP072). */
void kw_lint_catalog_statement(struct kw_lint *L, const json_t *st);

/*
 * kw_statement_expand - the actions the Action or NotAction element @v grants (NotAction:
 * every catalog action none of its values matches), added to @set. *unknown (when not NULL)
 * is set when some value matched no catalog action. @memo (may be NULL) keeps expansions for
 * the next call. 0, or -1 when @v is not a string or an array of strings, or out of memory.
 */
int kw_statement_expand(const struct kw_catalog *c, struct kw_expansions *memo, const json_t *v,
                        bool not_action, struct kw_actionset *set, bool *unknown);

/*
 * kw_levels_json - the actions of service @svc in @set, by access level: a new object
 * {"List": ["svc:Name", ...], ...} (levels without actions left out); *count their number.
 * NULL when out of memory.
 */
json_t *kw_levels_json(const struct kw_catalog *c, const struct kw_service *svc,
                       const struct kw_actionset *set, size_t *count);

/* kw_action_well_formed - "*" or service:Name (letters, digits, '-' in the service; * and ? in the name). */
bool kw_action_well_formed(const char *a);

/* kw_has_placeholder - whether s holds a ${NAME} template placeholder or a published <name>. */
bool kw_has_placeholder(const char *s);

#endif
