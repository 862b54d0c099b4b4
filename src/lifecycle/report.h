/*
 * report.h - the IAM credential report (GetCredentialReport's CSV) read into rows, for
 * `audit --all-users`: one request for every user instead of several per user.
 *
 * Columns used (by header name, so their order does not matter): user, arn,
 * password_enabled, mfa_active, access_key_N_active, access_key_N_last_rotated,
 * access_key_N_last_used_date, access_key_N_last_used_region, access_key_N_last_used_service
 * (N = 1, 2). Times are ISO 8601 (UTC); "N/A", "no_information" and "not_supported" read as 0.
 * The report names no AccessKeyId: slot 1 is the user's older key, slot 2 the newer.
 * Source: IAM User Guide, "Getting credential reports for your AWS account" (report format).
 *
 * Invariants: a struct kw_lc_report owns every string in it; nothing here is secret.
 */
#ifndef KW_LIFECYCLE_REPORT_H
#define KW_LIFECYCLE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct kw_error;

struct kw_lc_report_key {
	bool present; /* the slot holds a key (last_rotated is a time) */
	bool active;
	time_t created;   /* access_key_N_last_rotated */
	time_t last_used; /* 0 = never */
	char *service;    /* "N/A" when never used */
	char *region;
};

struct kw_lc_report_row {
	char *user;
	char *arn;
	bool root;    /* the <root_account> row */
	bool console; /* password_enabled */
	bool mfa;     /* mfa_active */
	struct kw_lc_report_key key[2];
};

struct kw_lc_report {
	struct kw_lc_report_row *rows;
	size_t n;
};

/*
 * kw_lc_report_parse - read the CSV text (RFC 4180: quoted fields, "" inside quotes, CRLF or
 * LF) into *out (zeroed on entry; release with kw_lc_report_release, also on error).
 * Returns 0, or -1 with err set (KW_ERR_INVALID naming the line for a malformed report or a
 * missing column, KW_ERR_NOMEM).
 */
int kw_lc_report_parse(const char *csv, size_t len, struct kw_lc_report *out, struct kw_error *err);

/* kw_lc_report_release - free every row; r becomes empty. */
void kw_lc_report_release(struct kw_lc_report *r);

#endif
