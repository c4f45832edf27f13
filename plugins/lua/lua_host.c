/*
 * lua.so - the Lua 5.4 host: a plugin whose tools are written in Lua.
 *
 * The worker gives this plugin one script (host->script()). The script runs
 * once, in a restricted environment, and declares its tools with
 * corral.tool{...}; a call runs the tool's Lua function with the decoded
 * arguments. The script is untrusted, so:
 *
 *  - one lua_State per worker, with an allocator that refuses memory past
 *    LUA_HOST_MEMORY_CAP;
 *  - only the base, table, string, math, utf8 and coroutine libraries, in a
 *    fresh environment table: no io, os, package, debug, require, dofile,
 *    loadfile; `load` takes text only and defaults to that environment;
 *    `print` goes to the operator's log, never to stdout (the worker's
 *    protocol);
 *  - text chunks only (bytecode can crash the VM), for the script and load;
 *  - the shared string metatable is locked (getmetatable("") is false) and
 *    the script's `string` is a copy, so nothing it does changes the real
 *    string library;
 *  - an instruction budget per phase (main chunk, call), counted by a hook
 *    that, once the budget is spent, raises an error every time it fires:
 *    a pcall around a loop only buys a few instructions.
 *
 * Time spent inside one C function (string.rep, a pathological pattern
 * match, corral.run up to its timeout) is not counted by the hook; the
 * memory cap stops string.rep bombs, and the sandbox's process limits
 * (CPU time, wall clock) are the backstop for the rest.
 */
#define _GNU_SOURCE
#include <corral/plugin.h>

#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LUA_HOST_MEMORY_CAP    (64u * 1024 * 1024)
#define LUA_HOST_MEMORY_TEXT   "memory limit of 64 MiB reached"
#define LUA_HOST_MEMORY_SLACK  (4u * 1024 * 1024) /* for the host, after the script ran */
#define LUA_HOST_BUDGET        100000000L         /* VM instructions per phase */
#define LUA_HOST_BUDGET_TEXT   "100000000"
#define LUA_HOST_HOOK_EVERY    1000
#define LUA_HOST_SCRIPT_MAX    (1024 * 1024)
#define LUA_HOST_JSON_DEPTH    64
#define LUA_HOST_RUN_OUTPUT    (1024 * 1024) /* corral.run: per stream */
#define LUA_HOST_RUN_TIMEOUT   60.0          /* corral.run default, seconds */
#define LUA_HOST_RUN_ARGV_MAX  4096
#define LUA_HOST_TRACEBACK_KEY "corral.traceback"

#ifndef CORRAL_VERSION
#define CORRAL_VERSION "0"
#endif

CORRAL_PLUGIN_DEFINE_ABI;

/* The one Lua state of this worker and what guards it. */
static struct {
	const struct corral_host *host;
	lua_State *L;
	size_t mem_used;
	size_t mem_cap;
	long budget_used;
	int budget_exhausted;
	int cancelled;
	int in_init;              /* corral.tool is allowed only while the script loads */
	int env_ref;              /* the script's _ENV */
	struct corral_call *call; /* the running call, for host->cancelled */
	char chunk_name[128];     /* "@name.lua" */
} S;

/* The unique value of corral.json.null. */
static const char json_null_sentinel;
#define JSON_NULL ((void *)&json_null_sentinel)

/* ---- memory cap and instruction budget ---- */

static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	size_t old = ptr != NULL ? osize : 0;

	if (nsize == 0) {
		free(ptr);
		S.mem_used -= old;
		return NULL;
	}
	if (nsize > old && nsize - old > S.mem_cap - S.mem_used)
		return NULL; /* Lua collects garbage, retries, then raises a memory error */
	void *p = realloc(ptr, nsize);
	if (p != NULL)
		S.mem_used = S.mem_used - old + nsize;
	return p;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	if (!S.budget_exhausted) {
		S.budget_used += LUA_HOST_HOOK_EVERY;
		if (S.call != NULL && S.host->cancelled(S.call))
			S.cancelled = 1;
		else if (S.budget_used < LUA_HOST_BUDGET)
			return;
		S.budget_exhausted = 1;
	}
	/* From now on fire at every instruction of this thread, so that a
	 * pcall that caught the error cannot get much further. */
	lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
	if (S.cancelled)
		luaL_error(L, "the call was cancelled");
	luaL_error(L, "instruction budget exhausted (" LUA_HOST_BUDGET_TEXT " instructions)");
}

static void budget_reset(void)
{
	S.budget_used = 0;
	S.budget_exhausted = 0;
	lua_sethook(S.L, budget_hook, LUA_MASKCOUNT, LUA_HOST_HOOK_EVERY);
}

/* ---- running C code in protected mode ---- */

/* Run fn(L, ud) under lua_pcall, so that a memory error inside it comes
 * back as a status instead of unwinding past C resources the caller holds.
 * On error the message is on the stack. */
typedef void (*protected_fn)(lua_State *L, void *ud);

struct protected_call {
	protected_fn fn;
	void *ud;
};

static int protected_trampoline(lua_State *L)
{
	struct protected_call *pc = lua_touserdata(L, 1);
	lua_pop(L, 1);
	pc->fn(L, pc->ud);
	return lua_gettop(L);
}

static int protected_run(lua_State *L, protected_fn fn, void *ud, int nresults)
{
	struct protected_call pc = {fn, ud};
	lua_pushcfunction(L, protected_trampoline);
	lua_pushlightuserdata(L, &pc);
	return lua_pcall(L, 1, nresults, 0);
}

/* ---- JSON <-> Lua ---- */

struct encode_error {
	char message[160];
};

