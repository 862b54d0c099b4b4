/*
 * grants.c - what a statement's Action or NotAction element grants, expanded against the
 * catalog (lint, explain, diff and new-access all see the same expansion).
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "policy/internal.h"

const struct kw_expansion *kw_expansions_get(struct kw_expansions *x, const char *pattern)
{
	struct kw_expansion *e;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *c = pattern; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	for (size_t i = 0; i < x->n; i++)
		if (x->items[i]->hash == h && !strcmp(x->items[i]->pattern, pattern))
			return x->items[i];
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		struct kw_expansion **n = realloc(x->items, cap * sizeof(*n));
		if (!n)
			return NULL;
		x->items = n;
		x->cap = cap;
	}
	if (!x->scratch && !(x->scratch = malloc(x->cat->nactions * sizeof(uint32_t))))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->hash = h;
	e->n = kw_catalog_expand_indices(x->cat, pattern, x->scratch); /* at most every action */
	e->pattern = strdup(pattern);
	e->actions = malloc((e->n ? e->n : 1) * sizeof(uint32_t));
	if (!e->pattern || !e->actions) {
		free(e->pattern);
		free(e->actions);
		free(e);
		return NULL;
	}
	memcpy(e->actions, x->scratch, e->n * sizeof(uint32_t));
	x->items[x->n++] = e;
	return e;
}

void kw_expansions_release(struct kw_expansions *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->items[i]->pattern);
		free(x->items[i]->actions);
		free(x->items[i]);
	}
	free(x->items);
	free(x->scratch);
	x->items = NULL;
	x->scratch = NULL;
	x->n = x->cap = 0;
}

/* Add what value @a matches to @set; its count, or (size_t)-1 when out of memory. */
static size_t expand_value(const struct kw_catalog *c, struct kw_expansions *memo, const char *a,
                           struct kw_actionset *set)
{
	const struct kw_expansion *e;

	if (!memo)
		return kw_catalog_expand(c, a, set);
	if (!(e = kw_expansions_get(memo, a)))
		return (size_t)-1;
	for (size_t k = 0; k < e->n; k++)
		kw_actionset_add(set, e->actions[k]);
	return e->n;
}

int kw_statement_expand(const struct kw_catalog *c, struct kw_expansions *memo, const json_t *v,
                        bool not_action, struct kw_actionset *set, bool *unknown)
{
	struct kw_actionset listed;
	size_t n, got;
	int rc = 0;

	if (kw_json_strings(v, &n))
		return -1;
	if (!not_action) {
		for (size_t i = 0; i < n; i++) {
			got = expand_value(c, memo, kw_json_string_at(v, i), set);
			if (got == (size_t)-1)
				return -1;
			if (got == 0 && unknown)
				*unknown = true;
		}
		return 0;
	}
	if (kw_actionset_init(&listed, c))
		return -1;
	for (size_t i = 0; i < n && !rc; i++) {
		got = expand_value(c, memo, kw_json_string_at(v, i), &listed);
		if (got == (size_t)-1)
			rc = -1;
		else if (got == 0 && unknown)
			*unknown = true;
	}
	kw_actionset_complement(&listed, c);
	kw_actionset_union(set, &listed);
	kw_actionset_release(&listed);
	return rc;
}

json_t *kw_levels_json(const struct kw_catalog *c, const struct kw_service *svc,
                       const struct kw_actionset *set, size_t *count)
{
	json_t *levels = json_object(), *arr[KW_ACCESS_NLEVELS] = {0};
	bool ok = levels != NULL;

	*count = 0;
	for (uint32_t i = 0; ok && i < svc->nactions; i++) {
		const struct kw_action *a = &c->actions[svc->first_action + i];
		if (!kw_actionset_has(set, svc->first_action + i))
			continue;
		if (!arr[a->level])
			arr[a->level] = json_array();
		ok = !json_array_append_new(arr[a->level], json_sprintf("%s:%s", svc->prefix, a->name));
		(*count)++;
	}
	for (int l = 0; l < KW_ACCESS_NLEVELS; l++) {
		if (!arr[l])
			continue;
		if (!ok)
			json_decref(arr[l]); /* json_object_set_new takes it, even when it fails */
		else if (json_object_set_new(levels, kw_access_level_name((enum kw_access_level)l), arr[l]))
			ok = false;
	}
	if (!ok) {
		json_decref(levels);
		return NULL;
	}
	return levels;
}
