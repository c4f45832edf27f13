/*
 * test_rules.c - the shell splitter (shell.h) and the rules engine
 * (rules.h): splitting, normalisation, unparsable strings and caps; the
 * data-driven decision table in rules_cases.txt; example checks at load.
 */
#define _GNU_SOURCE
#include "policy.h"
#include "rules.h"
#include "shell.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cases_file; /* argv[1] */

/* The simple commands of @cmd joined by " | ", or "!" when unparsable. */
static char *split_text(const char *cmd)
{
	struct corral_error err = {0};
	struct shell_list l;
	size_t cap = 16, len = 0;
	char *out = malloc(cap);

	ck_assert_ptr_nonnull(out);
	out[0] = '\0';
	ck_assert_int_eq(shell_split(cmd, &l, &err), 0);
	if (l.unparsable) {
		ck_assert_ptr_nonnull(l.why);
		ck_assert_uint_eq(l.count, 0);
		free(out);
		return strdup("!");
	}
	for (size_t i = 0; i < l.count; i++) {
		size_t need = len + strlen(l.items[i].text) + 4;
		if (need > cap) {
			cap = need * 2;
			out = realloc(out, cap);
			ck_assert_ptr_nonnull(out);
		}
		len += (size_t)sprintf(out + len, "%s%s", i ? " | " : "", l.items[i].text);
	}
	shell_list_release(&l);
	return out;
}

struct split_case {
	const char *in;
	const char *want;
};

