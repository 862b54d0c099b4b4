/*
 * ini.h - the AWS shared config and credentials files (~/.aws/config, ~/.aws/credentials):
 * read them with line numbers, and edit one section keeping every other byte.
 *
 * Syntax, as botocore (the AWS CLI) reads these files with Python's configparser:
 *  - `[header]` starts a section; the header is the text between `[` and the last `]`,
 *    trimmed; text after `]` may only be a comment. Duplicate sections are an error. A line
 *    starting with `[` is a header even when indented (configparser would glue an indented
 *    one to the value above; keywarden does not, so that edits cannot change its meaning).
 *  - `key = value`: split at the first `=`, key and value trimmed of blanks; keys are
 *    case-insensitive (stored lowercase); a key twice in one section is an error naming the key.
 *    No inline comments: `region = us-east-1 # x` has the value "us-east-1 # x" (which the
 *    settings that are checked, such as region, then refuse naming file, line and setting).
 *  - whole-line comments start with `#` or `;` (after optional blanks); blank lines anywhere.
 *  - sub-sections: a key with an empty value followed by lines indented deeper than it,
 *    each `subkey = value` (e.g. `s3 =` then `  addressing_style = path`, or the
 *    `[services name]` sections' `iam =` / `  endpoint_url = ...`).
 *  - LF or CRLF line endings; the last line may lack one. A UTF-8 byte-order mark at the start
 *    is skipped (botocore fails on it with a generic parse error) and never written back.
 *  - A line without `=`, a key before any section, or an indented line that continues a
 *    value (configparser's multi-line values) is an error naming file and line.
 * Profiles: in the config file `[profile NAME]` (and `[default]`, or `[profile default]`);
 * in the credentials file `[NAME]`. `[default]` never fills in a named profile.
 *
 * Invariants: the file's text lives in a struct kw_secret owned by the struct kw_ini (values
 * may be secret access keys and session tokens); entries hold spans into it. Error messages
 * name the file and line and never quote a value or an unparsed line. Not thread safe to
 * mutate; read-only use from several threads is fine.
 */
#ifndef KW_AWS_INI_H
#define KW_AWS_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct kw_error;
struct kw_secret;

/* Files larger than this are refused (KW_ERR_INVALID). */
#define KW_INI_MAX_SIZE (1024 * 1024)

/* One `key = value`, or one `subkey = value` line of a sub-section. */
struct kw_ini_entry {
	char *key;            /* lowercase; for a sub-section line, the parent key (e.g. "s3") */
	char *subkey;         /* NULL for a top-level entry; lowercase sub-section key otherwise */
	struct kw_span value; /* trimmed value, borrowed from the ini's secret text (may be secret) */
	unsigned line;        /* 1-based line number */
	/* byte offsets into the text, for editing */
	size_t line_start, value_start, value_end, line_end; /* line_end: after the newline */
};

struct kw_ini_section {
	char *name;    /* header text between the brackets, trimmed: "default", "profile ci", "ci" */
	unsigned line; /* line of the header */
	struct kw_ini_entry *entries;
	size_t nentries;
	size_t header_end; /* offset just after the header line's newline */
	size_t body_end;   /* offset after the last entry line (where new keys are inserted) */
};

struct kw_ini {
	char *path;             /* file name used in errors ("<memory>" when parsed from text) */
	struct kw_secret *text; /* the whole file, owned */
	struct kw_ini_section *sections;
	size_t nsections;
	bool crlf; /* the first line ends with CRLF: new lines are written the same way */
	bool bom;  /* the text starts with a UTF-8 byte-order mark: skipped, and dropped by edits */
};

/* Which file a profile name is looked up in. */
enum kw_ini_kind {
	KW_INI_CONFIG,      /* [profile NAME], [default] */
	KW_INI_CREDENTIALS, /* [NAME] */
};

/*
 * kw_ini_parse - parse text into a new struct kw_ini.
 * @path: name used in error messages and kept in the result (copied); NULL gives "<memory>".
 * @text: the file's bytes (borrowed, copied into a new secret buffer; the caller wipes its own).
 * @len:  number of bytes.
 * @out:  receives the parsed file (free with kw_ini_free); NULL on error.
 * Returns 0, or -1 with err set (KW_ERR_INVALID with where = "path:line", KW_ERR_NOMEM).
 */
int kw_ini_parse(const char *path, const void *text, size_t len, struct kw_ini **out, struct kw_error *err);

/*
 * kw_ini_load - read and parse the file at path; its bytes go straight into a secret buffer.
 * Returns 0, or -1 with err set: KW_ERR_NOT_FOUND when the file does not exist (callers of
 * the credential chain treat that as "no such file, go on"), KW_ERR_IO, KW_ERR_INVALID
 * (syntax, or larger than KW_INI_MAX_SIZE), KW_ERR_NOMEM.
 */
