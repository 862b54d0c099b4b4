#include "manifest/folder.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/num.h"

#define CONFIG_MAX (64u << 10)

int kw_owner_check(const char *name, const char *where, struct kw_error *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > KW_OWNER_MAX)
		return kw_error_set(err, KW_ERR_USAGE, where, "owner must have 1 to %d characters",
		                    KW_OWNER_MAX);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("_.:/=+-@", *p)))
			return kw_error_set(
			        err, KW_ERR_USAGE, where,
			        "owner '%s': only letters, digits and _ . : / = + - @ are allowed", name);
	return 0;
}

/* The folder config file for one PATH, into b. */
static int config_path(const char *path, struct kw_buf *b)
{
	struct stat st;
	const char *slash;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return kw_buf_appendf(b, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
		                      KW_FOLDER_CONFIG_NAME);
	slash = strrchr(path, '/');
	if (!slash)
		return kw_buf_puts(b, KW_FOLDER_CONFIG_NAME);
	return kw_buf_appendf(b, "%.*s/%s", (int)(slash - path), path, KW_FOLDER_CONFIG_NAME);
}

/* Parse one keywarden.yaml; *owner receives owner: (new string) or stays NULL; noProgressTimeout
 * goes into out (the smallest of several files wins). */
static int parse(const char *file, const char *text, size_t len, char **owner, struct kw_folder_config *out,
                 struct kw_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = -1;

	if (!yaml_parser_initialize(&parser))
		return kw_error_set(err, KW_ERR_NOMEM, file, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		kw_error_set(err, KW_ERR_INVALID, NULL, "%s:%zu:%zu: %s", file, parser.problem_mark.line + 1,
		             parser.problem_mark.column + 1,
		             parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = 0; /* an empty file sets nothing */
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		kw_error_set(err, KW_ERR_INVALID, NULL, "%s:%zu:%zu: expected a mapping (owner: NAME)", file,
		             root->start_mark.line + 1, root->start_mark.column + 1);
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key),
		            *v = yaml_document_get_node(&doc, p->value);
		const char *key = k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
		struct kw_buf where = KW_BUF_INIT;

		if (strcmp(key, "owner") && strcmp(key, "noProgressTimeout")) {
			kw_error_set(err, KW_ERR_INVALID, NULL,
			             "%s:%zu:%zu: unknown key '%s' (expected owner or noProgressTimeout)",
			             file, k ? k->start_mark.line + 1 : 0, k ? k->start_mark.column + 1 : 0,
			             key);
			goto out;
		}
		if (!strcmp(key, "noProgressTimeout")) {
			double t;

			if (!v || v->type != YAML_SCALAR_NODE ||
			    kw_parse_duration((const char *)v->data.scalar.value, 1, 0, KW_NO_PROGRESS_MAX_S,
			                      &t)) {
				kw_error_set(
				        err, KW_ERR_INVALID, NULL,
				        "%s:%zu:%zu: noProgressTimeout must be a duration from 0 (none) to "
				        "%d s, such as 90s or 2m",
				        file, v ? v->start_mark.line + 1 : 0,
				        v ? v->start_mark.column + 1 : 0, KW_NO_PROGRESS_MAX_S);
				goto out;
			}
			if (!out->no_progress_set || t < out->no_progress_timeout)
				out->no_progress_timeout = t;
			out->no_progress_set = true;
			continue;
		}
		if (!v || v->type != YAML_SCALAR_NODE) {
			kw_error_set(err, KW_ERR_INVALID, NULL, "%s:%zu:%zu: owner must be a string", file,
			             v ? v->start_mark.line + 1 : 0, v ? v->start_mark.column + 1 : 0);
			goto out;
		}
		if (kw_buf_appendf(&where, "%s:%zu:%zu", file, v->start_mark.line + 1,
		                   v->start_mark.column + 1) ||
		    kw_owner_check((const char *)v->data.scalar.value, where.data, err)) {
			if (!where.data)
				kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			err->kind = KW_ERR_INVALID;
			kw_buf_release(&where);
			goto out;
		}
		kw_buf_release(&where);
		free(*owner);
		if (!(*owner = strdup((const char *)v->data.scalar.value))) {
			kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int kw_folder_config_read(const char *const *paths, size_t n, struct kw_folder_config *out,
                          struct kw_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct kw_buf path = KW_BUF_INIT;
		char *text = NULL, *owner = NULL;
		size_t len = 0;
		int rc = 0;

		if (config_path(paths[i], &path))
			return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		if (kw_read_regular_file(path.data, CONFIG_MAX, &text, &len, err)) {
			rc = err->kind == KW_ERR_NOT_FOUND ? 0 : -1;
			if (!rc)
				kw_error_clear(err);
		} else if (!(rc = parse(path.data, text, len, &owner, out, err)) && owner) {
			if (out->owner && strcmp(out->owner, owner))
				rc = kw_error_set(err, KW_ERR_INVALID, NULL,
				                  "%s says owner '%s', %s says '%s': one run has one owner",
				                  out->file, out->owner, path.data, owner);
			else if (!out->owner) {
				out->owner = owner;
				owner = NULL;
				if (!(out->file = kw_buf_detach(&path)))
					rc = kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			}
		}
		free(owner);
		free(text);
		kw_buf_release(&path);
		if (rc)
			return -1;
	}
	return 0;
}

void kw_folder_config_release(struct kw_folder_config *c)
{
	free(c->owner);
	free(c->file);
	memset(c, 0, sizeof(*c));
}