static const struct split_case split_cases[] = {
    /* words, quotes, escapes */
    {"ls", "ls"},
    {"  ls   -la\t/tmp  ", "ls -la /tmp"},
    {"echo 'a b' \"c d\" e\\ f", "echo 'a b' 'c d' 'e f'"},
    {"echo 'it'\\''s'", "echo 'it'\\''s'"},
    {"echo \"a\\\"b\\$c\\\\d\\x\"", "echo 'a\"b$c\\d\\x'"},
    {"echo ''", "echo ''"},
    {"git pu'sh'", "git push"},
    {"g\"i\"t push", "git push"},
    {"\\git push", "git push"},
    {"echo a\\\nb", "echo ab"},
    {"echo $", "echo '$'"},
    /* operators */
    {"a && b || c; d | e", "a | b | c | d | e"},
    {"a & b", "a | b"},
    {"a |& b", "a | b"},
    {"a\nb\n\nc", "a | b | c"},
    {"a;", "a"},
    {"a &", "a"},
    {"a &&\nb", "a | b"},
    {"a;b&&c||d|e", "a | b | c | d | e"},
    /* subshells, groups, compound keywords */
    {"(a; b) && c", "a | b | c"},
    {"( (a) )", "a"},
    {"{ a; b; }", "a | b"},
    {"{ a; } > f", "a"},
    {"if a; then b; elif c; then d; else e; fi", "a | b | c | d | e"},
    {"while a; do b; done", "a | b"},
    {"until a; do b; done", "a | b"},
    {"! a", "a"},
    {"echo { } fi", "echo '{' '}' fi"},
    /* substitutions */
    {"echo $(git push)", "git push | echo $(git push)"},
    {"echo \"$(git push) x\"", "git push | echo $(git push) x"},
    {"echo `git push`", "git push | echo `git push`"},
    {"echo \"`a | b`\"", "a | b | echo `a | b`"},
    {"x=$(a $(b))", "b | a $(b)"},
    {"echo `echo \\`b\\``", "b | echo `b` | echo `echo \\`b\\``"},
    {"echo $HOME ${PWD} $1 $@ $?", "echo $HOME ${PWD} $1 $@ $?"},
    /* redirections */
    {"a > f", "a"},
    {"a >f 2>&1 <in >>log &>all &>>more 3<>rw >|clob", "a"},
    {"a 2> /dev/null b", "a b"},
    {"a <<< 'text'", "a"},
    {"a > $(b)", "b | a"},
    {"echo 2>x 3", "echo 3"},
    {"cat <<'EOF'\n$x `y`\nEOF\nb", "cat | b"},
    {"cat <<\"EOF\" && c\nbody\nEOF", "cat | c"},
    {"cat <<-EOF\n\tplain text\n\tEOF\nb", "cat | b"},
    {"cat <<EOF\nno expansion here\nEOF", "cat"},
    /* comments */
    {"a # b; c", "a"},
    {"# only a comment", ""},
    {"echo a#b", "echo 'a#b'"},
    /* assignments */
    {"FOO=1 git push", "git push"},
    {"FOO=1 BAR=\"a b\" git push", "git push"},
    {"FOO=$(a) git push", "a | git push"},
    {"FOO=1", ""},
    {"git FOO=1", "git FOO=1"},
    {"'FOO=1' git", "FOO=1 git"},
    /* prefixes */
    {"command git push", "git push"},
    {"command -p git push", "git push"},
    {"command -v git", "command -v git"},
    {"builtin echo x", "echo x"},
    {"exec git push", "git push"},
    {"exec -a name git", "git"},
    {"env A=1 B=2 git push", "git push"},
    {"env -i -u X git", "git"},
    {"env A=$(x) git push", "x | git push"},
    {"env - A=1 git push", "git push"},
    {"env -$X git", "!"},
    {"env", "env"},
    {"nice -n 5 make", "make"},
    {"nice -5 make", "make"},
    {"nohup make", "make"},
    {"time -p make", "make"},
    {"timeout -s KILL 10 make", "make"},
    {"timeout --kill-after=5 10s make", "make"},
    {"env A=1 command nice /usr/bin/git push", "git push"},
    {"/usr/bin/git push", "git push"},
    {"./git push", "./git push"},
    {"/tmp/x/git push", "/tmp/x/git push"},
    {"/usr/local/bin/git push", "git push"},
    {"/sbin/git push", "git push"},
    {"/usr/bin/", "!"},
    /* sh -c */
    {"sh -c 'git push'", "git push"},
    {"bash -c \"git push && ls\"", "git push | ls"},
    {"bash -lc 'git status'", "git status"},
    {"bash -e -c 'a; b' arg0 arg1", "a | b"},
    {"/bin/sh -c 'sh -c \"git push\"'", "git push"},
    {"bash --norc -c 'a'", "a"},
    {"bash script.sh", "bash script.sh"},
    {"sh", "sh"},
    /* unparsable */
    {"eval git push", "!"},
    {"trap 'rm -rf /' EXIT", "!"},
    {"alias ls=rm", "!"},
    {"hash -p /bin/rm ls", "!"},
    {"trap", "trap"},
    {"command eval x", "!"},
    {"echo 'a", "!"},
    {"echo \"a", "!"},
    {"echo `a", "!"},
    {"(a", "!"},
    {"a)", "!"},
    {"echo $(a", "!"},
    {"$CMD x", "!"},
    {"$(echo git) push", "!"},
    {"`echo git` push", "!"},
    {"g* push", "!"},
    {"{git,rm} x", "!"},
    {"sh -c \"$X\"", "!"},
    {"sh -c", "!"},
    {"bash -o pipefail -c 'a'", "!"},
    {"bash --rcfile x -c 'a'", "!"},
    {"cat <<EOF\n$HOME\nEOF", "!"},
    {"cat <<EOF\nbody", "!"},
    {"cat <<EOF", "!"},
    {"diff <(a) <(b)", "!"},
    {"tee >(a)", "!"},
    {"echo $((1 + 2))", "!"},
    {"((x++))", "!"},
    {"echo ${x:-$(rm -rf /)}", "!"},
    {"echo $'a'", "!"},
    {"for f in *; do rm $f; done", "!"},
    {"case x in a) b;; esac", "!"},
    {"f() { a; }", "!"},
    {"function f { a; }", "!"},
    {"[[ -f x ]]", "!"},
    {"a && && b", "!"},
    {"; a", "!"},
    {"a |", "!"},
    {"a ||", "!"},
    {"a >", "!"},
    {"a > ;", "!"},
    {"(a) b", "!"},
    {"a\\", "!"},
    {"env -S 'a b'", "!"},
    {"timeout 10", "timeout 10"},
    {"nice --bogus make", "!"},
    {"a=(x y) b", "!"},
};

START_TEST(test_split_table)
{
	const struct split_case *c = &split_cases[_i];
	char *got = split_text(c->in);

	ck_assert_msg(strcmp(got, c->want) == 0, "split(\"%s\") = \"%s\", want \"%s\"", c->in, got,
	              c->want);
	free(got);
}
END_TEST

