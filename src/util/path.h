/*
 * path.h - file name arithmetic on '/'-separated paths, as POSIX dirname(3) for the cases
 * keywarden meets (no trailing '/' handling).
 */
#ifndef KW_UTIL_PATH_H
#define KW_UTIL_PATH_H

/*
 * kw_path_dirname - the folder of path, a new string (free it): "." for a bare name, "/" for a
 * name in the root, else everything before the last '/'. NULL when out of memory.
 */
char *kw_path_dirname(const char *path);

#endif
