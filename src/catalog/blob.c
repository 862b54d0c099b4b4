/*
 * blob.c - the catalog's text (data/iam-catalog.tsv) compiled into the binary, so that no file
 * is looked up at run time. KW_CATALOG_FILE is the file's absolute path, set by CMakeLists.txt
 * (which also makes this object depend on it). The assembler's .incbin copies the bytes; a NUL
 * follows them. Read by catalog.c only.
 */
#ifndef KW_CATALOG_FILE
#error "KW_CATALOG_FILE must name data/iam-catalog.tsv (set by CMakeLists.txt)"
#endif

__asm__(".section .rodata\n"
        ".global kw_catalog_blob\n"
        ".global kw_catalog_blob_end\n"
        ".balign 16\n"
        "kw_catalog_blob:\n"
        ".incbin \"" KW_CATALOG_FILE "\"\n"
        "kw_catalog_blob_end:\n"
        ".byte 0\n"
        ".previous\n");