START_TEST(test_split_words)
{
	struct corral_error err = {0};
	struct shell_list l;

	ck_assert_int_eq(shell_split("FOO=1 git commit -m \"a b\" $REV 'x y'", &l, &err), 0);
	ck_assert(!l.unparsable);
	ck_assert_uint_eq(l.count, 1);
	ck_assert_uint_eq(l.items[0].nwords, 6);
	ck_assert_str_eq(l.items[0].words[0], "git");
	ck_assert_str_eq(l.items[0].words[3], "a b");
	ck_assert_str_eq(l.items[0].words[4], "$REV");
	ck_assert(l.items[0].dynamic[4]);
	ck_assert(!l.items[0].dynamic[3]);
	ck_assert_str_eq(l.items[0].words[5], "x y");
	ck_assert(l.items[0].env_set);
	shell_list_release(&l);
	/* The environment: changed for one command, or for all after an export. */
	ck_assert_int_eq(shell_split("a; B=1 b; c", &l, &err), 0);
	ck_assert_uint_eq(l.count, 3);
	ck_assert(!l.items[0].env_set && l.items[1].env_set && !l.items[2].env_set);
	shell_list_release(&l);
	ck_assert_int_eq(shell_split("a; export B=1; c", &l, &err), 0);
	ck_assert_uint_eq(l.count, 3);
	ck_assert(l.items[0].env_set && l.items[2].env_set);
	shell_list_release(&l);
	ck_assert_int_eq(shell_split("set -e; make", &l, &err), 0);
	ck_assert(!l.items[1].env_set);
	shell_list_release(&l); /* idempotent */
	shell_list_release(NULL);
}
END_TEST

START_TEST(test_split_argv)
{
	struct corral_error err = {0};
	struct shell_list l;
	const char *argv1[] = {"/usr/bin/env", "A=1", "git", "push", "$X"};
	const char *argv2[] = {"bash", "-c", "a && b"};
	const char *argv3[] = {"eval", "x"};

	ck_assert_int_eq(shell_split_argv(argv1, 5, &l, &err), 0);
	ck_assert_uint_eq(l.count, 1);
	ck_assert_str_eq(l.items[0].text, "git push '$X'");
	ck_assert(!l.items[0].dynamic[2]); /* no shell expands it */
	shell_list_release(&l);
	ck_assert_int_eq(shell_split_argv(argv2, 3, &l, &err), 0);
	ck_assert_uint_eq(l.count, 2);
	shell_list_release(&l);
	ck_assert_int_eq(shell_split_argv(argv3, 2, &l, &err), 0);
	ck_assert(l.unparsable);
	shell_list_release(&l);
	ck_assert_int_eq(shell_split_argv(argv3, 0, &l, &err), 0);
	ck_assert(l.unparsable);
	shell_list_release(&l);
}
END_TEST

/* Build a string of @n copies of @unit. */
static char *repeat(const char *unit, size_t n, const char *tail)
{
	size_t u = strlen(unit), t = strlen(tail);
	char *s = malloc(u * n + t + 1);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	memcpy(s + u * n, tail, t + 1);
	return s;
}

static bool unparsable(const char *cmd)
{
	struct corral_error err = {0};
	struct shell_list l;
	bool u;

	ck_assert_int_eq(shell_split(cmd, &l, &err), 0);
	u = l.unparsable;
	shell_list_release(&l);
	return u;
}

