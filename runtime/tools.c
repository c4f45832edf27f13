/*
 * tools.c - discover plugins, describe their tools, run a call: always
 * through the worker, in a sandbox.
 */
#define _GNU_SOURCE
#include "tools.h"
#include "compile.h"
#include "schema.h"
#include "state.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define WORKER_NAME         "corral-worker"
#define LUA_HOST            "lua.so"
#define DESCRIBE_OUTPUT_MAX (4u << 20)
#define DESCRIBE_TIMEOUT_MS 10000u

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int tools_locate(struct tool_registry *reg, struct corral_error *err)
{
	static const char *const layouts[][2] = {
	    {"../plugins/" WORKER_NAME, "../plugins"},                   /* the build tree */
	    {"../libexec/corral/" WORKER_NAME, "../lib/corral/plugins"}, /* installed */
	};
	char exe[PATH_MAX], path[PATH_MAX * 2];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return corral_error_set(err, CORRAL_E_IO, errno, "cannot find corral's own binary");
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", exe, layouts[i][0]);
		if (!is_file(path))
			continue;
		reg->worker = realpath(path, NULL);
		snprintf(path, sizeof(path), "%s/%s", exe, layouts[i][1]);
		reg->plugin_dir = realpath(path, NULL);
		if (!reg->worker || !reg->plugin_dir)
			return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		return 0;
	}
	return corral_error_set(err, CORRAL_E_NOTFOUND, ENOENT,
	                        "cannot find %s next to %s (looked in ../plugins and "
	                        "../libexec/corral)",
	                        WORKER_NAME, exe);
}

