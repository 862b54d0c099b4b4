/*
 * policy.c - `keywarden policy fmt|diff|lint`: tools for reviewers and CI over policy files.
 */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "cmd/cmd.h"
#include "cmd/options.h"
#include "cmd/review.h"
#include "policy/policy.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"

extern char **environ;

#define MAX_POLICY_BYTES (1024 * 1024)

static const char usage[] =
        "usage: keywarden policy fmt [--check] FILE...\n"
        "       keywarden policy diff [--new-access] OLD NEW\n"
        "       keywarden policy lint FILE...\n"
        "       keywarden policy explain FILE\n"
        "\n"
        "Subcommands:\n"
        "  fmt      rewrite policy files in canonical form (see 'keywarden policy fmt --help')\n"
        "  diff     semantic difference of two policies, per statement; --new-access: does NEW\n"
        "           allow any action on any resource that OLD does not\n"
        "  lint     least-privilege and validity findings with stable codes\n"
        "  explain  what a policy grants, per service and access level\n";

static const char usage_fmt[] = "usage: keywarden policy fmt [--check] FILE...\n";
static const char intro_fmt[] =
        "Rewrite each policy file in canonical form: keys in the order Version, Id, Statement, then\n"
        "Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition;\n"
        "2-space indent; a final newline. Values and array order are kept. FILE '-' reads stdin and\n"
        "writes stdout.\n";
static const char outro_fmt[] =
        "Exit status: 0 done (or, with --check, nothing to change), 1 a file would change or an error.\n";

static const char usage_diff[] = "usage: keywarden policy diff [--new-access] OLD NEW\n";
static const char intro_diff[] =
        "Compare two policies by meaning: statements are paired by Sid, then by content, and for each\n"
        "the actions, resources, principals and conditions added (+) and removed (-) are listed;\n"
        "where wildcards changed, also the concrete actions (from the AWS action catalog) added and\n"
        "removed. Formatting, key order, array order, repeats and the case of action names do not count.\n"
        "OLD or NEW may be REV:PATH, read with 'git show REV:PATH' (e.g. main:policies/x.json).\n"
        "\n"
        "Output: text (coloured on a terminal unless --no-color or NO_COLOR); -o json for the\n"
        "structured difference.\n";
static const char outro_diff[] =
        "Exit status: 0 no semantic change (--new-access: no new access), 2 different (new access),\n"
        "1 error.\n";

static const char usage_explain[] = "usage: keywarden policy explain FILE\n";
static const char intro_explain[] =
        "Summarize what a policy grants, as the IAM console's policy summary: per service, the access\n"
        "levels granted (List, Read, Write, Permissions management, Tagging) with their actions, the\n"
        "resources and the conditions; Allow and Deny apart. Action and NotAction are expanded against\n"
        "the built-in AWS action catalog (keywarden --version names it). FILE may be REV:PATH or '-'.\n"
        "\n"
        "Output: text; -o json for the structured summary.\n";
static const char outro_explain[] = "Exit status: 0, 1 error (unreadable file or invalid JSON).\n";

static const struct kw_cmd_spec spec_fmt = {
        .name = "policy fmt", .usage = usage_fmt, .intro = intro_fmt, .outro = outro_fmt};
static const struct kw_cmd_spec spec_diff = {
        .name = "policy diff", .usage = usage_diff, .intro = intro_diff, .outro = outro_diff};
static const struct kw_cmd_spec spec_explain = {
        .name = "policy explain", .usage = usage_explain, .intro = intro_explain, .outro = outro_explain};

static const char usage_lint[] = "usage: keywarden policy lint FILE...\n";
static const char intro_lint[] =
        "Check policy files for validity and least privilege (FILE may be REV:PATH, read with git\n"
        "show, or '-' for stdin). Each finding has a stable code:\n"
        "%s"
        "A manifest accepts a warning for one inline policy with allow: [{code, reason}].\n"
        "\n"
        "Output: 'SEVERITY: FILE:LINE:COL: message [CODE]' lines on stdout; -o json for a list of\n"
        "findings; -o sarif a SARIF 2.1.0 log (code scanning); -o github workflow commands\n"
        "(::warning file=F,line=L,col=C,title=CODE::message) that annotate a pull request.\n"
        "Exit status: 0 clean, 3 findings, 1 error (unreadable file or invalid JSON).\n";

