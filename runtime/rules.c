/*
 * rules.c - the rules engine: compile rule patterns, match calls, decide
 * (see rules.h for the pattern language and precedence).
 *
 * Rules are compiled on every decision rather than cached in the policy:
 * a policy holds at most a few thousand rules, compiling one is a few
 * string copies, and keeping struct policy plain data keeps the loader and
 * the engine apart.
 */
#include "rules.h"
#include "util.h"

#include "pathglob.h"
#include "shell.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULES_TOOL_NAME_MAX  64 /* as in the tool registry */
#define RULES_QUOTE_MAX      64 /* bytes of a rule, command or path quoted in a message */
#define RULES_QUOTE_BUF      UTIL_QUOTE_BUF(RULES_QUOTE_MAX)
#define RULES_REASON_MAX     1024 /* bytes of a reason sentence */
#define RULES_PATH_DEPTH_MAX 64   /* components pathglob_match() reads (its GLOB_DEPTH_MAX) */

enum rule_kind {
	RULE_TOOL, /* a bare tool name */
	RULE_EXEC, /* exec(WORDS) */
	RULE_PATH, /* read_file(GLOB) and the other path tools */
	RULE_ARG,  /* TOOL(KEY=GLOB) */
};

enum path_anchor {
	ANCHOR_WORKSPACE,
	ANCHOR_ROOT,
	ANCHOR_HOME,
};

struct pattern_word {
	char *glob; /* for fnmatch(3), quoted parts escaped */
	bool any;   /* an unquoted '*': any one word */
};

struct compiled {
	enum rule_kind kind;
	char tool[RULES_TOOL_NAME_MAX + 1];
	/* RULE_EXEC */
	struct pattern_word *words;
	size_t nwords;
	/* RULE_PATH */
	enum path_anchor anchor;
	char *glob;    /* RULE_PATH: for pathglob_match(); RULE_ARG: for fnmatch() */
	bool root;     /* the pattern is the anchor itself ("." or "~") */
	bool anywhere; /* a workspace glob that matches at any depth */
	/* RULE_ARG */
	char *key;
};

static const char *const path_tools[] = {"read_file",  "write_file", "edit_file",
                                         "list_files", "grep",       NULL};
static const char *const prefix_commands[] = {"command", "builtin", "exec",    "env", "nice",
                                              "nohup",   "time",    "timeout", NULL};
static const char *const shell_names[] = {"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", NULL};

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Is the absolute @path in one of the system directories whose commands
 * the shell splitter names by their base name? */
static bool in_system_dir(const char *path)
{
	static const char *const dirs[] = {
	    "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", NULL};
	size_t n = (size_t)(strrchr(path, '/') - path);

	for (size_t i = 0; dirs[i]; i++)
		if (strlen(dirs[i]) == n && strncmp(path, dirs[i], n) == 0)
			return true;
	return false;
}

static bool is_tool_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Copy @s into @buf (RULES_QUOTE_BUF bytes) for a message: control
 * characters as \xNN, cut at RULES_QUOTE_MAX bytes with "...". */
static const char *quote(char *buf, const char *s)
{
	return util_quote(buf, s, RULES_QUOTE_MAX);
}

/* ---- compiling patterns ---- */

static void compiled_release(struct compiled *c)
{
	for (size_t i = 0; i < c->nwords; i++)
		free(c->words[i].glob);
	free(c->words);
	free(c->glob);
	free(c->key);
	memset(c, 0, sizeof(*c));
}

/* Result of a compile step: 0, or -1 with *why set, or -2 out of memory. */
#define COMPILE_BAD   (-1)
#define COMPILE_NOMEM (-2)

static int push_pattern_word(struct compiled *c, char *glob, bool any)
{
	struct pattern_word *w = realloc(c->words, (c->nwords + 1) * sizeof(*w));

	if (!w) {
		free(glob);
		return COMPILE_NOMEM;
	}
	c->words = w;
	c->words[c->nwords].glob = glob;
	c->words[c->nwords].any = any;
	c->nwords++;
	return 0;
}

/* Split an exec pattern into words. Unquoted glob characters stay active;
 * quoted or escaped ones are escaped for fnmatch. */
