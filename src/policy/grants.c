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