START_TEST(test_split_caps)
{
	char *s;

	/* Input length: one byte over the cap. */
	s = repeat("a", SHELL_INPUT_MAX + 1, "");
	ck_assert(unparsable(s));
	free(s);
	s = repeat("a", SHELL_INPUT_MAX, "");
	ck_assert(!unparsable(s));
	free(s);
	/* Words over all commands. */
	s = repeat("a ", SHELL_WORDS_MAX + 1, "");
	ck_assert(unparsable(s));
	free(s);
	s = repeat("a ", SHELL_WORDS_MAX, "");
	ck_assert(!unparsable(s));
	free(s);
	/* Simple commands. */
	s = repeat("a;", SHELL_COMMANDS_MAX + 1, "");
	ck_assert(unparsable(s));
	free(s);
	s = repeat("a;", SHELL_COMMANDS_MAX, "");
	ck_assert(!unparsable(s));
	free(s);
	/* Nesting: subshells, $(...), backticks via sh -c. */
	{
		char *open = repeat("( ", SHELL_DEPTH_MAX, "a");
		char *deep = repeat(")", SHELL_DEPTH_MAX, "");
		char both[8 * SHELL_DEPTH_MAX];
		snprintf(both, sizeof(both), "%s%s", open, deep);
		ck_assert(!unparsable(both));
		free(open);
		free(deep);
		open = repeat("( ", SHELL_DEPTH_MAX + 1, "a");
		deep = repeat(")", SHELL_DEPTH_MAX + 1, "");
		snprintf(both, sizeof(both), "%s%s", open, deep);
		ck_assert(unparsable(both));
		free(open);
		free(deep);
	}
	s = repeat("$(", SHELL_DEPTH_MAX + 1, "a");
	{
		char *close = repeat(")", SHELL_DEPTH_MAX + 1, "");
		char *both = malloc(strlen(s) + strlen(close) + 1);
		ck_assert_ptr_nonnull(both);
		sprintf(both, "%s%s", s, close);
		ck_assert(unparsable(both));
		free(both);
		free(close);
	}
	free(s);
	/* A million opening parentheses: no stack overflow, just unparsable. */
	s = repeat("(", 1000000, "");
	ck_assert(unparsable(s));
	free(s);
	/* sh -c nested past the depth cap. */
	s = strdup("a");
	for (unsigned i = 0; i < SHELL_DEPTH_MAX + 1; i++) {
		size_t n = strlen(s) * 4 + 16;
		char *q = malloc(n), *o = q;
		ck_assert_ptr_nonnull(q);
		o += sprintf(o, "sh -c '");
		for (const char *c = s; *c; c++)
			o += *c == '\'' ? sprintf(o, "'\\''") : sprintf(o, "%c", *c);
		sprintf(o, "'");
		free(s);
		s = q;
	}
	ck_assert(unparsable(s));
	free(s);
}
END_TEST

/* ---- decisions ---- */

static struct policy *load_text(const char *text)
{
	struct corral_error err = {0};
	struct policy *p = NULL;

	if (policy_load_buffer("p.json", text, strlen(text), &p, &err) < 0)
		ck_abort_msg("policy does not load: %s", err.message);
	return p;
}

static enum policy_decision parse_decision(const char *s)
{
	if (strcmp(s, "allow") == 0)
		return POLICY_DECISION_ALLOW;
	if (strcmp(s, "ask") == 0)
		return POLICY_DECISION_ASK;
	if (strcmp(s, "deny") == 0)
		return POLICY_DECISION_DENY;
	return POLICY_DECISION_UNSET;
}

/* Check what a "=> KEY: VALUE" says about @d. NULL when it holds, else why. */
static const char *check_expect(const struct rules_decision *d, const char *check, char *why,
                                size_t size)
{
	char buf[POLICY_FORMAT_MAX];

	if (strncmp(check, "rule: ", 6) == 0) {
		const char *want = check + 6;
		const char *got = d->rule ? d->rule->match : "default";
		if (strcmp(want, got) != 0) {
			snprintf(why, size, "rule '%s', want '%s'", got, want);
			return why;
		}
	} else if (strncmp(check, "timeout: ", 9) == 0) {
		const char *got =
		    d->has_timeout ? policy_format_duration(d->timeout_ms, buf) : "none";
		if (strcmp(check + 9, got) != 0) {
			snprintf(why, size, "timeout %s, want %s", got, check + 9);
			return why;
		}
	} else if (strncmp(check, "network: ", 9) == 0) {
		char got[512];
		size_t n = 0;
		if (!d->has_network) {
			snprintf(got, sizeof(got), "none");
		} else {
			n = (size_t)snprintf(got, sizeof(got), "%s",
			                     policy_net_mode_name(d->network_mode));
			for (size_t i = 0; i < d->network_nallow && n < sizeof(got); i++)
				n += (size_t)snprintf(got + n, sizeof(got) - n, " %s",
				                      d->network_allow[i]);
		}
		if (strcmp(check + 9, got) != 0) {
			snprintf(why, size, "network '%s', want '%s'", got, check + 9);
			return why;
		}
	} else if (strncmp(check, "reason~ ", 8) == 0) {
		if (!strstr(d->reason, check + 8)) {
			snprintf(why, size, "reason '%s' lacks '%s'", d->reason, check + 8);
			return why;
		}
	} else if (strcmp(check, "unparsable") == 0) {
		if (!d->unparsable)
			return "it was parsed, want unparsable";
	} else {
		snprintf(why, size, "unknown check '%s'", check);
		return why;
	}
	return NULL;
}

