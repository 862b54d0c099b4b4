/*
 * array.h - growing a heap array by one element: the one implementation, for arrays of any type.
 */
#ifndef KW_UTIL_ARRAY_H
#define KW_UTIL_ARRAY_H

#include <stddef.h>

/*
 * kw_array_grow - grow a heap array by one zeroed element.
 * @items: address of the array pointer (e.g. &list->items, any element type); realloc'd.
 * @n:     its number of elements; counts the new one on success.
 * @size:  the size of one element in bytes (sizeof(*list->items)).
 * Returns the new element, or NULL when out of memory (*items and *n unchanged).
 */
void *kw_array_grow(void *items, size_t *n, size_t size);

#endif