static int compile_exec(const char *s, struct compiled *c, const char **why)
{
	size_t n = strlen(s);
	char *buf = malloc(2 * n + 1);
	size_t i = 0;
	int rc = 0;

	if (!buf)
		return COMPILE_NOMEM;
	while (rc == 0) {
		size_t len = 0;
		bool quoted = false, magic = false;

		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (!s[i])
			break;
		while (s[i] && s[i] != ' ' && s[i] != '\t' && rc == 0) {
			char ch = s[i];
			if (ch == '\'' || ch == '"') {
				size_t end = i + 1;
				while (s[end] && s[end] != ch)
					end++;
				if (!s[end]) {
					*why = "a quote is not closed";
					rc = COMPILE_BAD;
					break;
				}
				for (size_t k = i + 1; k < end; k++) {
					if (strchr("*?[]\\", s[k]))
						buf[len++] = '\\';
					buf[len++] = s[k];
				}
				quoted = true;
				i = end + 1;
			} else if (ch == '\\') {
				if (!s[i + 1]) {
					*why = "it ends with a backslash";
					rc = COMPILE_BAD;
					break;
				}
				buf[len++] = '\\';
				buf[len++] = s[i + 1];
				quoted = true;
				i += 2;
			} else if (strchr(";&|<>()`$\n", ch)) {
				*why =
				    "a pattern matches one simple command, without operators, "
				    "redirections or expansions (write one rule per command; quote "
				    "a literal character)";
				rc = COMPILE_BAD;
			} else {
				if (ch == '*' || ch == '?' || ch == '[')
					magic = true;
				buf[len++] = ch;
				i++;
			}
		}
		if (rc)
			break;
		buf[len] = '\0';
		bool any = !quoted && strcmp(buf, "*") == 0;
		/* A literal command in a system directory is matched by its
		 * base name, as commands are normalised (shell.h). */
		char *w = buf;
		if (c->nwords == 0 && !quoted && !magic && buf[0] == '/' && strrchr(buf, '/')[1] &&
		    in_system_dir(buf))
			w = strrchr(buf, '/') + 1;
		char *glob = strdup(w);
		if (!glob) {
			rc = COMPILE_NOMEM;
			break;
		}
		rc = push_pattern_word(c, glob, any);
	}
	free(buf);
	if (rc)
		return rc;
	if (c->nwords == 0) {
		*why = "the pattern has no words (write 'exec' to match every command)";
		return COMPILE_BAD;
	}
	/* Commands are matched after their prefixes are removed and sh -c is
	 * split, so a pattern for those could never match: refuse it rather
	 * than let it silently allow or deny nothing. */
	const char *first = c->words[0].glob;
	bool more = c->nwords > 1 || c->words[0].any;
	if (more && in_list(first, prefix_commands) &&
	    !(strcmp(first, "command") == 0 && c->nwords > 1 &&
	      (strcmp(c->words[1].glob, "-v") == 0 || strcmp(c->words[1].glob, "-V") == 0))) {
		*why = "commands are matched after the prefixes command, builtin, exec, env, nice, "
		       "nohup, time and timeout are removed, so this pattern never matches; write "
		       "the command itself";
		return COMPILE_BAD;
	}
	if (strcmp(first, "eval") == 0) {
		*why = "eval is never matched (its string is only known at run time); such a "
		       "command gets rules.default";
		return COMPILE_BAD;
	}
	if (in_list(first, shell_names)) {
		for (size_t k = 1; k < c->nwords; k++) {
			const char *w = c->words[k].glob;
			if (w[0] == '-' && w[1] != '-' && strchr(w, 'c')) {
				*why = "sh -c SCRIPT is matched as the commands of SCRIPT, so this "
				       "pattern never matches; write the commands themselves";
				return COMPILE_BAD;
			}
		}
	}
	return 0;
}

static int compile_path(const char *s, struct compiled *c, const char **why)
{
	const char *rest = s;
	char *glob;
	size_t len;

	if (s[0] == '~') {
		if (s[1] && s[1] != '/') {
			*why = "'~user' is not supported; write '~/' for the home directory";
			return COMPILE_BAD;
		}
		c->anchor = ANCHOR_HOME;
		rest = s + 1;
	} else if (s[0] == '/') {
		c->anchor = ANCHOR_ROOT;
	} else {
		c->anchor = ANCHOR_WORKSPACE;
	}
	/* Every component: no "..", which would make the pattern's meaning
	 * depend on the path it is matched against. */
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			*why = "a path pattern cannot contain '..'";
			return COMPILE_BAD;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	/* An anchored glob always has a '/', so pathglob matches it from the
	 * anchor rather than at any depth: "~/.bashrc" -> "./.bashrc". */
	len = strlen(rest);
	glob = malloc(len + 3);
	if (!glob)
		return COMPILE_NOMEM;
	if (c->anchor == ANCHOR_HOME)
		snprintf(glob, len + 3, ".%s%s", rest[0] == '/' ? "" : "/", rest);
	else
		memcpy(glob, rest, len + 1);
	len = strlen(glob);
	while (len > 1 && glob[len - 1] == '/')
		glob[--len] = '\0'; /* "dir/" is "dir" */
	c->glob = glob;
	/* The anchor itself: ".", "./", "~", "~/", "/". */
	c->root = true;
	for (const char *p = glob; *p; p++) {
		if (*p == '/' ||
		    (*p == '.' && (p[1] == '/' || !p[1]) && (p == glob || p[-1] == '/')))
			continue;
		c->root = false;
		break;
	}
	if (c->anchor == ANCHOR_WORKSPACE)
		c->anywhere =
		    !strchr(glob, '/') || strncmp(glob, "**/", 3) == 0 || strcmp(glob, "**") == 0;
	return 0;
}

