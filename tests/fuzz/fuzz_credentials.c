/*
 * Fuzz what credential_process hands back and how its command line is split
 * (aws/credentials.h): both come from outside keywarden and must never crash it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kw_aws_credentials c;
	struct kw_error err;
	char *s = malloc(size + 1), **argv;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!kw_aws_credential_process_parse((const char *)data, size, "fuzz", 1000000000, &c, &err))
		kw_aws_credentials_release(&c);
	argv = kw_aws_split_command(s);
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
	free(s);
	return 0;
}