static int utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return 0;
		}
		if (len - i - 1 < n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

struct key_entry {
	const char *key;
	cJSON *item;
};

static int key_compare(const void *a, const void *b)
{
	return strcmp(((const struct key_entry *)a)->key, ((const struct key_entry *)b)->key);
}

/*
 * The value at stack index @idx as a cJSON tree, or NULL with @err set.
 * Raises no Lua error and allocates nothing from Lua (it only reads, with
 * raw access and lua_checkstack), so the caller safely owns the tree.
 * Tables whose keys are exactly 1..n are arrays; every other table, the
 * empty one included, is an object, with its keys sorted.
 */
static cJSON *encode_value(lua_State *L, int idx, int depth, struct encode_error *err)
{
	idx = lua_absindex(L, idx);
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return cJSON_CreateNull();
	case LUA_TBOOLEAN:
		return cJSON_CreateBool(lua_toboolean(L, idx));
	case LUA_TNUMBER: {
		if (lua_isinteger(L, idx))
			return cJSON_CreateNumber((double)lua_tointeger(L, idx));
		double d = lua_tonumber(L, idx);
		if (!isfinite(d)) {
			snprintf(err->message, sizeof(err->message), "cannot encode %s as JSON",
			         isnan(d) ? "NaN" : "an infinite number");
			return NULL;
		}
		return cJSON_CreateNumber(d);
	}
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);
		if (strlen(s) != len || !utf8_valid((const unsigned char *)s, len)) {
			snprintf(err->message, sizeof(err->message),
			         "cannot encode a string that is not valid UTF-8 text as JSON");
			return NULL;
		}
		return cJSON_CreateString(s);
	}
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == JSON_NULL)
			return cJSON_CreateNull();
		break;
	default:
		break;
	}
	if (lua_type(L, idx) != LUA_TTABLE) {
		snprintf(err->message, sizeof(err->message), "cannot encode a %s as JSON",
		         luaL_typename(L, idx));
		return NULL;
	}
	if (depth >= LUA_HOST_JSON_DEPTH) {
		snprintf(err->message, sizeof(err->message),
		         "cannot encode tables nested deeper than %d levels as JSON (a cycle?)",
		         LUA_HOST_JSON_DEPTH);
		return NULL;
	}
	if (!lua_checkstack(L, 4)) {
		snprintf(err->message, sizeof(err->message),
		         "out of Lua stack while encoding JSON");
		return NULL;
	}

	/* Count keys: an array when every key is an integer in 1..count. */
	lua_Integer count = 0, max = 0;
	int array = 1;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		count++;
		if (lua_type(L, -1) == LUA_TNUMBER && lua_isinteger(L, -1)) {
			lua_Integer k = lua_tointeger(L, -1);
			if (k < 1)
				array = 0;
			else if (k > max)
				max = k;
		} else {
			array = 0;
		}
	}
	if (count == 0 || max != count)
		array = 0;

	if (array) {
		cJSON *arr = cJSON_CreateArray();
		if (arr == NULL)
			goto nomem;
		for (lua_Integer i = 1; i <= count; i++) {
			lua_rawgeti(L, idx, i);
			cJSON *item = encode_value(L, -1, depth + 1, err);
			lua_pop(L, 1);
			if (item == NULL) {
				cJSON_Delete(arr);
				return NULL;
			}
			cJSON_AddItemToArray(arr, item);
		}
		return arr;
	}

	/* An object. Number keys are formatted into a side buffer, never
	 * converted in place (that would confuse lua_next); string keys stay
	 * alive in the table. */
	cJSON *obj = cJSON_CreateObject();
	struct key_entry *keys = count > 0 ? calloc((size_t)count, sizeof(*keys)) : NULL;
	char *numbuf = count > 0 ? calloc((size_t)count, 32) : NULL;
	size_t n = 0;
	if (obj == NULL || (count > 0 && (keys == NULL || numbuf == NULL))) {
		cJSON_Delete(obj);
		free(keys);
		free(numbuf);
		goto nomem;
	}
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		const char *name;
		if (lua_type(L, -2) == LUA_TSTRING) {
			size_t len;
			name = lua_tolstring(L, -2, &len);
			if (strlen(name) != len || !utf8_valid((const unsigned char *)name, len)) {
				snprintf(
				    err->message, sizeof(err->message),
				    "cannot encode a key that is not valid UTF-8 text as JSON");
				lua_pop(L, 2);
				goto fail;
			}
		} else if (lua_type(L, -2) == LUA_TNUMBER) {
			char *b = numbuf + 32 * n;
			if (lua_isinteger(L, -2))
				snprintf(b, 32, LUA_INTEGER_FMT, lua_tointeger(L, -2));
			else
				snprintf(b, 32, "%.14g", (double)lua_tonumber(L, -2));
			name = b;
		} else {
			snprintf(err->message, sizeof(err->message),
			         "cannot encode a table with a %s key as JSON",
			         luaL_typename(L, -2));
			lua_pop(L, 2);
			goto fail;
		}
		cJSON *item = encode_value(L, -1, depth + 1, err);
		lua_pop(L, 1);
		if (item == NULL) {
			lua_pop(L, 1);
			goto fail;
		}
		keys[n].key = name;
		keys[n].item = item;
		n++;
		if (n == (size_t)count) { /* cannot grow during the walk; be safe */
			lua_pop(L, 1);
			break;
		}
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), key_compare);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(keys[i - 1].key, keys[i].key) == 0) {
			snprintf(err->message, sizeof(err->message),
			         "cannot encode a table with the key '%.40s' both as a string and "
			         "as a number as JSON",
			         keys[i].key);
			goto fail;
		}
	}
	for (size_t i = 0; i < n; i++) {
		cJSON_AddItemToObject(obj, keys[i].key, keys[i].item);
		keys[i].item = NULL;
	}
	free(keys);
	free(numbuf);
	return obj;
fail:
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(keys[i].item);
	cJSON_Delete(obj);
	free(keys);
	free(numbuf);
	return NULL;
nomem:
	snprintf(err->message, sizeof(err->message), "out of memory while encoding JSON");
	return NULL;
}

/* Push @item as a Lua value; raises on memory errors or too deep nesting,
 * so it runs under protected_run while the caller owns the cJSON tree. */
