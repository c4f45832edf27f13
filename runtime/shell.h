/*
 * shell.h - split a POSIX shell command string into its simple commands.
 *
 * The rules engine decides an exec call command by command: "make && git
 * push origin" is two simple commands, and both must be allowed. This module
 * finds them. It understands the lists and pipelines (; && || | |& & and
 * newlines), subshells "( ... )", groups "{ ...; }", the compound-command
 * keywords (if, then, while, do, ...), command substitutions "$(...)" and
 * backticks (whose commands are reported too), quotes ('...', "...", \x),
 * redirections (dropped: their target is not a word), comments and quoted
 * here-documents.
 *
 * It does not guess. A string it cannot read with certainty is UNPARSABLE
 * as a whole, and the caller treats it as matching no rule: eval, a
 * here-document whose body would be expanded, unbalanced quotes or
 * parentheses, a command name that is computed ($CMD, $(...), a glob, a
 * brace expansion), sh -c with a computed script, process substitution,
 * arithmetic, case/for/select/function, ANSI-C quoting, and any input past
 * the caps below.
 *
 * Each simple command is normalised so that one rule covers the spellings
 * of the same command:
 *   - leading VAR=value assignments are removed;
 *   - the prefixes command (but not command -v/-V, which only looks a name
 *     up), builtin, exec, env (with -i, -u NAME and VAR=value), nice (-n N),
 *     nohup, time (-p) and timeout (its options and duration) are removed;
 *   - a command in a system directory (/bin, /sbin, /usr/bin, /usr/sbin,
 *     /usr/local/bin, /usr/local/sbin) is named by its base name
 *     (/usr/bin/git -> git); any other path (/tmp/git, ./git) is kept as
 *     written, and the rules engine decides what deny rules make of it;
 *   - sh/bash/dash/zsh/ksh -c 'LITERAL' (also -lc, -ec, ...) is replaced by
 *     the simple commands of LITERAL, parsed the same way, recursively.
 *
 * trap, alias and hash -p with arguments are unparsable too: they make a
 * string run later, or a command name run another program.
 *
 * A word whose value is only known when the shell runs (it holds $VAR,
 * ${VAR}, $(...), backticks or a brace expansion) is marked dynamic; the
 * rules engine decides what a pattern makes of it.
 *
 * Pure code: no side effects, no allocation it does not hand back.
 */
#ifndef CORRAL_SHELL_H
#define CORRAL_SHELL_H

#include <corral/error.h>

#include <stdbool.h>
#include <stddef.h>

/* Hard caps. Input beyond any of them is unparsable, never an error. */
#define SHELL_INPUT_MAX    (64u * 1024u) /* bytes of one command string */
#define SHELL_WORDS_MAX    4096u         /* words over all simple commands */
#define SHELL_COMMANDS_MAX 256u          /* simple commands in one string */
#define SHELL_DEPTH_MAX    8u            /* nesting: (...), $(...), `...`, sh -c */

struct shell_command {
	char **words;  /* after quote removal and normalisation; words[0] is the name */
	bool *dynamic; /* dynamic[i]: words[i] is only known at run time */
	size_t nwords; /* at least 1 */
	char *text;    /* the words joined by spaces, quoted where needed, for messages */
	/* Its environment may differ from the caller's: it had VAR=value in
	 * front of it (also env's), or the string assigns or exports variables
	 * (VAR=value alone, export, declare, typeset, readonly, local). PATH, LD_PRELOAD or
	 * GIT_EXTERNAL_DIFF change what a program does, so the rules engine does not let allow
	 * rules match it. */
	bool env_set;
};

struct shell_list {
	struct shell_command *items;
	size_t count;
	bool unparsable;
	const char *why; /* static text when unparsable ("eval runs a computed string") */
};

/*
 * Split @command (a NUL-terminated string, as exec's "command" argument)
 * into *@out, which the caller then owns (shell_list_release()). Returns 0
 * both when the string was split and when it is unparsable (then
 * out->unparsable is true, out->why says why and out->count is 0); returns
 * -CORRAL_E_NOMEM only when memory runs out.
 */
int shell_split(const char *command, struct shell_list *out, struct corral_error *err);

/*
 * The same for a command given as an argument vector (exec's "argv"): one
 * simple command, normalised as above (its words are never dynamic, since
 * no shell expands them; "sh -c SCRIPT" still has SCRIPT split).
 */
int shell_split_argv(const char *const *argv, size_t argc, struct shell_list *out,
                     struct corral_error *err);

/* Release everything @l owns and zero it. Accepts NULL. */
void shell_list_release(struct shell_list *l);

#endif
