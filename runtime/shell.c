/*
 * shell.c - the POSIX shell splitter behind exec rules (see shell.h).
 *
 * A recursive-descent reader over the command string. parse_list() reads
 * commands up to the end of its input or a closing ')', and recurses for
 * subshells and $(...); backticks and sh -c scripts are read by a new
 * lexer over their text. Every function returns false as soon as the
 * string is found unparsable (or memory runs out), and the first reason is
 * kept: the caller never acts on a half-read string.
 */
#include "shell.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEREDOC_PENDING_MAX 16 /* here-documents opened on one line */

struct split {
	struct shell_list *out;
	size_t words; /* over all commands, against SHELL_WORDS_MAX */
	bool env_set; /* the string assigns or exports variables (see shell.h) */
	const char *why;
	bool nomem;
};

struct heredoc {
	char *delim;
	bool strip_tabs; /* <<- */
	bool quoted;     /* the body is literal */
};

struct lexer {
	const char *s;
	size_t i, n;
	unsigned depth;
	struct heredoc pending[HEREDOC_PENDING_MAX];
	size_t npending;
};

struct buf {
	char *p;
	size_t len, cap;
};

/* One word being read, with what the reader saw in it. */
struct word {
	struct buf b;
	bool dynamic; /* an expansion or substitution */
	bool quoted;  /* some part was quoted or escaped */
	bool glob;    /* an unquoted *, ? or [ */
	bool brace;   /* an unquoted { */
	bool assign;  /* NAME=... with an unquoted NAME */
	bool ident;   /* everything so far is an unquoted identifier */
};

/* The simple command being built. */
struct cmdbuild {
	char **w;
	bool *dyn;
	bool *glob;
	size_t n, cap;
	bool assigns; /* VAR=value in front of it (or env's) */
};

static bool fail(struct split *sp, const char *why)
{
	if (!sp->why)
		sp->why = why;
	return false;
}

static bool nomem(struct split *sp)
{
	sp->nomem = true;
	return fail(sp, "out of memory");
}

static bool buf_putc(struct split *sp, struct buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char *p = realloc(b->p, cap);
		if (!p)
			return nomem(sp);
		b->p = p;
		b->cap = cap;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return true;
}

static bool buf_putn(struct split *sp, struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!buf_putc(sp, b, s[i]))
			return false;
	return true;
}

static char *buf_take(struct split *sp, struct buf *b)
{
	char *p = b->p;

	if (!p) {
		p = strdup("");
		if (!p)
			nomem(sp);
	}
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

static void cmd_release(struct cmdbuild *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->w[i]);
	free(c->w);
	free(c->dyn);
	free(c->glob);
	memset(c, 0, sizeof(*c));
}

/* Append @word (owned) to @c. */
static bool cmd_push(struct split *sp, struct cmdbuild *c, char *word, bool dyn, bool glob)
{
	if (sp->words >= SHELL_WORDS_MAX) {
		free(word);
		return fail(sp, "it has more words than the limit");
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		char **w = realloc(c->w, cap * sizeof(*w));
		if (w)
			c->w = w;
		bool *d = w ? realloc(c->dyn, cap * sizeof(*d)) : NULL;
		if (d)
			c->dyn = d;
		bool *g = d ? realloc(c->glob, cap * sizeof(*g)) : NULL;
		if (!g) {
			free(word);
			return nomem(sp);
		}
		c->glob = g;
		c->cap = cap;
	}
	c->w[c->n] = word;
	c->dyn[c->n] = dyn;
	c->glob[c->n] = glob;
	c->n++;
	sp->words++;
	return true;
}