static void decode_push(lua_State *L, const cJSON *item, int depth)
{
	if (depth > LUA_HOST_JSON_DEPTH)
		luaL_error(L, "JSON nested deeper than %d levels", LUA_HOST_JSON_DEPTH);
	luaL_checkstack(L, 3, "JSON nested too deep");
	if (cJSON_IsNull(item)) {
		lua_pushlightuserdata(L, JSON_NULL);
	} else if (cJSON_IsBool(item)) {
		lua_pushboolean(L, cJSON_IsTrue(item));
	} else if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;
		if (d == floor(d) && d >= -9007199254740992.0 && d <= 9007199254740992.0)
			lua_pushinteger(L, (lua_Integer)d);
		else
			lua_pushnumber(L, d);
	} else if (cJSON_IsString(item)) {
		lua_pushstring(L, item->valuestring);
	} else if (cJSON_IsArray(item)) {
		lua_createtable(L, cJSON_GetArraySize(item), 0);
		lua_Integer i = 1;
		for (const cJSON *c = item->child; c != NULL; c = c->next) {
			decode_push(L, c, depth + 1);
			lua_rawseti(L, -2, i++);
		}
	} else if (cJSON_IsObject(item)) {
		lua_createtable(L, 0, cJSON_GetArraySize(item));
		for (const cJSON *c = item->child; c != NULL; c = c->next) {
			lua_pushstring(L, c->string);
			decode_push(L, c, depth + 1);
			lua_rawset(L, -3);
		}
	} else {
		luaL_error(L, "invalid JSON value");
	}
}

static void decode_protected(lua_State *L, void *ud)
{
	decode_push(L, ud, 1);
}

/* Decode @text and push the value; on error push nothing and return an
 * error message (static or on the Lua stack: pushed, as a string). Raises
 * only what the caller's context can handle (memory errors included). */
static int decode_json(lua_State *L, const char *text, size_t len)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (doc == NULL) {
		size_t at = end != NULL && end >= text ? (size_t)(end - text) : 0;
		lua_pushfstring(L, "invalid JSON at byte %d", (int)at + 1);
		return 0;
	}
	/* Trailing garbage after the value is an error too. */
	while (end != NULL && (size_t)(end - text) < len &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != NULL && (size_t)(end - text) < len) {
		cJSON_Delete(doc);
		lua_pushfstring(L, "invalid JSON: unexpected text at byte %d",
		                (int)(end - text) + 1);
		return 0;
	}
	int status = protected_run(L, decode_protected, doc, 1);
	cJSON_Delete(doc);
	if (status != LUA_OK)
		return -1; /* error object on the stack, to rethrow */
	return 1;
}

static void push_text_protected(lua_State *L, void *ud)
{
	lua_pushstring(L, ud);
}

/* Push a malloc()ed string and free it, even when pushing raises. */
static void push_malloced(lua_State *L, char *text)
{
	int status = protected_run(L, push_text_protected, text, 1);
	free(text);
	if (status != LUA_OK)
		lua_error(L);
}

/* Encode the value at @idx to malloc()ed JSON text, or raise. */
static char *encode_to_text(lua_State *L, int idx)
{
	struct encode_error err = {{0}};
	cJSON *doc = encode_value(L, idx, 0, &err);
	if (doc == NULL)
		luaL_error(L, "%s", err.message);
	char *text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		luaL_error(L, "out of memory while encoding JSON");
	return text;
}

static int l_json_encode(lua_State *L)
{
	luaL_checkany(L, 1);
	push_malloced(L, encode_to_text(L, 1));
	return 1;
}

static int l_json_decode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	int r = decode_json(L, s, len);
	if (r == 0) { /* add where the script called us */
		luaL_where(L, 1);
		lua_insert(L, -2);
		lua_concat(L, 2);
	}
	if (r <= 0)
		return lua_error(L);
	return 1;
}

/* ---- the corral module: files and processes ---- */

static int push_errno(lua_State *L, const char *what, int err)
{
	lua_pushnil(L);
	lua_pushfstring(L, "%s: %s", what, strerror(err));
	return 2;
}

struct read_state {
	int fd;
	int err;
};

static void read_protected(lua_State *L, void *ud)
{
	struct read_state *rs = ud;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (;;) {
		char *p = luaL_prepbuffsize(&b, 65536);
		ssize_t n = read(rs->fd, p, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rs->err = errno;
			break;
		}
		if (n == 0)
			break;
		luaL_addsize(&b, (size_t)n);
	}
	luaL_pushresult(&b);
}