/* A memfd holding @text, positioned at its start, for a command's stdin. */
static int text_fd(const char *text, size_t len)
{
	int fd = memfd_create("corral-args", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Sealed, read-only copies of the worker, plugins and scripts, made once
 * per process and passed to every sandbox. The sandbox can then exec and
 * dlopen them through /proc/self/fd whatever their host path: a file
 * outside the sandbox's view is neither visible nor executable under
 * Landlock, but a memfd is its own. A copy is remade when its file changes.
 */
#define SEALED_MAX      64
#define SEALED_FILE_MAX (64u << 20)

static struct sealed {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int fd;
} sealed[SEALED_MAX];
static size_t nsealed;
static pthread_mutex_t sealed_lock = PTHREAD_MUTEX_INITIALIZER;

static int sealed_make(const char *path, const struct stat *st, struct corral_error *err)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int in = open(path, O_RDONLY | O_CLOEXEC), fd;
	off_t left = st->st_size;

	if (in < 0)
		return corral_error_set(err, CORRAL_E_NOTFOUND, errno, "cannot open %s: %s", path,
		                        strerror(errno));
	/* Named after the file, so that tracebacks and /proc show its name. */
	fd = memfd_create(base, MFD_CLOEXEC | MFD_ALLOW_SEALING | 0x0010u /* MFD_EXEC */);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create(base, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		close(in);
		return corral_error_set(err, CORRAL_E_IO, errno, "memfd_create: %s",
		                        strerror(errno));
	}
	while (left > 0) {
		ssize_t n = sendfile(fd, in, NULL, (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(in);
			close(fd);
			return corral_error_set(err, CORRAL_E_IO, e, "cannot copy %s: %s", path,
			                        strerror(e));
		}
		left -= n;
	}
	close(in);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		close(fd);
		return corral_error_set(err, CORRAL_E_IO, errno, "cannot seal the copy of %s: %s",
		                        path, strerror(errno));
	}
	return fd;
}

/* The sealed copy of @path (owned by the cache; do not close). */
static int sealed_copy(const char *path, struct corral_error *err)
{
	struct stat st;
	int fd = -1;

	if (stat(path, &st) < 0)
		return corral_error_set(err, CORRAL_E_NOTFOUND, errno, "%s: %s", path,
		                        strerror(errno));
	if (!S_ISREG(st.st_mode))
		return corral_error_set(err, CORRAL_E_NOTFOUND, EINVAL, "%s: not a regular file",
		                        path);
	if (st.st_size > (off_t)SEALED_FILE_MAX)
		return corral_error_set(err, CORRAL_E_TOOLARGE, EFBIG, "%s is larger than %u bytes",
		                        path, SEALED_FILE_MAX);
	pthread_mutex_lock(&sealed_lock);
	for (size_t i = 0; i < nsealed; i++) {
		struct sealed *e = &sealed[i];
		if (strcmp(e->path, path) != 0)
			continue;
		if (e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
		    e->mtime.tv_sec == st.st_mtim.tv_sec &&
		    e->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			fd = e->fd;
			goto out;
		}
		/* Changed on disk: replace the copy. */
		fd = sealed_make(path, &st, err);
		if (fd >= 0) {
			close(e->fd);
			e->fd = fd;
			e->dev = st.st_dev;
			e->ino = st.st_ino;
			e->size = st.st_size;
			e->mtime = st.st_mtim;
		}
		goto out;
	}
	if (nsealed == SEALED_MAX) {
		fd = corral_error_set(err, CORRAL_E_TOOLARGE, 0, "more than %d plugin files",
		                      SEALED_MAX);
		goto out;
	}
	fd = sealed_make(path, &st, err);
	if (fd >= 0) {
		struct sealed *e = &sealed[nsealed];
		e->path = strdup(path);
		if (!e->path) {
			close(fd);
			fd = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
		e->fd = fd;
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->size = st.st_size;
		e->mtime = st.st_mtim;
		nsealed++;
	}
out:
	pthread_mutex_unlock(&sealed_lock);
	return fd;
}

struct worker_run {
	const struct tool_registry *reg;
	const char *plugin;
	const char *script;
	const char *verb;                       /* "describe" or "call" */
	const char *tool;                       /* for call */
	const char *input;                      /* stdin text, or NULL */
	bool read_only;                         /* downgrade every writable path */
	int cancel_fd;                          /* -1, or an fd whose readability cancels the run */
	const struct tool_call_opts *call_opts; /* progress reporting, or NULL */
	uint64_t timeout_ms;
	uint64_t output_cap;
};

/* Progress lines from the worker ({"progress": D, "total": T, "message": M}\n),
 * reassembled from the pipe's chunks. */
struct progress_reader {
	const struct tool_call_opts *opts;
	char line[1024];
	size_t len;
};

static void progress_line(struct progress_reader *r)
{
	cJSON *doc, *d, *t, *m;

	r->line[r->len] = '\0';
	doc = cJSON_Parse(r->line);
	d = cJSON_GetObjectItemCaseSensitive(doc, "progress");
	t = cJSON_GetObjectItemCaseSensitive(doc, "total");
	m = cJSON_GetObjectItemCaseSensitive(doc, "message");
	if (cJSON_IsNumber(d))
		r->opts->progress(r->opts->progress_ctx, d->valuedouble,
		                  cJSON_IsNumber(t) ? t->valuedouble : 0,
		                  cJSON_IsString(m) ? m->valuestring : NULL);
	cJSON_Delete(doc);
}

static void progress_chunk(void *ctx, const char *data, size_t len)
{
	struct progress_reader *r = ctx;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			progress_line(r);
			r->len = 0;
		} else if (r->len < sizeof(r->line) - 1) {
			r->line[r->len++] = data[i];
		}
	}
}

/* Run the worker in a sandbox built from @p; the result is the sandbox's. */
static int worker_run(const struct worker_run *w, const struct policy *p, const char *workspace,
                      struct sbx_result *res, struct corral_error *err)
{
	char cap[32], progress_arg[16], *argv[12];
	int fds[4] = {-1, -1, -1, -1}, in = -1, prog[2] = {-1, -1}, rc;
	struct progress_reader reader = {.opts = w->call_opts};
	bool want_progress = w->call_opts && w->call_opts->progress;
	struct compile_opts opts = {.workspace = workspace};
	struct sandbox_plan plan;
	size_t nfds = 0, argc = 0;
	char worker_path[32];
	char *state = state_dir_path();