/*
 * rules_cases.txt: lines
 *   policy: JSON        the policy for the cases that follow (one line)
 *   profile: NAME       a shipped profile instead
 *   workspace: DIR      the workspace (default /ws)
 *   home: DIR           $HOME for the cases that follow
 *   DECISION CALL [=> CHECK]
 * CALL is "TOOL", "TOOL(ARG)" (as in rule examples) or "TOOL {JSON}".
 */
START_TEST(test_decision_table)
{
	FILE *f = fopen(cases_file, "r");
	char line[8192], workspace[8192] = "/ws";
	struct policy *p = NULL;
	int lineno = 0, ncases = 0, nfail = 0;

	ck_assert_msg(f != NULL, "cannot open %s", cases_file);
	setenv("HOME", "/home/u", 1);
	while (fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n'), *sp, *call, *check;
		struct corral_error err = {0};
		struct rules_decision d;
		enum policy_decision want;
		char *tool = NULL, why[1024];
		cJSON *args = NULL;
		const char *bad = NULL;

		lineno++;
		if (nl)
			*nl = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (strncmp(line, "policy: ", 8) == 0) {
			policy_free(p);
			p = load_text(line + 8);
			continue;
		}
		if (strncmp(line, "profile: ", 9) == 0) {
			policy_free(p);
			p = NULL;
			ck_assert_msg(policy_load(line + 9, &p, &err) == 0, "%s:%d: %s", cases_file,
			              lineno, err.message);
			continue;
		}
		if (strncmp(line, "workspace: ", 11) == 0) {
			snprintf(workspace, sizeof(workspace), "%s", line + 11);
			continue;
		}
		if (strncmp(line, "home: ", 6) == 0) {
			setenv("HOME", line + 6, 1);
			continue;
		}
		ck_assert_msg(p != NULL, "%s:%d: a case before any policy", cases_file, lineno);
		sp = strchr(line, ' ');
		ck_assert_msg(sp != NULL, "%s:%d: expected DECISION CALL", cases_file, lineno);
		*sp = '\0';
		want = parse_decision(line);
		ck_assert_msg(want != POLICY_DECISION_UNSET, "%s:%d: bad decision '%s'", cases_file,
		              lineno, line);
		call = sp + 1;
		check = strstr(call, " => ");
		if (check) {
			*check = '\0';
			check += 4;
		}
		{
			size_t k = strcspn(call, " (");
			if (call[k] == ' ' && call[k + 1] == '{') {
				tool = strndup(call, k);
				args = cJSON_Parse(call + k + 1);
				ck_assert_msg(args != NULL, "%s:%d: bad JSON", cases_file, lineno);
			} else {
				ck_assert_msg(rules_parse_call(call, &tool, &args, &err) == 0,
				              "%s:%d: %s", cases_file, lineno, err.message);
			}
		}
		ck_assert_msg(rules_decide(p, workspace, tool, args, &d, &err) == 0, "%s:%d: %s",
		              cases_file, lineno, err.message);
		ncases++;
		if (d.decision != want) {
			snprintf(why, sizeof(why), "decided %s, want %s (%s)",
			         policy_decision_name(d.decision), policy_decision_name(want),
			         d.reason);
			bad = why;
		} else if (check) {
			bad = check_expect(&d, check, why, sizeof(why));
		}
		/* Every reason is one sentence: no newline, ends with '.'. */
		if (!bad && (strchr(d.reason, '\n') || !d.reason[0]))
			bad = "the reason is not one line";
		if (bad) {
			fprintf(stderr, "%s:%d: %s: %s\n", cases_file, lineno, call, bad);
			nfail++;
		}
		rules_decision_release(&d);
		cJSON_Delete(args);
		free(tool);
	}
	fclose(f);
	policy_free(p);
	ck_assert_msg(nfail == 0, "%d of %d decision cases failed (see stderr)", nfail, ncases);
	ck_assert_msg(ncases >= 80, "only %d decision cases", ncases);
}
END_TEST

