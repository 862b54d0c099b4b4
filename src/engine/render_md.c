/*
 * render_md.c - a plan as a pull-request comment in GitHub-flavoured Markdown (render.h).
 */
#include <stdbool.h>
#include <string.h>

#include "engine/render.h"

/*
 * Text in a table cell or after a list marker: emphasis, code, link, table and HTML characters
 * escaped (never at a line's start, so block syntax such as '#' or '-' needs no escape).
 */
static int md_text(struct kw_buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r') {
			if (kw_buf_putc(out, ' '))
				return -1;
			continue;
		}
		if (strchr("\\`*_[]<>|~", *s) && kw_buf_putc(out, '\\'))
			return -1;
		if (kw_buf_putc(out, *s))
			return -1;
	}
	return 0;
}

/* A fence longer than any run of backticks in text (CommonMark 4.5), at least three. */
static size_t fence_len(const char *text)
{
	size_t best = 0, run = 0;

	for (const char *p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best >= 3 ? best + 1 : 3;
}

/* The details lines of a step (six spaces of indent dropped) in a fenced block in a list item. */
static int fenced(struct kw_buf *out, const char *lang, const char *details)
{
	size_t n = fence_len(details);
	const char *p = details;
	bool diff = !strcmp(lang, "diff");

	if (kw_buf_puts(out, "\n  "))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kw_buf_putc(out, '`'))
			return -1;
	if (kw_buf_appendf(out, "%s\n", lang))
		return -1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *line = p;

		size_t lead = 0;

		for (int k = 0; k < 6 && len && *line == ' '; k++, line++, len--)
			;
		while (lead < len && line[lead] == ' ')
			lead++;
		/* a diff's "+"/"-" moves to the first column (what ```diff colours), indent kept after it */
		if (diff && lead < len && lead > 0 && (line[lead] == '+' || line[lead] == '-') &&
		    lead + 1 < len && line[lead + 1] == ' ') {
			if (kw_buf_appendf(out, "  %c%.*s%.*s\n", line[lead], (int)lead, line,
			                   (int)(len - lead - 1), line + lead + 1))
				return -1;
		} else if (kw_buf_appendf(out, "  %.*s\n", (int)len, line)) {
			return -1;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (kw_buf_puts(out, "  "))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kw_buf_putc(out, '`'))
			return -1;
	return kw_buf_putc(out, '\n');
}

static void account_counts(const struct kw_plan *plan, size_t a, size_t c[3])
{
	c[0] = c[1] = c[2] = 0;
	for (size_t i = 0; i < plan->nsteps; i++)
		if (plan->steps[i].account == a)
			c[plan->steps[i].action == KW_ACT_CREATE   ? 0
			  : plan->steps[i].action == KW_ACT_UPDATE ? 1
			                                           : 2]++;
}

static size_t account_notes(const struct kw_plan *plan, size_t a)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->nnotes; i++)
		n += plan->notes[i].account == a;
	return n;
}

static int account_section(const struct kw_plan *plan, size_t a, struct kw_buf *out)
{
	const struct kw_desired *d = &plan->desired[a];
	struct kw_buf det = KW_BUF_INIT;
	int rc = -1;

	if (kw_buf_puts(out, "\n### ") || md_text(out, d->name) || kw_buf_puts(out, "\n\n"))
		goto out;
	for (size_t i = 0; i < plan->nsteps; i++) {
		const struct kw_step *s = &plan->steps[i];
		bool policy = s->resource == KW_RES_GROUP_POLICY || s->resource == KW_RES_USER_POLICY;
		struct kw_buf title = KW_BUF_INIT;
		int r;

		if (s->account != a)
			continue;
		kw_buf_reset(&det);
		r = kw_step_title(plan, s, &title) || kw_buf_appendf(out, "- `%s` ", kw_step_symbol(s)) ||
		    md_text(out, title.data ? title.data : "") || kw_step_details(plan, s, false, &det);
		kw_buf_release(&title);
		if (r)
			goto out;
		if (det.len && fenced(out, policy ? "diff" : "text", det.data))
			goto out;
		if (!det.len && kw_buf_putc(out, '\n'))
			goto out;
	}
	for (size_t i = 0; i < plan->nnotes; i++)
		if (plan->notes[i].account == a &&
		    (kw_buf_puts(out, "- note: ") || md_text(out, plan->notes[i].text) ||
		     kw_buf_putc(out, '\n')))
			goto out;
	rc = 0;
out:
	kw_buf_release(&det);
	return rc;
}

int kw_plan_render_markdown(const struct kw_plan *plan, struct kw_buf *out)
{
	size_t changed = 0, c[3];

	if (kw_buf_puts(out, "## keywarden plan\n\n"))
		return -1;
	if (!kw_plan_changes(plan)) {
		if (kw_buf_appendf(out, "**No changes.** IAM matches the manifests (%zu account%s).\n",
		                   plan->naccounts, plan->naccounts == 1 ? "" : "s"))
			return -1;
	} else if (kw_buf_puts(out, "**") || kw_plan_summary(plan, out) || kw_buf_puts(out, "**\n")) {
		return -1;
	}
	for (size_t a = 0; a < plan->naccounts; a++) {
		account_counts(plan, a, c);
		if (!c[0] && !c[1] && !c[2] && !account_notes(plan, a))
			continue;
		if (!changed++ &&
		    kw_buf_puts(out, "\n| account | manifest | add | change | destroy | notes |\n"
		                     "| --- | --- | ---: | ---: | ---: | ---: |\n"))
			return -1;
		if (kw_buf_puts(out, "| ") || md_text(out, plan->desired[a].name) ||
		    kw_buf_puts(out, " | ") ||
		    md_text(out, plan->desired[a].origin ? plan->desired[a].origin : "") ||
		    kw_buf_appendf(out, " | %zu | %zu | %zu | %zu |\n", c[0], c[1], c[2],
		                   account_notes(plan, a)))
			return -1;
	}
	if (changed < plan->naccounts &&
	    kw_buf_appendf(out, "\n%zu account%s unchanged.\n", plan->naccounts - changed,
	                   plan->naccounts - changed == 1 ? "" : "s"))
		return -1;
	for (size_t a = 0; a < plan->naccounts; a++) {
		account_counts(plan, a, c);
		if ((c[0] || c[1] || c[2] || account_notes(plan, a)) && account_section(plan, a, out))
			return -1;
	}
	if (plan->orphans.n && (kw_buf_puts(out, "\n### accounts without a manifest (owner ") ||
	                        md_text(out, plan->owner ? plan->owner : "") || kw_buf_puts(out, ")\n\n")))
		return -1;
	for (size_t i = 0; i < plan->orphans.n; i++) {
		struct kw_buf t = KW_BUF_INIT;
		int r = kw_orphan_text(plan, i, &t) ||
		        kw_buf_puts(out, plan->prune_accounts ? "- `-` " : "- note: ") ||
		        md_text(out, t.data ? t.data : "") || kw_buf_putc(out, '\n');

		kw_buf_release(&t);
		if (r)
			return -1;
	}
	return 0;
}