	memset(res, 0, sizeof(*res));
	opts.state_dir = state;
	/* Borrowed from the cache of sealed copies: not closed here. */
	fds[nfds] = sealed_copy(w->plugin, err);
	if (fds[nfds++] < 0) {
		rc = fds[nfds - 1];
		goto out_fds;
	}
	if (w->script) {
		fds[nfds] = sealed_copy(w->script, err);
		if (fds[nfds++] < 0) {
			rc = fds[nfds - 1];
			goto out_fds;
		}
	}
	if (want_progress) {
		if (pipe2(prog, O_CLOEXEC | O_NONBLOCK) < 0) {
			rc = corral_error_set(err, CORRAL_E_IO, errno, "pipe: %s", strerror(errno));
			goto out_fds;
		}
		fds[nfds++] = prog[1];
	}
	fds[nfds] = sealed_copy(w->reg->worker, err);
	if (fds[nfds++] < 0) {
		rc = fds[nfds - 1];
		goto out_fds;
	}
	/* The worker runs from the last passed fd: its path need not be
	 * visible in the sandbox, nor the plugin's. */
	snprintf(worker_path, sizeof(worker_path), "/proc/self/fd/%zu", 3 + nfds - 1);
	argv[argc++] = worker_path;
	argv[argc++] = (char *)w->verb;
	if (w->tool)
		argv[argc++] = (char *)w->tool;
	if (w->script) {
		argv[argc++] = (char *)"--script";
		argv[argc++] = (char *)"/proc/self/fd/4";
	}
	if (w->output_cap) {
		snprintf(cap, sizeof(cap), "%llu", (unsigned long long)w->output_cap);
		argv[argc++] = (char *)"--output-cap";
		argv[argc++] = cap;
	}
	if (want_progress) {
		/* The progress pipe sits just before the worker among the passed fds. */
		snprintf(progress_arg, sizeof(progress_arg), "%zu", 3 + nfds - 2);
		argv[argc++] = (char *)"--progress-fd";
		argv[argc++] = progress_arg;
	}
	argv[argc] = NULL;
	opts.argv = argv;
	opts.timeout_ms = w->timeout_ms;

	rc = sandbox_compile(p, &opts, &plan, err);
	if (rc < 0)
		goto out_fds;
	if (w->read_only)
		for (size_t i = 0; i < plan.nmounts; i++)
			if (plan.mounts[i].type == SBX_MOUNT_RW)
				plan.mounts[i].type = SBX_MOUNT_RO;
	plan.cfg.pass_fds = fds;
	plan.cfg.npass_fds = nfds;
	if (w->input) {
		in = text_fd(w->input, strlen(w->input));
		if (in < 0) {
			rc = corral_error_set(err, CORRAL_E_IO, errno,
			                      "cannot pass the arguments: %s", strerror(errno));
			goto out_plan;
		}
		plan.cfg.stdin_mode = SBX_IO_INHERIT;
		plan.cfg.stdin_fd = in;
	}
	plan.cfg.stdout_mode = plan.cfg.stderr_mode = SBX_IO_CAPTURE;
	plan.cfg.cancel_fd = w->cancel_fd;
	/* A cancelled tool gets SIGTERM (cancelled() turns true) and a moment
	 * to stop cleanly before the sandbox is killed. */
	plan.cfg.cancel_grace_ms = TOOL_CANCEL_GRACE_MS;
	if (want_progress) {
		plan.cfg.watch_fd = prog[0];
		plan.cfg.on_watch = progress_chunk;
		plan.cfg.watch_ctx = &reader;
	}
	/* The worker caps the text; its JSON around it may be larger (escapes). */
	plan.cfg.limits.output =
	    (w->output_cap ? w->output_cap * 6 : DESCRIBE_OUTPUT_MAX) + TOOL_RESULT_SLACK;
	rc = sbx_run(&plan.cfg, res, err);
out_plan:
	sandbox_plan_release(&plan);
out_fds:
	for (int i = 0; i < 2; i++)
		if (prog[i] >= 0)
			close(prog[i]);
	if (in >= 0)
		close(in);
	free(state);
	return rc;
}

