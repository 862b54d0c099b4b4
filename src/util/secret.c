#include "util/secret.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/error.h"
#include "util/log.h"

/*
 * Secrets live in their own anonymous mappings, so that they can be excluded from core dumps
 * (madvise MADV_DONTDUMP) and locked (mlock, best effort). The header and the bytes share a map.
 */
struct secret_map {
	size_t map_len;
	struct kw_secret pub;
};

static size_t page_round(size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t p = page > 0 ? (size_t)page : 4096;

	return (n + p - 1) / p * p;
}

struct kw_secret *kw_secret_new(size_t cap)
{
	size_t need, map_len;
	struct secret_map *m;
	void *mem;

	if (cap > (size_t)1 << 30)
		return NULL;
	need = sizeof(struct secret_map) + cap + 1;
	map_len = page_round(need);
	mem = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	(void)madvise(mem, map_len, MADV_DONTDUMP);
	(void)mlock(mem, map_len);
	m = mem;
	m->map_len = map_len;
	m->pub.data = (unsigned char *)mem + sizeof(struct secret_map);
	m->pub.len = 0;
	m->pub.cap = cap;
	m->pub.data[0] = '\0';
	kw_redact_register(&m->pub);
	return &m->pub;
}

struct kw_secret *kw_secret_from(const void *data, size_t len)
{
	struct kw_secret *s = kw_secret_new(len);

	if (s && kw_secret_set(s, data, len)) {
		kw_secret_free(s);
		return NULL;
	}
	return s;
}

int kw_secret_set(struct kw_secret *s, const void *data, size_t len)
{
	if (len > s->cap)
		return -1;
	OPENSSL_cleanse(s->data, s->cap + 1);
	if (len)
		memcpy(s->data, data, len);
	s->len = len;
	s->data[len] = '\0';
	return 0;
}

int kw_secret_append(struct kw_secret *s, const void *data, size_t len)
{
	if (len > s->cap - s->len)
		return -1;
	if (len)
		memcpy(s->data + s->len, data, len);
	s->len += len;
	s->data[s->len] = '\0';
	return 0;
}

const char *kw_secret_str(const struct kw_secret *s)
{
	return (const char *)s->data;
}

void kw_secret_free(struct kw_secret *s)
{
	struct secret_map *m;
	size_t map_len;

	if (!s)
		return;
	kw_redact_unregister(s);
	m = (struct secret_map *)((unsigned char *)s - offsetof(struct secret_map, pub));
	map_len = m->map_len;
	OPENSSL_cleanse(m, map_len);
	(void)munlock(m, map_len);
	(void)munmap(m, map_len);
}

int kw_secret_read_fd(int fd, const char *path, size_t size, struct kw_secret **out, struct kw_error *err)
{
	struct kw_secret *s = kw_secret_new(size + 1);

	*out = NULL;
	if (!s)
		return kw_error_nomem(err);
	for (;;) {
		ssize_t n = read(fd, s->data + s->len, s->cap - s->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kw_secret_free(s);
			return kw_error_set(err, KW_ERR_IO, path, "cannot read: %s", strerror(errno));
		}
		if (n == 0)
			break;
		s->len += (size_t)n;
		if (s->len == s->cap) { /* one byte more than it had */
			kw_secret_free(s);
			return kw_error_set(err, KW_ERR_IO, path, "file changed while being read");
		}
	}
	s->data[s->len] = '\0';
	*out = s;
	return 0;
}

int kw_secret_process_harden(void)
{
	struct rlimit rl = {0, 0};
	int rc = 0;

	if (setrlimit(RLIMIT_CORE, &rl))
		rc = -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		rc = -1;
	return rc;
}
