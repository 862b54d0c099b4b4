/*
 * num.h - numbers and durations as people write them on a command line, parsed in one place
 * with one set of rules: no empty value, no sign where none makes sense, no trailing junk, a
 * range, and for durations an optional unit (ms, s, m, h, d, w). A plain number keeps the
 * unit the option always had (`--grace 7` is days, `--confirm-timeout 30` seconds).
 */
#ifndef KW_UTIL_NUM_H
#define KW_UTIL_NUM_H

/*
 * kw_parse_long - a whole decimal number from min to max into *out.
 * Returns 0, or -1 when s is empty, not a number, or out of range.
 */
int kw_parse_long(const char *s, long min, long max, long *out);

/*
 * kw_parse_duration - a duration into *seconds: a number (fraction allowed), optionally
 * followed by a unit: ms, s, m, h, d or w; without a unit it is a number of unit_seconds
 * (1 for seconds, 86400 for days). Bounds are in seconds.
 * Returns 0, or -1 when s is empty, malformed, negative, or out of [min_s, max_s].
 */
int kw_parse_duration(const char *s, double unit_seconds, double min_s, double max_s, double *seconds);

#endif