static int compile_arg(const char *s, struct compiled *c, const char **why)
{
	size_t k = 0;

	while (is_tool_char(s[k]))
		k++;
	if (k == 0 || s[k] != '=') {
		*why = "expected KEY=GLOB: the name of a string argument and a glob for its value";
		return COMPILE_BAD;
	}
	c->key = strndup(s, k);
	c->glob = strdup(s + k + 1);
	return c->key && c->glob ? 0 : COMPILE_NOMEM;
}

static int rule_compile(const char *match, struct compiled *c, const char **why)
{
	size_t n = 0, len = strlen(match);
	char *inner;
	int rc;

	memset(c, 0, sizeof(*c));
	while (is_tool_char(match[n]))
		n++;
	if (n == 0 || n > RULES_TOOL_NAME_MAX || (match[n] && match[n] != '(') ||
	    (match[n] == '(' && (len < n + 3 || match[len - 1] != ')'))) {
		*why = "expected a tool name optionally followed by '(pattern)'";
		return COMPILE_BAD;
	}
	memcpy(c->tool, match, n);
	c->tool[n] = '\0';
	if (!match[n]) {
		c->kind = RULE_TOOL;
		return 0;
	}
	inner = strndup(match + n + 1, len - n - 2);
	if (!inner)
		return COMPILE_NOMEM;
	if (strcmp(c->tool, "exec") == 0) {
		c->kind = RULE_EXEC;
		rc = compile_exec(inner, c, why);
	} else if (in_list(c->tool, path_tools)) {
		c->kind = RULE_PATH;
		rc = compile_path(inner, c, why);
	} else {
		c->kind = RULE_ARG;
		rc = compile_arg(inner, c, why);
	}
	free(inner);
	if (rc)
		compiled_release(c);
	return rc;
}

/* ---- the call, prepared once for every rule ---- */

struct call {
	const char *tool;
	const cJSON *args;
	bool is_exec, is_path;
	/* exec */
	struct shell_list cmds;
	/* path tools */
	bool has_path;
	char *abs;      /* the path made absolute and normalised; NULL if unknown */
	char *rel;      /* relative to the workspace ("." for itself); NULL outside */
	char *home_rel; /* relative to the home directory; NULL outside */
	const char *path_arg;
};

/* Normalise @path lexically: "." and empty components dropped, ".." pops
 * one (never above the start). @absolute: the result starts with '/'.
 * Returns a new string; NULL when out of memory, or (relative only) when
 * ".." climbs above the start, written to *@escapes. */
static char *normalize(const char *path, bool absolute, bool *escapes)
{
	size_t n = strlen(path);
	char *out = malloc(n + 3);
	size_t len = 0;

	*escapes = false;
	if (!out)
		return NULL;
	if (absolute)
		out[len++] = '/';
	for (const char *p = path; *p;) {
		const char *e = strchr(p, '/');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k == 0 || (k == 1 && p[0] == '.')) {
			/* nothing */
		} else if (k == 2 && p[0] == '.' && p[1] == '.') {
			size_t floor = absolute ? 1 : 0;
			if (len == floor) {
				if (!absolute) {
					*escapes = true;
					free(out);
					return NULL;
				}
			} else {
				while (len > floor && out[len - 1] != '/')
					len--;
				if (len > floor)
					len--; /* the '/' before the component */
			}
		} else {
			if (len > (absolute ? 1u : 0u))
				out[len++] = '/';
			memcpy(out + len, p, k);
			len += k;
		}
		p += k;
		while (*p == '/')
			p++;
	}
	if (len == 0)
		out[len++] = '.';
	out[len] = '\0';
	return out;
}

/* @abs relative to @base (both normalised): "." for @base itself, the part
 * under it, or NULL when outside. Returns a new string or sets *@oom. */
static char *relative_to(const char *abs, const char *base, bool *oom)
{
	size_t n = strlen(base);
	char *r = NULL;

	if (strcmp(base, "/") == 0)
		r = strdup(abs[1] ? abs + 1 : ".");
	else if (strcmp(abs, base) == 0)
		r = strdup(".");
	else if (strncmp(abs, base, n) == 0 && abs[n] == '/')
		r = strdup(abs + n + 1);
	else
		return NULL;
	if (!r)
		*oom = true;
	return r;
}

static void call_release(struct call *c)
{
	shell_list_release(&c->cmds);
	free(c->abs);
	free(c->rel);
	free(c->home_rel);
	memset(c, 0, sizeof(*c));
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");

	return h && h[0] == '/' ? h : NULL;
}

/* Prepare @call in @workspace with the home directory @home (NULL when
 * unknown: then only paths written "~/..." have a home form). */