/* corral.read(path) -> string | nil, message */
static int l_read(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct read_state rs = {open(path, O_RDONLY | O_CLOEXEC), 0};
	struct stat st;

	if (rs.fd < 0)
		return push_errno(L, path, errno);
	if (fstat(rs.fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(rs.fd);
		return push_errno(L, path, EISDIR);
	}
	int status = protected_run(L, read_protected, &rs, 1);
	close(rs.fd);
	if (status != LUA_OK)
		return lua_error(L);
	if (rs.err != 0)
		return push_errno(L, path, rs.err);
	return 1;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* corral.write(path, content) -> true | nil, message. Atomic: a temporary
 * file next to @path, renamed over it; an existing file keeps its mode. */
static int l_write(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	size_t len;
	const char *content = luaL_checklstring(L, 2, &len);
	char tmp[PATH_MAX];
	struct stat st;
	mode_t mode;
	int rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.corral-XXXXXX", path) >= sizeof(tmp))
		return push_errno(L, path, ENAMETOOLONG);
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return push_errno(L, path, EISDIR);
		mode = st.st_mode & 07777;
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return push_errno(L, path, errno);
	rc = write_all(fd, content, len);
	if (rc == 0 && fchmod(fd, mode) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return push_errno(L, path, -rc);
	}
	lua_pushboolean(L, 1);
	return 1;
}

struct list_state {
	struct dirent **names;
	int n;
};

static void list_protected(lua_State *L, void *ud)
{
	struct list_state *ls = ud;
	lua_createtable(L, ls->n, 0);
	for (int i = 0; i < ls->n; i++) {
		lua_pushstring(L, ls->names[i]->d_name);
		lua_rawseti(L, -2, i + 1);
	}
}

static int not_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* corral.list(dir) -> sorted array of names | nil, message */
static int l_list(lua_State *L)
{
	const char *dir = luaL_optstring(L, 1, ".");
	struct list_state ls = {NULL, 0};

	ls.n = scandir(dir, &ls.names, not_dots, alphasort);
	if (ls.n < 0)
		return push_errno(L, dir, errno);
	int status = protected_run(L, list_protected, &ls, 1);
	for (int i = 0; i < ls.n; i++)
		free(ls.names[i]);
	free(ls.names);
	if (status != LUA_OK)
		return lua_error(L);
	return 1;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run_stream {
	int fd;
	char *buf; /* LUA_HOST_RUN_OUTPUT bytes, a Lua userdata */
	size_t len;
	int truncated;
};

static void run_drain(struct run_stream *s)
{
	char scratch[4096];
	for (;;) {
		ssize_t n;
		if (s->len < LUA_HOST_RUN_OUTPUT) {
			n = read(s->fd, s->buf + s->len, LUA_HOST_RUN_OUTPUT - s->len);
			if (n > 0)
				s->len += (size_t)n;
		} else {
			n = read(s->fd, scratch, sizeof(scratch));
			if (n > 0)
				s->truncated = 1;
		}
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			close(s->fd);
			s->fd = -1;
		}
		return;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * corral.run(argv [, {stdin=string, timeout=seconds}])
 *   -> {exit=code, signal=n|nil, stdout=..., stderr=..., timed_out=bool,
 *       truncated=bool} | nil, message
 * fork/exec (PATH lookup, no shell); stdout and stderr are kept up to
 * 1 MiB each; the child and its process group are killed at the timeout.
 */
static int l_run(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_Integer argc = (lua_Integer)lua_rawlen(L, 1);
	size_t in_len = 0;
	const char *in = NULL;
	double timeout = LUA_HOST_RUN_TIMEOUT;

	luaL_argcheck(L, argc >= 1, 1, "argv must hold at least the program name");
	luaL_argcheck(L, argc <= LUA_HOST_RUN_ARGV_MAX, 1, "argv is too long");
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		lua_getfield(L, 2, "stdin");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "corral.run: stdin must be a string");
			in = lua_tolstring(L, -1, &in_len);
		}
		lua_getfield(L, 2, "timeout");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) > 0))
				return luaL_error(L,
				                  "corral.run: timeout must be a positive number "
				                  "of seconds");
			timeout = lua_tonumber(L, -1);
		}
		lua_pop(L, 1); /* stdin stays on the stack, alive */
	}
	char **argv = lua_newuserdatauv(L, sizeof(char *) * (size_t)(argc + 1), 0);
	for (lua_Integer i = 1; i <= argc; i++) {
		if (lua_rawgeti(L, 1, i) != LUA_TSTRING)
			return luaL_error(L, "corral.run: argv[%d] is a %s, expected a string",
			                  (int)i, luaL_typename(L, -1));
		argv[i - 1] = (char *)lua_tostring(L, -1); /* alive in the argv table */
		lua_pop(L, 1);
	}
	argv[argc] = NULL;
	struct run_stream out = {-1, lua_newuserdatauv(L, LUA_HOST_RUN_OUTPUT, 0), 0, 0};
	struct run_stream err = {-1, lua_newuserdatauv(L, LUA_HOST_RUN_OUTPUT, 0), 0, 0};

	/* From here on nothing may raise until every descriptor is closed. */
	int inp[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1}, execp[2] = {-1, -1};
	int fail = 0;
	if ((in != NULL && pipe2(inp, O_CLOEXEC) != 0) || pipe2(outp, O_CLOEXEC) != 0 ||
	    pipe2(errp, O_CLOEXEC) != 0 || pipe2(execp, O_CLOEXEC) != 0)
		fail = errno;
	int devnull = in == NULL && !fail ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
	if (in == NULL && !fail && devnull < 0)
		fail = errno;
	if (fail) {
		int fds[] = {inp[0],  inp[1],  outp[0],  outp[1],
		             errp[0], errp[1], execp[0], execp[1]};
		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			close_fd(&fds[i]);
		close_fd(&devnull);
		return push_errno(L, argv[0], fail);
	}

	/* A child that exits before reading its stdin must not kill us with
	 * SIGPIPE: block it while we write, and drop it if it came. */
	sigset_t pipe_set, old_set;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old_set);

	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		if (dup2(in != NULL ? inp[0] : devnull, 0) < 0 || dup2(outp[1], 1) < 0 ||
		    dup2(errp[1], 2) < 0)
			_exit(127);
		sigprocmask(SIG_SETMASK, &old_set, NULL);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		int e = errno;
		if (write(execp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	int spawn_errno = pid < 0 ? errno : 0;
	close_fd(&inp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	close_fd(&execp[1]);
	close_fd(&devnull);
	if (pid > 0) {
		int e = 0;
		ssize_t n;
		do
			n = read(execp[0], &e, sizeof(e));
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)sizeof(e))
			spawn_errno = e;
	}
	close_fd(&execp[0]);
	out.fd = outp[0];
	err.fd = errp[0];

	int timed_out = 0, status = 0;
	if (pid > 0 && spawn_errno == 0) {
		size_t in_done = 0;
		double deadline = now_seconds() + timeout;
		fcntl(out.fd, F_SETFL, O_NONBLOCK);
		fcntl(err.fd, F_SETFL, O_NONBLOCK);
		if (inp[1] >= 0) {
			fcntl(inp[1], F_SETFL, O_NONBLOCK);
			if (in_len == 0)
				close_fd(&inp[1]);
		}
		while (out.fd >= 0 || err.fd >= 0 || inp[1] >= 0) {
			struct pollfd p[3] = {
			    {out.fd, POLLIN, 0}, {err.fd, POLLIN, 0}, {inp[1], POLLOUT, 0}};
			double left = deadline - now_seconds();
			if (left <= 0) {
				timed_out = 1;
				break;
			}
			int r = poll(p, 3, left > 1000.0 ? 1000000 : (int)(left * 1000) + 1);
			if (r < 0 && errno != EINTR)
				break;
			if (r <= 0)
				continue;
			if (p[0].revents != 0)
				run_drain(&out);
			if (p[1].revents != 0)
				run_drain(&err);
			if (p[2].revents != 0) {
				ssize_t n = write(inp[1], in + in_done, in_len - in_done);
				if (n > 0)
					in_done += (size_t)n;
				if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
				    in_done == in_len)
					close_fd(&inp[1]);
			}
		}
		if (timed_out) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	} else if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close_fd(&inp[1]);
	close_fd(&out.fd);
	close_fd(&err.fd);
	sigset_t pending;
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
		struct timespec zero = {0, 0};
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	sigprocmask(SIG_SETMASK, &old_set, NULL);

	if (spawn_errno != 0)
		return push_errno(L, argv[0], spawn_errno);
	lua_createtable(L, 0, 6);
	if (WIFSIGNALED(status)) {
		lua_pushinteger(L, 128 + WTERMSIG(status));
		lua_setfield(L, -2, "exit");
		lua_pushinteger(L, WTERMSIG(status));
		lua_setfield(L, -2, "signal");
	} else {
		lua_pushinteger(L, WEXITSTATUS(status));
		lua_setfield(L, -2, "exit");
	}
	lua_pushlstring(L, out.buf, out.len);
	lua_setfield(L, -2, "stdout");
	lua_pushlstring(L, err.buf, err.len);
	lua_setfield(L, -2, "stderr");
	lua_pushboolean(L, timed_out);
	lua_setfield(L, -2, "timed_out");
	lua_pushboolean(L, out.truncated || err.truncated);
	lua_setfield(L, -2, "truncated");
	return 1;
}

