#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
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

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

char *util_utf8_sanitize(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	char *out, *o;

	/* Worst case: every byte becomes the 3-byte U+FFFD. */
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s + i, len - i);
		if (n == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		}
	}
	*o = '\0';
	return out;
}

int util_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			if (!c)
				break;
			*p = c;
		}
	}
	return 0;
}

const char *util_quote(char *buf, const char *s, size_t max)
{
	size_t n = 0, i = 0;

	for (; s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(buf + n, 5, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	if (s[i]) {
		/* Do not leave half a UTF-8 character behind. */
		while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && (unsigned char)buf[n - 1] >= 0xc0)
			n--;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}
