/*
 * ckpt_stat.c - the stat cache: per captured file, the stat fields that
 * vouch for it and its blob id, in one flat file read with a single read(2)
 * and looked up through a hash table. libgit2's index format did the same
 * job, but reading it sorts and hashes every entry and writing it hashes the
 * whole file with SHA-1: on 100,000 files that was most of a checkpoint.
 *
 * File "stat" in the store: the header (magic, a random stamp that changes
 * with every write, the entry count), then per entry the fields of struct
 * ckpt_stat_entry in host byte order (the file never leaves this machine)
 * and the path with its NUL. Written to a temp file and renamed over the
 * old one, so a reader sees one whole version; a file that does not parse is
 * an empty cache (every file is read again), never an error.
 */
#define _GNU_SOURCE
#include "ckpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAT_FILE      "stat"
#define STAT_TMP       "tmp_stat" /* swept by clean_stale if left behind */
#define STAT_MAGIC     "CSTAT01\n"
#define STAT_MAGIC_LEN 8
#define STAT_HDR_LEN   (STAT_MAGIC_LEN + CKPT_STAMP_LEN + 8)
/* Largest stat cache read (about 10 million files); a larger one is ignored. */
#define STAT_FILE_MAX (1024ull * 1024 * 1024)
/* Bytes of one entry before its path. */
#define STAT_REC_LEN (8 * 5 + 4 * 4 + GIT_OID_RAWSZ)
/* The buffer a write goes through. */
#define STAT_WRITE_BUF (1024 * 1024)

static uint64_t path_hash(const char *p)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

void ckpt_stat_release(struct ckpt_statcache *c)
{
	free(c->buf);
	free(c->entries);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

const struct ckpt_stat_entry *ckpt_stat_find(const struct ckpt_statcache *c, const char *path)
{
	if (!c->nslots)
		return NULL;
	for (size_t i = path_hash(path) & (c->nslots - 1);; i = (i + 1) & (c->nslots - 1)) {
		size_t v = c->slots[i];
		if (!v)
			return NULL;
		if (strcmp(c->entries[v - 1].path, path) == 0)
			return &c->entries[v - 1];
	}
}

static int stat_nomem(struct corral_error *err)
{
	return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
}

static void get(void *dst, const char **p, size_t n)
{
	memcpy(dst, *p, n);
	*p += n;
}

static void put(char **p, const void *src, size_t n)
{
	memcpy(*p, src, n);
	*p += n;
}

/* Parse c->buf (c->len bytes, header checked); false: not a stat cache. */
static bool parse(struct ckpt_statcache *c, uint64_t count, int *rc)
{
	const char *p = c->buf + STAT_HDR_LEN, *end = c->buf + c->len;

	*rc = 0;
	if (count > (uint64_t)(c->len / STAT_REC_LEN))
		return false;
	if (count && !(c->entries = calloc((size_t)count, sizeof(*c->entries)))) {
		*rc = -1;
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		struct ckpt_stat_entry *e = &c->entries[i];
		uint32_t plen;
		if ((size_t)(end - p) < STAT_REC_LEN)
			return false;
		get(&e->mtime_s, &p, 8);
		get(&e->ctime_s, &p, 8);
		get(&e->size, &p, 8);
		get(&e->ino, &p, 8);
		get(&e->dev, &p, 8);
		get(&e->mtime_ns, &p, 4);
		get(&e->ctime_ns, &p, 4);
		get(&e->mode, &p, 4);
		get(&plen, &p, 4);
		git_oid_fromraw(&e->oid, (const unsigned char *)p);
		p += GIT_OID_RAWSZ;
		/* The path and its NUL, which the entry then points at. */
		if (plen == 0 || plen >= PATH_MAX || (size_t)(end - p) <= plen || p[plen] != '\0' ||
		    memchr(p, '\0', plen))
			return false;
		e->path = p;
		p += plen + 1;
	}
	if (p != end)
		return false;
	c->count = (size_t)count;
	for (c->nslots = 64; c->nslots < c->count * 2; c->nslots *= 2)
		;
	if (!(c->slots = calloc(c->nslots, sizeof(*c->slots)))) {
		*rc = -1;
		return false;
	}
	for (size_t i = 0; i < c->count; i++) {
		size_t j = path_hash(c->entries[i].path) & (c->nslots - 1);
		while (c->slots[j]) {
			if (strcmp(c->entries[c->slots[j] - 1].path, c->entries[i].path) == 0)
				return false; /* one path twice: not a cache we wrote */
			j = (j + 1) & (c->nslots - 1);
		}
		c->slots[j] = i + 1;
	}
	return true;
}

bool ckpt_stat_stamp(struct ckpt_store *s, unsigned char out[CKPT_STAMP_LEN])
{
	char *path = ckpt_path(s->dir, STAT_FILE), hdr[STAT_HDR_LEN];
	bool ok = false;
	int fd;

	if (!path)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0)
		return false;
	if (pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	    memcmp(hdr, STAT_MAGIC, STAT_MAGIC_LEN) == 0) {
		memcpy(out, hdr + STAT_MAGIC_LEN, CKPT_STAMP_LEN);
		ok = true;
	}
	close(fd);
	return ok;
}

