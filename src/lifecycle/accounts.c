#include "lifecycle/accounts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/account.h"
#include "lifecycle/names.h"
#include "manifest/manifest.h"
#include "util/array.h"
#include "util/error.h"

static int add(struct kw_lc_accounts *a, const char *user, const char *group, const struct kw_manifest *m,
               struct kw_error *err)
{
	struct kw_lc_account *v;

	for (size_t i = 0; i < a->n; i++)
		if (!strcasecmp(a->v[i].user, user) &&
		    /* the same service in two AWS accounts (metadata.account) is two accounts */
		    !(m && a->v[i].manifest && m->account && a->v[i].manifest->account &&
		      strcmp(m->account, a->v[i].manifest->account))) {
			if (m && !a->v[i].manifest) { /* a manifest tells more than a bare name */
				a->v[i].manifest = m;
				a->v[i].group = group;
			}
			return 0;
		}
	v = kw_array_grow(&a->v, &a->n, sizeof(*v));
	if (!v)
		return kw_error_nomem(err);
	*v = (struct kw_lc_account){user, group, m, NULL, NULL};
	return 0;
}

int kw_lc_accounts_resolve(char *const *names, size_t n, struct kw_lc_accounts *out, struct kw_error *err)
{
	const char **paths = calloc(n ? n : 1, sizeof(*paths));
	enum kw_lc_name_kind *kinds = calloc(n ? n : 1, sizeof(*kinds));
	size_t npaths = 0;
	int rc = -1;

	if (!paths || !kinds) {
		kw_error_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (kw_lc_name_classify(names[i], &kinds[i], err))
			goto out;
		if (kinds[i] != KW_LC_NAME_USER)
			paths[npaths++] = names[i];
	}
	if (npaths && kw_manifest_load_paths(paths, npaths, &out->set, err))
		goto out;
	/* manifests first (in load order), then bare names in argv order */
	for (size_t i = 0; out->set && i < out->set->n; i++) {
		const struct kw_manifest *m = out->set->items[i];
		if (add(out, m->user_name, m->group_name, m, err))
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (kinds[i] == KW_LC_NAME_USER &&
		    add(out, names[i], kw_lc_group_for_user(names[i]), NULL, err))
			goto out;
	rc = 0;
out:
	free(paths);
	free(kinds);
	return rc;
}

bool kw_lc_accounts_stdout(const struct kw_lc_accounts *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct kw_manifest *m = a->v[i].manifest;

		if (!m)
			return true;
		for (size_t j = 0; j < m->ndeliver; j++)
			if (m->deliver[j].kind == KW_DELIVER_STDOUT)
				return true;
	}
	return false;
}

void kw_lc_accounts_release(struct kw_lc_accounts *a)
{
	free(a->v);
	kw_manifest_set_free(a->set);
	memset(a, 0, sizeof(*a));
}

int kw_lc_accounts_check(struct kw_aws_client *c, const struct kw_lc_accounts *a, struct kw_error *err)
{
	struct kw_accounts none;

	return kw_lc_accounts_reach(c, NULL, NULL, (struct kw_lc_accounts *)a, &none, err);
}

int kw_lc_accounts_reach(struct kw_aws_client *c, const struct kw_aws_options *opt, const char *role_arn,
                         struct kw_lc_accounts *a, struct kw_accounts *out, struct kw_error *err)
{
	const struct kw_manifest **m = calloc(a->n ? a->n : 1, sizeof(*m));
	int rc;

	memset(out, 0, sizeof(*out));
	if (!m)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < a->n; i++) {
		m[i] = a->v[i].manifest;
		if (role_arn && !m[i]) {
			free(m);
			return kw_error_set(err, KW_ERR_USAGE, a->v[i].user,
			                    "named by its IAM user name, it has no AWS account: with "
			                    "--role-arn, name its manifest (metadata.account)");
		}
	}
	rc = kw_accounts_reach(c, opt, role_arn, m, a->n, out, err);
	for (size_t i = 0; !rc && role_arn && i < a->n; i++) /* only with role_arn: a stays const else */
	{
		a->v[i].client = kw_accounts_client(out, i);
		a->v[i].aws_opts = kw_accounts_options(out, i);
	}
	free(m);
	return rc;
}
