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

#endif
