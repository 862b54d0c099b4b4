/* Fuzz the credential report reader (lifecycle/report.h) and the grace tag parser (rotation.h):
 * both read text IAM hands back, which keywarden must never crash on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle/report.h"
#include "lifecycle/rotation.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kw_lc_report r = {0};
	struct kw_error err;
	char *s = malloc(size + 1);
	time_t since;
	int days;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)kw_lc_report_parse((const char *)data, size, &r, &err);
	kw_lc_report_release(&r);
	(void)kw_grace_parse(s, &since, &days);
	free(s);
	return 0;
}