static int call_prepare(struct call *c, const char *workspace, const char *home, const char *tool,
                        const cJSON *args, struct corral_error *err)
{
	bool escapes, oom = false;
	char *ws = NULL, *home_n = NULL;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	c->tool = tool;
	c->args = cJSON_IsObject(args) ? args : NULL;
	c->is_exec = strcmp(tool, "exec") == 0;
	c->is_path = in_list(tool, path_tools);
	if (c->is_exec) {
		const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(c->args, "command");
		const cJSON *argv = cJSON_GetObjectItemCaseSensitive(c->args, "argv");
		if (cJSON_IsString(cmd) && !cJSON_IsArray(argv))
			return shell_split(cmd->valuestring, &c->cmds, err);
		if (cJSON_IsArray(argv) && !cJSON_IsString(cmd)) {
			size_t n = (size_t)cJSON_GetArraySize(argv), i = 0;
			const char **v = calloc(n + 1, sizeof(*v));
			const cJSON *item;
			if (!v)
				return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM,
				                        "out of memory");
			cJSON_ArrayForEach(item, argv)
			{
				if (!cJSON_IsString(item)) {
					free(v);
					c->cmds.unparsable = true;
					c->cmds.why = "'argv' holds something other than strings";
					return 0;
				}
				v[i++] = item->valuestring;
			}
			rc = shell_split_argv(v, i, &c->cmds, err);
			free(v);
			return rc;
		}
		c->cmds.unparsable = true;
		c->cmds.why = "the call has neither a 'command' string nor an 'argv' list";
		return 0;
	}
	if (!c->is_path)
		return 0;
	{
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(c->args, "path");
		if (cJSON_IsString(p))
			c->path_arg = p->valuestring;
		else if (!p && (strcmp(tool, "list_files") == 0 || strcmp(tool, "grep") == 0))
			c->path_arg = "."; /* their default */
		else
			return 0;
	}
	c->has_path = true;
	ws = normalize(workspace, true, &escapes);
	home_n = home ? normalize(home, true, &escapes) : NULL;
	if (!ws || (home && !home_n))
		goto nomem;
	if (c->path_arg[0] == '~' && (c->path_arg[1] == '/' || !c->path_arg[1])) {
		/* Read as the home directory: the conservative reading for deny
		 * rules, whatever the tool itself makes of '~'. */
		const char *rest = c->path_arg + 1;
		c->home_rel = normalize(*rest ? rest + 1 : ".", false, &escapes);
		if (!c->home_rel && !escapes)
			goto nomem;
		if (home_n) {
			size_t n = strlen(home_n) + strlen(rest) + 2;
			char *joined = malloc(n);
			if (!joined)
				goto nomem;
			snprintf(joined, n, "%s/%s", home_n, rest);
			c->abs = normalize(joined, true, &escapes);
			free(joined);
			if (!c->abs)
				goto nomem;
		}
	} else {
		size_t n = strlen(ws) + strlen(c->path_arg) + 2;
		char *joined = malloc(n);
		if (!joined)
			goto nomem;
		if (c->path_arg[0] == '/')
			snprintf(joined, n, "%s", c->path_arg);
		else
			snprintf(joined, n, "%s/%s", ws, c->path_arg);
		c->abs = normalize(joined, true, &escapes);
		free(joined);
		if (!c->abs)
			goto nomem;
		if (home_n)
			c->home_rel = relative_to(c->abs, home_n, &oom);
	}
	if (c->abs)
		c->rel = relative_to(c->abs, ws, &oom);
	if (oom)
		goto nomem;
	free(ws);
	free(home_n);
	return 0;
nomem:
	free(ws);
	free(home_n);
	call_release(c);
	return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
}

/* ---- matching ---- */

/* Is @path beyond what pathglob_match() reads (it answers false then)? */
static bool path_too_deep(const char *path)
{
	size_t parts = 1;

	if (strlen(path) >= PATH_MAX)
		return true;
	for (const char *p = path; *p; p++)
		if (*p == '/')
			parts++;
	return parts > RULES_PATH_DEPTH_MAX;
}

/* @strict (deny and ask rules): a path too deep to match is taken as
 * matching, so that depth never slips a path past a deny rule. */
static bool glob_match(const struct compiled *c, const char *path, bool strict)
{
	if (c->root)
		return strcmp(path, ".") == 0 || strcmp(path, "/") == 0;
	if (path_too_deep(path))
		return strict;
	return pathglob_match(c->glob, path, false);
}

static bool path_match(const struct compiled *c, const struct call *call, bool strict)
{
	if (!call->has_path)
		return false;
	switch (c->anchor) {
	case ANCHOR_ROOT:
		return call->abs && glob_match(c, call->abs, strict);
	case ANCHOR_HOME:
		return call->home_rel && glob_match(c, call->home_rel, strict);
	case ANCHOR_WORKSPACE:
		if (call->rel)
			return glob_match(c, call->rel, strict);
		/* Outside the workspace: a deny or ask glob that matches at any
		 * depth ("**\/.env", ".env") still catches the path. */
		return strict && c->anywhere && call->abs && glob_match(c, call->abs, strict);
	}
	return false;
}