/* corral.log(level, message): a line for the operator, not the model. */
static int l_log(lua_State *L)
{
	static const char *const levels[] = {"debug", "info", "warning", "error", NULL};
	int level = luaL_checkoption(L, 1, NULL, levels);
	const char *message = luaL_checkstring(L, 2);
	S.host->log(level, "%s", message);
	return 0;
}

static int l_workspace(lua_State *L)
{
	const char *ws = S.host->workspace != NULL ? S.host->workspace() : NULL;
	if (ws == NULL)
		lua_pushnil(L);
	else
		lua_pushstring(L, ws);
	return 1;
}

/* print(...): stdout is the worker's protocol, so print goes to the log. */
static int l_print(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	S.host->log(CORRAL_LOG_INFO, "%s", lua_tostring(L, -1));
	return 0;
}

/* collectgarbage("count" | "collect"): the rest could only hurt. */
static int l_collectgarbage(lua_State *L)
{
	static const char *const opts[] = {"collect", "count", NULL};
	int opt = luaL_checkoption(L, 1, "collect", opts);
	if (opt == 1) {
		lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT) +
		                      (lua_Number)lua_gc(L, LUA_GCCOUNTB) / 1024.0);
		return 1;
	}
	lua_gc(L, LUA_GCCOLLECT);
	lua_pushinteger(L, 0);
	return 1;
}

/* xpcall's message handler runs inside the hook when the hook raised the
 * error, where hooks are off: a handler that loops would never be stopped.
 * So once the budget is spent the script's handler is skipped. */
static int xpcall_handler(lua_State *L)
{
	if (S.budget_exhausted)
		return 1;
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

static int xpcall_finish(lua_State *L, int status, lua_KContext extra)
{
	if (status != LUA_OK && status != LUA_YIELD) {
		lua_pushboolean(L, 0);
		lua_pushvalue(L, -2);
		return 2;
	}
	return lua_gettop(L) - (int)extra;
}

/* xpcall(f, handler, ...): the base library's, with the handler wrapped. */
static int l_xpcall(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, xpcall_handler, 1);
	lua_replace(L, 2);
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 1);
	lua_rotate(L, 3, 2);
	int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, xpcall_finish);
	return xpcall_finish(L, status, 2);
}

/* load(chunk [, chunkname [, mode [, env]]]): text only, whatever mode
 * says, and the script's environment unless env is given. */
static int l_load(lua_State *L)
{
	int has_env = lua_gettop(L) >= 4;
	lua_settop(L, 4);
	lua_pushvalue(L, lua_upvalueindex(1)); /* the base library's load */
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_pushliteral(L, "t");
	if (has_env)
		lua_pushvalue(L, 4);
	else
		lua_rawgeti(L, LUA_REGISTRYINDEX, S.env_ref);
	lua_call(L, 4, LUA_MULTRET);
	return lua_gettop(L) - 4;
}

/* ---- tools ---- */

static int opt_flag(lua_State *L, const char *field, uint32_t bit, uint32_t *hints)
{
	int t = lua_getfield(L, 1, field);
	if (t == LUA_TBOOLEAN) {
		if (lua_toboolean(L, -1))
			*hints |= bit;
	} else if (t != LUA_TNIL) {
		return luaL_error(L, "corral.tool: '%s' must be a boolean, not a %s", field,
		                  luaL_typename(L, -1));
	}
	lua_pop(L, 1);
	return 0;
}

static const char *opt_string(lua_State *L, const char *field, int required)
{
	int t = lua_getfield(L, 1, field); /* left on the stack: keeps it alive */
	if (t == LUA_TSTRING)
		return lua_tostring(L, -1);
	if (t == LUA_TNIL && !required)
		return NULL;
	luaL_error(L, "corral.tool: '%s' must be a string%s", field,
	           required ? " (it is required)" : "");
	return NULL;
}

/* A schema table as JSON object text (malloc()ed), or NULL with @err. */
static char *schema_text(lua_State *L, int idx, const char *field, struct encode_error *err)
{
	cJSON *doc = encode_value(L, idx, 0, err);
	if (doc == NULL)
		return NULL;
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		snprintf(err->message, sizeof(err->message),
		         "'%s' must be a table of named fields (a JSON object)", field);
		return NULL;
	}
	char *text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		snprintf(err->message, sizeof(err->message), "out of memory");
	return text;
}