START_TEST(test_reason)
{
	struct policy *p = load_text(
	    "{\"rules\": {\"default\": \"allow\", \"deny\": [{\"match\": \"exec(git push *)\", "
	    "\"hint\": \"Pushing is done by a human.\"}]}}");
	struct corral_error err = {0};
	struct rules_decision d;
	cJSON *args = cJSON_Parse("{\"command\": \"make && git push origin main\"}");

	ck_assert_int_eq(rules_decide(p, "/ws", "exec", args, &d, &err), 0);
	ck_assert_int_eq(d.decision, POLICY_DECISION_DENY);
	ck_assert_str_eq(d.reason, "Denied: the command 'git push origin main' matches the rule "
	                           "'exec(git push *)' (p.json:1). Pushing is done by a human.");
	ck_assert_uint_eq(d.ncommands, 2);
	ck_assert_str_eq(d.commands[0].text, "make");
	ck_assert_int_eq(d.commands[0].decision, POLICY_DECISION_ALLOW);
	ck_assert_ptr_null(d.commands[0].rule);
	ck_assert_ptr_eq(d.commands[1].rule, d.rule);
	ck_assert(!d.has_timeout && !d.has_network);
	rules_decision_release(&d);
	rules_decision_release(&d);
	rules_decision_release(NULL);
	/* A relative workspace is refused, and *out is left alone. */
	memset(&d, 0x5a, sizeof(d));
	ck_assert_int_eq(rules_decide(p, "ws", "exec", args, &d, &err), -CORRAL_E_USAGE);
	ck_assert_str_eq(err.message, "the workspace 'ws' is not an absolute path");
	ck_assert_int_eq(((unsigned char *)&d)[0], 0x5a);
	cJSON_Delete(args);
	policy_free(p);

	/* A long hint is kept whole, and a newline in it does not break the
	 * sentence onto two lines. */
	{
		char text[4096], hint[2100];
		memset(hint, 'h', 2000);
		hint[2000] = '\0';
		snprintf(text, sizeof(text),
		         "{\"rules\": {\"ask\": [{\"match\": \"run_tests\", \"hint\": "
		         "\"a\\nb %s\"}]}}",
		         hint);
		p = load_text(text);
		ck_assert_int_eq(rules_decide(p, "/ws", "run_tests", NULL, &d, &err), 0);
		ck_assert_int_eq(d.decision, POLICY_DECISION_ASK);
		ck_assert_ptr_null(strchr(d.reason, '\n'));
		ck_assert_ptr_nonnull(strstr(d.reason, "(p.json:1). a b hhh"));
		ck_assert_uint_eq(strlen(strstr(d.reason, "a b ")), 2004);
		rules_decision_release(&d);
		policy_free(p);
	}
}
END_TEST

struct load_case {
	const char *text;
	const char *error;
};

static const struct load_case load_cases[] = {
    {"{\"rules\": {\"ask\": [{\"match\": \"exec(git push *)\",\n"
     "  \"examples\": {\"not_match\": [\"exec(git pushx)\", \"exec(git push)\"]}}]}}",
     "p.json:2:49: rule 'exec(git push *)': example 'exec(git push)' should not match but "
     "does"},
    {"{\"rules\": {\"ask\": [{\"match\": \"exec(git push *)\",\n"
     "  \"examples\": {\"match\": [\"exec(git pushx)\"]}}]}}",
     "p.json:2:26: rule 'exec(git push *)': example 'exec(git pushx)' should match but does "
     "not"},
    {"{\"rules\": {\"deny\": [{\"match\": \"read_file(**/.env)\",\n"
     "  \"examples\": {\"match\": [\"read_file(a/.env)\", \"read_file(.envrc)\"]}}]}}",
     "p.json:2:47: rule 'read_file(**/.env)': example 'read_file(.envrc)' should match but "
     "does not"},
    {"{\"rules\": {\"deny\": [{\"match\": \"db_query(sql=DROP *)\",\n"
     "  \"examples\": {\"match\": [\"db_query(sql)\"]}}]}}",
     "p.json:2:26: rule 'db_query(sql=DROP *)': example 'db_query(sql)': the argument of "
     "'db_query(sql)' is neither a JSON object nor KEY=VALUE"},
    {"{\"rules\": {\"allow\": [\"exec(ls)\", \"exec(git push; rm x)\"]}}",
     "p.json:1:34: rule 'exec(git push; rm x)': a pattern matches one simple command, "
     "without operators, redirections or expansions (write one rule per command; quote a "
     "literal character)"},
    {"{\"rules\": {\"deny\": [\"exec(sh -c *)\"]}}",
     "p.json:1:21: rule 'exec(sh -c *)': sh -c SCRIPT is matched as the commands of SCRIPT, "
     "so this pattern never matches; write the commands themselves"},
    {"{\"rules\": {\"deny\": [\"exec(env *)\"]}}",
     "p.json:1:21: rule 'exec(env *)': commands are matched after the prefixes command, "
     "builtin, exec, env, nice, nohup, time and timeout are removed, so this pattern never "
     "matches; write the command itself"},
    {"{\"rules\": {\"deny\": [\"read_file(../x)\"]}}",
     "p.json:1:21: rule 'read_file(../x)': a path pattern cannot contain '..'"},
    {"{\"rules\": {\"deny\": [\"read_file(~bob/x)\"]}}",
     "p.json:1:21: rule 'read_file(~bob/x)': '~user' is not supported; write '~/' for the "
     "home directory"},
    {"{\"rules\": {\"deny\": [\"db_query(DROP)\"]}}",
     "p.json:1:21: rule 'db_query(DROP)': expected KEY=GLOB: the name of a string argument "
     "and a glob for its value"},
    {"{\"rules\": {\"deny\": [\"exec(echo 'a)\"]}}",
     "p.json:1:21: rule 'exec(echo 'a)': a quote is not closed"},
    {"{\"rules\": {\"deny\": [\"exec(eval *)\"]}}",
     "p.json:1:21: rule 'exec(eval *)': eval is never matched (its string is only known at "
     "run time); such a command gets rules.default"},
};