/* Does @c match the simple command @sc? A bare '*' word matches any number
 * of words (zero included), every other pattern word exactly one word.
 * Dynamic programming over (pattern word, command word), one row at a
 * time, so a pattern full of '*' costs O(pattern * words).
 * @strict (deny and ask rules): a word computed at run time could be
 * anything, so it matches any pattern word; for allow rules only a '*'. */
static int exec_match(const struct compiled *c, const struct shell_command *sc, bool strict,
                      bool *matched)
{
	size_t nw = sc->nwords;
	bool *next;

	/* A command whose environment was changed in the string can be made
	 * to run anything (PATH, LD_PRELOAD): never allowed by a rule. */
	if (!strict && sc->env_set) {
		*matched = false;
		return 0;
	}
	next = calloc(nw + 1, sizeof(*next));
	bool *cur = calloc(nw + 1, sizeof(*cur));

	if (!next || !cur) {
		free(next);
		free(cur);
		return -1;
	}
	next[nw] = true;
	for (size_t i = c->nwords; i-- > 0;) {
		const struct pattern_word *pw = &c->words[i];
		if (pw->any) {
			cur[nw] = next[nw];
			for (size_t j = nw; j-- > 0;)
				cur[j] = next[j] || cur[j + 1];
		} else {
			cur[nw] = false;
			for (size_t j = nw; j-- > 0;) {
				const char *w = sc->words[j];
				bool ok = sc->dynamic[j] ? strict : fnmatch(pw->glob, w, 0) == 0;
				/* A deny or ask rule for git also takes ./git and
				 * /tmp/x/git: whatever it is, it is called git. */
				if (!ok && strict && j == 0 && strchr(w, '/') && strrchr(w, '/')[1])
					ok = fnmatch(pw->glob, strrchr(w, '/') + 1, 0) == 0;
				cur[j] = ok && next[j + 1];
			}
		}
		bool *t = next;
		next = cur;
		cur = t;
	}
	*matched = next[0];
	free(next);
	free(cur);
	return 0;
}

static bool arg_match(const struct compiled *c, const struct call *call)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(call->args, c->key);

	return cJSON_IsString(v) && fnmatch(c->glob, v->valuestring, 0) == 0;
}

/* Does @c match @call as a whole (for exec patterns: simple command @sc, or
 * the whole call when @sc is NULL and only a bare rule can match)? Sets
 * *@matched; returns -1 when out of memory. */
static int compiled_match(const struct compiled *c, const struct call *call,
                          const struct shell_command *sc, bool strict, bool *matched)
{
	*matched = false;
	if (strcmp(c->tool, call->tool) != 0)
		return 0;
	switch (c->kind) {
	case RULE_TOOL:
		*matched = true;
		return 0;
	case RULE_EXEC:
		return sc ? exec_match(c, sc, strict, matched) : 0;
	case RULE_PATH:
		*matched = path_match(c, call, strict);
		return 0;
	case RULE_ARG:
		*matched = arg_match(c, call);
		return 0;
	}
	return 0;
}

/* Every rule of @p compiled, deny first, then ask, then allow. */
struct ruleset {
	struct compiled *items;
	const struct policy_rule **rules;
	size_t count;
};

static void ruleset_release(struct ruleset *s)
{
	for (size_t i = 0; i < s->count; i++)
		compiled_release(&s->items[i]);
	free(s->items);
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

static int compile_error(struct corral_error *err, const struct policy_rule *r, const char *why)
{
	char q[RULES_QUOTE_BUF];

	return corral_error_set(err, CORRAL_E_POLICY, 0, "%s:%d:%d: rule '%s': %s",
	                        r->loc.file ? r->loc.file : "?", r->loc.line, r->loc.col,
	                        quote(q, r->match), why);
}

static int ruleset_build(const struct policy *p, struct ruleset *s, struct corral_error *err)
{
	const struct policy_rulelist *lists[] = {&p->rules.deny, &p->rules.ask, &p->rules.allow};
	size_t total = p->rules.deny.count + p->rules.ask.count + p->rules.allow.count;

	memset(s, 0, sizeof(*s));
	s->items = calloc(total ? total : 1, sizeof(*s->items));
	s->rules = calloc(total ? total : 1, sizeof(*s->rules));
	if (!s->items || !s->rules) {
		ruleset_release(s);
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	}
	for (size_t l = 0; l < 3; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			const struct policy_rule *r = &lists[l]->items[i];
			const char *why = NULL;
			int rc = rule_compile(r->match, &s->items[s->count], &why);
			if (rc == COMPILE_NOMEM) {
				ruleset_release(s);
				return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM,
				                        "out of memory");
			}
			if (rc) {
				ruleset_release(s);
				return compile_error(err, r, why);
			}
			s->rules[s->count++] = r;
		}
	}
	return 0;
}