static int tool_run(struct corral_call *call, const char *args, void *data);

/* corral.tool{name=, title=, description=, input_schema=, output_schema=,
 * read_only=, destructive=, idempotent=, open_world=, run=} -> true, or
 * false and a message when the host refused the definition (the worker
 * then reports which field was wrong). */
static int l_tool(lua_State *L)
{
	struct corral_tool tool = {.size = sizeof(tool)};
	struct encode_error err = {{0}};

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	if (!S.in_init)
		return luaL_error(L, "corral.tool may be called only while the script loads");
	tool.name = opt_string(L, "name", 1);
	tool.title = opt_string(L, "title", 0);
	tool.description = opt_string(L, "description", 1);
	opt_flag(L, "read_only", CORRAL_TOOL_READ_ONLY, &tool.hints);
	opt_flag(L, "destructive", CORRAL_TOOL_DESTRUCTIVE, &tool.hints);
	opt_flag(L, "idempotent", CORRAL_TOOL_IDEMPOTENT, &tool.hints);
	opt_flag(L, "open_world", CORRAL_TOOL_OPEN_WORLD, &tool.hints);
	int in_type = lua_getfield(L, 1, "input_schema");
	int in_idx = lua_gettop(L);
	int out_type = lua_getfield(L, 1, "output_schema");
	int out_idx = lua_gettop(L);
	if (in_type != LUA_TTABLE && in_type != LUA_TNIL)
		return luaL_error(L, "corral.tool: 'input_schema' must be a table");
	if (out_type != LUA_TTABLE && out_type != LUA_TNIL)
		return luaL_error(L, "corral.tool: 'output_schema' must be a table");
	if (lua_getfield(L, 1, "run") != LUA_TFUNCTION)
		return luaL_error(L, "corral.tool: 'run' must be a function");
	int ref = luaL_ref(L, LUA_REGISTRYINDEX);

	/* No Lua error from here until the texts are freed. */
	char *in_text = NULL, *out_text = NULL;
	if (in_type == LUA_TTABLE)
		in_text = schema_text(L, in_idx, "input_schema", &err);
	else
		in_text = strdup("{\"type\":\"object\"}");
	if (in_text != NULL && out_type == LUA_TTABLE)
		out_text = schema_text(L, out_idx, "output_schema", &err);
	if (in_text == NULL || (out_type == LUA_TTABLE && out_text == NULL)) {
		free(in_text);
		luaL_unref(L, LUA_REGISTRYINDEX, ref);
		return luaL_error(L, "corral.tool '%s': %s", tool.name,
		                  err.message[0] ? err.message : "out of memory");
	}
	tool.input_schema = in_text;
	tool.output_schema = out_text;
	tool.run = tool_run;
	tool.data = (void *)(intptr_t)ref;
	int rc = S.host->register_tool(&tool);
	free(in_text);
	free(out_text);
	if (rc < 0) {
		luaL_unref(L, LUA_REGISTRYINDEX, ref);
		S.host->log(CORRAL_LOG_ERROR, "%s: the host refused tool '%s' (%s)",
		            S.chunk_name + 1, tool.name, strerror(-rc));
		lua_pushboolean(L, 0);
		lua_pushfstring(L, "the host refused tool '%s' (%s)", tool.name, strerror(-rc));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* The message handler: keep the traceback aside, return the message. */
static int msgh(lua_State *L)
{
	luaL_traceback(L, L, NULL, 1);
	lua_setfield(L, LUA_REGISTRYINDEX, LUA_HOST_TRACEBACK_KEY);
	return 1;
}

/* The error object at @idx as a message (no metamethods: no Lua code). */
static const char *error_text(lua_State *L, int idx)
{
	int t = lua_type(L, idx);
	if (t == LUA_TSTRING || t == LUA_TNUMBER)
		return lua_tostring(L, idx);
	return lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, idx));
}

static int is_memory_error(int status, const char *msg)
{
	static const char oom[] = "not enough memory";
	size_t n = strlen(msg), k = sizeof(oom) - 1;
	return status == LUA_ERRMEM || (n >= k && strcmp(msg + n - k, oom) == 0);
}

static int getfield_raw(lua_State *L, int idx, const char *k)
{
	idx = lua_absindex(L, idx);
	lua_pushstring(L, k);
	return lua_rawget(L, idx);
}

struct call_ctx {
	struct corral_call *call;
	const char *args;
	int ref;
};

static void call_result(lua_State *L, struct corral_call *call, int idx)
{
	const struct corral_host *h = S.host;
	int t = lua_type(L, idx);

	if (t == LUA_TNIL)
		return;
	if (t == LUA_TSTRING || t == LUA_TNUMBER) {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);
		h->add_text(call, s, len);
		return;
	}
	if (t != LUA_TTABLE) {
		h->set_error(call, lua_pushfstring(L,
		                                   "the tool returned a %s; a Lua tool returns a "
		                                   "string, a table or nil",
		                                   luaL_typename(L, idx)));
		return;
	}
	/* {text=, structured=, error=}, read raw: no metamethod runs. */
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
		if (strcmp(k, "text") != 0 && strcmp(k, "structured") != 0 &&
		    strcmp(k, "error") != 0) {
			h->set_error(
			    call, lua_pushfstring(L,
			                          "the tool returned a table with the unexpected "
			                          "field %s%s%s; expected text, structured, error",
			                          *k ? "'" : "a ", *k ? k : luaL_typename(L, -1),
			                          *k ? "'" : " key"));
			lua_pop(L, 2);
			return;
		}
	}
	if (getfield_raw(L, idx, "text") != LUA_TNIL) {
		if (lua_type(L, -1) == LUA_TSTRING) {
			size_t len;
			const char *s = lua_tolstring(L, -1, &len);
			h->add_text(call, s, len);
		} else {
			h->set_error(call, "the tool returned a 'text' that is not a string");
		}
	}
	lua_pop(L, 1);
	t = getfield_raw(L, idx, "structured");
	if (t == LUA_TTABLE) {
		struct encode_error err = {{0}};
		char *text = schema_text(L, -1, "structured", &err);
		if (text == NULL) {
			h->set_error(call, lua_pushfstring(L, "the tool's structured result: %s",
			                                   err.message));
			lua_pop(L, 1);
		} else {
			if (h->set_structured(call, text) < 0)
				h->set_error(call, "the host refused the tool's structured result");
			free(text);
		}
	} else if (t != LUA_TNIL) {
		h->set_error(call, "the tool returned a 'structured' that is not a table");
	}
	lua_pop(L, 1);
	t = getfield_raw(L, idx, "error");
	if (t == LUA_TSTRING)
		h->set_error(call, lua_tostring(L, -1));
	else if (t != LUA_TNIL)
		h->set_error(call, "the tool returned an 'error' that is not a string");
	lua_pop(L, 1);
}

