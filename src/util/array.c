/*
 * array.c - growing a heap array by one element (array.h).
 */
#include "util/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *kw_array_grow(void *items, size_t *n, size_t size)
{
	char *old, *p;

	if (*n >= SIZE_MAX / size - 1)
		return NULL;
	memcpy(&old, items, sizeof(old)); /* *items is a pointer to some element type */
	p = realloc(old, (*n + 1) * size);
	if (!p)
		return NULL;
	memcpy(items, &p, sizeof(p));
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}