/* The first rule in precedence order that matches, or -1 for none, or -2
 * when out of memory. */
static long ruleset_find(const struct ruleset *s, const struct call *call,
                         const struct shell_command *sc)
{
	for (size_t i = 0; i < s->count; i++) {
		bool strict = s->rules[i]->decision != POLICY_DECISION_ALLOW, m;
		if (compiled_match(&s->items[i], call, sc, strict, &m) < 0)
			return -2;
		if (m)
			return (long)i;
	}
	return -1;
}

/* ---- deciding ---- */

static int severity(enum policy_decision d)
{
	return d == POLICY_DECISION_DENY ? 3 : d == POLICY_DECISION_ASK ? 2 : 1;
}

static const char *short_file(const char *file)
{
	const char *slash = file ? strrchr(file, '/') : NULL;

	if (!file)
		return "?";
	return file[0] == '/' && slash ? slash + 1 : file;
}

static const char *verdict_word(enum policy_decision d)
{
	return d == POLICY_DECISION_DENY  ? "Denied"
	       : d == POLICY_DECISION_ASK ? "Needs approval"
	                                  : "Allowed";
}

/* The reason sentence for @subject decided @d by @rule (NULL: default). */
static char *make_reason(const struct policy *p, const char *subject, enum policy_decision d,
                         const struct policy_rule *rule, const char *unparsable_why)
{
	char buf[RULES_REASON_MAX], q[RULES_QUOTE_BUF];
	int n;

	if (unparsable_why)
		n = snprintf(buf, sizeof(buf),
		             "%s: the command could not be parsed (%s), so it matches no rule and "
		             "rules.default (%s) applies.",
		             verdict_word(d), unparsable_why,
		             policy_decision_name(p->rules.default_decision));
	else if (!rule)
		n = snprintf(buf, sizeof(buf), "%s: %s matches no rule, and rules.default is %s.",
		             verdict_word(d), subject,
		             policy_decision_name(p->rules.default_decision));
	else
		n = snprintf(buf, sizeof(buf), "%s: %s matches the rule '%s' (%s:%d).",
		             verdict_word(d), subject, quote(q, rule->match),
		             short_file(rule->loc.file), rule->loc.line);
	if (n < 0)
		return NULL;
	/* The hint in full (it is the policy author's advice), on the same
	 * line: control characters become spaces. */
	if (rule && rule->hint) {
		size_t len = strlen(buf), h = strlen(rule->hint);
		char *r = malloc(len + h + 2);
		if (!r)
			return NULL;
		memcpy(r, buf, len);
		r[len] = ' ';
		for (size_t i = 0; i < h; i++) {
			unsigned char c = (unsigned char)rule->hint[i];
			r[len + 1 + i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		}
		r[len + 1 + h] = '\0';
		return r;
	}
	return strdup(buf);
}

static void describe_call(char *buf, size_t size, const struct call *call,
                          const struct shell_command *sc)
{
	char q[RULES_QUOTE_BUF];

	if (sc)
		snprintf(buf, size, "the command '%s'", quote(q, sc->text));
	else if (call->is_exec)
		snprintf(buf, size, "the exec call");
	else if (call->has_path)
		snprintf(buf, size, "%s of '%s'", call->tool, quote(q, call->path_arg));
	else
		snprintf(buf, size, "the call of %s", call->tool);
}

static int add_overrides(struct rules_decision *d, const struct policy_rule *r)
{
	if (!r)
		return 0;
	if (r->has_timeout && (!d->has_timeout || r->timeout_ms > d->timeout_ms)) {
		d->has_timeout = true;
		d->timeout_ms = r->timeout_ms;
	}
	if (!r->has_network)
		return 0;
	if (!d->has_network || r->network_mode > d->network_mode)
		d->network_mode = r->network_mode;
	d->has_network = true;
	for (size_t i = 0; i < r->network_allow.count; i++) {
		const char *h = r->network_allow.items[i].value;
		bool seen = false;
		for (size_t j = 0; j < d->network_nallow; j++)
			if (strcmp(d->network_allow[j], h) == 0)
				seen = true;
		if (seen)
			continue;
		const char **a =
		    realloc(d->network_allow, (d->network_nallow + 1) * sizeof(*d->network_allow));
		if (!a)
			return -1;
		d->network_allow = a;
		d->network_allow[d->network_nallow++] = h;
	}
	return 0;
}

static int decide(const struct policy *p, const struct ruleset *s, const struct call *call,
                  struct rules_decision *d, struct corral_error *err)
{
	char subject[RULES_QUOTE_BUF + 64];
	const struct shell_command *deciding_cmd = NULL;
	long idx;

	memset(d, 0, sizeof(*d));
	if (call->is_exec && !call->cmds.unparsable && call->cmds.count > 0) {
		d->commands = calloc(call->cmds.count, sizeof(*d->commands));
		if (!d->commands)
			goto nomem;
		d->decision = POLICY_DECISION_UNSET;
		for (size_t i = 0; i < call->cmds.count; i++) {
			const struct shell_command *sc = &call->cmds.items[i];
			struct rules_verdict *v = &d->commands[i];
			idx = ruleset_find(s, call, sc);
			if (idx == -2)
				goto nomem;
			v->rule = idx >= 0 ? s->rules[idx] : NULL;
			v->decision = v->rule ? v->rule->decision : p->rules.default_decision;
			v->text = strdup(sc->text);
			d->ncommands++;
			if (!v->text)
				goto nomem;
			/* The strictest verdict decides; among equals, a rule's
			 * (with its hint) says more than the default's. */
			if (d->decision == POLICY_DECISION_UNSET ||
			    severity(v->decision) > severity(d->decision) ||
			    (severity(v->decision) == severity(d->decision) && !d->rule &&
			     v->rule)) {
				d->decision = v->decision;
				d->rule = v->rule;
				deciding_cmd = sc;
			}
		}
	} else {
		/* One decision for the whole call; for exec only a bare rule
		 * can match (the string is unparsable or runs nothing). */
		idx = ruleset_find(s, call, NULL);
		if (idx == -2)
			goto nomem;
		d->rule = idx >= 0 ? s->rules[idx] : NULL;
		d->decision = d->rule ? d->rule->decision : p->rules.default_decision;
		d->unparsable = call->is_exec && call->cmds.unparsable;
		d->unparsable_why = d->unparsable ? call->cmds.why : NULL;
	}
	if (d->decision == POLICY_DECISION_UNSET)
		d->decision = POLICY_DECISION_ASK; /* a policy always sets a default */
	describe_call(subject, sizeof(subject), call, deciding_cmd);
	d->reason = make_reason(p, subject, d->decision, d->rule,
	                        d->unparsable && !d->rule ? d->unparsable_why : NULL);
	if (!d->reason)
		goto nomem;
	if (d->decision != POLICY_DECISION_DENY) {
		if (d->ncommands) {
			for (size_t i = 0; i < d->ncommands; i++)
				if (add_overrides(d, d->commands[i].rule) < 0)
					goto nomem;
		} else if (add_overrides(d, d->rule) < 0) {
			goto nomem;
		}
	}
	return 0;
nomem:
	rules_decision_release(d);
	return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
}

int rules_decide(const struct policy *p, const char *workspace, const char *tool, const cJSON *args,
                 struct rules_decision *out, struct corral_error *err)
{
	struct ruleset s;
	struct call call;
	struct rules_decision d;
	int rc;

	if (!workspace || workspace[0] != '/')
		return corral_error_set(err, CORRAL_E_USAGE, 0,
		                        "the workspace '%s' is not an absolute path",
		                        workspace ? workspace : "(none)");
	rc = ruleset_build(p, &s, err);
	if (rc < 0)
		return rc;
	rc = call_prepare(&call, workspace, home_dir(), tool, args, err);
	if (rc == 0)
		rc = decide(p, &s, &call, &d, err);
	call_release(&call);
	ruleset_release(&s);
	if (rc == 0)
		*out = d;
	return rc;
}

void rules_decision_release(struct rules_decision *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ncommands; i++)
		free(d->commands[i].text);
	free(d->commands);
	free(d->reason);
	free(d->network_allow);
	memset(d, 0, sizeof(*d));
}

