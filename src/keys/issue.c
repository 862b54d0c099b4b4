/*
 * issue.c - issuing an access key: create, reconcile, deliver, prove, tag, or delete (issue.h).
 */
#include "keys/issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/client.h"
#include "aws/iam.h"
#include "aws/sts.h"
#include "engine/state.h"
#include "lifecycle/rotation.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/wait.h"

void kw_new_key_release(struct kw_new_key *k)
{
	kw_secret_free(k->secret);
	for (size_t i = 0; i < k->nbefore; i++)
		free(k->before[i]);
	free(k->before);
	memset(k, 0, sizeof(*k));
}

static const char *who(const struct kw_key_issuer *is)
{
	return is->user ? is->user : "the caller";
}

/* The user's keys now (retried while transient), into l (release it). Returns 0 or -1. */
static int list_keys(const struct kw_key_issuer *is, struct kw_iam_access_key_list *l, struct kw_error *err)
{
	struct kw_wait w;

	kw_wait_begin(&w, is->timeout, false);
	while (kw_iam_list_access_keys(is->c, is->user, l, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	return 0;
}

/* The ids of the user's keys now, into ids. Returns 0 or -1. */
static int list_ids(const struct kw_key_issuer *is, struct kw_strlist *ids, struct kw_error *err)
{
	struct kw_iam_access_key_list l = {0};
	int rc = list_keys(is, &l, err);

	for (size_t i = 0; i < l.n && rc == 0; i++)
		if (l.items[i].access_key_id && kw_strlist_add(ids, l.items[i].access_key_id))
			rc = kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	kw_iam_access_key_list_release(&l);
	return rc;
}

/* SigV4 refuses a request signed more than 5 minutes off AWS's clock (no Date header: local). */
#define SKEW_MAX 300

/* IAM's clock now: the Date of the last answer this thread received, else the local clock. */
static time_t iam_now(bool *local)
{
	time_t t = kw_aws_answer_date();

	*local = !t;
	return t ? t : time(NULL);
}

static bool held(const struct kw_key_issuer *is, const char *id)
{
	return kw_keys_id_among(id, is->held, is->nheld);
}

int kw_key_untag(const struct kw_key_issuer *is, const char *id, struct kw_error *err)
{
	char grace[160], delivered[160];
	const char *keys[] = {grace, delivered};
	struct kw_wait w;

	if (kw_grace_tag_key(id, grace, sizeof(grace)) ||
	    kw_delivered_tag_key(id, delivered, sizeof(delivered)))
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "tag key too long");
	kw_wait_begin(&w, is->timeout, false);
	while (kw_iam_untag_user(is->c, is->user, keys, 2, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	return 0;
}

/* DeleteAccessKey, retried; with untag, its keywarden tags too (best effort). */
static int delete_key(const struct kw_key_issuer *is, const char *id, bool untag, struct kw_error *err)
{
	struct kw_error e2;
	struct kw_wait w;

	kw_wait_begin(&w, is->timeout, false);
	for (;;) {
		kw_error_clear(err);
		if (!kw_iam_delete_access_key(is->c, is->user, id, err) || err->kind == KW_ERR_NOT_FOUND)
			break;
		if (!kw_wait_retry(&w, err))
			return -1;
	}
	kw_error_clear(err);
	if (untag && kw_key_untag(is, id, &e2))
		kw_log(KW_LOG_WARN, "deleted key %s of %s but not its keywarden tags: %s", id, who(is),
		       e2.msg);
	return 0;
}

int kw_key_delete(const struct kw_key_issuer *is, const char *id, struct kw_error *err)
{
	return delete_key(is, id, is->tags, err);
}

/*
 * After a CreateAccessKey attempt: delete every key of the user that this run's attempts can
 * have made (issue.h): not in before (listed before the first attempt), not mine (the key this
 * run delivers; NULL: none), not held by a target, created within window (IAM's clock; the end
 * is moved to the Date of this listing when grow). Returns the number deleted, or -1 with err set.
 */
static int delete_orphans(const struct kw_key_issuer *is, const struct kw_strlist *before, const char *mine,
                          time_t window[2], bool grow, struct kw_error *err)
{
	struct kw_iam_access_key_list now = {0};
	bool local;
	int n = 0;

	if (list_keys(is, &now, err))
		n = -1;
	if (n == 0 && grow) {
		window[1] = iam_now(&local);
		if (local)
			window[1] += SKEW_MAX;
	}
	for (size_t i = 0; i < now.n && n >= 0; i++) {
		const struct kw_iam_access_key *k = &now.items[i];

		if (!k->access_key_id || kw_strlist_find(before, k->access_key_id, false) >= 0 ||
		    (mine && !strcmp(k->access_key_id, mine)))
			continue;
		if (held(is, k->access_key_id)) {
			kw_log(KW_LOG_INFO, "%s: access key %s is held by a target: not a lost answer's",
			       who(is), k->access_key_id);
			continue;
		}
		/* a second of rounding either side: CreateDate and Date are whole seconds */
		if (k->create_date && (k->create_date < window[0] - 1 || k->create_date > window[1] + 1)) {
			kw_log(KW_LOG_INFO,
			       "%s: access key %s was created outside this run's CreateAccessKey attempts "
			       "(IAM listed it late): kept",
			       who(is), k->access_key_id);
			continue;
		}
		kw_log(KW_LOG_WARN,
		       "deleting access key %s of %s: created by this run's CreateAccessKey whose answer "
		       "was lost, so nobody holds it",
		       k->access_key_id, who(is));
		n = delete_key(is, k->access_key_id, false, err) ? -1 : n + 1;
	}
	kw_iam_access_key_list_release(&now);
	return n;
}

static bool is_code(const struct kw_error *err, const char *code)
{
	return !strcmp(err->aws_code, code);
}

int kw_key_create(const struct kw_key_issuer *is, struct kw_new_key *out, struct kw_error *err)
{
	struct kw_strlist before = {0};
	struct kw_wait w;
	struct kw_error e2;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (list_ids(is, &before, err))
		return kw_error_prefix(err, "listing the access keys of %s", who(is));
	/* the attempts' window opens with the Date of that listing (IAM's clock), issue.h */
	{
		bool local;

		out->window[0] = out->window[1] = iam_now(&local);
		if (local)
			out->window[0] -= SKEW_MAX, out->window[1] += SKEW_MAX;
	}
	kw_wait_begin(&w, is->timeout, false);
	for (;;) {
		struct kw_iam_access_key k = {0};
		int made, gone;

		out->attempts++;
		made = kw_iam_create_access_key(is->c, is->user, &k, err) == 0;

		if (made) {
			snprintf(out->id, sizeof(out->id), "%s", k.access_key_id);
			out->secret = k.secret;
			k.secret = NULL;
			out->created = k.create_date ? k.create_date : time(NULL);
			kw_log(KW_LOG_INFO, "%s: created access key %s", who(is), out->id);
		}
		kw_iam_access_key_release(&k);
		/* whatever the answer: the keys now, against those before and the one delivered */
		gone = delete_orphans(is, &before, made ? out->id : NULL, out->window, true, &e2);
		if (gone < 0) {
			kw_log(KW_LOG_ERROR,
			       "could not check %s for access keys nobody holds: %s; check with aws iam "
			       "list-access-keys",
			       who(is), e2.msg);
			if (made)
				rc = 0; /* the key itself is fine: the caller delivers it */
			break;
		}
		out->orphans_deleted += (size_t)gone;
		if (made) {
			rc = 0;
			break;
		}
		if (!(kw_error_transient(err) || (gone > 0 && is_code(err, "LimitExceeded"))) ||
		    !kw_wait_again(&w))
			break;
		kw_log(KW_LOG_INFO, "%s: CreateAccessKey failed (%s), trying again", who(is),
		       err->aws_code[0] ? err->aws_code : kw_error_kind_name(err->kind));
	}
	if (rc) {
		kw_new_key_release(out);
		kw_strlist_release(&before);
	} else {
		kw_error_clear(err);
		out->before = before.v; /* kept for the last look (kw_key_issue) */
		out->nbefore = before.n;
	}
	return rc;
}

/* Whether arn is the issuer's user: arn itself when given, else ends in "/<user>". */
static bool signs_as(const struct kw_key_issuer *is, const char *want, const char *arn)
{
	const char *slash;

	if (!arn)
		return false;
	if (want)
		return !strcmp(arn, want);
	if (!is->user)
		return true;
	slash = strrchr(arn, '/');
	return slash && !strcasecmp(slash + 1, is->user);
}

int kw_key_prove(const struct kw_key_issuer *is, const char *id, const struct kw_secret *secret,
                 const char *arn, bool interruptible, struct kw_aws_client **client, unsigned long *reads,
                 struct kw_error *err)
{
	struct kw_aws_client *kc = NULL;
	struct kw_wait w;
	double prev;
	int rc = -1;

	if (kw_aws_client_new_static(is->aws_opts, id, secret, NULL, &kc, err))
		return -1;
	kw_wait_begin(&w, is->timeout, interruptible);
	prev = kw_call_deadline_set(w.deadline);
	for (;;) {
		struct kw_sts_identity me = {0};
		bool propagating;

		kw_error_clear(err);
		if (reads)
			++*reads;
		if (kw_sts_get_caller_identity(kc, &me, err) == 0) {
			if (signs_as(is, arn, me.arn)) {
				kw_log(KW_LOG_INFO, "new key %s works (%s)", id, me.arn);
				rc = 0;
			} else {
				kw_error_set(err, KW_ERR_CONFLICT, "sts:GetCallerIdentity",
				             "new key %s signs as %s, not as %s", id, me.arn ? me.arn : "?",
				             arn ? arn : who(is));
			}
			kw_sts_identity_release(&me);
			break;
		}
		/* InvalidClientTokenId: IAM has not propagated the key yet. Other auth errors
		 * (SignatureDoesNotMatch after clock skew, ...) are what they say. */
		propagating = err->kind == KW_ERR_AUTH && is_code(err, "InvalidClientTokenId");
		if (err->kind == KW_ERR_AUTH && !propagating) {
			kw_error_prefix(err, "new key %s was refused for another reason than propagation",
			                id);
			break;
		}
		if (!propagating && !kw_error_transient(err))
			break;
		kw_log(KW_LOG_INFO, "new key %s not usable yet (%s), waiting", id,
		       err->aws_code[0] ? err->aws_code : kw_error_kind_name(err->kind));
		if (!kw_wait_again(&w)) {
			if (interruptible && kw_interrupt_check(NULL, err))
				break;
			kw_error_set(err, KW_ERR_TIMEOUT, "sts:GetCallerIdentity",
			             "new key %s did not work within %.0f s (--confirm-timeout): %s", id,
			             kw_wait_elapsed(&w), err->msg);
			break;
		}
	}
	kw_call_deadline_set(prev);
	if (rc == 0 && client) {
		*client = kc;
		kc = NULL;
	}
	kw_aws_client_free(kc);
	return rc;
}

int kw_key_tag_delivered(const struct kw_key_issuer *is, const char *id, struct kw_error *err)
{
	char key[160], when[32];
	struct kw_iam_tag tag = {.key = key, .value = when};
	struct kw_wait w;

	if (kw_delivered_tag_key(id, key, sizeof(key)))
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "tag key too long");
	kw_iso8601_format(time(NULL), when, sizeof(when));
	kw_wait_begin(&w, is->timeout, false);
	while (kw_iam_tag_user(is->c, is->user, &tag, 1, err))
		if (!kw_wait_retry(&w, err))
			return -1;
	return 0;
}

int kw_key_issue(const struct kw_key_issuer *is, const char *arn, kw_key_deliver_fn deliver,
                 void (*undo)(void *ud, size_t written), void *ud, struct kw_key_issue_result *res,
                 struct kw_error *err)
{
	struct kw_new_key k;
	struct kw_access_key ak;
	struct kw_error e2;
	double t0;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (kw_key_create(is, &k, err))
		return -1;
	res->created = true;
	res->orphans_deleted = k.orphans_deleted;
	ak = (struct kw_access_key){k.id, k.secret, is->user, k.created};
	if (deliver(ud, &ak, &res->written, err))
		goto delete_key;
	t0 = kw_now_s();
	rc = kw_key_prove(is, k.id, k.secret, arn, false, NULL, &res->proofs, err);
	res->proof_seconds = kw_now_s() - t0;
	if (rc)
		goto delete_key;
	snprintf(res->id, sizeof(res->id), "%s", k.id);
	if (is->tags && kw_key_tag_delivered(is, k.id, &e2))
		kw_log(KW_LOG_WARN, "could not tag %s with the delivered mark of %s: %s", who(is), k.id,
		       e2.msg);
	else
		res->tagged = is->tags;
	goto out;
delete_key:
	/* there is never a key that nobody holds, nor one that does not work */
	rc = -1;
	if (delete_key(is, k.id, false, &e2)) { /* never tagged */
		kw_log(KW_LOG_ERROR, "could not delete the new access key %s of %s: %s; delete it by hand",
		       k.id, who(is), e2.msg);
		snprintf(res->id, sizeof(res->id), "%s", k.id);
	} else {
		kw_error_prefix(err, "access key %s deleted", k.id);
		res->deleted = true;
		if (undo)
			undo(ud, res->written);
	}
out:
	/*
	 * A last look, now that IAM had time to show every key: under eventual consistency the
	 * key of a lost CreateAccessKey answer may not have been listed right after it. Only
	 * after an attempt that was not answered: one request answered made one key, ours.
	 */
	if (k.attempts > 1 || k.orphans_deleted) {
		struct kw_strlist before = {.v = k.before, .n = k.nbefore};
		int gone = delete_orphans(is, &before, res->deleted ? NULL : k.id, k.window, false, &e2);

		if (gone < 0)
			kw_log(KW_LOG_ERROR, "could not check %s for access keys nobody holds: %s", who(is),
			       e2.msg);
		else
			res->orphans_deleted += (size_t)gone;
	}
	kw_new_key_release(&k);
	return rc;
}