static void call_protected(lua_State *L, void *ud)
{
	struct call_ctx *ctx = ud;
	struct corral_call *call = ctx->call;
	const struct corral_host *h = S.host;

	lua_pushcfunction(L, msgh);
	int handler = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->ref);
	int r = decode_json(L, ctx->args, strlen(ctx->args));
	if (r <= 0)
		lua_error(L);
	lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LUA_HOST_TRACEBACK_KEY);

	budget_reset();
	int status = lua_pcall(L, 1, 1, handler);
	lua_sethook(L, NULL, 0, 0);
	/* Room for the host's own work on the way out. */
	S.mem_cap = LUA_HOST_MEMORY_CAP + LUA_HOST_MEMORY_SLACK;

	if (S.budget_exhausted) {
		h->set_error(call, S.cancelled
		                       ? "the call was cancelled"
		                       : "instruction budget exhausted (" LUA_HOST_BUDGET_TEXT
		                         " instructions)");
		return;
	}
	if (status != LUA_OK) {
		const char *msg = error_text(L, -1);
		if (is_memory_error(status, msg)) {
			h->set_error(call, LUA_HOST_MEMORY_TEXT);
			return;
		}
		h->set_error(call, msg);
		if (lua_getfield(L, LUA_REGISTRYINDEX, LUA_HOST_TRACEBACK_KEY) == LUA_TSTRING) {
			size_t len;
			const char *tb = lua_tolstring(L, -1, &len);
			h->add_text(call, tb, len);
		}
		return;
	}
	call_result(L, call, lua_gettop(L));
}

static int tool_run(struct corral_call *call, const char *args, void *data)
{
	lua_State *L = S.L;
	struct call_ctx ctx = {call, args != NULL ? args : "{}", (int)(intptr_t)data};
	int top = lua_gettop(L);

	S.call = call;
	S.cancelled = 0;
	S.mem_cap = LUA_HOST_MEMORY_CAP;
	int status = protected_run(L, call_protected, &ctx, 0);
	if (status != LUA_OK) {
		const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error";
		S.host->set_error(call, S.budget_exhausted
		                            ? "instruction budget exhausted (" LUA_HOST_BUDGET_TEXT
		                              " instructions)"
		                        : is_memory_error(status, msg) ? LUA_HOST_MEMORY_TEXT
		                                                       : msg);
	}
	lua_settop(L, top);
	lua_sethook(L, NULL, 0, 0);
	S.call = NULL;
	return 0;
}

/* ---- loading the script ---- */

static const char *const base_names[] = {
    "assert",       "error",    "getmetatable", "ipairs", "next",     "pairs",
    "pcall",        "rawequal", "rawget",       "rawlen", "rawset",   "select",
    "setmetatable", "tonumber", "tostring",     "type",   "_VERSION", NULL,
};

static const char *const library_names[] = {
    LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME, LUA_COLIBNAME, NULL,
};

static const luaL_Reg corral_functions[] = {
    {"tool", l_tool}, {"read", l_read}, {"write", l_write},         {"list", l_list},
    {"run", l_run},   {"log", l_log},   {"workspace", l_workspace}, {NULL, NULL},
};

static const luaL_Reg json_functions[] = {
    {"encode", l_json_encode},
    {"decode", l_json_decode},
    {NULL, NULL},
};

/* Build the script's environment; leaves nothing on the stack. */
static void sandbox_setup(lua_State *L)
{
	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
	lua_settop(L, 0);

	lua_pushglobaltable(L); /* 1: the real globals, never given to the script */
	lua_newtable(L);        /* 2: the script's _ENV */
	for (int i = 0; base_names[i] != NULL; i++) {
		lua_getfield(L, 1, base_names[i]);
		lua_setfield(L, 2, base_names[i]);
	}
	lua_getfield(L, 1, "load");
	lua_pushcclosure(L, l_load, 1);
	lua_setfield(L, 2, "load");
	lua_pushcfunction(L, l_xpcall);
	lua_setfield(L, 2, "xpcall");
	lua_pushcfunction(L, l_print);
	lua_setfield(L, 2, "print");
	lua_pushcfunction(L, l_collectgarbage);
	lua_setfield(L, 2, "collectgarbage");

	/* Copies of the libraries: the script may change its own string
	 * table, never the one behind the string metatable. */
	for (int i = 0; library_names[i] != NULL; i++) {
		lua_getfield(L, 1, library_names[i]);
		lua_newtable(L);
		lua_pushnil(L);
		while (lua_next(L, -3) != 0) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, -4);
		}
		lua_setfield(L, 2, library_names[i]);
		lua_pop(L, 1);
	}
	lua_getfield(L, 2, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump"); /* bytecode is never loaded anyway */
	lua_pop(L, 1);

	/* getmetatable("") returns false: __index cannot be reached. */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);

	luaL_newlib(L, corral_functions);
	luaL_newlib(L, json_functions);
	lua_pushlightuserdata(L, JSON_NULL);
	lua_setfield(L, -2, "null");
	lua_setfield(L, -2, "json");
	lua_setfield(L, 2, "corral");

	lua_pushvalue(L, 2);
	lua_setfield(L, 2, "_G");
	S.env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_settop(L, 0);
}

