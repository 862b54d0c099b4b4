/*
 * Fuzz target: the manifest loader (libyaml). Input: YAML text, loaded as if it were
 * tests/fuzz/corpus/manifest/fuzz.yaml (so relative policy paths resolve into the corpus).
 * Checks: no crash, leak or unbounded work (alias bombs stop at KW_MANIFEST_MAX_ALIAS_NODES);
 * every diagnostic has a message; a valid manifest has its derived names and the managed-by tag.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kw_manifest_set *set = NULL;
	struct kw_error err;
	int rc;

	if (size > 65536)
		return 0;
	rc = kw_manifest_load_buffer((const char *)data, size, "tests/fuzz/corpus/manifest/fuzz.yaml", &set,
	                             &err);
	if (!set)
		return 0;
	for (size_t i = 0; i < set->diags.n; i++) {
		char *line = kw_diag_format(&set->diags.items[i]);
		if (!set->diags.items[i].message || !line)
			abort();
		free(line);
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct kw_manifest *m = set->items[i];
		if (!m->user_name || strncmp(m->user_name, "service-", 8) || !m->ntags ||
		    strcmp(m->tags[m->ntags - 1].key, KW_MANAGED_TAG_KEY))
			abort();
		(void)kw_manifest_find_user(set, m->user_name);
	}
	if (rc == 0 && set->nerrors)
		abort();
	kw_manifest_set_free(set);
	return 0;
}