/* The subcommands without options: the empty table still gives --help and the errors. */
static const struct kw_opt no_options[] = {KW_OPTS_END};

static int print_help(struct kw_ctx *ctx, const char *text)
{
	fprintf(ctx->out, "%s\n%s", text, kw_common_options_help);
	return KW_EXIT_OK;
}

/* The lint intro: its prose with the table of codes (free() it; NULL when out of memory). */
static char *lint_intro(void)
{
	struct kw_buf table = KW_BUF_INIT, out = KW_BUF_INIT;
	const char *code;

	for (size_t i = 0; (code = kw_policy_lint_code_at(i)); i++) {
		enum kw_severity sev;
		const char *summary = kw_policy_lint_code_info(code, &sev);
		kw_buf_appendf(&table, "  %s %-8s %s\n", code, kw_severity_name(sev), summary);
	}
	kw_buf_appendf(&out, intro_lint, table.data ? table.data : "");
	kw_buf_release(&table);
	return kw_buf_detach(&out);
}

/* Read stdin whole. */
static int read_stdin(char **out, size_t *len, struct kw_error *err)
{
	struct kw_buf b = KW_BUF_INIT;
	char chunk[8192];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (kw_buf_append(&b, chunk, n) || b.len > MAX_POLICY_BYTES) {
			kw_buf_release(&b);
			return kw_error_set(err, KW_ERR_INVALID, "-",
			                    "input larger than 1 MiB or out of memory");
		}
	*len = b.len;
	*out = kw_buf_detach(&b);
	return *out ? 0 : kw_error_set(err, KW_ERR_NOMEM, "-", "out of memory");
}

