#include "engine/state.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/array.h"

int kw_strlist_add(struct kw_strlist *l, const char *s)
{
	char *c = strdup(s), **slot = c ? kw_array_grow(&l->v, &l->n, sizeof(*l->v)) : NULL;

	if (!slot) {
		free(c);
		return -1;
	}
	*slot = c;
	return 0;
}

long kw_strlist_find(const struct kw_strlist *l, const char *s, bool nocase)
{
	for (size_t i = 0; i < l->n; i++)
		if (nocase ? !strcasecmp(l->v[i], s) : !strcmp(l->v[i], s))
			return (long)i;
	return -1;
}

void kw_strlist_release(struct kw_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int kw_taglist_add(struct kw_taglist *l, const char *key, const char *value)
{
	char *k = strdup(key), *v = strdup(value ? value : "");
	struct kw_tagkv *t = k && v ? kw_array_grow(&l->v, &l->n, sizeof(*l->v)) : NULL;

	if (!t) {
		free(k);
		free(v);
		return -1;
	}
	t->key = k;
	t->value = v;
	return 0;
}

const struct kw_tagkv *kw_taglist_find(const struct kw_taglist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcasecmp(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

void kw_taglist_release(struct kw_taglist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int kw_doclist_add(struct kw_doclist *l, const char *name, const char *document)
{
	char *n = strdup(name), *d = strdup(document ? document : "");
	struct kw_namedoc *e = n && d ? kw_array_grow(&l->v, &l->n, sizeof(*l->v)) : NULL;

	if (!e) {
		free(n);
		free(d);
		return -1;
	}
	e->name = n;
	e->document = d;
	return 0;
}

const struct kw_namedoc *kw_doclist_find(const struct kw_doclist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

void kw_doclist_release(struct kw_doclist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].document);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void kw_desired_release(struct kw_desired *d)
{
	free(d->name);
	free(d->origin);
	free(d->user_name);
	free(d->group_name);
	free(d->path);
	kw_taglist_release(&d->tags);
	kw_doclist_release(&d->inline_policies);
	kw_strlist_release(&d->managed_arns);
	free(d->boundary);
	free(d->deliver_summary);
	free(d->sinks);
	memset(d, 0, sizeof(*d));
}

int kw_live_add_key(struct kw_live_user *u, const char *id, bool active, time_t created)
{
	char *c = strdup(id);
	struct kw_live_key *k = c ? kw_array_grow(&u->keys, &u->nkeys, sizeof(*u->keys)) : NULL;

	if (!k) {
		free(c);
		return -1;
	}
	/* undelivered: set by the live reader (live.c); held: from the targets (held.c) */
	*k = (struct kw_live_key){.id = c, .active = active, .created = created};
	return 0;
}

void kw_live_release(struct kw_live_account *a)
{
	struct kw_live_user *u = &a->user;
	struct kw_live_group *g = &a->group;

	free(u->name);
	free(u->path);
	free(u->arn);
	free(u->id);
	free(u->boundary);
	kw_taglist_release(&u->tags);
	kw_strlist_release(&u->groups);
	kw_doclist_release(&u->inline_policies);
	kw_strlist_release(&u->managed_arns);
	for (size_t i = 0; i < u->nkeys; i++)
		free(u->keys[i].id);
	free(u->keys);
	kw_strlist_release(&u->mfa);
	free(a->targets);
	free(g->name);
	free(g->path);
	free(g->arn);
	kw_doclist_release(&g->inline_policies);
	kw_strlist_release(&g->managed_arns);
	free(a->orphan_mfa);
	memset(a, 0, sizeof(*a));
}

bool kw_live_user_managed(const struct kw_live_user *u)
{
	const struct kw_tagkv *t = kw_taglist_find(&u->tags, KW_MANAGED_TAG_KEY);

	return u->exists && t && kw_tag_is_managed(t->key, t->value);
}
