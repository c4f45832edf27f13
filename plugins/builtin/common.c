/*
 * common.c - helpers shared by the built-in tools (see builtin.h).
 */
#define _GNU_SOURCE
#include "builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUILTIN_MESSAGE_MAX 2048

void strbuf_append(struct strbuf *sb, const char *data, size_t len)
{
	if (sb->failed)
		return;
	if (sb->len + len + 1 > sb->size) {
		size_t size = sb->size > 0 ? sb->size : 256;
		char *grown;

		while (size < sb->len + len + 1)
			size *= 2;
		grown = realloc(sb->buf, size);
		if (grown == NULL) {
			sb->failed = true;
			return;
		}
		sb->buf = grown;
		sb->size = size;
	}
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		strbuf_append(sb, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	strbuf_append(sb, big, (size_t)n);
	free(big);
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	*sb = (struct strbuf){0};
}

int builtin_error(struct corral_call *call, const char *fmt, ...)
{
	char message[BUILTIN_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	builtin_host->set_error(call, message);
	return 0;
}

/* Normalise @path lexically (".", "..", "//") into @out; absolute stays
 * absolute. Returns false when it does not fit. */
static bool path_normalise(const char *path, char *out, size_t size)
{
	size_t len = 0, root = path[0] == '/' ? 1 : 0;
	const char *p = path;

	if (size < 2)
		return false;
	if (root)
		out[len++] = '/';
	out[len] = '\0';
	while (*p != '\0') {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash;
			bool up = len == 0 || (len >= 2 && strcmp(out + len - 2, "..") == 0 &&
			                       (len == 2 || out[len - 3] == '/'));

			if (up && !root) {
				if (len + 3 + 1 > size)
					return false;
				if (len > 0)
					out[len++] = '/';
				memcpy(out + len, "..", 2);
				len += 2;
			} else if (len > root) {
				out[len] = '\0';
				slash = strrchr(out, '/');
				len = slash == NULL ? 0 : (size_t)(slash - out);
				if (len < root)
					len = root;
			}
		} else {
			if (len + n + 2 > size)
				return false;
			if (len > root)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		out[len] = '\0';
		p = end;
	}
	return true;
}

bool builtin_path_outside(const char *path)
{
	const char *ws = builtin_host->workspace();
	char joined[PATH_MAX * 2], norm[PATH_MAX * 2];
	size_t wl;

	if (path[0] == '/')
		snprintf(joined, sizeof(joined), "%s", path);
	else
		snprintf(joined, sizeof(joined), "%s/%s", ws, path);
	if (!path_normalise(joined, norm, sizeof(norm)))
		return true;
	wl = strlen(ws);
	while (wl > 1 && ws[wl - 1] == '/')
		wl--;
	if (wl == 1 && ws[0] == '/')
		return false;
	return strncmp(norm, ws, wl) != 0 || (norm[wl] != '\0' && norm[wl] != '/');
}

int builtin_path_error(struct corral_call *call, const char *verb, const char *path, int err)
{
	if (builtin_path_outside(path))
		return builtin_error(call,
		                     "cannot %s %s: %s (it is outside the workspace; only the "
		                     "workspace and the policy's read paths are visible)",
		                     verb, path, strerror(err));
	return builtin_error(call, "cannot %s %s: %s", verb, path, strerror(err));
}

size_t builtin_output_cap(struct corral_call *call)
{
	if (CORRAL_HOST_HAS(builtin_host, output_cap) && builtin_host->output_cap != NULL)
		return builtin_host->output_cap(call);
	return BUILTIN_OUTPUT_CAP;
}

cJSON *builtin_args_parse(struct corral_call *call, const char *args)
{
	cJSON *json = cJSON_Parse(args);

	if (!cJSON_IsObject(json)) {
		cJSON_Delete(json);
		builtin_error(call, "the arguments are not a JSON object");
		return NULL;
	}
	return json;
}

int builtin_arg_string(struct corral_call *call, const cJSON *args, const char *name, bool required,
                       const char **out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, name);

	if (item == NULL || cJSON_IsNull(item)) {
		if (!required)
			return 0;
		builtin_error(call, "the argument '%s' is required", name);
		return -1;
	}
	if (!cJSON_IsString(item)) {
		builtin_error(call, "the argument '%s' must be a string", name);
		return -1;
	}
	*out = item->valuestring;
	return 0;
}

int builtin_arg_number(struct corral_call *call, const cJSON *args, const char *name, double min,
                       double max, double *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, name);

	if (item == NULL || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsNumber(item)) {
		builtin_error(call, "the argument '%s' must be a number", name);
		return -1;
	}
	if (!(item->valuedouble >= min && item->valuedouble <= max)) {
		builtin_error(call, "the argument '%s' must be between %g and %g", name, min, max);
		return -1;
	}
	*out = item->valuedouble;
	return 0;
}

int builtin_arg_bool(struct corral_call *call, const cJSON *args, const char *name, bool *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, name);

	if (item == NULL || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsBool(item)) {
		builtin_error(call, "the argument '%s' must be true or false", name);
		return -1;
	}
	*out = cJSON_IsTrue(item);
	return 0;
}