static int match_one(const struct policy_rule *r, const char *workspace, const char *home,
                     const char *tool, const cJSON *args, bool *matched, struct corral_error *err)
{
	struct compiled c;
	struct call call;
	const char *why = NULL;
	bool strict = r->decision != POLICY_DECISION_ALLOW, m = false;
	int rc;

	if (!workspace || workspace[0] != '/')
		return corral_error_set(err, CORRAL_E_USAGE, 0,
		                        "the workspace '%s' is not an absolute path",
		                        workspace ? workspace : "(none)");
	rc = rule_compile(r->match, &c, &why);
	if (rc == COMPILE_NOMEM)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	if (rc)
		return compile_error(err, r, why);
	rc = call_prepare(&call, workspace, home, tool, args, err);
	if (rc == 0) {
		if (c.kind == RULE_EXEC && strcmp(tool, "exec") == 0) {
			for (size_t i = 0; i < call.cmds.count && !m && rc == 0; i++)
				if (compiled_match(&c, &call, &call.cmds.items[i], strict, &m) < 0)
					rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM,
					                      "out of memory");
		} else {
			compiled_match(&c, &call, NULL, strict, &m);
		}
		if (rc == 0)
			*matched = m;
	}
	call_release(&call);
	compiled_release(&c);
	return rc;
}

int rules_match(const struct policy_rule *r, const char *workspace, const char *tool,
                const cJSON *args, bool *matched, struct corral_error *err)
{
	return match_one(r, workspace, home_dir(), tool, args, matched, err);
}