/* `git show REV:PATH` into *out; no shell, argv only. */
static int git_show(const char *spec, char **out, size_t *len, struct kw_error *err)
{
	char *argv[] = {"git", "show", NULL, NULL};
	struct kw_buf b = KW_BUF_INIT;
	posix_spawn_file_actions_t fa;
	int fds[2], status = 0, rc = -1;
	char chunk[8192];
	ssize_t n;
	pid_t pid;

	argv[2] = (char *)spec;
	if (spec[0] == '-')
		return kw_error_set(err, KW_ERR_USAGE, spec, "a revision may not start with '-'");
	if (pipe(fds))
		return kw_error_set(err, KW_ERR_IO, spec, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	if (posix_spawnp(&pid, "git", &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return kw_error_set(err, KW_ERR_IO, spec, "cannot run git: %s", strerror(errno));
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		if (kw_buf_append(&b, chunk, (size_t)n) || b.len > MAX_POLICY_BYTES)
			break;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		kw_error_set(err, KW_ERR_NOT_FOUND, spec, "git show failed (no such revision or path?)");
		goto out;
	}
	if (b.len > MAX_POLICY_BYTES) {
		kw_error_set(err, KW_ERR_INVALID, spec, "policy larger than 1 MiB");
		goto out;
	}
	*len = b.len;
	*out = kw_buf_detach(&b);
	rc = *out ? 0 : kw_error_set(err, KW_ERR_NOMEM, spec, "out of memory");
out:
	kw_buf_release(&b);
	return rc;
}

/*
 * Load a policy named on the command line: "-" is stdin; an existing file is read; otherwise
 * REV:PATH (a colon, not a file) is read through git.
 */
static int load_arg(const char *arg, bool allow_git, struct kw_policy **out, struct kw_error *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!strcmp(arg, "-"))
		rc = read_stdin(&text, &len, err);
	else if (stat(arg, &st) == 0 || !allow_git || !strchr(arg, ':'))
		rc = kw_read_file(arg, MAX_POLICY_BYTES, &text, &len, err);
	else
		rc = git_show(arg, &text, &len, err);
	if (rc)
		return -1;
	rc = kw_policy_parse(text, len, strcmp(arg, "-") ? arg : "<stdin>", out, err);
	free(text);
	return rc;
}

static int policy_fmt(int argc, char **argv, struct kw_ctx *ctx)
{
	bool check = false;
	const struct kw_opt opts[] = {
	        KW_FLAG("check", &check, "change nothing; list the files that would change and exit 1"),
	        KW_OPTS_END,
	};
	int first = kw_opts_parse(ctx, &spec_fmt, opts, argc, argv), rc = KW_EXIT_OK;

	if (first < 0)
		return kw_opts_exit(first);
	if (first >= argc)
		return kw_opts_error(ctx, &spec_fmt, "give at least one policy file");
	for (int i = first; i < argc; i++) {
		const char *file = argv[i];
		struct kw_buf out = KW_BUF_INIT;
		struct kw_policy *p = NULL;
		struct kw_error err;
		char *text = NULL;
		size_t len = 0;
		struct stat st;

		kw_error_clear(&err);
		if (!strcmp(file, "-") ? read_stdin(&text, &len, &err)
		                       : kw_read_file(file, MAX_POLICY_BYTES, &text, &len, &err)) {
			kw_error_print(&err, ctx->err);
			rc = KW_EXIT_ERROR;
			continue;
		}
		if (kw_policy_parse(text, len, strcmp(file, "-") ? file : "<stdin>", &p, &err) ||
		    kw_policy_format(p->doc, &out)) {
			if (err.kind == KW_ERR_NONE)
				kw_error_set(&err, KW_ERR_NOMEM, file, "out of memory");
			kw_error_print(&err, ctx->err);
			rc = KW_EXIT_ERROR;
		} else if (!strcmp(file, "-")) {
			fwrite(out.data, 1, out.len, ctx->out);
		} else if (out.len != len || memcmp(out.data, text, len)) {
			if (check) {
				fprintf(ctx->out, "%s\n", file);
				rc = KW_EXIT_ERROR;
			} else if (stat(file, &st) ||
			           kw_atomic_write(file, out.data, out.len, st.st_mode & 07777, 0, &err)) {
				if (err.kind == KW_ERR_NONE)
					kw_error_set(&err, KW_ERR_IO, file, "cannot stat: %s",
					             strerror(errno));
				kw_error_print(&err, ctx->err);
				rc = KW_EXIT_ERROR;
			} else {
				fprintf(ctx->out, "%s\n", file);
			}
		}
		kw_buf_release(&out);
		kw_policy_free(p);
		free(text);
	}
	return rc;
}

static int policy_diff(int argc, char **argv, struct kw_ctx *ctx)
{
	struct kw_policy *a = NULL, *b = NULL;
	struct kw_buf text = KW_BUF_INIT;
	const struct kw_catalog *cat = NULL;
	struct kw_error err;
	json_t *d = NULL;
	int rc = KW_EXIT_ERROR;
	bool new_access = false;

	const struct kw_opt opts[] = {
	        KW_FLAG("new-access", &new_access,
	                "answer instead whether NEW allows any (action, resource) that OLD does not,\n"
	                "both expanded against the catalog; Deny statements and conditions are taken\n"
	                "into account conservatively (when unsure, it is new access). Lists the new\n"
	                "actions by service and access level, and their resources"),
	        KW_OPTS_END,
	};
	int first = kw_opts_parse(ctx, &spec_diff, opts, argc, argv);

	if (first < 0)
		return kw_opts_exit(first);
	if (argc - first != 2)
		return kw_opts_error(ctx, &spec_diff, "give exactly two policies, OLD and NEW");
	argv += first - 1; /* argv[1], argv[2]: OLD and NEW */
	kw_error_clear(&err);
	if (load_arg(argv[1], true, &a, &err) || load_arg(argv[2], true, &b, &err)) {
		kw_error_print(&err, ctx->err);
		goto out;
	}
	if (new_access && !(cat = kw_catalog_get())) {
		fputs("error: out of memory (loading the AWS action catalog)\n", ctx->err);
		goto out;
	}
	d = new_access ? kw_policy_new_access(a->doc, b->doc, cat) : kw_policy_diff(a->doc, b->doc);
	if (!d) {
		fputs("error: out of memory\n", ctx->err);
		goto out;
	}
	if (ctx->output == KW_OUTPUT_JSON && ctx->output_set) {
		json_object_set_new(d, "old", json_string(a->file));
		json_object_set_new(d, "new", json_string(b->file));
		kw_json_print(d, ctx->out);
	} else if (new_access ? kw_policy_new_access_render(d, kw_cmd_color(ctx), &text)
	                      : kw_policy_diff_render(d, kw_cmd_color(ctx), &text)) {
		fputs("error: out of memory\n", ctx->err);
		goto out;
	} else {
		fwrite(text.data, 1, text.len, ctx->out);
	}
	rc = json_is_true(json_object_get(d, new_access ? "new_access" : "changed")) ? KW_EXIT_CHANGES
	                                                                             : KW_EXIT_OK;
out:
	json_decref(d);
	kw_buf_release(&text);
	kw_policy_free(a);
	kw_policy_free(b);
	return rc;
}

static int policy_explain(int argc, char **argv, struct kw_ctx *ctx)
{
	const struct kw_catalog *cat;
	struct kw_policy *p = NULL;
	struct kw_buf text = KW_BUF_INIT;
	struct kw_error err;
	json_t *x = NULL;
	int rc = KW_EXIT_ERROR;

	int first = kw_opts_parse(ctx, &spec_explain, no_options, argc, argv);

	if (first < 0)
		return kw_opts_exit(first);
	if (argc - first != 1)
		return kw_opts_error(ctx, &spec_explain, "give exactly one policy file");
	argv += first - 1; /* argv[1]: FILE */
	kw_error_clear(&err);
	if (load_arg(argv[1], true, &p, &err)) {
		kw_error_print(&err, ctx->err);
		goto out;
	}
	if (!(cat = kw_catalog_get()) || !(x = kw_policy_explain(p->doc, cat))) {
		fputs("error: out of memory\n", ctx->err);
		goto out;
	}
	if (ctx->output == KW_OUTPUT_JSON && ctx->output_set) {
		json_object_set_new(x, "file", json_string(p->file));
		kw_json_print(x, ctx->out);
	} else if (kw_policy_explain_render(x, &text)) {
		fputs("error: out of memory\n", ctx->err);
		goto out;
	} else {
		fwrite(text.data, 1, text.len, ctx->out);
	}
	rc = KW_EXIT_OK;
out:
	json_decref(x);
	kw_buf_release(&text);
	kw_policy_free(p);
	return rc;
}

/* A file that could not be read or parsed, as an entry of lint's JSON (code null, severity error). */
static json_t *lint_error_json(const char *arg, const struct kw_error *err)
{
	unsigned line = 0, col = 0;
	const char *c = strrchr(err->where, ':');

	/* where is "file:line:col" for parse errors */
	if (c && c > err->where) {
		const char *l = c - 1;
		while (l > err->where && *l != ':')
			l--;
		if (*l == ':' && sscanf(l, ":%u:%u", &line, &col) != 2)
			line = col = 0;
	}
	return json_pack("{s:s,s:n,s:s,s:s,s:i,s:i,s:n}", "file", arg, "code", "severity", "error", "message",
	                 err->msg, "line", (int)line, "column", (int)col, "pointer");
}

/* A file that could not be read or parsed, as a KWP001 result at its line and column. */
static int review_error(struct kw_review *rv, const char *arg, const struct kw_error *err)
{
	json_t *j = lint_error_json(arg, err);
	int rc = -1;

	if (j)
		rc = kw_review_add(rv, "KWP001", KW_SEV_ERROR, arg,
		                   (unsigned)json_integer_value(json_object_get(j, "line")),
		                   (unsigned)json_integer_value(json_object_get(j, "column")), err->msg,
		                   NULL);
	json_decref(j);
	return rc;
}

static int policy_lint(int argc, char **argv, struct kw_ctx *ctx)
{
	bool json = ctx->output == KW_OUTPUT_JSON && ctx->output_set;
	bool review = ctx->output == KW_OUTPUT_SARIF || ctx->output == KW_OUTPUT_GITHUB;
	struct kw_review rv = {0};
	json_t *all = json ? json_array() : NULL;
	size_t total = 0;
	bool failed = false;
	char *intro = lint_intro();
	const struct kw_cmd_spec spec = {
	        .name = "policy lint", .usage = usage_lint, .intro = intro ? intro : ""};
	int first = kw_opts_parse(ctx, &spec, no_options, argc, argv);

	free(intro);
	if (first < 0) {
		json_decref(all);
		return kw_opts_exit(first);
	}
	if (first >= argc) {
		json_decref(all);
		return kw_opts_error(ctx, &spec, "give at least one policy file");
	}
	for (int i = first; i < argc; i++) {
		struct kw_policy_findings f = {0};
		struct kw_policy *p = NULL;
		struct kw_error err;

		kw_error_clear(&err);
		if (load_arg(argv[i], true, &p, &err) || kw_policy_lint(p, &f, &err)) {
			kw_error_print(&err, ctx->err);
			failed = true;
			if (json)
				json_array_append_new(all, lint_error_json(argv[i], &err));
			if (review && review_error(&rv, argv[i], &err))
				failed = true;
		}
		for (size_t k = 0; k < f.n; k++) {
			const struct kw_policy_finding *fi = &f.items[k];
			if (review) {
				if (kw_review_add(&rv, fi->code, fi->severity, p->file, fi->line, fi->col,
				                  fi->message, NULL))
					failed = true;
			} else if (json)
				json_array_append_new(
				        all, json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:s,s:s?,s:s?}", "file",
				                       p->file, "code", fi->code, "severity",
				                       kw_severity_name(fi->severity), "message", fi->message,
				                       "line", (int)fi->line, "column", (int)fi->col,
				                       "pointer", fi->pointer, "access_analyzer",
				                       fi->access_analyzer, "catalog", fi->catalog));
			else
				fprintf(ctx->out, "%s: %s:%u:%u: %s [%s]\n", kw_severity_name(fi->severity),
				        p->file, fi->line, fi->col, fi->message, fi->code);
		}
		total += f.n;
		kw_policy_findings_release(&f);
		kw_policy_free(p);
	}
	if (json) {
		kw_json_print(all, ctx->out);
		json_decref(all);
	}
	if (review && kw_review_print(&rv, ctx->output == KW_OUTPUT_SARIF, ctx->out))
		failed = true;
	kw_review_release(&rv);
	if (failed)
		return KW_EXIT_ERROR;
	return total ? KW_EXIT_FINDINGS : KW_EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct kw_ctx *ctx);
} subcommands[] = {
        {"fmt", policy_fmt},
        {"diff", policy_diff},
        {"lint", policy_lint},
        {"explain", policy_explain},
};

int cmd_policy(int argc, char **argv, struct kw_ctx *ctx)
{
	if (argc < 2)
		return kw_cmd_usage_error(ctx, usage,
		                          "policy: give a subcommand (fmt, diff, lint or explain)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return print_help(ctx, usage);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1, ctx);
	{
		const char *known[sizeof(subcommands) / sizeof(subcommands[0]) + 1], *hint;

		for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
			known[i] = subcommands[i].name;
		known[sizeof(subcommands) / sizeof(subcommands[0])] = NULL;
		hint = kw_cmd_suggest(argv[1], known);
		return kw_cmd_usage_error(ctx, usage, "policy: unknown subcommand '%s'%s%s%s", argv[1],
		                          hint ? " (did you mean '" : "", hint ? hint : "",
		                          hint ? "'?)" : "");
	}
}
