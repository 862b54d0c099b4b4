/*
 * wipe.c - wiping allocator functions (wipe.h).
 */
#include "aws/wipe.h"

#include <jansson.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void kw_wipe_free(void *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

void *kw_wipe_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (!p)
		return malloc(n);
	old = malloc_usable_size(p);
	q = malloc(n ? n : 1);
	if (!q)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	kw_wipe_free(p);
	return q;
}

static pthread_once_t jansson_once = PTHREAD_ONCE_INIT;

static void install_jansson(void)
{
	json_set_alloc_funcs(malloc, kw_wipe_free);
}

void kw_wipe_install_jansson(void)
{
	pthread_once(&jansson_once, install_jansson);
}
