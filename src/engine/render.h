/*
 * render.h - a plan as people and pipelines read it: Terraform-like text ("+" create,
 * "~" change, "-" remove, the semantic policy diff inside, "Plan: N to add, M to change,
 * K to destroy.") and a JSON document. Nothing here prints: text is appended to a kw_buf.
 */
#ifndef KW_ENGINE_RENDER_H
#define KW_ENGINE_RENDER_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/plan.h"
#include "util/buf.h"

/*
 * kw_step_title - one line naming a step, without symbol or newline, e.g.
 * "create user service-ansible", "update group policy ansible-ec2-inventory of service-ansible",
 * "create access key for service-ansible". Appended to out.
 * Returns 0, or -1 when out of memory.
 */
int kw_step_title(const struct kw_plan *plan, const struct kw_step *step, struct kw_buf *out);

/*
 * kw_step_details - the lines under a step's title in the text plan, each indented by six
 * spaces: user path and tags, the semantic policy diff ("+"/"-" lines), tag changes, where a
 * key is delivered. Appended to out (nothing for steps without details).
 * Returns 0, or -1 when out of memory.
 */
int kw_step_details(const struct kw_plan *plan, const struct kw_step *step, bool color, struct kw_buf *out);

/*
 * kw_plan_render_markdown - the plan as a pull-request comment (GitHub-flavoured Markdown): the
 * summary line, a table of the accounts with changes (add, change, destroy), then per account
 * its steps with their details in fenced blocks (policy changes as ```diff), and the notes.
 * No ANSI, no secrets (a plan holds none). Text from manifests is escaped.
 * Returns 0, or -1 when out of memory.
 */
int kw_plan_render_markdown(const struct kw_plan *plan, struct kw_buf *out);

/*
 * kw_orphan_text - the line for the i-th account without a manifest (plan->orphans): "destroy
 * account U (...)" with prune_accounts, else a note naming --prune-accounts. Appended to out.
 * Returns 0, or -1 when out of memory.
 */
int kw_orphan_text(const struct kw_plan *plan, size_t i, struct kw_buf *out);

/* kw_step_symbol - "+", "~" or "-" for a step's action (static storage). */
const char *kw_step_symbol(const struct kw_step *step);

/*
 * kw_plan_render_text - the whole plan as text (steps grouped by account, details indented,
 * notes, then the summary line), or "No changes. ..." when there is nothing to do.
 * @color: ANSI colours for the symbols and diff lines (the caller decides: terminal, NO_COLOR).
 * Returns 0, or -1 when out of memory.
 */
int kw_plan_render_text(const struct kw_plan *plan, bool color, struct kw_buf *out);

/*
 * kw_plan_summary - "Plan: N to add, M to change, K to destroy." (no newline) appended to out.
 * Returns 0, or -1 when out of memory.
 */
int kw_plan_summary(const struct kw_plan *plan, struct kw_buf *out);

/*
 * kw_step_json - one step as a JSON object (new reference): phase, action, resource,
 * account, subject, and where they apply before/after (policy documents parsed as JSON,
 * boundary ARNs as strings, a key's Status), set_tags, unset_tags, replaces, reason (why a
 * key is deactivated), diff (semantic policy diff).
 * Returns the object, or NULL when out of memory.
 */
json_t *kw_step_json(const struct kw_plan *plan, const struct kw_step *step);

/*
 * kw_plan_json - the plan as a JSON object (new reference):
 * {"format_version": 1, "changes": bool, "accounts": [...], "steps": [...], "notes": [...],
 *  "summary": {"add": N, "change": M, "destroy": K}}.
 * Returns the object, or NULL when out of memory.
 */
json_t *kw_plan_json(const struct kw_plan *plan);

#endif
