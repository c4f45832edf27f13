/*
 * audit.c - the append-only audit log (audit.h).
 */
#define _GNU_SOURCE
#include "audit.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define AUDIT_REDACTED "[REDACTED]"
#define AUDIT_LINE_MAX (AUDIT_RECORD_MAX + 1)

/*
 * Shapes of secrets that turn up in agents' tool calls: provider API keys,
 * GitHub, GitLab, Slack and AWS tokens, bearer tokens, private key blocks,
 * and "password=..." style assignments. A policy adds its own with
 * audit.redact; these cannot be turned off, since a log that leaked a key
 * would be worse than one that hid a harmless string.
 */
static const char *const builtin_patterns[] = {
    "sk-[A-Za-z0-9_-]{16,}",
    "(ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}",
    "glpat-[A-Za-z0-9_-]{20,}",
    "xox[abposr]-[A-Za-z0-9-]{10,}",
    "(AKIA|ASIA)[A-Z0-9]{16}",
    "[Bb]earer [A-Za-z0-9._~+/=-]{16,}",
    "-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]*(-----END [A-Z ]*PRIVATE KEY-----)?",
    "([Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn])[\"']?[ "
    "]*[=:][ ]*[^ \"'&;]{4,}",
};
#define NBUILTIN (sizeof(builtin_patterns) / sizeof(builtin_patterns[0]))

struct audit_log {
	int fd;
	char *path;
	pthread_mutex_t lock;
	regex_t re[AUDIT_REDACT_MAX];
	size_t nre;
};

static void release_patterns(struct audit_log *log)
{
	for (size_t i = 0; i < log->nre; i++)
		regfree(&log->re[i]);
	log->nre = 0;
}

static int compile_patterns(struct audit_log *log, const struct policy *p, struct corral_error *err)
{
	size_t extra = p ? p->audit.redact.count : 0;

	if (NBUILTIN + extra > AUDIT_REDACT_MAX)
		return corral_error_set(err, CORRAL_E_TOOLARGE, 0,
		                        "audit.redact: more than %zu patterns",
		                        (size_t)AUDIT_REDACT_MAX - NBUILTIN);
	for (size_t i = 0; i < NBUILTIN + extra; i++) {
		const char *pat =
		    i < NBUILTIN ? builtin_patterns[i] : p->audit.redact.items[i - NBUILTIN].value;
		if (regcomp(&log->re[log->nre], pat, REG_EXTENDED) != 0) {
			release_patterns(log);
			/* The loader checked the policy's patterns already. */
			return corral_error_set(err, CORRAL_E_INTERNAL, 0,
			                        "audit: cannot compile the pattern '%.100s'", pat);
		}
		log->nre++;
	}
	return 0;
}

char *audit_default_path(const struct policy *p, struct corral_error *err)
{
	const char *set = p ? p->audit.path.value : NULL;
	char *path = NULL, *dir;

	if (set && set[0] == '~') {
		const char *home = getenv("HOME");
		if (!home || home[0] != '/') {
			corral_error_set(err, CORRAL_E_POLICY, 0,
			                 "%s:%d:%d: audit.path: starts with ~ but $HOME is not set",
			                 p->audit.path.loc.file, p->audit.path.loc.line,
			                 p->audit.path.loc.col);
			return NULL;
		}
		if (asprintf(&path, "%s%s", home, set + 1) < 0)
			path = NULL;
	} else if (set) {
		path = strdup(set);
	} else {
		dir = state_dir_path();
		if (!dir) {
			corral_error_set(err, CORRAL_E_IO, 0,
			                 "cannot place the audit log: neither $XDG_STATE_HOME nor "
			                 "$HOME is an absolute path");
			return NULL;
		}
		if (asprintf(&path, "%s/audit.jsonl", dir) < 0)
			path = NULL;
		free(dir);
	}
	if (!path)
		corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	return path;
}

int audit_open(const char *path, const struct policy *p, struct audit_log **out,
               struct corral_error *err)
{
	struct audit_log *log = calloc(1, sizeof(*log));
	char *dir;
	int rc;

	if (!log)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	log->fd = -1;
	log->path = strdup(path);
	dir = strdup(path);
	if (!log->path || !dir) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
		*strrchr(dir, '/') = '\0';
		rc = util_mkdir_p(dir, 0700);
		if (rc < 0) {
			rc = corral_error_set(err, CORRAL_E_IO, -rc,
			                      "cannot create the audit log's directory %s: %s", dir,
			                      strerror(-rc));
			goto fail;
		}
	}
	log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log->fd < 0) {
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot open the audit log %s: %s",
		                      path, strerror(errno));
		goto fail;
	}
	rc = compile_patterns(log, p, err);
	if (rc < 0)
		goto fail;
	pthread_mutex_init(&log->lock, NULL);
	free(dir);
	*out = log;
	return 0;
fail:
	if (log->fd >= 0)
		close(log->fd);
	free(log->path);
	free(log);
	free(dir);
	return rc;
}

void audit_close(struct audit_log *log)
{
	if (!log)
		return;
	close(log->fd);
	release_patterns(log);
	pthread_mutex_destroy(&log->lock);
	free(log->path);
	free(log);
}

const char *audit_path(const struct audit_log *log)
{
	return log->path;
}