/* "dev:ino:size:mtime" of @path, for the description cache. */
static void fingerprint_add(char *buf, size_t size, const char *path)
{
	struct stat st;
	size_t len = strlen(buf);

	if (!path || stat(path, &st) < 0)
		snprintf(buf + len, size - len, "-;");
	else
		snprintf(buf + len, size - len, "%llu:%llu:%lld:%lld.%09ld;",
		         (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		         (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void cache_load(struct tool_registry *reg)
{
	char *state = state_dir_path(), *text = NULL;
	struct corral_error ignored;
	size_t len;

	if (!state)
		return;
	if (asprintf(&reg->cache_path, "%s/tools-cache.json", state) < 0)
		reg->cache_path = NULL;
	free(state);
	if (reg->cache_path &&
	    util_read_file(reg->cache_path, DESCRIBE_OUTPUT_MAX * 4, &text, &len, &ignored) == 0)
		reg->cache = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(reg->cache)) {
		cJSON_Delete(reg->cache);
		reg->cache = cJSON_CreateObject();
	}
}

/* Write the cache atomically; a failure only costs a describe next time. */
static void cache_save(struct tool_registry *reg)
{
	char *text, *tmp = NULL, *dir, *slash;
	FILE *f;

	if (!reg->cache_dirty || !reg->cache_path)
		return;
	dir = strdup(reg->cache_path);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash) {
		*slash = '\0';
		util_mkdir_p(dir, 0700);
	}
	free(dir);
	text = cJSON_PrintUnformatted(reg->cache);
	if (text && asprintf(&tmp, "%s.%d.tmp", reg->cache_path, (int)getpid()) >= 0) {
		f = fopen(tmp, "we");
		if (f) {
			bool ok = fputs(text, f) >= 0;
			ok = fclose(f) == 0 && ok;
			if (!ok || rename(tmp, reg->cache_path) < 0)
				unlink(tmp);
		}
	}
	free(tmp);
	free(text);
	reg->cache_dirty = false;
}

static char *dup_string(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

static bool hint(const cJSON *ann, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ann, key));
}

static void tool_free(struct tool *t)
{
	free(t->name);
	free(t->title);
	free(t->description);
	cJSON_Delete(t->input_schema);
	cJSON_Delete(t->output_schema);
	free(t->plugin);
	free(t->script);
}

/* Describe the plugin (or script) and add its tools to @reg. */
static int describe(struct tool_registry *reg, const char *plugin, const char *script,
                    const struct policy *p, const char *workspace, struct corral_error *err)
{
	struct worker_run w = {.reg = reg,
	                       .plugin = plugin,
	                       .script = script,
	                       .verb = "describe",
	                       .read_only = true,
	                       .cancel_fd = -1,
	                       .timeout_ms = DESCRIBE_TIMEOUT_MS};
	const char *what = script ? script : plugin;
	struct sbx_result res = {0};
	cJSON *doc = NULL, *tools, *t, *entry;
	char key[PATH_MAX * 2 + 2], print[512] = "";
	int rc = 0;

	snprintf(key, sizeof(key), "%s|%s", plugin, script ? script : "");
	fingerprint_add(print, sizeof(print), plugin);
	fingerprint_add(print, sizeof(print), script);
	fingerprint_add(print, sizeof(print), reg->worker);
	entry = reg->cache ? cJSON_GetObjectItemCaseSensitive(reg->cache, key) : NULL;
	if (cJSON_IsObject(entry) &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(entry, "fingerprint")) &&
	    strcmp(cJSON_GetObjectItemCaseSensitive(entry, "fingerprint")->valuestring, print) ==
	        0) {
		doc = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(entry, "describe"), 1);
	} else {
		rc = worker_run(&w, p, workspace, &res, err);
		if (rc < 0) {
			sbx_result_release(&res);
			return rc;
		}
		doc = res.out.data ? cJSON_Parse(res.out.data) : NULL;
		if (res.exit_code == 0 &&
		    cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "tools")) && reg->cache) {
			cJSON *e = cJSON_CreateObject();
			if (e) {
				cJSON_AddStringToObject(e, "fingerprint", print);
				cJSON_AddItemToObject(e, "describe", cJSON_Duplicate(doc, 1));
				cJSON_DeleteItemFromObjectCaseSensitive(reg->cache, key);
				cJSON_AddItemToObject(reg->cache, key, e);
				reg->cache_dirty = true;
			}
		}
	}
	tools = cJSON_GetObjectItemCaseSensitive(doc, "tools");
	if (!cJSON_IsArray(tools) || res.exit_code != 0) {
		const cJSON *msg =
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "content"), 0);
		msg = cJSON_GetObjectItemCaseSensitive(msg, "text");
		if (cJSON_IsString(msg))
			rc = corral_error_set(err, CORRAL_E_NOTFOUND, 0, "plugin %s: %s", what,
			                      msg->valuestring);
		else if (res.signal)
			rc = corral_error_set(err, CORRAL_E_NOTFOUND, 0,
			                      "plugin %s crashed while describing its tools (%s)",
			                      what, sigabbrev_np(res.signal) ?: "signal");
		else
			rc = corral_error_set(
			    err, CORRAL_E_NOTFOUND, 0,
			    "plugin %s did not describe its tools (exit status %d)%s%s", what,
			    res.exit_code, res.err.len ? ": " : "",
			    res.err.len ? res.err.data : "");
		goto out;
	}
	cJSON_ArrayForEach(t, tools)
	{
		struct tool nt = {0}, *grown;
		const cJSON *ann = cJSON_GetObjectItemCaseSensitive(t, "annotations");
		const struct tool *dup;

		nt.name = dup_string(t, "name");
		nt.title = dup_string(t, "title");
		nt.description = dup_string(t, "description");
		nt.input_schema =
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(t, "inputSchema"), 1);
		if (cJSON_GetObjectItemCaseSensitive(t, "outputSchema"))
			nt.output_schema =
			    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(t, "outputSchema"), 1);
		nt.read_only = hint(ann, "readOnlyHint");
		nt.destructive = hint(ann, "destructiveHint");
		nt.idempotent = hint(ann, "idempotentHint");
		nt.open_world = hint(ann, "openWorldHint");
		nt.plugin = strdup(plugin);
		nt.script = script ? strdup(script) : NULL;
		if (!nt.name || !nt.description || !nt.input_schema || !nt.plugin ||
		    (script && !nt.script)) {
			tool_free(&nt);
			rc = corral_error_set(
			    err, CORRAL_E_NOTFOUND, 0,
			    "plugin %s described a tool without a name, description "
			    "or input schema",
			    what);
			goto out;
		}
		dup = tools_find(reg, nt.name);
		if (dup) {
			rc = corral_error_set(err, CORRAL_E_USAGE, 0,
			                      "two tools are named '%s': one in %s, one in %s",
			                      nt.name, dup->script ? dup->script : dup->plugin,
			                      what);
			tool_free(&nt);
			goto out;
		}
		if (reg->count >= TOOLS_MAX) {
			tool_free(&nt);
			rc = corral_error_set(err, CORRAL_E_TOOLARGE, 0, "more than %u tools",
			                      TOOLS_MAX);
			goto out;
		}
		grown = realloc(reg->tools, (reg->count + 1) * sizeof(*grown));
		if (!grown) {
			tool_free(&nt);
			rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
		reg->tools = grown;
		reg->tools[reg->count++] = nt;
	}
