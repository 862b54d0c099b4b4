#include "keys/sink.h"

#include "util/error.h"

/* Waits for src/aws/ini.h (the aws helper's INI editor); see /work/notes/mfa-keys.md. */
int kw_keys_deliver_profile(const char *name, const struct kw_access_key *key, const char *region,
                            const char *output, struct kw_error *err)
{
	return kw_error_set(err, KW_ERR_INTERNAL, name, "profile delivery is not implemented yet");
}