struct script {
	const char *text;
	size_t len;
};

static void script_protected(lua_State *L, void *ud)
{
	struct script *sc = ud;

	sandbox_setup(L);
	lua_pushcfunction(L, msgh);
	int handler = lua_gettop(L);
	if (luaL_loadbufferx(L, sc->text, sc->len, S.chunk_name, "t") != LUA_OK)
		lua_error(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, S.env_ref);
	lua_setupvalue(L, -2, 1);
	lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LUA_HOST_TRACEBACK_KEY);

	S.in_init = 1;
	budget_reset();
	int status = lua_pcall(L, 0, 0, handler);
	lua_sethook(L, NULL, 0, 0);
	S.in_init = 0;
	S.mem_cap = LUA_HOST_MEMORY_CAP + LUA_HOST_MEMORY_SLACK;
	if (S.budget_exhausted)
		luaL_error(L, "instruction budget exhausted (" LUA_HOST_BUDGET_TEXT
		              " instructions) while the script loaded");
	if (status != LUA_OK) {
		const char *msg = error_text(L, -1);
		if (is_memory_error(status, msg))
			luaL_error(L, LUA_HOST_MEMORY_TEXT " while the script loaded");
		if (lua_getfield(L, LUA_REGISTRYINDEX, LUA_HOST_TRACEBACK_KEY) == LUA_TSTRING)
			lua_pushfstring(L, "%s\n%s", msg, lua_tostring(L, -1));
		else
			lua_pushstring(L, msg);
		lua_error(L);
	}
}

/* "@name" for tracebacks: the script's file name, also when it is passed
 * as /proc/self/fd/N. */
static void set_chunk_name(const char *path)
{
	char target[PATH_MAX];
	const char *name = path;

	if (strncmp(path, "/proc/self/fd/", 14) == 0) {
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && target[0] == '/') {
			target[n] = '\0';
			name = target;
		} else {
			name = "script.lua";
		}
	}
	const char *slash = strrchr(name, '/');
	if (slash != NULL && slash[1] != '\0')
		name = slash + 1;
	/* corral passes scripts as sealed memfds named after the file:
	 * "/memfd:name.lua (deleted)" reads best as "name.lua". */
	if (strncmp(name, "memfd:", 6) == 0) {
		size_t len;
		name += 6;
		len = strlen(name);
		if (len > 10 && strcmp(name + len - 10, " (deleted)") == 0)
			len -= 10;
		snprintf(S.chunk_name, sizeof(S.chunk_name), "@%.*s", (int)(len < 120 ? len : 120),
		         name);
		return;
	}
	snprintf(S.chunk_name, sizeof(S.chunk_name), "@%.120s", name);
}

/* Read at most LUA_HOST_SCRIPT_MAX bytes; NULL with errno (E2BIG: too big). */
static char *read_script(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = malloc(LUA_HOST_SCRIPT_MAX + 1);
	size_t n = 0;
	int err = buf == NULL ? ENOMEM : 0;
	while (err == 0) {
		ssize_t r = read(fd, buf + n, LUA_HOST_SCRIPT_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = errno;
		else if (r == 0)
			break;
		else if ((n += (size_t)r) > LUA_HOST_SCRIPT_MAX)
			err = E2BIG;
	}
	close(fd);
	if (err != 0) {
		free(buf);
		errno = err;
		return NULL;
	}
	*len = n;
	return buf;
}

static int panic(lua_State *L)
{
	const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
	S.host->log(CORRAL_LOG_ERROR, "lua: unprotected error: %s", msg);
	return 0; /* Lua aborts */
}

CORRAL_PLUGIN_EXPORT int corral_plugin_init(const struct corral_host *host,
                                            struct corral_plugin *plugin)
{
	S.host = host;
	plugin->name = "lua";
	plugin->version = CORRAL_VERSION;
	if (!CORRAL_HOST_HAS(host, script) || host->script == NULL || host->script() == NULL) {
		host->log(CORRAL_LOG_ERROR, "lua: no script to load: the Lua host needs "
		                            "--script PATH");
		return -EINVAL;
	}
	const char *path = host->script();
	set_chunk_name(path);

	size_t len = 0;
	char *text = read_script(path, &len);
	if (text == NULL) {
		if (errno == E2BIG)
			host->log(CORRAL_LOG_ERROR, "lua: %s is larger than %d bytes",
			          S.chunk_name + 1, LUA_HOST_SCRIPT_MAX);
		else
			host->log(CORRAL_LOG_ERROR, "lua: cannot read %s: %s", S.chunk_name + 1,
			          strerror(errno));
		return -errno;
	}
	if (len > 0 && text[0] == LUA_SIGNATURE[0]) {
		host->log(CORRAL_LOG_ERROR,
		          "lua: %s is precompiled Lua bytecode; only Lua source text is loaded",
		          S.chunk_name + 1);
		free(text);
		return -EINVAL;
	}

	S.mem_cap = LUA_HOST_MEMORY_CAP;
	S.L = lua_newstate(host_alloc, NULL);
	if (S.L == NULL) {
		free(text);
		return -ENOMEM;
	}
	lua_atpanic(S.L, panic);
	struct script sc = {text, len};
	int status = protected_run(S.L, script_protected, &sc, 0);
	free(text);
	if (status != LUA_OK) {
		const char *msg = lua_type(S.L, -1) == LUA_TSTRING ? lua_tostring(S.L, -1) : "?";
		host->log(CORRAL_LOG_ERROR, "lua: %s",
		          is_memory_error(status, msg) ? LUA_HOST_MEMORY_TEXT : msg);
		lua_settop(S.L, 0);
		return -EINVAL;
	}
	S.mem_cap = LUA_HOST_MEMORY_CAP;
	return 0;
}
