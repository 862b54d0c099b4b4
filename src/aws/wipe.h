/*
 * wipe.h - allocator functions that wipe blocks before freeing them, for libraries that copy
 * secrets into their own allocations (libxml2 for XML answers, jansson for credential_process
 * output). They work on glibc malloc blocks, so blocks allocated before they were installed
 * are handled too.
 */
#ifndef KW_AWS_WIPE_H
#define KW_AWS_WIPE_H

#include <stddef.h>

/* kw_wipe_free - OPENSSL_cleanse the whole usable block, then free(); NULL allowed. */
void kw_wipe_free(void *p);

/* kw_wipe_realloc - realloc() that wipes the old block when it moves. */
void *kw_wipe_realloc(void *p, size_t n);

/* kw_wipe_install_jansson - make jansson free through kw_wipe_free (once, process-wide). */
void kw_wipe_install_jansson(void);

#endif