/* @s with every match of every pattern replaced, cut to AUDIT_VALUE_MAX. */
static char *redact_string(const struct audit_log *log, const char *s)
{
	size_t len = strlen(s), cut = len > AUDIT_VALUE_MAX ? len - AUDIT_VALUE_MAX : 0;
	char *cur = strndup(s, len - cut), *next;

	for (size_t i = 0; cur && i < log->nre; i++) {
		regmatch_t m;
		size_t off = 0;
		char *buf = NULL;
		size_t blen = 0;
		FILE *mem = open_memstream(&buf, &blen);

		if (!mem) {
			free(cur);
			return NULL;
		}
		while (cur[off] &&
		       regexec(&log->re[i], cur + off, 1, &m, off ? REG_NOTBOL : 0) == 0) {
			if (m.rm_eo == m.rm_so) {
				/* An empty match redacts nothing; step over one byte. */
				fputc(cur[off], mem);
				off++;
				continue;
			}
			fwrite(cur + off, 1, (size_t)m.rm_so, mem);
			fputs(AUDIT_REDACTED, mem);
			off += (size_t)m.rm_eo;
		}
		fputs(cur + off, mem);
		if (fclose(mem) != 0) {
			free(buf);
			buf = NULL;
		}
		free(cur);
		cur = buf;
	}
	if (cur && cut) {
		if (asprintf(&next, "%s...[%zu more bytes]", cur, cut) < 0)
			next = NULL;
		free(cur);
		cur = next;
	}
	return cur;
}

static cJSON *redact_value(const struct audit_log *log, const cJSON *v)
{
	cJSON *out, *c;
	const cJSON *item;

	if (cJSON_IsString(v)) {
		char *s = redact_string(log, v->valuestring);
		out = s ? cJSON_CreateString(s) : NULL;
		free(s);
		return out;
	}
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
		return cJSON_Duplicate(v, 0);
	/* The arguments were parsed from at most TOOL_ARGS_MAX bytes; their
	 * depth is bounded by cJSON's own nesting limit. */
	out = cJSON_IsArray(v) ? cJSON_CreateArray() : cJSON_CreateObject();
	if (!out)
		return NULL;
	cJSON_ArrayForEach(item, v)
	{
		c = redact_value(log, item);
		if (!c) {
			cJSON_Delete(out);
			return NULL;
		}
		if (cJSON_IsArray(v))
			cJSON_AddItemToArray(out, c);
		else
			cJSON_AddItemToObject(out, item->string, c);
	}
	return out;
}

cJSON *audit_redact(const struct audit_log *log, const cJSON *args)
{
	return redact_value(log, args);
}

static void add_time(cJSON *record)
{
	struct timespec ts;
	struct tm tm;
	char buf[96];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	cJSON_DeleteItemFromObjectCaseSensitive(record, "ts");
	/* The time goes first, so a reader of the raw file sees it first:
	 * added under its key, then moved to the front. */
	cJSON *t = cJSON_AddStringToObject(record, "ts", buf);
	if (t && cJSON_DetachItemViaPointer(record, t))
		cJSON_InsertItemInArray(record, 0, t);
}

int audit_append(struct audit_log *log, cJSON *record, struct corral_error *err)
{
	char *text;
	size_t len;
	ssize_t n;
	int rc = 0;

	add_time(record);
	text = cJSON_PrintUnformatted(record);
	if (!text)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	len = strlen(text);
	if (len + 1 > AUDIT_RECORD_MAX) {
		free(text);
		return corral_error_set(err, CORRAL_E_TOOLARGE, 0,
		                        "audit record of %zu bytes is larger than %u bytes", len,
		                        AUDIT_RECORD_MAX);
	}
	text[len] = '\n';
	pthread_mutex_lock(&log->lock);
	/* One write: O_APPEND places it whole at the end, so records from
	 * other processes never split it. */
	n = write(log->fd, text, len + 1);
	if (n != (ssize_t)(len + 1))
		rc = corral_error_set(err, CORRAL_E_IO, n < 0 ? errno : ENOSPC,
		                      "cannot append to the audit log %s: %s", log->path,
		                      strerror(n < 0 ? errno : ENOSPC));
	else if (fdatasync(log->fd) < 0)
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot sync the audit log %s: %s",
		                      log->path, strerror(errno));
	pthread_mutex_unlock(&log->lock);
	free(text);
	return rc;
}

int audit_read(const char *path, int (*fn)(void *ctx, const cJSON *record), void *ctx, size_t *bad,
               struct corral_error *err)
{
	FILE *in = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, nbad = 0;
	uint64_t total = 0;
	ssize_t n;
	int rc = 0;

	if (!in) {
		if (errno == ENOENT) {
			if (bad)
				*bad = 0;
			return 0;
		}
		return corral_error_set(err, CORRAL_E_IO, errno, "cannot read the audit log %s: %s",
		                        path, strerror(errno));
	}
	while ((n = getline(&line, &cap, in)) > 0) {
		cJSON *rec;

		total += (uint64_t)n;
		if (total > AUDIT_FILE_MAX) {
			rc = corral_error_set(err, CORRAL_E_TOOLARGE, 0,
			                      "the audit log %s is larger than %llu bytes", path,
			                      (unsigned long long)AUDIT_FILE_MAX);
			break;
		}
		if ((size_t)n > AUDIT_LINE_MAX || !(rec = cJSON_ParseWithLength(line, (size_t)n))) {
			nbad++;
			continue;
		}
		if (!cJSON_IsObject(rec)) {
			nbad++;
			cJSON_Delete(rec);
			continue;
		}
		rc = fn(ctx, rec);
		cJSON_Delete(rec);
		if (rc)
			break;
	}
	if (!rc && ferror(in))
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot read the audit log %s: %s",
		                      path, strerror(errno));
	free(line);
	fclose(in);
	if (bad)
		*bad = nbad;
	return rc;
}
