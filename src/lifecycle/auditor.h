/*
 * auditor.h - the IAM work behind `keywarden audit`: read every audited user's keys with their
 * last use (live state + GetAccessKeyLastUsed, or the credential report with --all-users),
 * judge them (audit.h), and delete the keys --prune-unused names after reading their last use
 * again. Every read is retried while transient. Never prints; src/cmd/audit.c renders.
 */
#ifndef KW_LIFECYCLE_AUDITOR_H
#define KW_LIFECYCLE_AUDITOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/iam.h"
#include "engine/state.h"
#include "lifecycle/accounts.h"
#include "lifecycle/audit.h"
#include "lifecycle/report.h"

struct kw_aws_client;
struct kw_aws_options;
struct kw_error;

/* One audited user with its keys (strings owned here or borrowed from live/report). */
struct kw_lc_audit_entry {
	struct kw_lc_subject s;
	struct kw_lc_key *keys;
	size_t nkeys;
	struct kw_iam_access_key_last_used *lu; /* per key (NAME mode) */
	char **ids;                             /* owned ids resolved for report slots, or NULL */
	bool missing;                           /* no such user */
};

/* One audit run: what was read, and the findings. */
struct kw_lc_auditor {
	/* set by the caller before kw_lc_auditor_read */
	bool all_users;              /* the credential report instead of per-user reads */
	bool prune;                  /* --prune-unused will follow: name the report's keys */
	int older_than;              /* --prune-unused threshold, days */
	int unused_days;             /* finding threshold, days */
	struct kw_lc_accounts accts; /* NAME... resolved (owned from here on); empty: every managed user */
	/* results */
	struct kw_aws_client *c;
	const struct kw_aws_options *aws_opts; /* kw_lc_auditor_read's (borrowed): secret-store targets */
	struct kw_lc_audit_entry *e;
	size_t n;
	time_t now;
	time_t report_time; /* credential report's GeneratedTime, 0 without --all-users */
	struct kw_lc_findings findings;
	/* owned reading state */
	struct kw_desired *desired;
	struct kw_live_account *live;
	struct kw_lc_report report;
	struct kw_iam_authorization_details aad;
};

/*
 * kw_lc_auditor_read - create the client (aws_opts) and read every audited user into A->e.
 * Returns 0, or -1 with err set.
 */
int kw_lc_auditor_read(struct kw_lc_auditor *A, const struct kw_aws_options *aws_opts, struct kw_error *err);

/*
 * kw_lc_auditor_judge - the findings (audit.h kw_lc_audit, A->unused_days, A->now) about every
 * user read, appended to A->findings; a user IAM does not have is skipped (the caller says so).
 * Returns 0, or -1 with err set (KW_ERR_NOMEM).
 */
int kw_lc_auditor_judge(struct kw_lc_auditor *A, struct kw_error *err);

/*
 * kw_lc_auditor_config_json - AWS Config's view of every audited user (the missing left out):
 * {"rule": "access-keys-rotated", "max_access_key_age", "users": [{"user", "resource_type":
 * "AWS::IAM::User", "compliance_type"}]} with maxAccessKeyAge max_access_key_age (days, > 0).
 * Returns a new object (the caller owns the reference), or NULL when out of memory.
 */
json_t *kw_lc_auditor_config_json(const struct kw_lc_auditor *A, int max_access_key_age);

/* A key --prune-unused would delete (and what happened to it). */
struct kw_lc_prune_item {
	struct kw_lc_audit_entry *e;
	struct kw_lc_key *k;
	enum kw_lc_prune reason;
	const char *result; /* "would delete", "deleted", "kept: used meanwhile", "failed" */
};

/*
 * kw_lc_auditor_prune_list - the keys --prune-unused would delete (*out: free()), never one a
 * delivery target of the account's manifest holds (read from the target, keys/sink.h
 * kw_keys_held), whatever its last use says. Returns how many.
 */
size_t kw_lc_auditor_prune_list(struct kw_lc_auditor *A, struct kw_lc_prune_item **out);

/*
 * kw_lc_auditor_prune_one - delete p's key after reading its last use again (a key used
 * meanwhile is kept), and its keywarden tags. Sets p->result. Returns 0, or -1 with err set.
 */
int kw_lc_auditor_prune_one(struct kw_lc_auditor *A, struct kw_lc_prune_item *p, struct kw_error *err);

/* kw_lc_auditor_release - free what A owns (the accounts too). */
void kw_lc_auditor_release(struct kw_lc_auditor *A);

#endif
