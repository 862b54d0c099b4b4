/*
 * catalog.c - parse the built-in catalog (data/iam-catalog.tsv, format described in
 * scripts/iam-catalog-reduce.py) once, and answer lookups, expansions and ARN matches.
 *
 * The text is copied once into a heap buffer whose tabs and newlines become NULs, so every
 * name is a pointer into it; counts are taken in a first pass so that each table is one
 * allocation. Nothing is freed: the catalog lives as long as the process.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

extern const char kw_catalog_blob[], kw_catalog_blob_end[]; /* blob.c */

static const char *const level_names[KW_ACCESS_NLEVELS] = {"List", "Read", "Write", "Permissions management",
                                                           "Tagging"};
static const char *const type_names[] = {"String", "ARN", "Bool", "Numeric", "Date", "IPAddress", "Binary"};

const char *kw_access_level_name(enum kw_access_level level)
{
	return level < KW_ACCESS_NLEVELS ? level_names[level] : "?";
}

const char *kw_ckey_type_name(enum kw_ckey_type type)
{
	return (size_t)type < sizeof(type_names) / sizeof(type_names[0]) ? type_names[type] : "?";
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int casecmp_n(const char *a, size_t na, const char *b)
{
	size_t i;

	for (i = 0; i < na && b[i]; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return lower((unsigned char)a[i]) - lower((unsigned char)b[i]);
	if (i < na)
		return 1;
	return b[i] ? -1 : 0;
}

bool kw_glob_match_ci(const char *p, const char *t)
{
	const char *star = NULL, *mark = NULL;

	while (*t) {
		if (*p == '*') {
			star = p++;
			mark = t;
		} else if (*p == '?' || (*p && lower((unsigned char)*p) == lower((unsigned char)*t))) {
			p++;
			t++;
		} else if (star) {
			p = star + 1;
			t = ++mark;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* ---- loading ---- */

struct loader {
	char *text;
	struct kw_catalog *c;
	struct kw_service *services;
	struct kw_action *actions;
	struct kw_rtype *rtypes;
	struct kw_ckey *keys, *globals;
	const char **unassoc_prefix, **arn_services;
	const char **unassoc_name;
	uint32_t *unassoc_service;
	uint32_t *arena;
	size_t narena, cap;
};

static int parse_type(const char *s, struct kw_ckey *k)
{
	k->array = !strncmp(s, "ArrayOf", 7);
	if (k->array)
		s += 7;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(s, type_names[i])) {
			k->type = (enum kw_ckey_type)i;
			return 0;
		}
	return -1;
}

/* A comma-separated list of indices below @limit into the arena; "!" sets KW_RTYPE_REQUIRED. */
static int parse_list(struct loader *L, const char *s, uint32_t limit, const uint32_t **out, uint32_t *n)
{
	*out = L->arena + L->narena;
	*n = 0;
	while (*s) {
		const char *end = s;
		unsigned long v = 0;
		while (*end >= '0' && *end <= '9' && v < limit) /* decimal digits: what strtoul reads here */
			v = v * 10 + (unsigned long)(*end++ - '0');
		if (end == s || v >= limit || L->narena >= L->cap)
			return -1;
		if (*end == '!') {
			v |= KW_RTYPE_REQUIRED;
			end++;
		}
		L->arena[L->narena++] = (uint32_t)v;
		(*n)++;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Service part of "arn:${Partition}:SERVICE:...": stored NUL-terminated into a new copy. */
static const char *arn_service_of(const char *arn)
{
	const char *p = strchr(arn, ':'), *q;
	char *s;

	if (!p || !(p = strchr(p + 1, ':')) || !(q = strchr(p + 1, ':')) || q == p + 1)
		return NULL;
	s = strndup(p + 1, (size_t)(q - p - 1));
	return s;
}

/*
 * The newline (or the final NUL, at end) ending the line at p. memchr, bounded by the end of
 * the text, not strchr: the buffer is one 1 MB string, and a checking strchr (ASan's
 * strict_string_checks) would scan all of it for every line.
 */
static char *line_end(char *p, char *end)
{
	char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

static int load(struct loader *L)
{
	size_t len = (size_t)(kw_catalog_blob_end - kw_catalog_blob);
	size_t ns = 0, na = 0, nr = 0, nk = 0, ng = 0, nu = 0, nitems, kcur = 0, rcur = 0;
	struct kw_catalog *c = L->c;
	struct kw_service *svc = NULL;
	char *p, *end, *text_end;

	L->text = malloc(len + 1);
	if (!L->text)
		return -1;
	memcpy(L->text, kw_catalog_blob, len);
	L->text[len] = '\0';
	text_end = L->text + strlen(L->text); /* the blob holds no NUL, but stop at one if it does */
	/* pass 1: count records; list items are at most one per two bytes ("1,") */
	for (p = L->text; p < text_end;) {
		char kind = *p;
		char *nl = line_end(p, text_end);
		ns += kind == 'S';
		na += kind == 'A';
		nr += kind == 'R';
		nk += kind == 'K';
		ng += kind == 'G';
		nu += kind == 'U';
		p = nl < text_end ? nl + 1 : nl;
	}
	nitems = len / 2 + 1;
	L->services = calloc(ns ? ns : 1, sizeof(*L->services));
	L->actions = calloc(na ? na : 1, sizeof(*L->actions));
	L->rtypes = calloc(nr ? nr : 1, sizeof(*L->rtypes));
	L->keys = calloc(nk ? nk : 1, sizeof(*L->keys));
	L->globals = calloc(ng ? ng : 1, sizeof(*L->globals));
	L->unassoc_prefix = calloc(nu ? nu : 1, sizeof(char *));
	L->unassoc_name = calloc(nu ? nu : 1, sizeof(char *));
	L->unassoc_service = calloc(nu ? nu : 1, sizeof(uint32_t));
	L->arn_services = calloc(nr ? nr : 1, sizeof(char *));
	L->arena = malloc((nitems + 1) * sizeof(uint32_t)); /* every item used is written */
	L->cap = nitems + 1;
	if (!L->services || !L->actions || !L->rtypes || !L->keys || !L->globals || !L->unassoc_prefix ||
	    !L->unassoc_name || !L->unassoc_service || !L->arn_services || !L->arena)
		return -1;
	c->services = L->services;
	c->actions = L->actions;
	c->globals = L->globals;
	c->unassoc_prefix = L->unassoc_prefix;
	c->unassoc_service = L->unassoc_service;
	c->arn_services = L->arn_services;
	/* pass 2: split each line into fields and fill the tables */
	for (p = L->text; p < text_end; p = end) {
		char *f[6] = {0};
		size_t nf = 0;
		char *nl = line_end(p, text_end);
		end = nl < text_end ? nl + 1 : nl;
		*nl = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		for (char *q = p; nf < 6;) {
			char *tab = memchr(q, '\t', (size_t)(nl - q));
			f[nf++] = q;
			if (!tab)
				break;
			*tab = '\0';
			q = tab + 1;
		}
		if (nf < 2 || f[0][1])
			return -1;
		switch (f[0][0]) {
		case 'V':
			if (nf < 5)
				return -1;
			c->version = f[1];
			c->updated = f[2];
			c->package = f[3];
			c->license = f[4];
			break;
		case 'G':
			if (nf < 3 || c->nglobals >= ng || parse_type(f[2], &L->globals[c->nglobals]))
				return -1;
			L->globals[c->nglobals++].name = f[1];
			break;
		case 'U':
			if (nf < 3 || c->nunassoc >= nu)
				return -1;
			L->unassoc_prefix[c->nunassoc] = f[1];
			L->unassoc_name[c->nunassoc++] = f[2];
			break;
		case 'S':
			if (nf < 3 || c->nservices >= ns || (svc && strcmp(svc->prefix, f[1]) >= 0))
				return -1; /* sorted, unique */
			svc = &L->services[c->nservices++];
			svc->prefix = f[1];
			svc->name = f[2];
			svc->first_action = (uint32_t)c->nactions;
			svc->keys = L->keys + kcur;
			svc->rtypes = L->rtypes + rcur;
			break;
		case 'K': {
			struct kw_ckey *k = &L->keys[kcur];
			if (!svc || nf < 3 || kcur >= nk || svc->nrtypes || svc->nactions)
				return -1; /* a service's K records come before its R and A records */
			if (parse_type(f[2], k))
				return -1;
			k->name = f[1];
			kcur++;
			svc->nkeys++;
			break;
		}
		case 'R': {
			struct kw_rtype *r = &L->rtypes[rcur];
			if (!svc || nf < 4 || rcur >= nr || svc->nactions)
				return -1;
			rcur++;
			r->name = f[1];
			r->arn = f[2];
			if (parse_list(L, f[3], svc->nkeys, &r->keys, &r->nkeys))
				return -1;
			svc->nrtypes++;
			break;
		}
		case 'A': {
			struct kw_action *a = &L->actions[c->nactions];
			if (!svc || nf < 5 || c->nactions >= na)
				return -1;
			a->name = f[1];
			a->service = (uint32_t)(svc - L->services);
			switch (f[2][0]) {
			case 'L': a->level = KW_ACCESS_LIST; break;
			case 'R': a->level = KW_ACCESS_READ; break;
			case 'W': a->level = KW_ACCESS_WRITE; break;
			case 'P': a->level = KW_ACCESS_PERMISSIONS; break;
			case 'T': a->level = KW_ACCESS_TAGGING; break;
			default: return -1;
			}
			if (parse_list(L, f[3], svc->nrtypes, &a->rtypes, &a->nrtypes) ||
			    parse_list(L, f[4], svc->nkeys, &a->keys, &a->nkeys))
				return -1;
			if (svc->nactions && casecmp_n(a[-1].name, strlen(a[-1].name), a->name) >= 0)
				return -1; /* sorted, unique */
			svc->nactions++;
			c->nactions++;
			break;
		}
		default: return -1;
		}
	}
	if (!c->version || !c->nservices || !c->nactions)
		return -1;
	for (size_t i = 0; i < c->nunassoc; i++) {
		const struct kw_service *s =
		        kw_catalog_service(c, L->unassoc_name[i], strlen(L->unassoc_name[i]));
		if (!s)
			return -1;
		L->unassoc_service[i] = (uint32_t)(s - c->services);
	}
	for (size_t i = 0; i < c->nservices; i++)
		for (uint32_t k = 0; k < c->services[i].nrtypes; k++) {
			const char *s = arn_service_of(c->services[i].rtypes[k].arn);
			if (s)
				L->arn_services[c->narn_services++] = s;
		}
	qsort(L->arn_services, c->narn_services, sizeof(char *), cmp_str);
	{
		size_t u = 0;
		for (size_t i = 0; i < c->narn_services; i++) {
			if (u && !strcmp(L->arn_services[u - 1], L->arn_services[i])) {
				free((char *)L->arn_services[i]);
				continue;
			}
			L->arn_services[u++] = L->arn_services[i];
		}
		c->narn_services = u;
	}
	return 0;
}

static struct kw_catalog the_catalog;
static const struct kw_catalog *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load_once(void)
{
	struct loader L = {.c = &the_catalog};

	if (load(&L) == 0) {
		free(L.unassoc_name);
		loaded = &the_catalog;
	}
	/* on failure the partial tables stay allocated (a damaged build; reported by NULL) */
}

const struct kw_catalog *kw_catalog_get(void)
{
	pthread_once(&once, load_once);
	return loaded;
}

/* ---- lookups ---- */

const struct kw_service *kw_catalog_service(const struct kw_catalog *c, const char *prefix, size_t len)
{
	size_t lo = 0, hi = c->nservices;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = casecmp_n(prefix, len, c->services[mid].prefix);
		if (r == 0)
			return &c->services[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct kw_service *kw_catalog_action_service(const struct kw_catalog *c, const struct kw_action *a)
{
	return &c->services[a->service];
}

/* First action of @s whose name is >= name[0..len) (case ignored). */
static size_t lower_bound(const struct kw_catalog *c, const struct kw_service *s, const char *name,
                          size_t len)
{
	size_t lo = s->first_action, hi = s->first_action + s->nactions;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (casecmp_n(name, len, c->actions[mid].name) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct kw_action *kw_catalog_action(const struct kw_catalog *c, const char *name)
{
	const char *colon = strchr(name, ':');
	const struct kw_service *s;
	size_t i, n;

	if (!colon || !(s = kw_catalog_service(c, name, (size_t)(colon - name))))
		return NULL;
	n = strlen(colon + 1);
	i = lower_bound(c, s, colon + 1, n);
	if (i < s->first_action + s->nactions && !casecmp_n(colon + 1, n, c->actions[i].name))
		return &c->actions[i];
	return NULL;
}

/* Whether name starts with the first n characters of prefix (case ignored). */
static bool has_prefix_ci(const char *name, const char *prefix, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!name[i] || lower((unsigned char)name[i]) != lower((unsigned char)prefix[i]))
			return false;
	return true;
}

/* kw_catalog_expand and kw_catalog_expand_indices: the matches into @set and/or @idx. */
static size_t expand(const struct kw_catalog *c, const char *pattern, struct kw_actionset *set, uint32_t *idx)
{
	const char *colon = strchr(pattern, ':'), *act;
	size_t count = 0, plen, lit, si, send;
	bool svc_wild;
	char svc[128];

	if (!strcmp(pattern, "*")) {
		if (set) { /* every action: whole words, then the bits past the last action cleared */
			for (size_t w = 0; w < set->nwords; w++)
				set->bits[w] = ~(uint64_t)0;
			if (set->nwords && c->nactions % 64)
				set->bits[set->nwords - 1] &= ((uint64_t)1 << (c->nactions % 64)) - 1;
		}
		for (size_t i = 0; idx && i < c->nactions; i++)
			idx[i] = (uint32_t)i;
		return c->nactions;
	}
	if (!colon)
		return 0;
	plen = (size_t)(colon - pattern);
	act = colon + 1;
	lit = strcspn(act, "*?");
	svc_wild = memchr(pattern, '*', plen) || memchr(pattern, '?', plen);
	if (svc_wild) {
		if (plen >= sizeof(svc))
			return 0;
		memcpy(svc, pattern, plen);
		svc[plen] = '\0';
		si = 0;
		send = c->nservices;
	} else {
		/* a literal prefix names at most one service: look it up instead of scanning them */
		const struct kw_service *one = kw_catalog_service(c, pattern, plen);
		if (!one)
			return 0;
		si = (size_t)(one - c->services);
		send = si + 1;
	}
	for (; si < send; si++) {
		const struct kw_service *s = &c->services[si];
		size_t i, last = s->first_action + s->nactions;
		if (svc_wild && !kw_glob_match_ci(svc, s->prefix))
			continue;
		/* the literal start of the action part narrows the range (names are sorted) */
		for (i = lower_bound(c, s, act, lit); i < last; i++) {
			const char *name = c->actions[i].name;
			if (!has_prefix_ci(name, act, lit))
				break;
			if (!act[lit] ? !casecmp_n(act, lit, name) : kw_glob_match_ci(act, name)) {
				if (set)
					kw_actionset_add(set, i);
				if (idx)
					idx[count] = (uint32_t)i;
				count++;
			}
		}
	}
	return count;
}

size_t kw_catalog_expand(const struct kw_catalog *c, const char *pattern, struct kw_actionset *set)
{
	return expand(c, pattern, set, NULL);
}

size_t kw_catalog_expand_indices(const struct kw_catalog *c, const char *pattern, uint32_t *idx)
{
	return expand(c, pattern, NULL, idx);
}

/*
 * Whether a variable "${...}" (or the reference's "<...>") starts at s; its length in *n.
 */
static bool variable_at(const char *s, size_t *n)
{
	const char *e;

	if (s[0] == '$' && s[1] == '{' && (e = strchr(s + 2, '}'))) {
		*n = (size_t)(e - s) + 1;
		return true;
	}
	if (s[0] == '<' && (e = strchr(s + 1, '>')) && e > s + 1) {
		*n = (size_t)(e - s) + 1;
		return true;
	}
	return false;
}

/* Case-insensitive match of a key against a definition whose variables match 1+ characters. */
static bool key_matches(const char *def, const char *key)
{
	size_t n;

	for (; *def; def++, key++) {
		if (variable_at(def, &n)) {
			const char *rest = def + n;
			if (!*key)
				return false;
			for (const char *k = key + 1;; k++) {
				if (key_matches(rest, k))
					return true;
				if (!*k)
					return false;
			}
		}
		if (lower((unsigned char)*def) != lower((unsigned char)*key))
			return false;
	}
	return *key == '\0';
}

static const struct kw_ckey *find_key(const struct kw_ckey *keys, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (key_matches(keys[i].name, key))
			return &keys[i];
	return NULL;
}

const struct kw_ckey *kw_catalog_condition_key(const struct kw_catalog *c, const char *key,
                                               const struct kw_service **service)
{
	const char *colon = strchr(key, ':');
	const struct kw_service *s;
	const struct kw_ckey *k;

	if (service)
		*service = NULL;
	if (!colon)
		return NULL;
	if (!casecmp_n(key, (size_t)(colon - key), "aws"))
		return find_key(c->globals, c->nglobals, key);
	s = kw_catalog_service(c, key, (size_t)(colon - key));
	if (s && (k = find_key(s->keys, s->nkeys, key))) {
		if (service)
			*service = s;
		return k;
	}
	/* a global definition outside aws: (ec2:RoleDelivery) */
	if ((k = find_key(c->globals, c->nglobals, key)))
		return k;
	for (size_t i = 0; i < c->nunassoc; i++)
		if (!casecmp_n(key, (size_t)(colon - key), c->unassoc_prefix[i])) {
			s = &c->services[c->unassoc_service[i]];
			if ((k = find_key(s->keys, s->nkeys, key))) {
				if (service)
					*service = s;
				return k;
			}
		}
	return NULL;
}

bool kw_catalog_action_takes_key(const struct kw_catalog *c, const struct kw_action *a, const char *key)
{
	const struct kw_service *s = &c->services[a->service];

	for (uint32_t i = 0; i < a->nkeys; i++)
		if (key_matches(s->keys[a->keys[i]].name, key))
			return true;
	for (uint32_t i = 0; i < a->nrtypes; i++) {
		const struct kw_rtype *r = &s->rtypes[a->rtypes[i] & ~KW_RTYPE_REQUIRED];
		for (uint32_t k = 0; k < r->nkeys; k++)
			if (key_matches(s->keys[r->keys[k]].name, key))
				return true;
	}
	return false;
}

/*
 * Intersection of two patterns: resource (IAM's * and ?, ${...} policy variables as *) and
 * format (each ${Variable} a run of characters without ':' or '/', except a variable that ends
 * the format, which may hold anything: ${ObjectName}, ${UserNameWithPath}, an SSM parameter
 * or ECR repository name; but not an S3 ${BucketName}, which never holds a '/'). Dynamic programming over
 * positions (i, j): whether resource[i..] and format[j..] can match a common string.
 * Tokens: STAR any run, FIELD a run without ':' or '/', ONE any character, else the
 * lower-cased literal character.
 */
enum { TOK_STAR = -1, TOK_FIELD = -2, TOK_ONE = -3 };

static bool absorbs(int star, int tok)
{
	return star == TOK_STAR || tok == TOK_ONE || (tok >= 0 && tok != ':' && tok != '/');
}

bool kw_arn_overlap(const char *resource, const char *format)
{
	enum { MAXLEN = 512 };
	int a[MAXLEN], b[MAXLEN];
	size_t na = 0, nb = 0, n;
	unsigned char small[16384], *reach;
	bool ok = false;

	for (const char *p = resource; *p; p++) {
		if (na >= MAXLEN)
			return true; /* too long to decide: lenient */
		if (*p == '*')
			a[na++] = TOK_STAR;
		else if (*p == '?')
			a[na++] = TOK_ONE;
		else if (variable_at(p, &n)) {
			a[na++] = TOK_STAR;
			p += n - 1;
		} else
			a[na++] = lower((unsigned char)*p);
	}
	for (const char *p = format; *p; p++) {
		if (nb >= MAXLEN)
			return true;
		if (variable_at(p, &n)) {
			b[nb++] = p[n] || !strncmp(p, "${BucketName}", n) ? TOK_FIELD : TOK_STAR;
			p += n - 1;
		} else if (*p == '*' ||
		           *p == '?') { /* a few formats hold wildcards; so may a second pattern */
			b[nb++] = *p == '*' ? TOK_STAR : TOK_ONE;
		} else {
			b[nb++] = lower((unsigned char)*p);
		}
	}
	if ((na + 1) * (nb + 1) <= sizeof(small)) { /* most ARNs: no allocation */
		reach = small;
		memset(reach, 0, (na + 1) * (nb + 1));
	} else if (!(reach = calloc((na + 1) * (nb + 1), 1))) {
		return true;
	}
#define R(i, j) reach[(i) * (nb + 1) + (j)]
	R(0, 0) = 1;
	for (size_t i = 0; i <= na; i++)
		for (size_t j = 0; j <= nb; j++) {
			int x, y;
			if (!R(i, j))
				continue;
			if (i == na && j == nb) {
				ok = true;
				goto out;
			}
			/* a run may be empty */
			if (i < na && a[i] == TOK_STAR)
				R(i + 1, j) = 1;
			if (j < nb && (b[j] == TOK_STAR || b[j] == TOK_FIELD))
				R(i, j + 1) = 1;
			if (i >= na || j >= nb)
				continue;
			x = a[i];
			y = b[j];
			if (x == TOK_STAR && y >= TOK_ONE) /* a's run takes one more symbol of b */
				R(i, j + 1) = 1;
			if ((y == TOK_STAR || y == TOK_FIELD) && x >= TOK_ONE && absorbs(y, x))
				R(i + 1, j) = 1;
			if (x >= TOK_ONE && y >= TOK_ONE && (x == TOK_ONE || y == TOK_ONE || x == y))
				R(i + 1, j + 1) = 1;
		}
out:
#undef R
	if (reach != small)
		free(reach);
	return ok;
}

const struct kw_rtype *kw_catalog_action_rtype_for(const struct kw_catalog *c, const struct kw_action *a,
                                                   const char *resource)
{
	const struct kw_service *s = &c->services[a->service];

	for (uint32_t i = 0; i < a->nrtypes; i++) {
		const struct kw_rtype *r = &s->rtypes[a->rtypes[i] & ~KW_RTYPE_REQUIRED];
		if (kw_arn_overlap(resource, r->arn))
			return r;
	}
	return NULL;
}

bool kw_catalog_arn_service(const struct kw_catalog *c, const char *name, size_t len)
{
	size_t lo = 0, hi = c->narn_services;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strncmp(name, c->arn_services[mid], len);
		if (r == 0 && c->arn_services[mid][len])
			r = -1;
		if (r == 0)
			return true;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* ---- action sets ---- */

int kw_actionset_init(struct kw_actionset *s, const struct kw_catalog *c)
{
	s->nwords = (c->nactions + 63) / 64;
	s->bits = calloc(s->nwords ? s->nwords : 1, sizeof(uint64_t));
	return s->bits ? 0 : -1;
}

void kw_actionset_release(struct kw_actionset *s)
{
	free(s->bits);
	s->bits = NULL;
	s->nwords = 0;
}

void kw_actionset_clear(struct kw_actionset *s)
{
	memset(s->bits, 0, s->nwords * sizeof(uint64_t));
}

void kw_actionset_add(struct kw_actionset *s, size_t i)
{
	s->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

bool kw_actionset_has(const struct kw_actionset *s, size_t i)
{
	return i / 64 < s->nwords && (s->bits[i / 64] >> (i % 64)) & 1;
}

void kw_actionset_union(struct kw_actionset *dst, const struct kw_actionset *src)
{
	for (size_t w = 0; w < dst->nwords && w < src->nwords; w++)
		dst->bits[w] |= src->bits[w];
}

void kw_actionset_minus(struct kw_actionset *dst, const struct kw_actionset *src)
{
	for (size_t w = 0; w < dst->nwords && w < src->nwords; w++)
		dst->bits[w] &= ~src->bits[w];
}

void kw_actionset_complement(struct kw_actionset *s, const struct kw_catalog *c)
{
	for (size_t w = 0; w < s->nwords; w++)
		s->bits[w] = ~s->bits[w];
	if (c->nactions % 64)
		s->bits[s->nwords - 1] &= ((uint64_t)1 << (c->nactions % 64)) - 1;
}

size_t kw_actionset_count(const struct kw_actionset *s)
{
	size_t n = 0;

	for (size_t w = 0; w < s->nwords; w++)
		n += (size_t)__builtin_popcountll(s->bits[w]);
	return n;
}

size_t kw_actionset_next(const struct kw_actionset *s, size_t from)
{
	size_t w = from / 64;
	uint64_t word;

	if (w >= s->nwords)
		return (size_t)-1;
	word = s->bits[w] & (~(uint64_t)0 << (from % 64));
	for (;;) {
		if (word)
			return w * 64 + (size_t)__builtin_ctzll(word);
		if (++w >= s->nwords)
			return (size_t)-1;
		word = s->bits[w];
	}
}
