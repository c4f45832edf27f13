#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUGGEST_WORD_MAX 64

size_t util_edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[SUGGEST_WORD_MAX + 1];

	if (la > SUGGEST_WORD_MAX || lb > SUGGEST_WORD_MAX)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb] > cap ? cap + 1 : row[lb];
}

const char *util_suggest(const char *word, const char *const *candidates)
{
	size_t len = strlen(word);
	size_t cap = len / 3 > 1 ? len / 3 : 1;
	const char *best = NULL;
	size_t best_d;

	/* Transpositions ("netwrok") cost 2 in plain Levenshtein; allow them. */
	if (cap < 2 && len >= 4)
		cap = 2;
	best_d = cap + 1;
	for (size_t i = 0; candidates[i]; i++) {
		size_t d = util_edit_distance(word, candidates[i], cap);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= cap ? best : NULL;
}

int util_read_file(const char *path, size_t cap, char **out, size_t *len, struct corral_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t used = 0, size;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return corral_error_set(err, errno == ENOENT ? CORRAL_E_NOTFOUND : CORRAL_E_IO,
		                        errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = corral_error_set(err, CORRAL_E_IO, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = corral_error_set(err, CORRAL_E_IO, EISDIR, "%s: is a directory", path);
		goto out;
	}
	/* Read up to cap+1 bytes whatever st_size says: /proc and pipes lie. */
	size = S_ISREG(st.st_mode) && (size_t)st.st_size < cap ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(size + 1);
	if (!buf) {
		rc =
		    corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	for (;;) {
		ssize_t n;
		if (used == size) {
			size_t nsize = size * 2 > cap + 1 ? cap + 1 : size * 2;
			char *nbuf;
			if (nsize <= size) {
				rc = corral_error_set(err, CORRAL_E_TOOLARGE, EFBIG,
				                      "%s: file is larger than %zu bytes", path,
				                      cap);
				goto out;
			}
			nbuf = realloc(buf, nsize + 1);
			if (!nbuf) {
				rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM,
				                      "out of memory reading %s", path);
				goto out;
			}
			buf = nbuf;
			size = nsize;
		}
		n = read(fd, buf + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = corral_error_set(err, CORRAL_E_IO, errno, "%s: read failed: %s", path,
			                      strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > cap) {
			rc = corral_error_set(err, CORRAL_E_TOOLARGE, EFBIG,
			                      "%s: file is larger than %zu bytes", path, cap);
			goto out;
		}
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}
