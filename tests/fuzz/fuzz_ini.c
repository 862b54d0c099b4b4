/*
 * Fuzz the AWS config/credentials reader and editor (aws/ini.h): any file must parse or fail
 * cleanly, and an edit of a parsed file must parse again with the new value in place.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ini.h"
#include "util/error.h"
#include "util/secret.h"

static void edit_and_reparse(const struct kw_ini *ini, const char *section)
{
	static const char value[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	const struct kw_ini_set sets[] = {{"aws_secret_access_key", value, sizeof(value) - 1},
	                                  {"aws_session_token", NULL, 0}};
	struct kw_secret *out = NULL;
	struct kw_ini *again = NULL;
	struct kw_error err;
	const struct kw_ini_entry *e;

	if (kw_ini_edit(ini, section, sets, 2, &out, &err))
		return; /* e.g. a section name that cannot be written */
	if (kw_ini_parse("edited", out->data, out->len, &again, &err))
		abort(); /* an edit must never produce an unreadable file */
	e = kw_ini_get(kw_ini_section(again, section), "aws_secret_access_key", NULL);
	if (!e || e->value.len != sizeof(value) - 1 || memcmp(e->value.ptr, value, e->value.len))
		abort();
	if (kw_ini_get(kw_ini_section(again, section), "aws_session_token", NULL))
		abort();
	kw_ini_free(again);
	kw_secret_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kw_ini *ini = NULL;
	struct kw_error err;

	if (kw_ini_parse("fuzz", data, size, &ini, &err))
		return 0;
	for (size_t i = 0; i < ini->nsections && i < 4; i++) {
		(void)kw_ini_profile(ini, KW_INI_CONFIG, ini->sections[i].name);
		edit_and_reparse(ini, ini->sections[i].name);
	}
	edit_and_reparse(ini, "new-profile");
	kw_ini_free(ini);
	return 0;
}