out:
	cJSON_Delete(doc);
	sbx_result_release(&res);
	return rc;
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every plugin in @dir, in name order: *.so (not the Lua host) and *.lua. */
static int load_dir(struct tool_registry *reg, const char *dir, const struct policy *p,
                    const char *workspace, struct corral_error *err)
{
	char *names[TOOLS_MAX];
	size_t n = 0;
	struct dirent *de;
	char lua[PATH_MAX];
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return 0; /* a directory that is not there holds no plugins */
	snprintf(lua, sizeof(lua), "%s/%s", reg->plugin_dir, LUA_HOST);
	while ((de = readdir(d)) && n < TOOLS_MAX) {
		size_t len = strlen(de->d_name);
		bool so = len > 3 && strcmp(de->d_name + len - 3, ".so") == 0;
		bool script = len > 4 && strcmp(de->d_name + len - 4, ".lua") == 0;
		if ((!so && !script) || strcmp(de->d_name, LUA_HOST) == 0)
			continue;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_order);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX * 2];
		size_t len = strlen(names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (rc == 0 && len > 4 && strcmp(names[i] + len - 4, ".lua") == 0) {
			if (!is_file(lua))
				rc = corral_error_set(err, CORRAL_E_NOTFOUND, ENOENT,
				                      "%s needs the Lua host %s, which is missing",
				                      path, lua);
			else
				rc = describe(reg, lua, path, p, workspace, err);
		} else if (rc == 0) {
			rc = describe(reg, path, NULL, p, workspace, err);
		}
		free(names[i]);
	}
	return rc;
}

