/*
 * lifecycle.h - what rotate, audit and destroy share in src/cmd (they print, so this is not in
 * src/lifecycle): turning NAME... into accounts with diagnostics printed, day counts on the
 * command line, AWS client options from the common options, and --notify targets.
 */
#ifndef KW_CMD_LIFECYCLE_H
#define KW_CMD_LIFECYCLE_H

#include <stddef.h>

#include "cmd/cmd.h"
#include "lifecycle/accounts.h"

struct kw_aws_options;
struct kw_cmd_spec;
struct kw_error;
struct kw_notify_list;
struct kw_opt_strings;

/*
 * kw_cmd_resolve_accounts - kw_lc_accounts_resolve() on names, printing every manifest
 * diagnostic and the error on ctx->err. out is zeroed on entry and must be released with
 * kw_lc_accounts_release in every case. Returns 0, or -1 after printing.
 */
int kw_cmd_resolve_accounts(struct kw_ctx *ctx, char *const *names, size_t n, struct kw_lc_accounts *out);

/* kw_cmd_aws_options - client options from ctx (region, endpoint) with the given profile. */
void kw_cmd_aws_options(const struct kw_ctx *ctx, const char *profile, struct kw_aws_options *out);

/*
 * kw_cmd_notify_targets - every --notify TARGET of specs (cmd/options.h KW_OPT_NOTIFY) parsed
 * into out (notify/notify.h kw_notify_list_add). Returns 0, or KW_EXIT_ERROR after printing a
 * usage error naming the option.
 */
int kw_cmd_notify_targets(struct kw_ctx *ctx, const struct kw_cmd_spec *spec,
                          const struct kw_opt_strings *specs, struct kw_notify_list *out);

#endif