int kw_ini_load(const char *path, struct kw_ini **out, struct kw_error *err);

/* kw_ini_free - wipe and free everything; NULL is allowed. */
void kw_ini_free(struct kw_ini *ini);

/*
 * kw_ini_section - the section whose header text is name exactly ("profile ci", "default",
 * "services local"), or NULL. Borrowed from ini.
 */
const struct kw_ini_section *kw_ini_section(const struct kw_ini *ini, const char *name);

/*
 * kw_ini_profile - the section of profile name in a file of the given kind, or NULL.
 * Config: "default" is `[default]` (or `[profile default]`), other names `[profile NAME]`
 * (blanks between "profile" and NAME are skipped, as botocore does). Credentials: `[NAME]`.
 */
const struct kw_ini_section *kw_ini_profile(const struct kw_ini *ini, enum kw_ini_kind kind,
                                            const char *name);

/*
 * kw_ini_profile_header - the header text a new section for profile name gets in a file of
 * kind ("profile ci" / "default" / "ci"), written into buf (size bytes).
 * Returns 0, or -1 when it does not fit.
 */
int kw_ini_profile_header(enum kw_ini_kind kind, const char *name, char *buf, size_t size);

/*
 * kw_ini_get - the entry key (and subkey, NULL for a top-level key) of section sec, or NULL.
 * key and subkey are matched case-insensitively. Borrowed; the value may be a secret: copy
 * it only into a struct kw_secret (kw_ini_get_secret) unless it is a plain setting.
 */
const struct kw_ini_entry *kw_ini_get(const struct kw_ini_section *sec, const char *key, const char *subkey);

/*
 * kw_ini_get_secret - new struct kw_secret holding the value of key/subkey in sec.
 * Returns 1 and sets *out when present, 0 (and *out = NULL) when absent, -1 when out of memory
 * (err set, KW_ERR_NOMEM).
 */
int kw_ini_get_secret(const struct kw_ini_section *sec, const char *key, const char *subkey,
                      struct kw_secret **out, struct kw_error *err);

/*
 * kw_ini_get_str - new malloc'd copy of a plain (non-secret) setting such as region or
 * max_attempts. Returns 1 and sets *out (caller frees), 0 when absent, -1 when out of memory.
 */
int kw_ini_get_str(const struct kw_ini_section *sec, const char *key, const char *subkey, char **out,
                   struct kw_error *err);

/* kw_ini_where - "path:line" for error messages, into buf (always NUL-terminated). */
void kw_ini_where(const struct kw_ini *ini, unsigned line, char *buf, size_t size);

/* One change for kw_ini_edit: set key to value, or remove key when value is NULL. */
struct kw_ini_set {
	const char *key;   /* top-level key, e.g. "aws_secret_access_key" */
	const char *value; /* borrowed bytes (may point into a kw_secret); NULL removes the key */
	size_t value_len;
};

/*
 * kw_ini_edit - a copy of ini's text with keys of one section set, replaced or removed;
 * every other byte (other sections, comments, blank lines, line endings, spacing around
 * `=` of replaced keys, sub-sections) stays as it was.
 * @ini:     the parsed file (borrowed); an empty file (kw_ini_parse of 0 bytes) is fine.
 * @section: header text of the section ("default", "ci", "profile ci"); created at the end of
 *           the file, after a blank line, when missing (unless every change is a removal).
 * @sets:    changes (borrowed); a replaced key keeps its line and position; new keys are added
 *           as `key = value` after the section's last entry, in the order given.
 * @nsets:   number of changes.
 * @out:     receives the new content in a new struct kw_secret (free with kw_secret_free);
 *           the caller writes it with kw_atomic_write(path, ..., 0600, ...).
 * New lines use the file's line ending (CRLF when its first line has one).
 * Returns 0, or -1 with err set: KW_ERR_INVALID for a value or key with a line break, a
 * value with leading/trailing blanks (it would not read back the same), a key with `=`, `[`
 * or blanks, or a section name with `]` or a line break; KW_ERR_NOMEM.
 */
int kw_ini_edit(const struct kw_ini *ini, const char *section, const struct kw_ini_set *sets, size_t nsets,
                struct kw_secret **out, struct kw_error *err);

/*
 * kw_ini_remove_section - a copy of ini's text without section (its header line, its entries
 * and the comment and blank lines among them); a blank line left doubled by the removal is
 * dropped. Every other byte stays as it was (the byte-order mark is dropped, as by kw_ini_edit).
 * A section that does not exist leaves the text as it is.
 * @out: the new content in a new struct kw_secret (free with kw_secret_free).
 * Returns 0, or -1 with err set (KW_ERR_NOMEM).
 */
int kw_ini_remove_section(const struct kw_ini *ini, const char *section, struct kw_secret **out,
                          struct kw_error *err);

#endif