int rules_parse_call(const char *text, char **tool, cJSON **args, struct corral_error *err)
{
	char q[RULES_QUOTE_BUF];
	size_t n = 0, len = strlen(text);
	char *name, *arg = NULL;
	cJSON *obj = NULL;

	while (is_tool_char(text[n]))
		n++;
	if (n == 0 || n > RULES_TOOL_NAME_MAX || (text[n] && text[n] != '(') ||
	    (text[n] == '(' && text[len - 1] != ')'))
		return corral_error_set(err, CORRAL_E_USAGE, 0,
		                        "'%s' is not a call: expected TOOL or TOOL(ARGUMENT)",
		                        quote(q, text));
	name = strndup(text, n);
	if (text[n])
		arg = strndup(text + n + 1, len - n - 2);
	if (!name || (text[n] && !arg))
		goto nomem;
	if (!arg) {
		obj = cJSON_CreateObject();
	} else if (strcmp(name, "exec") == 0) {
		obj = cJSON_CreateObject();
		if (obj && !cJSON_AddStringToObject(obj, "command", arg))
			goto nomem;
	} else if (in_list(name, path_tools)) {
		obj = cJSON_CreateObject();
		if (obj && !cJSON_AddStringToObject(obj, "path", arg))
			goto nomem;
	} else if (arg[0] == '{') {
		obj = cJSON_Parse(arg);
		if (!cJSON_IsObject(obj)) {
			cJSON_Delete(obj);
			corral_error_set(err, CORRAL_E_USAGE, 0,
			                 "the arguments of '%s' are not a JSON object",
			                 quote(q, text));
			free(name);
			free(arg);
			return -CORRAL_E_USAGE;
		}
	} else {
		size_t k = 0;
		while (is_tool_char(arg[k]))
			k++;
		if (k == 0 || arg[k] != '=') {
			corral_error_set(
			    err, CORRAL_E_USAGE, 0,
			    "the argument of '%s' is neither a JSON object nor KEY=VALUE",
			    quote(q, text));
			free(name);
			free(arg);
			return -CORRAL_E_USAGE;
		}
		arg[k] = '\0';
		obj = cJSON_CreateObject();
		if (obj && !cJSON_AddStringToObject(obj, arg, arg + k + 1))
			goto nomem;
	}
	if (!obj)
		goto nomem;
	free(arg);
	*tool = name;
	*args = obj;
	return 0;
nomem:
	cJSON_Delete(obj);
	free(name);
	free(arg);
	return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
}

static int check_examples(const struct policy_rule *r, const struct policy_strlist *l, bool want,
                          struct corral_error *err)
{
	char q[RULES_QUOTE_BUF], q2[RULES_QUOTE_BUF];

	for (size_t i = 0; i < l->count; i++) {
		const struct policy_str *ex = &l->items[i];
		char *tool = NULL;
		cJSON *args = NULL;
		bool matched = false;
		int rc = rules_parse_call(ex->value, &tool, &args, err);

		if (rc == 0)
			rc = match_one(r, RULES_EXAMPLE_WORKSPACE, RULES_EXAMPLE_HOME, tool, args,
			               &matched, err);
		free(tool);
		cJSON_Delete(args);
		if (rc == -CORRAL_E_NOMEM)
			return rc;
		if (rc < 0) {
			char why[CORRAL_ERROR_MESSAGE_MAX];
			snprintf(why, sizeof(why), "%s", err->message);
			return corral_error_set(
			    err, CORRAL_E_POLICY, 0, "%s:%d:%d: rule '%s': example '%s': %s",
			    ex->loc.file ? ex->loc.file : "?", ex->loc.line, ex->loc.col,
			    quote(q, r->match), quote(q2, ex->value), why);
		}
		if (matched != want)
			return corral_error_set(
			    err, CORRAL_E_POLICY, 0, "%s:%d:%d: rule '%s': example '%s' %s",
			    ex->loc.file ? ex->loc.file : "?", ex->loc.line, ex->loc.col,
			    quote(q, r->match), quote(q2, ex->value),
			    want ? "should match but does not" : "should not match but does");
	}
	return 0;
}

int rules_validate(const struct policy *p, struct corral_error *err)
{
	const struct policy_rulelist *lists[] = {&p->rules.deny, &p->rules.ask, &p->rules.allow};
	struct ruleset s;
	int rc;

	/* Every pattern first, so that a bad one is reported as such rather
	 * than through one of its examples. */
	rc = ruleset_build(p, &s, err);
	if (rc < 0)
		return rc;
	ruleset_release(&s);
	for (size_t l = 0; l < 3; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			const struct policy_rule *r = &lists[l]->items[i];
			rc = check_examples(r, &r->examples_match, true, err);
			if (rc == 0)
				rc = check_examples(r, &r->examples_not_match, false, err);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}