int ckpt_stat_read(struct ckpt_store *s, struct corral_error *err)
{
	struct ckpt_statcache *c = &s->stat;
	char *path = ckpt_path(s->dir, STAT_FILE), hdr[STAT_HDR_LEN];
	uint64_t count;
	struct stat st;
	size_t len = 0;
	int fd, rc = 0;

	if (!path)
		return stat_nomem(err);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > STAT_FILE_MAX ||
	    pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, STAT_MAGIC, STAT_MAGIC_LEN) != 0)
		goto empty;
	/* The same write as the one in memory (a store kept open): no read. */
	if (c->loaded && memcmp(c->stamp, hdr + STAT_MAGIC_LEN, CKPT_STAMP_LEN) == 0) {
		close(fd);
		return 0;
	}
	ckpt_stat_release(c);
	if (!(c->buf = malloc((size_t)st.st_size))) {
		close(fd);
		return stat_nomem(err);
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = pread(fd, c->buf + len, (size_t)st.st_size - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto empty;
		len += (size_t)n;
	}
	c->len = len;
	memcpy(&count, c->buf + STAT_MAGIC_LEN + CKPT_STAMP_LEN, 8);
	if (!parse(c, count, &rc)) {
		if (rc < 0) {
			close(fd);
			ckpt_stat_release(c);
			return stat_nomem(err);
		}
		goto empty;
	}
	memcpy(c->stamp, hdr + STAT_MAGIC_LEN, CKPT_STAMP_LEN);
	c->mtime = st.st_mtim;
	c->loaded = true;
	close(fd);
	return 0;
empty:
	if (fd >= 0)
		close(fd);
	ckpt_stat_release(c);
	return 0;
}

int ckpt_stat_write(struct ckpt_store *s, const struct ckpt_stat_entry *entries, size_t count,
                    struct corral_error *err)
{
	char *path = ckpt_path(s->dir, STAT_FILE), *tmp = ckpt_path(s->dir, STAT_TMP);
	unsigned char stamp[CKPT_STAMP_LEN];
	uint64_t n = count;
	FILE *f = NULL;
	bool ok;
	int fd = -1, rc = 0;

	if (!path || !tmp) {
		rc = stat_nomem(err);
		goto out;
	}
	if (getrandom(stamp, sizeof(stamp), 0) != (ssize_t)sizeof(stamp)) {
		rc = corral_error_set(err, CORRAL_E_IO, errno,
		                      "cannot write the stat cache %s: no random stamp", path);
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot write the stat cache %s: %s",
		                      tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	setvbuf(f, NULL, _IOFBF, STAT_WRITE_BUF);
	ok = fwrite(STAT_MAGIC, 1, STAT_MAGIC_LEN, f) == STAT_MAGIC_LEN &&
	     fwrite(stamp, 1, CKPT_STAMP_LEN, f) == CKPT_STAMP_LEN && fwrite(&n, 8, 1, f) == 1;
	for (size_t i = 0; ok && i < count; i++) {
		const struct ckpt_stat_entry *e = &entries[i];
		uint32_t plen = (uint32_t)strlen(e->path);
		char rec[STAT_REC_LEN], *p = rec;
		put(&p, &e->mtime_s, 8);
		put(&p, &e->ctime_s, 8);
		put(&p, &e->size, 8);
		put(&p, &e->ino, 8);
		put(&p, &e->dev, 8);
		put(&p, &e->mtime_ns, 4);
		put(&p, &e->ctime_ns, 4);
		put(&p, &e->mode, 4);
		put(&p, &plen, 4);
		put(&p, e->oid.id, GIT_OID_RAWSZ);
		ok = fwrite(rec, 1, sizeof(rec), f) == sizeof(rec) &&
		     fwrite(e->path, 1, (size_t)plen + 1, f) == (size_t)plen + 1;
	}
	if (fclose(f) != 0)
		ok = false;
	f = NULL;
	if (!ok || rename(tmp, path) != 0) {
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot write the stat cache %s: %s",
		                      path, strerror(errno));
		unlink(tmp);
		goto out;
	}
out:
	if (fd >= 0)
		close(fd);
	free(path);
	free(tmp);
	return rc;
}