START_TEST(test_load_examples)
{
	const struct load_case *c = &load_cases[_i];
	struct corral_error err = {0};
	struct policy *p = NULL;

	ck_assert_int_eq(policy_load_buffer("p.json", c->text, strlen(c->text), &p, &err),
	                 -CORRAL_E_POLICY);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err.message, c->error);
}
END_TEST

START_TEST(test_good_examples)
{
	struct policy *p;

	/* Examples are decided with a fixed home directory, not $HOME: here
	 * "/workspace/.ssh/id_rsa" would otherwise be under ~/.ssh. */
	setenv("HOME", RULES_EXAMPLE_WORKSPACE, 1);
	/* Examples of every kind that hold load fine. */
	p = load_text(
	    "{\"rules\": {\"ask\": [{\"match\": \"exec(git push *)\", \"examples\": {\"match\": "
	    "[\"exec(git push)\", \"exec(FOO=1 command /usr/bin/git push origin)\", \"exec(sh -c "
	    "'make && git push')\"], \"not_match\": [\"exec(git pushx)\", \"exec(eval git push)\", "
	    "\"read_file(git push)\"]}},"
	    "{\"match\": \"db_query(sql=DROP *)\", \"examples\": {\"match\": [\"db_query(sql=DROP "
	    "TABLE x)\", \"db_query({\\\"sql\\\": \\\"DROP x\\\"})\"], \"not_match\": "
	    "[\"db_query\", \"db_query(sql=SELECT 1)\"]}},"
	    "{\"match\": \"run_tests\", \"examples\": {\"match\": [\"run_tests\", "
	    "\"run_tests({})\"], \"not_match\": [\"exec(run_tests)\"]}}],"
	    "\"deny\": [{\"match\": \"read_file(~/.ssh/**)\", \"examples\": {\"match\": "
	    "[\"read_file(~/.ssh/id_rsa)\"], \"not_match\": [\"read_file(.ssh/id_rsa)\"]}}]}}");

	policy_free(p);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int failed;

	if (argc != 2) {
		fprintf(stderr, "usage: test_rules RULES_CASES_FILE\n");
		return 2;
	}
	cases_file = argv[1];
	tcase_add_loop_test(tc, test_split_table, 0,
	                    (int)(sizeof(split_cases) / sizeof(split_cases[0])));
	tcase_add_test(tc, test_split_words);
	tcase_add_test(tc, test_split_argv);
	tcase_add_test(tc, test_split_caps);
	tcase_add_test(tc, test_decision_table);
	tcase_add_test(tc, test_reason);
	tcase_add_loop_test(tc, test_load_examples, 0,
	                    (int)(sizeof(load_cases) / sizeof(load_cases[0])));
	tcase_add_test(tc, test_good_examples);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
