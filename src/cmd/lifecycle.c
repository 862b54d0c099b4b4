#include "cmd/lifecycle.h"

#include <stdlib.h>

#include "aws/client.h"
#include "cmd/options.h"
#include "manifest/manifest.h"
#include "notify/notify.h"
#include "util/error.h"

int kw_cmd_resolve_accounts(struct kw_ctx *ctx, char *const *names, size_t n, struct kw_lc_accounts *out)
{
	struct kw_error err;

	if (!kw_lc_accounts_resolve(names, n, out, &err))
		return 0;
	for (size_t i = 0; out->set && i < out->set->diags.n; i++) {
		char *line = kw_diag_format(&out->set->diags.items[i]);

		if (line)
			fprintf(ctx->err, "%s\n", line);
		free(line);
	}
	kw_error_print(&err, ctx->err);
	return -1;
}

void kw_cmd_aws_options(const struct kw_ctx *ctx, const char *profile, struct kw_aws_options *out)
{
	*out = (struct kw_aws_options){.profile = profile,
	                               .region = ctx->region,
	                               .endpoint_url = ctx->endpoint_url,
	                               .mfa_code = ctx->mfa_code};
}

int kw_cmd_notify_targets(struct kw_ctx *ctx, const struct kw_cmd_spec *spec,
                          const struct kw_opt_strings *specs, struct kw_notify_list *out)
{
	struct kw_error err;

	for (size_t i = 0; i < specs->n; i++)
		if (kw_notify_list_add(out, specs->v[i], &err))
			return kw_opts_error(ctx, spec, "--notify: %s", err.msg);
	return 0;
}
