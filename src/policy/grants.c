/*
 * grants.c - what a statement's Action or NotAction element grants, expanded against the
 * catalog (lint, explain, diff and new-access all see the same expansion).
 */
#include "catalog/catalog.h"
#include "policy/internal.h"

int kw_statement_expand(const struct kw_catalog *c, const json_t *v, bool not_action,
                        struct kw_actionset *set, bool *unknown)
{
	struct kw_actionset listed;
	size_t n;

	if (kw_json_strings(v, &n))
		return -1;
	if (!not_action) {
		for (size_t i = 0; i < n; i++)
			if (kw_catalog_expand(c, kw_json_string_at(v, i), set) == 0 && unknown)
				*unknown = true;
		return 0;
	}
	if (kw_actionset_init(&listed, c))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kw_catalog_expand(c, kw_json_string_at(v, i), &listed) == 0 && unknown)
			*unknown = true;
	kw_actionset_complement(&listed, c);
	kw_actionset_union(set, &listed);
	kw_actionset_release(&listed);
	return 0;
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