/* Keep only what tools.enable names (when it names any), drop what
 * tools.disable names. A name that matches no tool is an error: a typo in
 * "disable" must not leave a tool on. */
static int apply_enable_disable(struct tool_registry *reg, const struct policy *p,
                                struct corral_error *err)
{
	const struct policy_strlist *lists[2] = {&p->tools.enable, &p->tools.disable};
	const char *names[TOOLS_MAX + 1];
	size_t kept = 0;

	for (size_t i = 0; i < reg->count; i++)
		names[i] = reg->tools[i].name;
	names[reg->count] = NULL;
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			const struct policy_str *s = &lists[l]->items[i];
			const char *guess;
			if (tools_find(reg, s->value))
				continue;
			guess = util_suggest(s->value, names);
			return corral_error_set(err, CORRAL_E_POLICY, 0,
			                        "%s:%d:%d: tools.%s names '%s', which no plugin "
			                        "provides%s%s%s",
			                        s->loc.file, s->loc.line, s->loc.col,
			                        l ? "disable" : "enable", s->value,
			                        guess ? " — did you mean '" : "",
			                        guess ? guess : "", guess ? "'?" : "");
		}
	}
	for (size_t i = 0; i < reg->count; i++) {
		bool keep = p->tools.enable.count == 0;
		for (size_t k = 0; k < p->tools.enable.count; k++)
			keep =
			    keep || strcmp(p->tools.enable.items[k].value, reg->tools[i].name) == 0;
		for (size_t k = 0; k < p->tools.disable.count; k++)
			if (strcmp(p->tools.disable.items[k].value, reg->tools[i].name) == 0)
				keep = false;
		if (keep)
			reg->tools[kept++] = reg->tools[i];
		else
			tool_free(&reg->tools[i]);
	}
	reg->count = kept;
	return 0;
}

int tools_load(struct tool_registry *reg, const struct policy *p, const char *workspace,
               struct corral_error *err)
{
	const char *extra = getenv("CORRAL_PLUGIN_PATH");
	int rc;