/* Remove the first @k words of @c. */
static void cmd_shift(struct cmdbuild *c, size_t k)
{
	for (size_t i = 0; i < k; i++)
		free(c->w[i]);
	memmove(c->w, c->w + k, (c->n - k) * sizeof(*c->w));
	memmove(c->dyn, c->dyn + k, (c->n - k) * sizeof(*c->dyn));
	memmove(c->glob, c->glob + k, (c->n - k) * sizeof(*c->glob));
	c->n -= k;
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Is @s an assignment NAME=VALUE (for env's arguments)? */
static bool is_assignment(const char *s)
{
	if (!is_name_start(*s))
		return false;
	while (is_name_char(*s))
		s++;
	return *s == '=';
}

static bool is_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* ---- rendering ---- */

static bool word_is_plain(const char *w)
{
	if (!*w)
		return false;
	for (const char *c = w; *c; c++)
		if (!is_name_char(*c) && !strchr("@%+=:,./-*?~^[]", *c))
			return false;
	return true;
}

/* The words joined by spaces, each quoted when it would not read back as
 * one literal word. Dynamic words are shown as written. */
static char *render(struct split *sp, char **w, const bool *dyn, size_t n)
{
	struct buf b = {0};

	for (size_t i = 0; i < n; i++) {
		if (i && !buf_putc(sp, &b, ' '))
			goto fail;
		if (dyn[i] || word_is_plain(w[i])) {
			if (!buf_putn(sp, &b, w[i], strlen(w[i])))
				goto fail;
			continue;
		}
		if (!buf_putc(sp, &b, '\''))
			goto fail;
		for (const char *c = w[i]; *c; c++) {
			bool ok = *c == '\'' ? buf_putn(sp, &b, "'\\''", 4) : buf_putc(sp, &b, *c);
			if (!ok)
				goto fail;
		}
		if (!buf_putc(sp, &b, '\''))
			goto fail;
	}
	return buf_take(sp, &b);
fail:
	free(b.p);
	return NULL;
}

/* ---- normalisation ---- */

static bool parse_script(struct split *sp, const char *text, size_t len, unsigned depth);

static const char *const shells[] = {"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", NULL};
static const char *const shell_long_opts[] = {"--norc", "--noprofile", "--login", "--posix", NULL};

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Words of @c from @k that are options of a prefix command: how many, or
 * -1 when one is not understood. @with_arg lists the options that take the
 * next word, @alone those that do not; "--" ends the options. */
static long prefix_options(struct cmdbuild *c, size_t k, const char *const *alone,
                           const char *const *with_arg, const char *const *with_eq)
{
	size_t i = k;

	while (i < c->n) {
		const char *w = c->w[i];
		if (w[0] != '-' || (!w[1] && !(alone && in_list(w, alone))))
			break; /* the command (a computed one is refused later) */
		if (c->dyn[i])
			return -1;
		if (strcmp(w, "--") == 0)
			return (long)(i + 1 - k);
		if (alone && in_list(w, alone)) {
			i++;
		} else if (with_arg && in_list(w, with_arg)) {
			if (i + 1 >= c->n || c->dyn[i + 1])
				return -1;
			i += 2;
		} else {
			bool ok = false;
			for (size_t j = 0; with_eq && with_eq[j]; j++)
				if (strncmp(w, with_eq[j], strlen(with_eq[j])) == 0)
					ok = true;
			if (!ok)
				return -1;
			i++;
		}
	}
	return (long)(i - k);
}

static const char *const command_alone[] = {"-p", NULL};
static const char *const exec_alone[] = {"-c", "-l", "-cl", "-lc", NULL};
static const char *const exec_arg[] = {"-a", NULL};
static const char *const env_alone[] = {"-i", "-", "--ignore-environment", NULL};
static const char *const env_arg[] = {"-u", NULL};
static const char *const env_eq[] = {"--unset=", NULL};
static const char *const nice_arg[] = {"-n", NULL};
static const char *const nice_eq[] = {"--adjustment=", NULL};
static const char *const time_alone[] = {"-p", NULL};
static const char *const timeout_alone[] = {"--foreground", "--preserve-status", "-v", "--verbose",
                                            NULL};
static const char *const timeout_arg[] = {"-s", "-k", NULL};
static const char *const timeout_eq[] = {"--signal=", "--kill-after=", NULL};

/*
 * Strip one prefix command from @c. Returns 1 when one was stripped, 0
 * when words[0] is not a prefix, -1 (with sp->why) when its options are
 * not understood.
 */
static int strip_prefix(struct split *sp, struct cmdbuild *c)
{
	const char *name = c->w[0];
	long k;

	if (strcmp(name, "command") == 0) {
		if (c->n > 1 && (strcmp(c->w[1], "-v") == 0 || strcmp(c->w[1], "-V") == 0))
			return 0; /* only looks the name up */
		k = prefix_options(c, 1, command_alone, NULL, NULL);
	} else if (strcmp(name, "builtin") == 0 || strcmp(name, "nohup") == 0) {
		k = prefix_options(c, 1, NULL, NULL, NULL);
	} else if (strcmp(name, "exec") == 0) {
		k = prefix_options(c, 1, exec_alone, exec_arg, NULL);
	} else if (strcmp(name, "time") == 0) {
		k = prefix_options(c, 1, time_alone, NULL, NULL);
	} else if (strcmp(name, "nice") == 0) {
		k = prefix_options(c, 1, NULL, nice_arg, nice_eq);
		/* nice -5 CMD: the old spelling of -n 5 */
		if (k == -1 && c->n > 1 && c->w[1][0] == '-' && is_digits(c->w[1] + 1))
			k = 1;
	} else if (strcmp(name, "env") == 0) {
		k = prefix_options(c, 1, env_alone, env_arg, env_eq);
		/* NAME=value, the value possibly computed (its commands are
		 * already in the list). */
		while (k >= 0 && (size_t)k + 1 < c->n && is_assignment(c->w[k + 1])) {
			k++;
			c->assigns = true;
		}
		if (k >= 0 && (size_t)k + 1 < c->n && c->w[k + 1][0] == '-')
			k = -1; /* -S and friends re-split their argument */
	} else if (strcmp(name, "timeout") == 0) {
		k = prefix_options(c, 1, timeout_alone, timeout_arg, timeout_eq);
		if (k >= 0) {
			size_t d = (size_t)k + 1;
			if (d >= c->n || c->dyn[d] || c->w[d][0] == '-')
				k = -1;
			else
				k++; /* the duration */
		}
	} else {
		return 0;
	}
	if (k < 0) {
		fail(sp, "a prefix command (command, env, exec, nice, time, timeout) has options "
		         "that are not understood");
		return -1;
	}
	if ((size_t)k + 1 >= c->n)
		return 0; /* nothing runs after it: it is the command itself */
	cmd_shift(c, (size_t)k + 1);
	return 1;
}

/* sh -c SCRIPT: the index of SCRIPT, 0 when this is not a -c call, or -1. */
static long shell_script_index(struct split *sp, struct cmdbuild *c)
{
	bool has_c = false;
	size_t i;

	if (!in_list(c->w[0], shells))
		return 0;
	for (i = 1; i < c->n; i++) {
		const char *w = c->w[i];
		if (c->dyn[i] && (w[0] == '-' || w[0] == '+'))
			return fail(sp, "a shell is started with computed options"), -1;
		if (strcmp(w, "--") == 0 || strcmp(w, "-") == 0) {
			i++;
			break;
		}
		if (w[0] == '-' && w[1] == '-') {
			if (!in_list(w, shell_long_opts))
				return fail(sp, "a shell is started with a long option that is not "
				                "understood"),
				       -1;
			continue;
		}
		if ((w[0] != '-' && w[0] != '+') || !w[1])
			break;
		for (const char *o = w + 1; *o; o++) {
			if (*o == 'c')
				has_c = true;
			else if (*o == 'o' || *o == 'O')
				return fail(sp, "a shell is started with -o, which is not "
				                "understood"),
				       -1;
		}
	}
	if (!has_c)
		return 0;
	if (i >= c->n)
		return fail(sp, "sh -c without a script"), -1;
	if (c->dyn[i])
		return fail(sp, "sh -c runs a script computed at run time"), -1;
	return (long)i;
}

/* The directories whose programs are named by their base name: the ones a
 * package manager fills. "/tmp/x/git" stays as written, so that an allow
 * rule for git never allows a program someone put elsewhere. */
static const char *const system_dirs[] = {
    "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", NULL};

/* Is the command path @path (whose last '/' is @slash) in a system_dirs? */
static bool in_system_dir(const char *path, const char *slash)
{
	size_t n = (size_t)(slash - path);

	for (size_t i = 0; system_dirs[i]; i++)
		if (strlen(system_dirs[i]) == n && strncmp(path, system_dirs[i], n) == 0)
			return true;
	return false;
}

/* Builtins that set variables for the commands after them. */
static const char *const exporters[] = {"export", "declare", "typeset", "readonly", "local", NULL};

/* Normalise the command in @c and append it to the output (or the commands
 * of its sh -c script). Consumes @c. */
static bool cmd_finish(struct split *sp, struct cmdbuild *c, unsigned depth)
{
	struct shell_list *out = sp->out;
	struct shell_command *sc;
	long script;
	int rc;
	bool ok = false;

	if (c->n == 0) {
		/* VAR=value alone sets it for every later command. */
		if (c->assigns)
			sp->env_set = true;
		return true;
	}
	do {
		if (c->dyn[0]) {
			fail(sp, "a command name is computed at run time");
			goto out;
		}
		if (c->glob[0] && strcmp(c->w[0], "[") != 0) {
			fail(sp, "a command name is a glob");
			goto out;
		}
		if (c->w[0][0] == '/') {
			char *slash = strrchr(c->w[0], '/');
			if (!slash[1]) {
				fail(sp, "a command name ends with '/'");
				goto out;
			}
			if (in_system_dir(c->w[0], slash))
				memmove(c->w[0], slash + 1, strlen(slash + 1) + 1);
		}
	} while ((rc = strip_prefix(sp, c)) == 1);
	if (rc < 0)
		goto out;
	if (strcmp(c->w[0], "eval") == 0) {
		fail(sp, "eval runs a string computed at run time");
		goto out;
	}
	/* Builtins that make a string run later, or make a command name mean
	 * another program. */
	if (strcmp(c->w[0], "trap") == 0 && c->n > 1) {
		fail(sp, "trap runs a string later");
		goto out;
	}
	if (strcmp(c->w[0], "alias") == 0 && c->n > 1) {
		fail(sp, "alias changes what a later command name runs");
		goto out;
	}
	if (strcmp(c->w[0], "hash") == 0 && c->n > 1 && strncmp(c->w[1], "-p", 2) == 0) {
		fail(sp, "hash -p changes what a later command name runs");
		goto out;
	}
	if (in_list(c->w[0], exporters))
		sp->env_set = true;
	if (strcmp(c->w[0], "[[") == 0) {
		fail(sp, "[[ ... ]] is not understood");
		goto out;
	}
	script = shell_script_index(sp, c);
	if (script < 0)
		goto out;
	if (script > 0) {
		const char *text = c->w[script];
		if (depth + 1 > SHELL_DEPTH_MAX) {
			fail(sp, "it nests deeper than the limit");
			goto out;
		}
		ok = parse_script(sp, text, strlen(text), depth + 1);
		goto out;
	}
	if (out->count >= SHELL_COMMANDS_MAX) {
		fail(sp, "it has more simple commands than the limit");
		goto out;
	}
	if (out->count % 8 == 0) {
		struct shell_command *items =
		    realloc(out->items, (out->count + 8) * sizeof(*out->items));
		if (!items) {
			nomem(sp);
			goto out;
		}
		out->items = items;
	}
	sc = &out->items[out->count];
	memset(sc, 0, sizeof(*sc));
	sc->text = render(sp, c->w, c->dyn, c->n);
	if (!sc->text)
		goto out;
	sc->words = c->w;
	sc->dynamic = c->dyn;
	sc->nwords = c->n;
	sc->env_set = c->assigns;
	free(c->glob);
	memset(c, 0, sizeof(*c));
	out->count++;
	return true;
out:
	cmd_release(c);
	return ok;
}

/* ---- reading ---- */

static bool parse_list(struct split *sp, struct lexer *lx, bool subshell);

static bool at_end(const struct lexer *lx)
{
	return lx->i >= lx->n;
}

static char peek(const struct lexer *lx, size_t k)
{
	return lx->i + k < lx->n ? lx->s[lx->i + k] : '\0';
}

static bool is_meta(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' ||
	       c == '>' || c == '(' || c == ')';
}

/* Read the text of `...` (from after the opening backtick) into @b, undoing
 * the backslashes that protect $ ` \ (and " inside double quotes). */
static bool read_backticks(struct split *sp, struct lexer *lx, bool dquote, struct buf *b)
{
	while (!at_end(lx)) {
		char c = lx->s[lx->i++];
		if (c == '`')
			return true;
		if (c == '\\' && !at_end(lx)) {
			char d = lx->s[lx->i];
			if (d == '$' || d == '`' || d == '\\' || (dquote && d == '"')) {
				lx->i++;
				if (!buf_putc(sp, b, d))
					return false;
				continue;
			}
		}
		if (!buf_putc(sp, b, c))
			return false;
	}
	return fail(sp, "a backtick is not closed");
}

/* $... at lx->i (the '$'). Appends the expansion as written to @w. */
static bool read_dollar(struct split *sp, struct lexer *lx, struct word *w)
{
	size_t start = lx->i;
	char c = peek(lx, 1);

	if (c == '(') {
		if (peek(lx, 2) == '(')
			return fail(sp, "arithmetic $((...)) is not understood");
		if (lx->depth + 1 > SHELL_DEPTH_MAX)
			return fail(sp, "it nests deeper than the limit");
		lx->i += 2;
		lx->depth++;
		if (!parse_list(sp, lx, true))
			return false;
		lx->depth--;
	} else if (c == '{') {
		lx->i += 2;
		while (!at_end(lx) && lx->s[lx->i] != '}') {
			char d = lx->s[lx->i];
			if (!is_name_char(d) && !strchr("@*#?$!-", d))
				return fail(sp, "a parameter expansion ${...} with an operator is "
				                "not understood");
			lx->i++;
		}
		if (at_end(lx))
			return fail(sp, "a ${ is not closed");
		lx->i++;
	} else if (is_name_start(c)) {
		lx->i++;
		while (!at_end(lx) && is_name_char(lx->s[lx->i]))
			lx->i++;
	} else if (c && (strchr("@*#?$!-", c) || (c >= '0' && c <= '9'))) {
		lx->i += 2;
	} else if (c == '\'' || c == '"') {
		return fail(sp, "$'...' and $\"...\" quoting is not understood");
	} else {
		/* A lone '$' is literal. */
		lx->i++;
		w->ident = false;
		return buf_putc(sp, &w->b, '$');
	}
	w->dynamic = true;
	w->ident = false;
	return buf_putn(sp, &w->b, lx->s + start, lx->i - start);
}

static bool read_backtick_word(struct split *sp, struct lexer *lx, struct word *w, bool dquote)
{
	struct buf inner = {0};
	size_t start = lx->i;
	bool ok;

	lx->i++;
	if (lx->depth + 1 > SHELL_DEPTH_MAX)
		return fail(sp, "it nests deeper than the limit");
	ok = read_backticks(sp, lx, dquote, &inner) &&
	     parse_script(sp, inner.p ? inner.p : "", inner.len, lx->depth + 1);
	free(inner.p);
	if (!ok)
		return false;
	w->dynamic = true;
	w->ident = false;
	return buf_putn(sp, &w->b, lx->s + start, lx->i - start);
}

/*
 * Read one word at lx->i into @w (which starts zeroed but for ident = true).
 * Stops before an unquoted blank or operator character.
 */
static bool read_word(struct split *sp, struct lexer *lx, struct word *w)
{
	while (!at_end(lx)) {
		char c = lx->s[lx->i];

		if (is_meta(c))
			return true;
		if (c == '\'') {
			size_t end = lx->i + 1;
			while (end < lx->n && lx->s[end] != '\'')
				end++;
			if (end >= lx->n)
				return fail(sp, "a single quote is not closed");
			if (!buf_putn(sp, &w->b, lx->s + lx->i + 1, end - lx->i - 1))
				return false;
			lx->i = end + 1;
			w->quoted = true;
			w->ident = false;
		} else if (c == '"') {
			lx->i++;
			w->quoted = true;
			w->ident = false;
			for (;;) {
				if (at_end(lx))
					return fail(sp, "a double quote is not closed");
				c = lx->s[lx->i];
				if (c == '"') {
					lx->i++;
					break;
				}
				if (c == '\\') {
					char d = peek(lx, 1);
					if (d == '\n') {
						lx->i += 2;
						continue;
					}
					if (d == '$' || d == '`' || d == '"' || d == '\\') {
						lx->i += 2;
						if (!buf_putc(sp, &w->b, d))
							return false;
						continue;
					}
					lx->i++;
					if (!buf_putc(sp, &w->b, '\\'))
						return false;
				} else if (c == '$') {
					if (!read_dollar(sp, lx, w))
						return false;
				} else if (c == '`') {
					if (!read_backtick_word(sp, lx, w, true))
						return false;
				} else {
					lx->i++;
					if (!buf_putc(sp, &w->b, c))
						return false;
				}
			}
		} else if (c == '\\') {
			char d = peek(lx, 1);
			if (lx->i + 1 >= lx->n)
				return fail(sp, "it ends with a backslash");
			lx->i += 2;
			if (d == '\n')
				continue;
			w->quoted = true;
			w->ident = false;
			if (!buf_putc(sp, &w->b, d))
				return false;
		} else if (c == '$') {
			if (!read_dollar(sp, lx, w))
				return false;
		} else if (c == '`') {
			if (!read_backtick_word(sp, lx, w, false))
				return false;
		} else {
			if (c == '=' && w->ident && w->b.len > 0 && !w->assign)
				w->assign = true;
			else if (!is_name_char(c) || (w->b.len == 0 && !is_name_start(c)))
				w->ident = false;
			if (c == '*' || c == '?' || c == '[')
				w->glob = true;
			if (c == '{')
				w->brace = true;
			if (c == '=' && w->assign)
				w->ident = false;
			lx->i++;
			if (!buf_putc(sp, &w->b, c))
				return false;
		}
	}
	return true;
}

static void skip_blanks(struct lexer *lx)
{
	while (!at_end(lx)) {
		char c = lx->s[lx->i];
		if (c == ' ' || c == '\t')
			lx->i++;
		else if (c == '\\' && peek(lx, 1) == '\n')
			lx->i += 2;
		else
			break;
	}
}

/* Skip the bodies of the here-documents opened on the line that just
 * ended (lx->i is after its newline). */
static bool read_heredoc_bodies(struct split *sp, struct lexer *lx)
{
	for (size_t h = 0; h < lx->npending; h++) {
		struct heredoc *hd = &lx->pending[h];
		bool found = false;

		while (!at_end(lx)) {
			size_t start = lx->i, end = start;
			while (end < lx->n && lx->s[end] != '\n')
				end++;
			size_t ls = start;
			if (hd->strip_tabs)
				while (ls < end && lx->s[ls] == '\t')
					ls++;
			lx->i = end < lx->n ? end + 1 : end;
			if (end - ls == strlen(hd->delim) &&
			    memcmp(lx->s + ls, hd->delim, end - ls) == 0) {
				found = true;
				break;
			}
			if (!hd->quoted) {
				for (size_t k = start; k < end; k++)
					if (lx->s[k] == '$' || lx->s[k] == '`' || lx->s[k] == '\\')
						return fail(sp,
						            "a here-document's body is expanded "
						            "(quote its delimiter)");
			}
		}
		if (!found)
			return fail(sp, "a here-document is not terminated");
	}
	for (size_t h = 0; h < lx->npending; h++)
		free(lx->pending[h].delim);
	lx->npending = 0;
	return true;
}

/* A redirection at lx->i (after any io number). Reads and drops its target,
 * noting the commands of any substitution in it. */
static bool read_redirection(struct split *sp, struct lexer *lx)
{
	struct word w;
	bool heredoc = false, strip = false, ok;
	char c = lx->s[lx->i], d = peek(lx, 1);

	if (c == '&') {
		lx->i += d == '>' && peek(lx, 2) == '>' ? 3 : 2; /* &> &>> */
	} else if (c == '<') {
		if (d == '(')
			return fail(sp, "process substitution <(...) is not understood");
		if (d == '<' && peek(lx, 2) == '<') {
			lx->i += 3; /* <<< here-string */
		} else if (d == '<') {
			heredoc = true;
			strip = peek(lx, 2) == '-';
			lx->i += strip ? 3 : 2;
		} else {
			lx->i += d == '>' || d == '&' ? 2 : 1;
		}
	} else {
		if (d == '(')
			return fail(sp, "process substitution >(...) is not understood");
		lx->i += d == '>' || d == '&' || d == '|' ? 2 : 1;
	}
	skip_blanks(lx);
	memset(&w, 0, sizeof(w));
	ok = read_word(sp, lx, &w);
	if (ok && w.b.len == 0 && !w.quoted)
		ok = fail(sp, "a redirection has no target");
	if (ok && heredoc) {
		if (w.dynamic) {
			ok = fail(sp, "a here-document's delimiter is computed");
		} else if (lx->npending >= HEREDOC_PENDING_MAX) {
			ok = fail(sp, "too many here-documents on one line");
		} else {
			struct heredoc *hd = &lx->pending[lx->npending];
			hd->delim = buf_take(sp, &w.b);
			if (!hd->delim)
				return false;
			hd->strip_tabs = strip;
			hd->quoted = w.quoted;
			lx->npending++;
		}
	}
	free(w.b.p);
	return ok;
}

/* Is lx->i at a redirection (an operator, or digits right before one)? */
static bool at_redirection(const struct lexer *lx)
{
	size_t k = 0;
	char c;

	while (peek(lx, k) >= '0' && peek(lx, k) <= '9')
		k++;
	c = peek(lx, k);
	if (c == '<' || c == '>')
		return true;
	return k == 0 && c == '&' && peek(lx, 1) == '>';
}

enum cmd_state {
	CMD_EMPTY,  /* nothing of the command read yet */
	CMD_WORDS,  /* some assignments, redirections or words */
	CMD_CLOSED, /* after ')' or '}' or fi/done: only redirections may follow */
};

/*
 * Read commands until the end of the input or, for @subshell, the ')' that
 * closes it (consumed). Each finished simple command goes to the output.
 */
static bool parse_list(struct split *sp, struct lexer *lx, bool subshell)
{
	struct cmdbuild cmd = {0};
	enum cmd_state state = CMD_EMPTY;
	bool need_cmd = false; /* after && || |: a command must follow */
	bool ok = false;

	for (;;) {
		char c;

		skip_blanks(lx);
		if (at_end(lx)) {
			if (subshell) {
				fail(sp, "a parenthesis is not closed");
				goto out;
			}
			break;
		}
		c = lx->s[lx->i];
		if (c == ')') {
			if (!subshell) {
				fail(sp, "a ')' has no matching '('");
				goto out;
			}
			lx->i++;
			break;
		}
		if (c == '#') {
			/* At the start of a word: a comment to the end of the line. */
			while (!at_end(lx) && lx->s[lx->i] != '\n')
				lx->i++;
			continue;
		}
		if (at_redirection(lx)) {
			while (lx->s[lx->i] >= '0' && lx->s[lx->i] <= '9')
				lx->i++;
			if (!read_redirection(sp, lx))
				goto out;
			if (state == CMD_EMPTY)
				state = CMD_WORDS;
			continue;
		}
		if (c == '\n' || c == ';' || c == '&' || c == '|') {
			bool strict = c != '\n';
			bool chain = false;
			if (c == ';' && (peek(lx, 1) == ';' || peek(lx, 1) == '&')) {
				fail(sp, "case ... esac is not understood");
				goto out;
			}
			if ((c == '&' && peek(lx, 1) == '&') || (c == '|' && peek(lx, 1) == '|') ||
			    (c == '|' && peek(lx, 1) == '&')) {
				lx->i += 2;
				chain = true;
			} else {
				lx->i++;
				chain = c == '|';
			}
			if (state == CMD_EMPTY && strict) {
				fail(sp, "an operator has no command before it");
				goto out;
			}
			if (state != CMD_EMPTY) {
				if (!cmd_finish(sp, &cmd, lx->depth))
					goto out;
				state = CMD_EMPTY;
				need_cmd = false;
			}
			if (chain)
				need_cmd = true;
			if (c == '\n' && !read_heredoc_bodies(sp, lx))
				goto out;
			continue;
		}
		if (c == '(') {
			if (state != CMD_EMPTY) {
				fail(sp,
				     "a '(' where a word was expected (a function definition or "
				     "an array)");
				goto out;
			}
			if (peek(lx, 1) == '(') {
				fail(sp, "arithmetic ((...)) is not understood");
				goto out;
			}
			if (lx->depth + 1 > SHELL_DEPTH_MAX) {
				fail(sp, "it nests deeper than the limit");
				goto out;
			}
			lx->i++;
			lx->depth++;
			if (!parse_list(sp, lx, true))
				goto out;
			lx->depth--;
			state = CMD_CLOSED;
			need_cmd = false;
			continue;
		}

		struct word w;
		memset(&w, 0, sizeof(w));
		w.ident = true;
		if (!read_word(sp, lx, &w)) {
			free(w.b.p);
			goto out;
		}
		if (state == CMD_CLOSED) {
			free(w.b.p);
			fail(sp, "a word follows a closing ')', '}' or keyword");
			goto out;
		}
		if (cmd.n == 0 && w.assign) {
			/* VAR=value before the command: dropped, and noted. */
			free(w.b.p);
			cmd.assigns = true;
			state = CMD_WORDS;
			continue;
		}
		if (cmd.n == 0 && !w.quoted && !w.dynamic && w.b.p) {
			const char *k = w.b.p;
			static const char *const openers[] = {
			    "!", "if", "then", "else", "elif", "do", "while", "until", "{", NULL};
			static const char *const closers[] = {"fi", "done", "}", NULL};
			static const char *const unsupported[] = {
			    "case", "esac", "for", "select", "function", "in", "coproc", NULL};
			if (state == CMD_EMPTY && in_list(k, openers)) {
				free(w.b.p);
				need_cmd = false;
				continue;
			}
			if (state == CMD_EMPTY && in_list(k, closers)) {
				free(w.b.p);
				state = CMD_CLOSED;
				need_cmd = false;
				continue;
			}
			if (state == CMD_EMPTY && in_list(k, unsupported)) {
				free(w.b.p);
				fail(sp, "case, for, select and function are not understood");
				goto out;
			}
		}
		if (w.brace && !(w.b.len == 1 && !w.quoted))
			w.dynamic = true; /* {a,b} and {1..3} expand */
		{
			bool dyn = w.dynamic, glob = w.glob;
			char *text = buf_take(sp, &w.b);
			if (!text || !cmd_push(sp, &cmd, text, dyn, glob))
				goto out;
		}
		state = CMD_WORDS;
		need_cmd = false;
	}
	if (need_cmd) {
		fail(sp, "it ends with an operator that needs another command");
		goto out;
	}
	if (state != CMD_EMPTY && !cmd_finish(sp, &cmd, lx->depth))
		goto out;
	if (!subshell && lx->npending) {
		fail(sp, "a here-document is not terminated");
		goto out;
	}
	ok = true;
out:
	cmd_release(&cmd);
	return ok;
}

static void lexer_release(struct lexer *lx)
{
	for (size_t h = 0; h < lx->npending; h++)
		free(lx->pending[h].delim);
	lx->npending = 0;
}

/* Parse @text (@len bytes) as a whole script at nesting @depth. */
static bool parse_script(struct split *sp, const char *text, size_t len, unsigned depth)
{
	struct lexer lx;
	bool ok;

	if (memchr(text, '\0', len))
		return fail(sp, "it contains a NUL byte");
	memset(&lx, 0, sizeof(lx));
	lx.s = text;
	lx.n = len;
	lx.depth = depth;
	ok = parse_list(sp, &lx, false);
	lexer_release(&lx);
	return ok;
}

static int finish(struct split *sp, struct shell_list *out, struct corral_error *err)
{
	if (sp->nomem) {
		shell_list_release(out);
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM,
		                        "out of memory while splitting a shell command");
	}
	if (sp->why) {
		shell_list_release(out);
		out->unparsable = true;
		out->why = sp->why;
		return 0;
	}
	for (size_t i = 0; sp->env_set && i < out->count; i++)
		out->items[i].env_set = true;
	return 0;
}

int shell_split(const char *command, struct shell_list *out, struct corral_error *err)
{
	struct split sp;
	size_t len = strlen(command);

	memset(out, 0, sizeof(*out));
	memset(&sp, 0, sizeof(sp));
	sp.out = out;
	if (len > SHELL_INPUT_MAX)
		fail(&sp, "it is longer than the limit");
	else
		parse_script(&sp, command, len, 0);
	return finish(&sp, out, err);
}

int shell_split_argv(const char *const *argv, size_t argc, struct shell_list *out,
                     struct corral_error *err)
{
	struct split sp;
	struct cmdbuild cmd = {0};
	size_t total = 0;

	memset(out, 0, sizeof(*out));
	memset(&sp, 0, sizeof(sp));
	sp.out = out;
	for (size_t i = 0; i < argc && !sp.why; i++) {
		total += strlen(argv[i]);
		if (total > SHELL_INPUT_MAX) {
			fail(&sp, "it is longer than the limit");
			break;
		}
		char *w = strdup(argv[i]);
		if (!w)
			nomem(&sp);
		else
			cmd_push(&sp, &cmd, w, false, false);
	}
	if (!sp.why) {
		if (cmd.n == 0)
			fail(&sp, "it has no command");
		else
			cmd_finish(&sp, &cmd, 0);
	}
	cmd_release(&cmd);
	return finish(&sp, out, err);
}

void shell_list_release(struct shell_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++) {
		struct shell_command *c = &l->items[i];
		for (size_t j = 0; j < c->nwords; j++)
			free(c->words[j]);
		free(c->words);
		free(c->dynamic);
		free(c->text);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}