bool builtin_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned int cp;
		size_t need;

		if (p[i] == 0)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			need = 2;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			need = 3;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			need = 4;
			cp = p[i] & 0x07;
		} else {
			return false;
		}
		if (len - i < need)
			return false;
		for (size_t k = 1; k < need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need;
	}
	return true;
}

int builtin_file_read(const char *path, size_t max, char **out, size_t *len, mode_t *mode)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		err = errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = EINVAL;
		goto fail;
	}
	if ((unsigned long long)st.st_size > max) {
		err = EFBIG;
		goto fail;
	}
	/* One byte more than the size, to notice a file that grew. */
	buf = malloc((size_t)st.st_size + 2);
	if (buf == NULL) {
		err = ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			free(buf);
			goto fail;
		}
		if (n == 0 || got + (size_t)n > (size_t)st.st_size) {
			got += (size_t)n;
			break;
		}
		got += (size_t)n;
	}
	if (got > max) {
		free(buf);
		err = EFBIG;
		goto fail;
	}
	buf[got] = '\0';
	close(fd);
	*out = buf;
	*len = got;
	if (mode != NULL)
		*mode = st.st_mode & 07777;
	return 0;
fail:
	close(fd);
	return err;
}

int builtin_mkdir_parents(const char *path)
{
	char buf[PATH_MAX];
	char *slash;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return ENAMETOOLONG;
	slash = strrchr(buf, '/');
	if (slash == NULL || slash == buf)
		return 0;
	*slash = '\0';
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return errno;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int builtin_file_write_atomic(const char *path, const char *data, size_t len, bool *created)
{
	char target[PATH_MAX], temp[PATH_MAX + 32], dir[PATH_MAX];
	const char *base, *slash;
	mode_t mode = 0644;
	struct stat st;
	int fd, err, dirfd;

	if (snprintf(target, sizeof(target), "%s", path) >= (int)sizeof(target))
		return ENAMETOOLONG;
	/* Write through a symlink to its target rather than replace the link. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *real = realpath(path, NULL);

		if (real == NULL)
			return errno;
		if (snprintf(target, sizeof(target), "%s", real) >= (int)sizeof(target)) {
			free(real);
			return ENAMETOOLONG;
		}
		free(real);
	}
	*created = true;
	if (stat(target, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return EISDIR;
		if (!S_ISREG(st.st_mode))
			return EINVAL;
		mode = st.st_mode & 07777;
		*created = false;
	} else if (errno != ENOENT) {
		return errno;
	}

	slash = strrchr(target, '/');
	base = slash != NULL ? slash + 1 : target;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == target)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - target), target);
	if (snprintf(temp, sizeof(temp), "%s/.%s.corral-XXXXXX", dir, base) >= (int)sizeof(temp))
		return ENAMETOOLONG;
	/* mkostemp opens with O_EXCL and a unique name. */
	fd = mkostemp(temp, O_CLOEXEC);
	if (fd < 0)
		return errno;
	err = write_all(fd, data, len);
	if (err == 0 && fchmod(fd, mode) != 0)
		err = errno;
	if (err == 0 && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err == 0 && rename(temp, target) != 0)
		err = errno;
	if (err != 0) {
		unlink(temp);
		return err;
	}
	/* Make the rename itself durable. */
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd >= 0) {
		fsync(dirfd);
		close(dirfd);
	}
	return 0;
}

static bool glob_segments(const char *pat, const char *path)
{
	const char *pend, *send;
	char pseg[NAME_MAX + 1], sseg[NAME_MAX + 1];

	for (;;) {
		if (*pat == '\0')
			return *path == '\0';
		pend = strchrnul(pat, '/');
		if (pend - pat == 2 && pat[0] == '*' && pat[1] == '*') {
			const char *rest = *pend == '/' ? pend + 1 : pend;

			/* `**` takes zero or more whole segments. */
			for (const char *p = path;;) {
				if (glob_segments(rest, p))
					return true;
				if (*p == '\0')
					return false;
				p = strchrnul(p, '/');
				if (*p == '/')
					p++;
			}
		}
		if (*path == '\0')
			return false;
		send = strchrnul(path, '/');
		if ((size_t)(pend - pat) > NAME_MAX || (size_t)(send - path) > NAME_MAX)
			return false;
		memcpy(pseg, pat, (size_t)(pend - pat));
		pseg[pend - pat] = '\0';
		memcpy(sseg, path, (size_t)(send - path));
		sseg[send - path] = '\0';
		if (fnmatch(pseg, sseg, 0) != 0)
			return false;
		pat = *pend == '/' ? pend + 1 : pend;
		path = *send == '/' ? send + 1 : send;
	}
}

bool builtin_glob_match(const char *pattern, const char *path)
{
	return glob_segments(pattern, path);
}

bool builtin_glob_filter(const char *pattern, const char *rel)
{
	const char *base;

	if (strchr(pattern, '/') != NULL)
		return builtin_glob_match(pattern[0] == '/' ? pattern + 1 : pattern, rel);
	base = strrchr(rel, '/');
	return fnmatch(pattern, base != NULL ? base + 1 : rel, 0) == 0;
}
