/*
 * path.c - file name arithmetic (path.h).
 */
#include "util/path.h"

#include <stdlib.h>
#include <string.h>

char *kw_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}