	memset(reg, 0, sizeof(*reg));
	cache_load(reg);
	rc = tools_locate(reg, err);
	if (rc == 0)
		rc = load_dir(reg, reg->plugin_dir, p, workspace, err);
	if (rc == 0 && p->tools.paths.count) {
		char *ws = realpath(workspace, NULL), dir[PATH_MAX];
		for (size_t i = 0; ws && rc == 0 && i < p->tools.paths.count; i++) {
			rc = compile_resolve_path(ws, p->tools.paths.items[i].value, dir,
			                          sizeof(dir), &p->tools.paths.items[i].loc, err);
			if (rc == 0)
				rc = load_dir(reg, dir, p, workspace, err);
		}
		free(ws);
	}
	if (rc == 0 && extra && *extra) {
		char *copy = strdup(extra), *save = NULL;
		if (!copy)
			rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && rc == 0;
		     dir = strtok_r(NULL, ":", &save))
			rc = load_dir(reg, dir, p, workspace, err);
		free(copy);
	}
	cache_save(reg);
	if (rc == 0)
		rc = apply_enable_disable(reg, p, err);
	if (rc < 0)
		tools_release(reg);
	return rc;
}

const struct tool *tools_find(const struct tool_registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->count; i++)
		if (strcmp(reg->tools[i].name, name) == 0)
			return &reg->tools[i];
	return NULL;
}

void tools_release(struct tool_registry *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->count; i++)
		tool_free(&reg->tools[i]);
	free(reg->tools);
	free(reg->worker);
	free(reg->plugin_dir);
	cJSON_Delete(reg->cache);
	free(reg->cache_path);
	memset(reg, 0, sizeof(*reg));
}

cJSON *tool_to_json(const struct tool *t)
{
	cJSON *o = cJSON_CreateObject(), *ann;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", t->name);
	if (t->title)
		cJSON_AddStringToObject(o, "title", t->title);
	cJSON_AddStringToObject(o, "description", t->description);
	cJSON_AddItemToObject(o, "inputSchema", cJSON_Duplicate(t->input_schema, 1));
	if (t->output_schema)
		cJSON_AddItemToObject(o, "outputSchema", cJSON_Duplicate(t->output_schema, 1));
	ann = cJSON_AddObjectToObject(o, "annotations");
	cJSON_AddBoolToObject(ann, "readOnlyHint", t->read_only);
	cJSON_AddBoolToObject(ann, "destructiveHint", t->destructive);
	cJSON_AddBoolToObject(ann, "idempotentHint", t->idempotent);
	cJSON_AddBoolToObject(ann, "openWorldHint", t->open_world);
	return o;
}

/* Make @res an error result with @fmt as its text. */
static int result_error(struct tool_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int result_error(struct tool_result *res, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	free(res->text);
	res->text = n < 0 ? NULL : text;
	res->is_error = true;
	return res->text ? 0 : -CORRAL_E_NOMEM;
}

/* Join the text blocks of a worker's "content" array. */
static char *join_content(const cJSON *content)
{
	size_t len = 0, off = 0;
	const cJSON *c;
	char *out;

	cJSON_ArrayForEach(c, content)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "text");
		if (cJSON_IsString(t))
			len += strlen(t->valuestring) + 1;
	}
	out = malloc(len + 1);
	if (!out)
		return NULL;
	cJSON_ArrayForEach(c, content)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "text");
		size_t n;
		if (!cJSON_IsString(t))
			continue;
		n = strlen(t->valuestring);
		memcpy(out + off, t->valuestring, n);
		off += n;
		if (n && t->valuestring[n - 1] != '\n' && c->next)
			out[off++] = '\n';
	}
	out[off] = '\0';
	return out;
}

int tool_call(const struct tool_registry *reg, const struct tool *tool, const cJSON *args,
              const struct policy *p, const char *workspace, const struct tool_call_opts *opts,
              struct tool_result *res, struct corral_error *err)
{
	struct worker_run w = {.reg = reg,
	                       .plugin = tool->plugin,
	                       .script = tool->script,
	                       .verb = "call",
	                       .tool = tool->name,
	                       .cancel_fd = opts ? opts->cancel_fd : -1,
	                       .call_opts = opts,
	                       .output_cap = p->limits.output};
	struct corral_error verr = {0};

