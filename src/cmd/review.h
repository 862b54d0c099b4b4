/*
 * review.h - findings for the reviewers of a pull request, in the two forms CI systems read:
 * SARIF 2.1.0 (`-o sarif`, for code scanning, which annotates the lines of a pull request) and
 * GitHub Actions workflow commands (`-o github`, "::error file=F,line=L,col=C,title=T::message",
 * which annotate without code scanning). `policy lint`, `validate` and `plan` fill a kw_review
 * with their diagnostics and print it with kw_review_print.
 *
 * Rule ids: the lint codes (KWP001...), KWM001 for a manifest error (schema, names, files),
 * and KWPLAN-<action>-<resource> for a step of a plan, KWPLAN-note for a plan's note.
 *
 * Invariants: a review owns its results' strings. Nothing here
 * is secret (findings, file names, plan steps).
 * Sources: OASIS SARIF 2.1.0 (errata 01), sections 3.13 sarifLog, 3.14 run, 3.27 result,
 * 3.30 region, 3.49 reportingDescriptor; GitHub Docs, "Workflow commands for GitHub Actions"
 * (error/warning/notice, property and data escaping).
 */
#ifndef KW_CMD_REVIEW_H
#define KW_CMD_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "policy/policy.h"

struct kw_manifest_set;

#define KW_REVIEW_MANIFEST_RULE "KWM001"

struct kw_review_result {
	char *rule;             /* rule id (owned) */
	enum kw_severity level; /* error, warning; info becomes SARIF "note" / GitHub "notice" */
	char *message;          /* owned */
	char *file;             /* owned; NULL or "" when the result has no file */
	unsigned line, col;     /* 1-based; 0 when unknown */
	char *suppressed;       /* owned: why it was accepted (a manifest's allow:), or NULL */
};

struct kw_review {
	struct kw_review_result *v;
	size_t n;
	char *failure; /* owned: an error of the run itself, without a location, or NULL */
};

/*
 * kw_review_add - append a result (strings copied).
 * @suppressed: the justification when the finding was accepted, or NULL.
 * Returns 0, or -1 when out of memory.
 */
int kw_review_add(struct kw_review *r, const char *rule, enum kw_severity level, const char *file,
                  unsigned line, unsigned col, const char *message, const char *suppressed);

/*
 * kw_review_add_diags - append every diagnostic of a manifest load (set borrowed; NULL
 * allowed): lint findings under their code, manifest errors under KW_REVIEW_MANIFEST_RULE,
 * accepted findings as suppressed results. Returns 0, or -1 when out of memory.
 */
int kw_review_add_diags(struct kw_review *r, const struct kw_manifest_set *set);

/*
 * kw_review_fail - record an error of the run that has no place in a file (copied; the first
 * one wins): SARIF puts it in invocations[0].toolExecutionNotifications with
 * executionSuccessful false; GitHub gets an ::error:: line without a file.
 * Returns 0, or -1 when out of memory.
 */
int kw_review_fail(struct kw_review *r, const char *message);

/*
 * kw_review_print - print r to fp: as one SARIF 2.1.0 log (sarif true) or as workflow-command
 * lines (sarif false). Returns 0, or -1 on a write or allocation failure.
 */
int kw_review_print(const struct kw_review *r, bool sarif, FILE *fp);

/* kw_review_release - free what r owns; r becomes empty. */
void kw_review_release(struct kw_review *r);

#endif
