/*
 * whoami.c - GetCallerIdentity with the resolved credentials (whoami.h).
 */
#include "aws/whoami.h"

#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "util/error.h"

int kw_whoami_get(const struct kw_aws_options *opt, struct kw_whoami *out, struct kw_error *err)
{
	struct kw_aws_client *c = NULL;
	const char *chain;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (kw_aws_client_new(opt, &c, err) || kw_sts_get_caller_identity(c, &out->id, err))
		goto out;
	chain = kw_aws_client_credential_chain(c);
	out->provider = strdup(kw_aws_client_credential_source(c));
	out->chain = chain ? strdup(chain) : NULL;
	if (!out->provider || (chain && !out->chain)) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	kw_aws_client_free(c);
	return rc;
}

void kw_whoami_release(struct kw_whoami *w)
{
	kw_sts_identity_release(&w->id);
	free(w->provider);
	free(w->chain);
	memset(w, 0, sizeof(*w));
}