	struct sbx_result sres;
	cJSON *doc = NULL;
	char *input;
	int rc;

	/* A host tool has no plugin to run; session_call() runs it. */
	if (tool->host)
		return corral_error_set(err, CORRAL_E_INTERNAL, 0,
		                        "%s is served by corral itself, not by a plugin",
		                        tool->name);
	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	if (!cJSON_IsObject(args))
		return result_error(res, "the arguments of %s must be a JSON object", tool->name);
	if (schema_validate(tool->input_schema, args, &verr) < 0)
		return result_error(res, "bad arguments for %s: %s", tool->name, verr.message);
	input = cJSON_PrintUnformatted(args);
	if (!input)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	if (strlen(input) > TOOL_ARGS_MAX) {
		free(input);
		return result_error(res, "the arguments of %s are larger than %u bytes", tool->name,
		                    TOOL_ARGS_MAX);
	}
	w.input = input;
	rc = worker_run(&w, p, workspace, &sres, err);
	free(input);
	if (rc < 0) {
		sbx_result_release(&sres);
		return rc;
	}
	res->exit_code = sres.exit_code;
	res->signal = sres.signal;
	res->duration_ms = sres.duration_ms;
	res->limits_hit = sres.limits_hit;
	res->cancelled = sres.cancelled;
	if (sres.nviolations) {
		res->violations = calloc(sres.nviolations, sizeof(char *));
		for (size_t i = 0; res->violations && i < sres.nviolations; i++)
			if ((res->violations[i] = strdup(sres.violations[i])))
				res->nviolations++;
	}
	doc = sres.out.data && !sres.out.truncated ? cJSON_Parse(sres.out.data) : NULL;
	if (sres.cancelled) {
		rc = result_error(res, "%s was cancelled", tool->name);
	} else if (cJSON_IsObject(doc)) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "structuredContent");
		const cJSON *tr = cJSON_GetObjectItemCaseSensitive(doc, "truncated");
		res->is_error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "isError"));
		res->text = join_content(cJSON_GetObjectItemCaseSensitive(doc, "content"));
		if (st)
			res->structured = cJSON_Duplicate(st, 1);
		tr = cJSON_GetObjectItemCaseSensitive(tr, "dropped_bytes");
		if (cJSON_IsNumber(tr))
			res->dropped = (uint64_t)tr->valuedouble;
		if (!res->text)
			rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	} else if (sres.limits_hit & SBX_LIMIT_TIMEOUT) {
		rc = result_error(res, "%s was stopped: %s", tool->name,
		                  sres.nviolations ? sres.violations[0] : "timeout");
	} else if (sres.limits_hit & (SBX_LIMIT_MEMORY | SBX_LIMIT_PROCESSES)) {
		rc = result_error(res, "%s was stopped: %s", tool->name,
		                  sres.nviolations ? sres.violations[0] : "a limit was hit");
	} else if (sres.signal) {
		rc =
		    result_error(res, "%s crashed: killed by SIG%s%s%.300s", tool->name,
		                 sigabbrev_np(sres.signal) ?: "?", sres.err.len ? "; stderr: " : "",
		                 sres.err.len ? sres.err.data : "");
	} else if (sres.out.truncated) {
		rc = result_error(res, "%s produced more output than the limit allows", tool->name);
	} else {
		rc = result_error(res, "%s ended (exit status %d) without a result%s%.300s",
		                  tool->name, sres.exit_code, sres.err.len ? "; stderr: " : "",
		                  sres.err.len ? sres.err.data : "");
	}
	cJSON_Delete(doc);
	sbx_result_release(&sres);
	return rc;
}

void tool_result_release(struct tool_result *res)
{
	if (!res)
		return;
	free(res->text);
	cJSON_Delete(res->structured);
	for (size_t i = 0; i < res->nviolations; i++)
		free(res->violations[i]);
	free(res->violations);
	memset(res, 0, sizeof(*res));
}
