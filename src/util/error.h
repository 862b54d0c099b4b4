/*
 * error.h - the error value that library code fills and only main/src/cmd prints.
 *
 * Invariants: a struct kw_error is owned by its caller (usually on the stack of a
 * command); library functions return 0 on success, or -1 after filling it with
 * kw_error_set(). The message never holds a secret: kw_error_set() runs it through
 * the log redaction filter. Printing is "error: <where>: <what>".
 */
#ifndef KW_UTIL_ERROR_H
#define KW_UTIL_ERROR_H

#include <stdio.h>

enum kw_err_kind {
	KW_ERR_NONE = 0,
	KW_ERR_NOMEM,     /* allocation failed */
	KW_ERR_USAGE,     /* bad command line */
	KW_ERR_INVALID,   /* bad input: manifest, policy, config file */
	KW_ERR_IO,        /* file system */
	KW_ERR_NETWORK,   /* connection, DNS, TLS, timeout talking to AWS */
	KW_ERR_AWS,       /* AWS answered with an error (see aws_code, http_status) */
	KW_ERR_AUTH,      /* no credentials, or credentials rejected */
	KW_ERR_NOT_FOUND, /* a thing asked for does not exist */
	KW_ERR_CONFLICT,  /* refuses to touch: not managed by keywarden, exists, ... */
	KW_ERR_TIMEOUT,   /* a bounded wait (read-back, propagation) ran out */
	KW_ERR_ABORTED,   /* the user said no */
	KW_ERR_INTERNAL,  /* a bug */
};

#define KW_ERR_WHERE_MAX 512
#define KW_ERR_MSG_MAX   1024

struct kw_error {
	enum kw_err_kind kind;
	int exit_status;              /* process exit status main uses; 1 unless set */
	char where[KW_ERR_WHERE_MAX]; /* "file:line:col", an AWS action, a command; may be "" */
	char msg[KW_ERR_MSG_MAX];     /* what went wrong, lowercase, no full stop */
	/* Filled for KW_ERR_AWS (and for transport errors where known). */
	int http_status;
	char aws_code[64]; /* e.g. "NoSuchEntity", "Throttling" */
	char request_id[80];
};

/*
 * kw_error_set - fill err (if not NULL) and return -1, so callers can `return kw_error_set(...)`.
 * @err:   error to fill (borrowed); NULL is allowed and ignored.
 * @kind:  what class of failure.
 * @where: location or subject (file:line:col, action name); NULL for none. Copied.
 * @fmt:   printf format of the message; the result is truncated to KW_ERR_MSG_MAX and
 *         redacted (no secret survives, see log.h).
 * Returns -1 always. exit_status is set to 1; aws fields are cleared.
 */
int kw_error_set(struct kw_error *err, enum kw_err_kind kind, const char *where, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/*
 * kw_error_prefix - prepend "<prefix>: " to err->msg (context while unwinding).
 * Returns -1 always, so it can be returned directly.
 */
int kw_error_prefix(struct kw_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * kw_error_nomem - fill err (if not NULL) as an allocation failure (KW_ERR_NOMEM, "out of
 * memory", no where) and return -1: the one wording of that error.
 */
int kw_error_nomem(struct kw_error *err);

/* kw_error_clear - reset err to KW_ERR_NONE with empty strings. */
void kw_error_clear(struct kw_error *err);

/* kw_error_kind_name - stable lowercase name of a kind ("invalid", "aws", ...), static storage. */
const char *kw_error_kind_name(enum kw_err_kind kind);

/*
 * kw_error_print - print "error: <where>: <what>" (or "error: <what>" without where) and a
 * newline to fp. Only main and src/cmd call this.
 */
void kw_error_print(const struct kw_error *err, FILE *fp);

#endif
