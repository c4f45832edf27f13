/*
 * test_policy.c - the policy loader and its JSON-with-comments parser.
 *
 * Bad inputs are a table: each entry's text must fail with exactly the
 * message given, file:line:col included. Good inputs and the extends chain
 * (files written to a temporary directory) have their own tests.
 */
#define _GNU_SOURCE /* nftw */
#include "jsonc.h"
#include "policy.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rules in the shipped read-only profile (policies/read-only.json). */
#define READ_ONLY_ALLOW 13
#define READ_ONLY_DENY  5

#define NELEM(a)        (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static struct policy *load_ok(const char *text)
{
	struct corral_error err = {0};
	struct policy *p = NULL;
	int rc = policy_load_buffer("p.json", text, strlen(text), &p, &err);

	ck_assert_msg(rc == 0, "unexpected error: %s", err.message);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void expect_error_len(const char *text, size_t len, const char *want)
{
	struct corral_error err = {0};
	struct policy *p = (struct policy *)0x1;
	int rc = policy_load_buffer("p.json", text, len, &p, &err);

	ck_assert_msg(rc < 0, "loaded, expected: %s", want);
	ck_assert_ptr_eq(p, (struct policy *)0x1); /* untouched on failure */
	ck_assert_str_eq(err.message, want);
}

static void expect_error(const char *text, const char *want)
{
	expect_error_len(text, strlen(text), want);
}

#define TMPDIR_TEMPLATE "/tmp/corral-test-policy-XXXXXX"
static char tmpdir[] = TMPDIR_TEMPLATE;

static void make_tmpdir(void)
{
	strcpy(tmpdir, TMPDIR_TEMPLATE);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void make_subdir(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Checked teardown: runs in the test's own process, after the test. */
static void remove_tmpdir(void)
{
	if (strcmp(tmpdir + strlen(tmpdir) - 6, "XXXXXX") != 0)
		nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write @text to tmpdir/@name; return the full path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
	static char path[4][512];
	static int next;
	char *buf = path[next++ % 4];
	FILE *f;

	snprintf(buf, sizeof(path[0]), "%s/%s", tmpdir, name);
	f = fopen(buf, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static void expect_load_error(const char *path, const char *want)
{
	struct corral_error err = {0};
	struct policy *p = NULL;

	ck_assert_int_lt(policy_load(path, &p, &err), 0);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err.message, want);
}

/* ---- bad inputs: exact messages ---- */

struct bad_case {
	const char *text;
	const char *message;
};

static const struct bad_case bad_cases[] = {
    /* Malformed JSON. */
    {"{\"network\": {\"mode\": \"none\"}",
     "p.json:1:29: expected ',' or '}' after an object member, got the end of the file"},
    {"{\"network\": [\"a\"", "p.json:1:17: expected ',' or ']' after an array element, got the "
                             "end of the file"},
    {"{\"description\": \"abc", "p.json:1:17: unterminated string"},
    {"{\"description\": \"abc\n\"}", "p.json:1:17: unterminated string"},
    {"{\"description\": \"a\\qb\"}", "p.json:1:19: invalid escape '\\q' in a string"},
    {"{\"description\": \"\\u12\"}", "p.json:1:18: invalid \\u escape: expected 4 hex digits"},
    {"{\"description\": \"\\ud800\"}",
     "p.json:1:18: invalid \\u escape: unpaired surrogate \\uD800"},
    {"{\"description\": \"\\udc00\"}",
     "p.json:1:18: invalid \\u escape: unpaired surrogate \\uDC00"},
    {"{\"description\": \"\\u0000\"}", "p.json:1:18: \\u0000 is not allowed in a string"},
    {"{\"description\": \"x\",}", "p.json:1:20: trailing comma before '}'"},
    {"{\"env\": {\"pass\": [\"PATH\",]}}", "p.json:1:25: trailing comma before ']'"},
    {"{\n  \"network\": {},\n  \"network\": {}\n}",
     "p.json:3:3: duplicate key 'network' (first on line 2)"},
    {"{\"env\": {\"set\": {\"A\": \"1\", \"B\": \"2\", \"A\": \"3\"}}}",
     "p.json:1:38: duplicate key 'A' (first on line 1)"},
    {"{\"description\": \"\xff\"}", "p.json:1:18: invalid UTF-8 (byte 0xff)"},
    {"{\"description\": \"\xc0\xaf\"}", "p.json:1:18: invalid UTF-8 (byte 0xc0)"},
    {"{\"description\": \"\xed\xa0\x80\"}", "p.json:1:18: invalid UTF-8 (byte 0xed)"},
    {"// \xe2\x82\n{}", "p.json:1:4: invalid UTF-8 (byte 0xe2)"},
    {"{ /* hello ", "p.json:1:3: unterminated comment"},
    {"{ / }", "p.json:1:3: stray '/' (a comment starts with // or /*)"},
    {"{'a': 1}", "p.json:1:2: expected a key in double quotes"},
    {"{\"a\" 1}", "p.json:1:6: expected ':' after an object key"},
    {"{\"network\": {\"mode\": none}}",
     "p.json:1:22: expected a value, got 'none' (strings need double quotes)"},
    {"{\"network\": {\"mode\": 'none'}}",
     "p.json:1:22: expected a value, got ''' (strings need double quotes)"},
    {"{\"network\": }", "p.json:1:13: expected a value, got '}'"},
    {"{\"limits\": {\"processes\": 01}}", "p.json:1:26: invalid number '01'"},
    {"{\"limits\": {\"processes\": 1.}}", "p.json:1:26: invalid number '1.'"},
    {"{\"limits\": {\"processes\": -}}", "p.json:1:26: invalid number '-'"},
    {"{\"limits\": {\"processes\": 0x10}}", "p.json:1:26: invalid number '0x10'"},
    {"{\"limits\": {\"processes\": 1e999}}", "p.json:1:26: number out of range '1e999'"},
    {"{\"description\": \"a\tb\"}",
     "p.json:1:19: control character 0x09 in a string (write it as an escape)"},
    {"", "p.json:1:1: expected a value, got the end of the file"},
    {"  // only a comment\n", "p.json:2:1: expected a value, got the end of the file"},
    {"{} x", "p.json:1:4: expected the end of the file after the top-level value"},
    {"{}\n{}", "p.json:2:1: expected the end of the file after the top-level value"},
    {"[]", "p.json:1:1: a policy must be a JSON object, got an array"},
    {"\"read-only\"", "p.json:1:1: a policy must be a JSON object, got a string"},

    /* Unknown keys, with and without a suggestion. */
    {"{\"netwrok\": {}}",
     "p.json:1:2: unknown key 'netwrok' in the top level — did you mean 'network'?"},
    {"{\"zzz\": 1}",
     "p.json:1:2: unknown key 'zzz' in the top level (expected extends, "
     "filesystem, network, limits, env, rules, tools, checkpoint, audit, description or "
     "$schema)"},
    {"{\"filesystem\": {\"raed\": []}}",
     "p.json:1:17: unknown key 'raed' in filesystem — did you mean 'read'?"},
    {"{\"filesystem\": {\"xyz\": []}}", "p.json:1:17: unknown key 'xyz' in filesystem "
                                        "(expected read, write, hide or protect)"},
    {"{\"network\": {\"allwo\": []}}",
     "p.json:1:14: unknown key 'allwo' in network — did you mean 'allow'?"},
    {"{\"limits\": {\"memroy\": \"1GiB\"}}",
     "p.json:1:13: unknown key 'memroy' in limits — did you mean 'memory'?"},
    {"{\"env\": {\"passs\": []}}",
     "p.json:1:10: unknown key 'passs' in env — did you mean 'pass'?"},
    {"{\"rules\": {\"defualt\": \"ask\"}}",
     "p.json:1:12: unknown key 'defualt' in rules — did you mean 'default'?"},
    {"{\"rules\": {\"deny\": [{\"match\": \"x\", \"hnit\": \"no\"}]}}",
     "p.json:1:36: unknown key 'hnit' in rules.deny[0] — did you mean 'hint'?"},
    {"{\"rules\": {\"ask\": [{\"match\": \"exec\", \"examples\": {\"matches\": []}}]}}",
     "p.json:1:51: unknown key 'matches' in rules.ask[0].examples — did you mean 'match'?"},
    {"{\"rules\": {\"ask\": [{\"match\": \"exec\", \"network\": {\"mdoe\": \"none\"}}]}}",
     "p.json:1:50: unknown key 'mdoe' in rules.ask[0].network — did you mean 'mode'?"},
    {"{\"checkpoint\": {\"max_ag\": \"1d\"}}",
     "p.json:1:17: unknown key 'max_ag' in checkpoint — did you mean 'max_age'?"},
    {"{\"Network\": {}}",
     "p.json:1:2: unknown key 'Network' in the top level — did you mean 'network'?"},

    /* Wrong types. */
    {"{\"filesystem\": []}", "p.json:1:16: filesystem: expected an object, got an array"},
    {"{\"filesystem\": {\"read\": \".\"}}",
     "p.json:1:25: filesystem.read: expected an array, got a string"},
    {"{\"filesystem\": {\"read\": [\".\", 1]}}",
     "p.json:1:31: filesystem.read[1]: expected a string, got a number"},
    {"{\"network\": {\"mode\": 3}}", "p.json:1:22: network.mode: expected a string, got a number"},
    {"{\"network\": null}", "p.json:1:13: network: expected an object, got null"},
    {"{\"limits\": {\"timeout\": true}}",
     "p.json:1:24: limits.timeout: expected a duration such as \"120s\", got true"},
    {"{\"limits\": {\"memory\": false}}",
     "p.json:1:23: limits.memory: expected a size such as \"1GiB\", got false"},
    {"{\"env\": {\"set\": {\"HOME\": 1}}}",
     "p.json:1:26: env.set.HOME: expected a string, got a number"},
    {"{\"env\": {\"set\": []}}", "p.json:1:17: env.set: expected an object, got an array"},
    {"{\"rules\": {\"allow\": [true]}}",
     "p.json:1:22: rules.allow[0]: expected a string or an object, got true"},
    {"{\"rules\": {\"allow\": [{\"match\": \"x\", \"hint\": 1}]}}",
     "p.json:1:45: rules.allow[0].hint: expected a string, got a number"},
    {"{\"description\": 3}", "p.json:1:17: description: expected a string, got a number"},
    {"{\"$schema\": {}}", "p.json:1:13: $schema: expected a string, got an object"},
    {"{\"extends\": 1}", "p.json:1:13: extends: expected a string, got a number"},
    {"{\"extends\": \"\"}", "p.json:1:13: extends: expected a profile name or a path, got ''"},

    /* Enumerations. */
    {"{\"network\": {\"mode\": \"open\"}}",
     "p.json:1:22: network.mode: unknown mode 'open' (expected none, proxy or host)"},
    {"{\"network\": {\"mode\": \"proxi\"}}",
     "p.json:1:22: network.mode: unknown mode 'proxi' — did you mean 'proxy'?"},
    {"{\"rules\": {\"default\": \"maybe\"}}",
     "p.json:1:23: rules.default: unknown decision 'maybe' (expected allow, ask or deny)"},
    {"{\"rules\": {\"default\": \"dney\"}}",
     "p.json:1:23: rules.default: unknown decision 'dney' — did you mean 'deny'?"},

    /* Values with a shape. */
    {"{\"network\": {\"mode\": \"proxy\", \"allow\": [\"http://x.com\"]}}",
     "p.json:1:41: network.allow[0]: bad host 'http://x.com': expected a host name such as "
     "\"example.com\", \"*.example.com\" or \"example.com:443\""},
    {"{\"network\": {\"allow\": [\"x.com:0\"]}}",
     "p.json:1:24: network.allow[0]: bad host 'x.com:0': expected a host name such as "
     "\"example.com\", \"*.example.com\" or \"example.com:443\""},
    {"{\"env\": {\"pass\": [\"PATH\", \"FOO-BAR\"]}}",
     "p.json:1:27: env.pass[1]: bad variable name 'FOO-BAR' (expected [A-Za-z_][A-Za-z0-9_]*)"},
    {"{\"env\": {\"set\": {\"1X\": \"y\"}}}",
     "p.json:1:18: env.set: bad variable name '1X' (expected [A-Za-z_][A-Za-z0-9_]*)"},
    {"{\"filesystem\": {\"write\": [\"\"]}}",
     "p.json:1:27: filesystem.write[0]: a path cannot be empty"},
    {"{\"filesystem\": {\"read\": [\"~bob/x\"]}}",
     "p.json:1:26: filesystem.read[0]: bad path '~bob/x': only '~' and '~/...' (your home "
     "directory) are supported"},
    {"{\"checkpoint\": {\"exclude\": [\"\"]}}",
     "p.json:1:29: checkpoint.exclude[0]: an entry cannot be empty"},
    {"{\"tools\": {\"corral\": [\"checkpoint_list\", \"checkpoint_rollback\"]}}",
     "p.json:1:42: tools.corral[1]: unknown corral tool 'checkpoint_rollback' (known: "
     "checkpoint_list, checkpoint_diff)"},
    {"{\"tools\": {\"corral\": \"checkpoint_list\"}}",
     "p.json:1:22: tools.corral: expected an array, got a string"},
    {"{\"description\": \"line\\nbreak\", \"zz\\n\": 1}",
     "p.json:1:32: unknown key 'zz\\x0a' in the top level (expected extends, filesystem, "
     "network, limits, env, rules, tools, checkpoint, audit, description or $schema)"},

    /* Counted limits. */
    {"{\"limits\": {\"processes\": 0}}",
     "p.json:1:26: limits.processes: expected a whole number from 1 to 65536, got 0"},
    {"{\"limits\": {\"processes\": 1.5}}",
     "p.json:1:26: limits.processes: expected a whole number from 1 to 65536, got 1.5"},
    {"{\"limits\": {\"processes\": -4}}",
     "p.json:1:26: limits.processes: expected a whole number from 1 to 65536, got -4"},
    {"{\"limits\": {\"processes\": 100000}}",
     "p.json:1:26: limits.processes: expected a whole number from 1 to 65536, got 100000"},
    {"{\"limits\": {\"processes\": 99999999999999999999999}}",
     "p.json:1:26: limits.processes: expected a whole number from 1 to 65536, got "
     "99999999999999999999999"},
    {"{\"limits\": {\"processes\": \"256\"}}",
     "p.json:1:26: limits.processes: expected a whole number from 1 to 65536, got a string"},
    {"{\"limits\": {\"open_files\": 2}}",
     "p.json:1:27: limits.open_files: expected a whole number from 3 to 1048576, got 2"},
    {"{\"limits\": {\"calls\": 17}}",
     "p.json:1:22: limits.calls: expected a whole number from 1 to 16, got 17"},
    {"{\"checkpoint\": {\"keep\": 0}}",
     "p.json:1:25: checkpoint.keep: expected a whole number from 1 to 100000, got 0"},

    /* Sizes. */
    {"{\n  \"limits\": {\n    \"memory\": \"12 parsecs\"\n  }\n}",
     "p.json:3:15: limits.memory: bad size '12 parsecs': unknown unit 'parsecs' (use B, KiB, "
     "MiB, GiB, TiB, KB, MB, GB, TB)"},
    {"{\"limits\": {\"memory\": \"1gib\"}}",
     "p.json:1:23: limits.memory: bad size '1gib': unknown unit 'gib' (use B, KiB, MiB, GiB, "
     "TiB, KB, MB, GB, TB)"},
    {"{\"limits\": {\"output\": \"-1GiB\"}}",
     "p.json:1:23: limits.output: bad size '-1GiB': a size cannot be negative"},
    {"{\"limits\": {\"output\": -1}}",
     "p.json:1:23: limits.output: bad size '-1': a size cannot be negative"},
    {"{\"limits\": {\"file_size\": \"99999999999999999999\"}}",
     "p.json:1:26: limits.file_size: bad size '99999999999999999999': it does not fit in 64 "
     "bits"},
    {"{\"limits\": {\"file_size\": 99999999999999999999}}",
     "p.json:1:26: limits.file_size: bad size '99999999999999999999': it does not fit in 64 "
     "bits"},
    {"{\"limits\": {\"file_size\": \"20000000TiB\"}}",
     "p.json:1:26: limits.file_size: bad size '20000000TiB': it does not fit in 64 bits"},
    {"{\"limits\": {\"tmp\": \"\"}}", "p.json:1:20: limits.tmp: bad size '': a size cannot be "
                                      "empty"},
    {"{\"limits\": {\"tmp\": \"1.5\"}}", "p.json:1:20: limits.tmp: bad size '1.5': a fraction "
                                         "needs a unit, e.g. \"1.5GiB\""},
    {"{\"limits\": {\"tmp\": 1.5}}",
     "p.json:1:20: limits.tmp: bad size '1.5': write a whole number of bytes or a size with a "
     "unit, e.g. \"1.5GiB\""},
    {"{\"limits\": {\"tmp\": 1e30}}",
     "p.json:1:20: limits.tmp: bad size '1e30': write a whole number of bytes or a size with a "
     "unit, e.g. \"1.5GiB\""},
    {"{\"limits\": {\"tmp\": \"GiB\"}}",
     "p.json:1:20: limits.tmp: bad size 'GiB': expected a number, e.g. \"512MiB\""},
    {"{\"limits\": {\"tmp\": \"1. GiB\"}}",
     "p.json:1:20: limits.tmp: bad size '1. GiB': expected digits after '.'"},
    {"{\"limits\": {\"tmp\": \"1 \"}}",
     "p.json:1:20: limits.tmp: bad size '1 ': expected a unit after the space"},
    {"{\"limits\": {\"memory\": \"512KiB\"}}",
     "p.json:1:23: limits.memory: must be at least 1MiB, got '512KiB'"},
    {"{\"limits\": {\"output\": 0}}", "p.json:1:23: limits.output: must be at least 1B, got '0'"},
    {"{\"checkpoint\": {\"max_file_size\": \"0KiB\"}}",
     "p.json:1:34: checkpoint.max_file_size: must be at least 1B, got '0KiB'"},

    /* Durations. */
    {"{\"limits\": {\"timeout\": 120}}",
     "p.json:1:24: limits.timeout: a duration needs a unit, e.g. \"120s\""},
    {"{\"limits\": {\"timeout\": \"120\"}}",
     "p.json:1:24: limits.timeout: bad duration '120': a duration needs a unit, e.g. \"120s\""},
    {"{\"limits\": {\"timeout\": \"1.5h\"}}",
     "p.json:1:24: limits.timeout: bad duration '1.5h': fractions are not allowed; write "
     "\"1h30m\", not \"1.5h\""},
    {"{\"limits\": {\"timeout\": \"30m1h\"}}",
     "p.json:1:24: limits.timeout: bad duration '30m1h': units must go from largest to "
     "smallest, each at most once, e.g. \"1h30m\""},
    {"{\"limits\": {\"timeout\": \"1h1h\"}}",
     "p.json:1:24: limits.timeout: bad duration '1h1h': units must go from largest to "
     "smallest, each at most once, e.g. \"1h30m\""},
    {"{\"limits\": {\"timeout\": \"5y\"}}",
     "p.json:1:24: limits.timeout: bad duration '5y': unknown unit 'y' (use ms, s, m, h, d)"},
    {"{\"limits\": {\"timeout\": \"1 h\"}}",
     "p.json:1:24: limits.timeout: bad duration '1 h': a duration needs a unit, e.g. \"120s\""},
    {"{\"limits\": {\"timeout\": \"\"}}",
     "p.json:1:24: limits.timeout: bad duration '': a duration cannot be empty"},
    {"{\"limits\": {\"timeout\": \"-5s\"}}",
     "p.json:1:24: limits.timeout: bad duration '-5s': a duration cannot be negative"},
    {"{\"limits\": {\"timeout\": \"0s\"}}",
     "p.json:1:24: limits.timeout: must be at least 1ms, got '0s'"},
    {"{\"checkpoint\": {\"max_age\": \"99999999999999999999d\"}}",
     "p.json:1:28: checkpoint.max_age: bad duration '99999999999999999999d': it does not fit "
     "in 64 bits"},
    {"{\"checkpoint\": {\"max_age\": \"999999999999d\"}}",
     "p.json:1:28: checkpoint.max_age: bad duration '999999999999d': it does not fit in 64 "
     "bits"},

    /* Rules. */
    {"{\"rules\": {\"allow\": [\"exec(ls\"]}}",
     "p.json:1:22: rules.allow[0]: bad rule 'exec(ls': unbalanced parentheses"},
    {"{\"rules\": {\"allow\": [\"\"]}}", "p.json:1:22: rules.allow[0]: bad rule '': it is empty"},
    {"{\"rules\": {\"deny\": [\"ex ec\"]}}",
     "p.json:1:21: rules.deny[0]: bad rule 'ex ec': expected a tool name (letters, digits, '_' "
     "and '-', at most 64) optionally followed by '(pattern)'"},
    {"{\"rules\": {\"deny\": [\"(ls)\"]}}",
     "p.json:1:21: rules.deny[0]: bad rule '(ls)': expected a tool name (letters, digits, '_' "
     "and '-', at most 64) optionally followed by '(pattern)'"},
    {"{\"rules\": {\"ask\": [\"exec()\"]}}",
     "p.json:1:20: rules.ask[0]: bad rule 'exec()': empty '()'; write the tool name alone to "
     "match every call"},
    {"{\"rules\": {\"ask\": [\"exec(a) b\"]}}",
     "p.json:1:20: rules.ask[0]: bad rule 'exec(a) b': text after the closing ')'"},
    {"{\"rules\": {\"ask\": [\"exec(a))\"]}}",
     "p.json:1:20: rules.ask[0]: bad rule 'exec(a))': text after the closing ')'"},
    {"{\"rules\": {\"ask\": [{\"hint\": \"x\"}]}}",
     "p.json:1:20: rules.ask[0]: missing required key 'match'"},
    {"{\"rules\": {\"ask\": [{\"match\": 1}]}}",
     "p.json:1:30: rules.ask[0].match: expected a string, got a number"},
    {"{\"rules\": {\"allow\": [{\"match\": \"x\", \"decision\": \"deny\"}]}}",
     "p.json:1:49: rules.allow[0].decision: a 'deny' rule cannot sit in rules.allow; move it to "
     "rules.deny"},
    {"{\"rules\": {\"allow\": [{\"match\": \"x\", \"network\": {\"allow\": [\"a.com\"]}}]}}",
     "p.json:1:48: rules.allow[0].network: missing required key 'mode'"},
    {"{\"rules\": {\"allow\": [{\"match\": \"x\", \"timeout\": 5}]}}",
     "p.json:1:48: rules.allow[0].timeout: a duration needs a unit, e.g. \"120s\""},
    {"{\"rules\": {\"allow\": [{\"match\": \"x\", \"examples\": {\"match\": [\"exec(x\"]}}]}}",
     "p.json:1:60: rules.allow[0].examples.match[0]: bad example 'exec(x': unbalanced "
     "parentheses"},
};

START_TEST(test_bad_case)
{
	const struct bad_case *c = &bad_cases[_i];

	expect_error(c->text, c->message);
}
END_TEST

START_TEST(test_nul_byte)
{
	expect_error_len("{\"a\"\0}", 6, "p.json:1:5: NUL byte in the text");
	expect_error_len("{}\0", 3, "p.json:1:3: NUL byte in the text");
}
END_TEST

/* ---- caps ---- */

START_TEST(test_rule_name_too_long)
{
	char text[256];

	snprintf(text, sizeof(text), "{\"rules\": {\"allow\": [\"%065d\"]}}", 0);
	expect_error(text, "p.json:1:22: rules.allow[0]: bad rule "
	                   "'000000000000000000000000000000000000000000000000...': expected a tool "
	                   "name (letters, digits, '_' and '-', at most 64) optionally followed by "
	                   "'(pattern)'");
	snprintf(text, sizeof(text), "{\"rules\": {\"allow\": [\"%064d\"]}}", 0);
	policy_free(load_ok(text));
}
END_TEST

START_TEST(test_nesting_depth)
{
	/* The root object is level 1: 31 arrays inside reach level 32. */
	char text[128];
	size_t n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "{\"x\": ");
	for (int i = 0; i < 32; i++)
		text[n++] = '[';
	text[n] = '\0';
	expect_error(text, "p.json:1:38: nesting deeper than 32 levels");

	/* 31 arrays parse (and then fail as an unknown key, not on depth). */
	n = (size_t)snprintf(text, sizeof(text), "{\"x\": ");
	for (int i = 0; i < 31; i++)
		text[n++] = '[';
	for (int i = 0; i < 31; i++)
		text[n++] = ']';
	text[n++] = '}';
	text[n] = '\0';
	expect_error(
	    text,
	    "p.json:1:2: unknown key 'x' in the top level (expected extends, "
	    "filesystem, network, limits, env, rules, tools, checkpoint, audit, description or "
	    "$schema)");
}
END_TEST

START_TEST(test_deep_nesting_does_not_recurse)
{
	/* A megabyte of '[' must fail at the cap, not overflow the stack. */
	size_t len = POLICY_FILE_MAX;
	char *text = malloc(len);

	ck_assert_ptr_nonnull(text);
	memset(text, '[', len);
	expect_error_len(text, len, "p.json:1:33: nesting deeper than 32 levels");
	free(text);
}
END_TEST

START_TEST(test_file_too_large)
{
	size_t len = POLICY_FILE_MAX + 1;
	char *text = malloc(len + 1);
	struct corral_error err = {0};
	struct policy *p = NULL;
	const char *path;
	char want[600];

	ck_assert_ptr_nonnull(text);
	memset(text, ' ', len);
	text[0] = '{';
	text[len - 1] = '}';
	text[len] = '\0';
	expect_error_len(text, len, "p.json: file is larger than 1048576 bytes");

	make_tmpdir();
	path = write_file("big.json", text);
	snprintf(want, sizeof(want), "%s: file is larger than 1048576 bytes", path);
	expect_load_error(path, want);

	/* Exactly the cap is fine. */
	text[len - 1] = '\0';
	text[len - 2] = '}';
	ck_assert_int_eq(policy_load_buffer("p.json", text, len - 1, &p, &err), 0);
	policy_free(p);
	path = write_file("cap.json", text);
	ck_assert_int_eq(policy_load(path, &p, &err), 0);
	policy_free(p);
	free(text);
}
END_TEST

START_TEST(test_string_too_long)
{
	size_t n = JSONC_STRING_MAX + 1;
	char *text = malloc(n + 64);

	ck_assert_ptr_nonnull(text);
	strcpy(text, "{\"description\": \"");
	memset(text + strlen(text), 'a', n);
	strcpy(text + 17 + n, "\"}");
	expect_error(text, "p.json:1:17: string longer than 65536 bytes");
	/* One byte less is accepted. */
	strcpy(text + 17 + n - 1, "\"}");
	policy_free(load_ok(text));
	free(text);
}
END_TEST

START_TEST(test_too_many_values)
{
	size_t count = JSONC_NODES_MAX, n = 0;
	char *text = malloc(count * 2 + 64);
	char want[128];

	ck_assert_ptr_nonnull(text);
	n += (size_t)sprintf(text, "{\"a\":[");
	for (size_t i = 0; i < count; i++) {
		text[n++] = '0';
		text[n++] = ',';
	}
	text[n - 1] = ']';
	text[n++] = '}';
	text[n] = '\0';
	/* The root and the array count too: value number JSONC_NODES_MAX + 1
	 * is the (JSONC_NODES_MAX - 1)-th zero. */
	snprintf(want, sizeof(want), "p.json:1:%zu: more than %u values in the document",
	         (size_t)7 + 2 * (count - 2), JSONC_NODES_MAX);
	expect_error(text, want);
	free(text);
}
END_TEST

START_TEST(test_list_too_long)
{
	size_t count = POLICY_LIST_MAX + 1, n = 0;
	char *text = malloc(count * 4 + 64);

	ck_assert_ptr_nonnull(text);
	n += (size_t)sprintf(text, "{\"filesystem\": {\"read\": [");
	for (size_t i = 0; i < count; i++)
		n += (size_t)sprintf(text + n, "\"a\",");
	text[n - 1] = ']';
	text[n++] = '}';
	text[n++] = '}';
	text[n] = '\0';
	expect_error(text, "p.json:1:25: filesystem.read: more than 4096 entries");
	free(text);
}
END_TEST

/* ---- good inputs ---- */

START_TEST(test_corral_tools)
{
	struct policy *p = load_ok("{\"tools\": {\"corral\": [\"checkpoint_diff\"]}}");

	ck_assert_uint_eq(p->tools.corral.count, 1);
	ck_assert_str_eq(p->tools.corral.items[0].value, "checkpoint_diff");
	policy_free(p);
	p = load_ok("{}");
	ck_assert_uint_eq(p->tools.corral.count, 0);
	policy_free(p);
}
END_TEST

START_TEST(test_defaults)
{
	struct policy *p = load_ok("{}");

	ck_assert_uint_eq(p->nfiles, 1);
	ck_assert_str_eq(p->files[0], "p.json");
	ck_assert_uint_eq(p->limits.timeout_ms, 120000);
	ck_assert_uint_eq(p->limits.memory, 2ull << 30);
	ck_assert_uint_eq(p->limits.processes, 256);
	ck_assert_uint_eq(p->limits.output, 1ull << 20);
	ck_assert_uint_eq(p->limits.file_size, 1ull << 30);
	ck_assert_uint_eq(p->limits.open_files, 1024);
	ck_assert_uint_eq(p->limits.tmp_size, 256ull << 20);
	ck_assert_uint_eq(p->limits.calls, 4);
	ck_assert_int_eq(p->network.mode, POLICY_NET_NONE);
	ck_assert_int_eq(p->rules.default_decision, POLICY_DECISION_ASK);
	ck_assert_uint_eq(p->checkpoint.max_file_size, 10ull << 20);
	ck_assert_uint_eq(p->checkpoint.keep, 100);
	ck_assert_uint_eq(p->checkpoint.max_age_ms, 14ull * 86400000);
	ck_assert_uint_eq(p->filesystem.read.count, 0);
	ck_assert_uint_eq(p->filesystem.write.count, 0);
	ck_assert_uint_eq(p->rules.allow.count + p->rules.ask.count + p->rules.deny.count, 0);
	ck_assert_uint_eq(p->env.nset + p->env.pass.count, 0);
	policy_free(p);
}
END_TEST

START_TEST(test_full_policy)
{
	struct policy *p = load_ok(
	    "{\n"
	    "  \"$schema\": \"./policy.schema.json\",\n"
	    "  \"description\": \"everything\",\n"
	    "  \"filesystem\": {\"read\": [\"/usr\", \"~/.gitconfig\"], \"write\": [\".\"],\n"
	    "                 \"hide\": [\"**/.env\"], \"protect\": [\".git/hooks\"]},\n"
	    "  \"network\": {\"mode\": \"proxy\", \"allow\": [\"pypi.org\", "
	    "\"*.github.com:443\"]},\n"
	    "  \"limits\": {\"timeout\": \"1h30m\", \"memory\": \"1.5GiB\", \"processes\": 64,\n"
	    "             \"output\": 65536, \"file_size\": \"10MB\", \"open_files\": 256,\n"
	    "             \"tmp\": \"64 MiB\", \"calls\": 2},\n"
	    "  \"env\": {\"pass\": [\"PATH\", \"_X1\"], \"set\": {\"HOME\": \"/home/agent\"}},\n"
	    "  \"rules\": {\"default\": \"deny\", \"allow\": [\"read_file\", \"exec(git "
	    "status)\"],\n"
	    "            \"ask\": [\"exec(git push *)\"], \"deny\": [\"exec(echo '(x)')\"]},\n"
	    "  \"checkpoint\": {\"max_file_size\": \"1MiB\", \"exclude\": [\"node_modules/\"],\n"
	    "                 \"keep\": 10, \"max_age\": \"2d\"}\n"
	    "}\n");

	ck_assert_str_eq(p->filesystem.read.items[1].value, "~/.gitconfig");
	ck_assert_int_eq(p->filesystem.read.items[1].loc.line, 4);
	ck_assert_int_eq(p->filesystem.read.items[1].loc.col, 35);
	ck_assert_ptr_eq(p->filesystem.read.items[1].loc.file, p->files[0]);
	ck_assert_str_eq(p->filesystem.protect.items[0].value, ".git/hooks");
	ck_assert_int_eq(p->network.mode, POLICY_NET_PROXY);
	ck_assert_str_eq(p->network.allow.items[1].value, "*.github.com:443");
	ck_assert_uint_eq(p->limits.timeout_ms, 5400000);
	ck_assert_uint_eq(p->limits.memory, 1610612736ull);
	ck_assert_uint_eq(p->limits.processes, 64);
	ck_assert_uint_eq(p->limits.output, 65536);
	ck_assert_uint_eq(p->limits.file_size, 10000000);
	ck_assert_uint_eq(p->limits.open_files, 256);
	ck_assert_uint_eq(p->limits.tmp_size, 64ull << 20);
	ck_assert_uint_eq(p->limits.calls, 2);
	ck_assert_uint_eq(p->env.pass.count, 2);
	ck_assert_str_eq(p->env.set[0].name, "HOME");
	ck_assert_str_eq(p->env.set[0].value, "/home/agent");
	ck_assert_int_eq(p->rules.default_decision, POLICY_DECISION_DENY);
	ck_assert_uint_eq(p->rules.allow.count, 2);
	ck_assert_str_eq(p->rules.allow.items[1].match, "exec(git status)");
	ck_assert_int_eq(p->rules.allow.items[1].decision, POLICY_DECISION_ALLOW);
	ck_assert_int_eq(p->rules.ask.items[0].decision, POLICY_DECISION_ASK);
	ck_assert_str_eq(p->rules.deny.items[0].match, "exec(echo '(x)')");
	ck_assert_int_eq(p->rules.deny.items[0].decision, POLICY_DECISION_DENY);
	ck_assert_int_eq(p->rules.deny.items[0].loc.line, 12);
	ck_assert_uint_eq(p->checkpoint.max_file_size, 1ull << 20);
	ck_assert_str_eq(p->checkpoint.exclude.items[0].value, "node_modules/");
	ck_assert_uint_eq(p->checkpoint.keep, 10);
	ck_assert_uint_eq(p->checkpoint.max_age_ms, 2ull * 86400000);
	policy_free(p);
}
END_TEST

START_TEST(test_rule_object)
{
	struct policy *p =
	    load_ok("{\"rules\": {\"ask\": [\n"
	            "  {\"match\": \"exec(npm install *)\", \"decision\": \"ask\",\n"
	            "   \"hint\": \"installs run scripts\", \"timeout\": \"10m\",\n"
	            "   \"network\": {\"mode\": \"proxy\", \"allow\": [\"registry.npmjs.org\"]},\n"
	            "   \"examples\": {\"match\": [\"exec(npm install left-pad)\"],\n"
	            "                \"not_match\": [\"exec(npm test)\"]}},\n"
	            "  \"plain\"\n"
	            "]}}");
	const struct policy_rule *r = &p->rules.ask.items[0];

	ck_assert_uint_eq(p->rules.ask.count, 2);
	ck_assert_str_eq(r->match, "exec(npm install *)");
	ck_assert_int_eq(r->decision, POLICY_DECISION_ASK);
	ck_assert_str_eq(r->hint, "installs run scripts");
	ck_assert(r->has_timeout);
	ck_assert_uint_eq(r->timeout_ms, 600000);
	ck_assert(r->has_network);
	ck_assert_int_eq(r->network_mode, POLICY_NET_PROXY);
	ck_assert_str_eq(r->network_allow.items[0].value, "registry.npmjs.org");
	ck_assert_str_eq(r->examples_match.items[0].value, "exec(npm install left-pad)");
	ck_assert_str_eq(r->examples_not_match.items[0].value, "exec(npm test)");
	ck_assert_int_eq(r->loc.line, 2);
	ck_assert_int_eq(r->loc.col, 3);
	ck_assert_ptr_null(p->rules.ask.items[1].hint);
	ck_assert(!p->rules.ask.items[1].has_timeout);
	ck_assert(!p->rules.ask.items[1].has_network);
	policy_free(p);
}
END_TEST

START_TEST(test_comments_in_odd_places)
{
	struct policy *p =
	    load_ok("\xef\xbb\xbf// a byte order mark, then a comment\n"
	            "/* before */ { /* after { */ \"network\" // after a key\n"
	            "  /* before : */ : /* after : */ { \"mode\" /**/:/**/\"proxy\"\n"
	            "  /* \"not\": \"a key\", * / */ } } // no newline at the end");

	ck_assert_int_eq(p->network.mode, POLICY_NET_PROXY);
	policy_free(p);

	/* Comment markers inside strings are text. */
	p = load_ok("{\"env\": {\"set\": {\"URL\": \"http://x/*y*/\"}}}");
	ck_assert_str_eq(p->env.set[0].value, "http://x/*y*/");
	policy_free(p);
}
END_TEST

START_TEST(test_string_escapes)
{
	struct policy *p =
	    load_ok("{\"env\": {\"set\": {\"A\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\","
	            "\"B\": \"\\u00e9\\u20AC\\ud83d\\ude00\", \"C\": \"\xc3\xa9\"}}}");

	ck_assert_str_eq(p->env.set[0].value, "\"\\/\b\f\n\r\t");
	ck_assert_str_eq(p->env.set[1].value, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	ck_assert_str_eq(p->env.set[2].value, "\xc3\xa9");
	policy_free(p);
}
END_TEST

START_TEST(test_positions)
{
	struct jsonc_doc doc = JSONC_DOC_INIT;
	struct corral_error err = {0};
	const char *text = "{\n\t\"a\": [1, {\"b\": null}],\n  \"c\": \"x\"\n}";
	const struct jsonc_pos *pos;
	const cJSON *a, *b, *c;

	ck_assert_int_eq(jsonc_parse("t.json", text, strlen(text), 8, &doc, &err), 0);
	a = cJSON_GetObjectItemCaseSensitive(doc.root, "a");
	pos = jsonc_pos(&doc, a);
	ck_assert_int_eq(pos->key_line, 2);
	ck_assert_int_eq(pos->key_col, 2);
	ck_assert_int_eq(pos->line, 2);
	ck_assert_int_eq(pos->col, 7);
	ck_assert_uint_eq(pos->length, strlen("[1, {\"b\": null}]"));
	b = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(a, 1), "b");
	pos = jsonc_pos(&doc, b);
	ck_assert_int_eq(pos->key_col, 12);
	ck_assert_int_eq(pos->col, 17);
	pos = jsonc_pos(&doc, cJSON_GetArrayItem(a, 0));
	ck_assert_int_eq(pos->key_line, 0);
	ck_assert_int_eq(pos->col, 8);
	c = cJSON_GetObjectItemCaseSensitive(doc.root, "c");
	pos = jsonc_pos(&doc, c);
	ck_assert_int_eq(pos->line, 3);
	ck_assert_int_eq(pos->col, 8);
	pos = jsonc_pos(&doc, doc.root);
	ck_assert_int_eq(pos->line, 1);
	ck_assert_int_eq(pos->col, 1);
	ck_assert_ptr_null(jsonc_pos(&doc, (const cJSON *)&doc));
	jsonc_release(&doc);
	jsonc_release(&doc);
	jsonc_release(NULL);
}
END_TEST

START_TEST(test_parse_size)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
	    {"1GiB", 1ull << 30},
	    {"512MiB", 512ull << 20},
	    {"64KiB", 64ull << 10},
	    {"10MB", 10000000},
	    {"4096B", 4096},
	    {"4096", 4096},
	    {"0", 0},
	    {"1.5GiB", 1610612736ull},
	    {"0.5KiB", 512},
	    {"1.3KiB", 1331},
	    {"1 GiB", 1ull << 30},
	    {"2TiB", 2ull << 40},
	    {"3TB", 3000000000000ull},
	    {"1GB", 1000000000},
	    {"7KB", 7000},
	    {"18446744073709551615", UINT64_MAX},
	    {"16777215TiB", 16777215ull << 40},
	};
	static const char *const bad[] = {
	    "",
	    "-1",
	    "GiB",
	    "1.5",
	    "1..5GiB",
	    "1GiB ",
	    " 1GiB",
	    "1  GiB",
	    "1gb",
	    "18446744073709551616",
	    "16777216TiB",
	    "1e9",
	    "0x10",
	    "1,5GiB",
	};
	const char *why;
	uint64_t b;

	for (size_t i = 0; i < NELEM(good); i++) {
		why = NULL;
		ck_assert_msg(policy_parse_size(good[i].text, &b, &why) == 0, "%s: %s",
		              good[i].text, why);
		ck_assert_msg(b == good[i].bytes, "%s: %llu", good[i].text, (unsigned long long)b);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		why = NULL;
		ck_assert_msg(policy_parse_size(bad[i], &b, &why) < 0, "accepted '%s'", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

START_TEST(test_parse_duration)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} good[] = {
	    {"120s", 120000}, {"500ms", 500},     {"2m", 120000},
	    {"1h", 3600000},  {"1h30m", 5400000}, {"14d", 14ull * 86400000},
	    {"90m", 5400000}, {"0ms", 0},         {"1d2h3m4s5ms", 93784005},
	    {"1m30s", 90000}, {"1s500ms", 1500},
	};
	static const char *const bad[] = {"",     "120",  "-1s",  "1.5h",
	                                  "1s1m", "1m1m", "5y",   "1 s",
	                                  "s",    "1h30", "1msx", "99999999999999999999ms"};
	const char *why;
	uint64_t ms;

	for (size_t i = 0; i < NELEM(good); i++) {
		why = NULL;
		ck_assert_msg(policy_parse_duration(good[i].text, &ms, &why) == 0, "%s: %s",
		              good[i].text, why);
		ck_assert_msg(ms == good[i].ms, "%s: %llu", good[i].text, (unsigned long long)ms);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		why = NULL;
		ck_assert_msg(policy_parse_duration(bad[i], &ms, &why) < 0, "accepted '%s'",
		              bad[i]);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

START_TEST(test_format_round_trip)
{
	static const uint64_t sizes[] = {0,          1,          1023,     1024,       1536,
	                                 1ull << 20, 2ull << 30, 10000000, 1ull << 40, UINT64_MAX};
	static const uint64_t durations[] = {0,      1,       999,      1000,     120000,
	                                     600000, 5400000, 86400000, 93784005, UINT64_MAX};
	char buf[POLICY_FORMAT_MAX];
	const char *why;
	uint64_t v;

	ck_assert_str_eq(policy_format_size(2ull << 30, buf), "2GiB");
	ck_assert_str_eq(policy_format_size(10000000, buf), "10MB");
	ck_assert_str_eq(policy_format_size(1000, buf), "1KB");
	ck_assert_str_eq(policy_format_size(1537, buf), "1537B");
	ck_assert_str_eq(policy_format_duration(120000, buf), "120s");
	ck_assert_str_eq(policy_format_duration(5400000, buf), "1h30m");
	ck_assert_str_eq(policy_format_duration(14ull * 86400000, buf), "14d");
	ck_assert_str_eq(policy_format_duration(1500, buf), "1s500ms");
	for (size_t i = 0; i < NELEM(sizes); i++) {
		ck_assert_int_eq(policy_parse_size(policy_format_size(sizes[i], buf), &v, &why), 0);
		ck_assert_uint_eq(v, sizes[i]);
	}
	for (size_t i = 0; i < NELEM(durations); i++) {
		ck_assert_int_eq(
		    policy_parse_duration(policy_format_duration(durations[i], buf), &v, &why), 0);
		ck_assert_uint_eq(v, durations[i]);
	}
}
END_TEST

START_TEST(test_number_forms)
{
	/* A size may be a JSON number in any notation that is a whole number. */
	struct policy *p = load_ok("{\"limits\": {\"output\": 1e6, \"file_size\": 2048.0, "
	                           "\"tmp\": 9007199254740991}}");

	ck_assert_uint_eq(p->limits.output, 1000000);
	ck_assert_uint_eq(p->limits.file_size, 2048);
	ck_assert_uint_eq(p->limits.tmp_size, 9007199254740991ull);
	policy_free(p);
	expect_error("{\"limits\": {\"tmp\": 9007199254740993.0}}",
	             "p.json:1:20: limits.tmp: bad size '9007199254740993.0': write a whole number "
	             "of bytes or a size with a unit, e.g. \"1.5GiB\"");
}
END_TEST

/* ---- extends and merging ---- */

START_TEST(test_extends_profile)
{
	struct policy *p = load_ok("{\"extends\": \"workspace-write\",\n"
	                           " \"filesystem\": {\"read\": [\"/opt\"]}}");

	ck_assert_uint_eq(p->nfiles, 3);
	ck_assert_str_eq(p->files[0], "p.json");
	ck_assert_str_eq(p->files[1], "<profile:workspace-write>");
	ck_assert_str_eq(p->files[2], "<profile:read-only>");
	ck_assert_str_eq(p->filesystem.write.items[0].value, ".");
	ck_assert_ptr_eq(p->filesystem.write.items[0].loc.file, p->files[1]);
	/* The base's paths first, then this file's. */
	ck_assert_str_eq(p->filesystem.read.items[0].value, ".");
	ck_assert_ptr_eq(p->filesystem.read.items[0].loc.file, p->files[2]);
	ck_assert_str_eq(p->filesystem.read.items[p->filesystem.read.count - 1].value, "/opt");
	ck_assert_ptr_eq(p->filesystem.read.items[p->filesystem.read.count - 1].loc.file,
	                 p->files[0]);
	ck_assert_int_eq(p->network.mode, POLICY_NET_NONE);
	policy_free(p);

	expect_error("{\"extends\": \"workspace-wirte\"}",
	             "p.json:1:13: extends: unknown profile 'workspace-wirte' — did you mean "
	             "'workspace-write'? (shipped profiles: plan, read-only, workspace-write)");
	expect_error("{\"extends\": \"strict\"}",
	             "p.json:1:13: extends: unknown profile 'strict' (shipped profiles: plan, "
	             "read-only, workspace-write)");
}
END_TEST

START_TEST(test_merge)
{
	struct corral_error err = {0};
	struct policy *p = NULL;
	const char *path;
	char real[1024];

	make_tmpdir();
	make_subdir("sub");
	write_file(
	    "base.json",
	    "// the base\n"
	    "{\"extends\": \"read-only\",\n"
	    " \"network\": {\"mode\": \"proxy\", \"allow\": [\"a.com\"]},\n"
	    " \"limits\": {\"memory\": \"1GiB\", \"timeout\": \"30s\"},\n"
	    " \"env\": {\"pass\": [\"LANG\"], \"set\": {\"HOME\": \"/base\", \"A\": \"1\"}},\n"
	    " \"rules\": {\"default\": \"deny\", \"deny\": [\"exec(rm *)\"]},\n"
	    " \"checkpoint\": {\"exclude\": [\"build/\"], \"keep\": 5}}\n");
	path = write_file(
	    "sub/child.json",
	    "{\"extends\": \"../base.json\",\n"
	    " \"network\": {\"allow\": [\"b.com\"]},\n"
	    " \"limits\": {\"memory\": \"4GiB\"},\n"
	    " \"env\": {\"pass\": [\"TZ\"], \"set\": {\"HOME\": \"/child\", \"B\": \"2\"}},\n"
	    " \"rules\": {\"default\": \"ask\", \"deny\": [\"exec(dd *)\"]},\n"
	    " \"checkpoint\": {\"exclude\": [\"dist/\"]}}\n");
	ck_assert_msg(policy_load(path, &p, &err) == 0, "%s", err.message);

	ck_assert_uint_eq(p->nfiles, 3);
	ck_assert_ptr_nonnull(realpath(path, real));
	ck_assert_str_eq(p->files[0], real);
	ck_assert_str_eq(strrchr(p->files[1], '/'), "/base.json");
	ck_assert_str_eq(p->files[2], "<profile:read-only>");
	/* Scalars: the derived file wins, or the base's value stays. */
	ck_assert_uint_eq(p->limits.memory, 4ull << 30);
	ck_assert_uint_eq(p->limits.timeout_ms, 30000);
	ck_assert_int_eq(p->network.mode, POLICY_NET_PROXY);
	ck_assert_int_eq(p->rules.default_decision, POLICY_DECISION_ASK);
	ck_assert_uint_eq(p->checkpoint.keep, 5);
	ck_assert_uint_eq(p->limits.tmp_size, 256ull << 20);
	/* Lists: appended, base first. */
	ck_assert_uint_eq(p->network.allow.count, 2);
	ck_assert_str_eq(p->network.allow.items[0].value, "a.com");
	ck_assert_str_eq(p->network.allow.items[1].value, "b.com");
	/* read-only's READ_ONLY_DENY deny rules, then base's, then child's */
	ck_assert_uint_eq(p->rules.deny.count, READ_ONLY_DENY + 2);
	ck_assert_ptr_eq(p->rules.deny.items[0].loc.file, p->files[2]);
	ck_assert_str_eq(p->rules.deny.items[READ_ONLY_DENY].match, "exec(rm *)");
	ck_assert_ptr_eq(p->rules.deny.items[READ_ONLY_DENY].loc.file, p->files[1]);
	ck_assert_int_eq(p->rules.deny.items[READ_ONLY_DENY].loc.line, 6);
	ck_assert_str_eq(p->rules.deny.items[READ_ONLY_DENY + 1].match, "exec(dd *)");
	ck_assert_ptr_eq(p->rules.deny.items[READ_ONLY_DENY + 1].loc.file, p->files[0]);
	ck_assert_uint_eq(p->rules.allow.count, READ_ONLY_ALLOW); /* from read-only */
	ck_assert_uint_eq(p->checkpoint.exclude.count, 2);
	ck_assert_uint_eq(p->env.pass.count, 7); /* read-only's 5, LANG, TZ */
	ck_assert_str_eq(p->env.pass.items[6].value, "TZ");
	/* env.set: replaced by name, in first-set order. */
	ck_assert_uint_eq(p->env.nset, 4);
	ck_assert_str_eq(p->env.set[0].name, "HOME");
	ck_assert_str_eq(p->env.set[0].value, "/child");
	ck_assert_ptr_eq(p->env.set[0].loc.file, p->files[0]);
	ck_assert_str_eq(p->env.set[1].name, "TMPDIR");
	ck_assert_str_eq(p->env.set[2].name, "A");
	ck_assert_str_eq(p->env.set[3].name, "B");
	policy_free(p);
}
END_TEST

START_TEST(test_extends_cycles)
{
	char want[1024];
	const char *a, *b, *c;

	make_tmpdir();
	a = write_file("self.json", "{\"extends\": \"./self.json\"}");
	snprintf(want, sizeof(want), "%s:1:13: extends cycle: %s -> %s", a, a, a);
	expect_load_error(a, want);

	a = write_file("a.json", "{\"extends\": \"b.json\"}");
	b = write_file("b.json", "{\n  \"extends\": \"./c.json\"}");
	c = write_file("c.json", "{\"network\": {},\n \"extends\": \"a.json\"}");
	snprintf(want, sizeof(want), "%s:2:13: extends cycle: %s -> %s -> %s -> %s", c, a, b, c, a);
	expect_load_error(a, want);
}
END_TEST

START_TEST(test_extends_missing_and_bad)
{
	char want[1024], path[512];
	const char *a, *d;

	make_tmpdir();
	a = write_file("a.json", "{\"extends\": \"./nope.json\"}");
	snprintf(want, sizeof(want),
	         "%s:1:13: extends: cannot open './nope.json': No such file or directory", a);
	expect_load_error(a, want);

	/* An error in the base names the base. */
	write_file("base.json", "{\n  \"limits\": {\"timeout\": 5}\n}");
	a = write_file("a.json", "{\"extends\": \"base.json\"}");
	snprintf(want, sizeof(want),
	         "%s/base.json:2:25: limits.timeout: a duration needs a unit, "
	         "e.g. \"120s\"",
	         tmpdir);
	expect_load_error(a, want);

	/* A directory is not a policy. */
	d = write_file("d.json", "{\"extends\": \"/\"}");
	snprintf(want, sizeof(want), "%s:1:13: extends: cannot open '/': Is a directory", d);
	expect_load_error(d, want);

	/* The first file missing. */
	snprintf(want, sizeof(want), "%s/none.json: cannot open: No such file or directory",
	         tmpdir);
	snprintf(path, sizeof(path), "%s/none.json", tmpdir);
	expect_load_error(path, want);
}
END_TEST

START_TEST(test_extends_relative_display)
{
	/* Messages name a base by its path as seen from the first file. */
	struct corral_error err = {0};
	struct policy *p = NULL;
	char cwd[1024];

	make_tmpdir();
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	make_subdir("d");
	write_file("d/a.json", "{\"extends\": \"./b.json\"}");
	write_file("d/b.json", "{\"extends\": \"./a.json\"}");
	ck_assert_int_eq(chdir(tmpdir), 0);
	ck_assert_int_lt(policy_load("d/a.json", &p, &err), 0);
	ck_assert_str_eq(err.message,
	                 "d/b.json:1:13: extends cycle: d/a.json -> d/b.json -> d/a.json");
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(test_extends_chain_too_long)
{
	char name[32], text[64], want[1024];
	const char *first = NULL, *path;

	make_tmpdir();
	for (int i = 0; i <= POLICY_EXTENDS_MAX; i++) {
		snprintf(name, sizeof(name), "f%02d.json", i);
		snprintf(text, sizeof(text), "{\"extends\": \"./f%02d.json\"}", i + 1);
		path = write_file(name, i == POLICY_EXTENDS_MAX ? "{}" : text);
		if (i == 0)
			first = strdup(path);
	}
	snprintf(want, sizeof(want), "%s/f15.json:1:13: extends chain longer than 16 files",
	         tmpdir);
	expect_load_error(first, want);

	/* Sixteen files are fine. */
	{
		struct corral_error err = {0};
		struct policy *p = NULL;
		snprintf(want, sizeof(want), "%s/f01.json", tmpdir);
		ck_assert_msg(policy_load(want, &p, &err) == 0, "%s", err.message);
		ck_assert_uint_eq(p->nfiles, 16);
		policy_free(p);
	}
	free((void *)first);
}
END_TEST

START_TEST(test_extends_large_base)
{
	size_t len = POLICY_FILE_MAX + 2;
	char *text = malloc(len);
	char want[1024];
	const char *a;

	ck_assert_ptr_nonnull(text);
	make_tmpdir();
	memset(text, ' ', len - 1);
	text[0] = '{';
	text[len - 2] = '}';
	text[len - 1] = '\0';
	write_file("big.json", text);
	free(text);
	a = write_file("a.json", "{\"extends\": \"./big.json\"}");
	snprintf(want, sizeof(want), "%s:1:13: extends: './big.json' is larger than 1048576 bytes",
	         a);
	expect_load_error(a, want);
}
END_TEST

START_TEST(test_profiles_only)
{
	struct corral_error err = {0};
	struct policy *p = NULL;
	const char *t1 = "{\"extends\": \"/etc/passwd\"}";
	const char *t2 = "{\"extends\": \"plan\"}";

	ck_assert_int_lt(
	    policy_load_buffer_flags("p.json", t1, strlen(t1), POLICY_LOAD_PROFILES_ONLY, &p, &err),
	    0);
	ck_assert_str_eq(err.message, "p.json:1:13: extends: only shipped profiles can be "
	                              "extended here, not '/etc/passwd'");
	ck_assert_int_eq(
	    policy_load_buffer_flags("p.json", t2, strlen(t2), POLICY_LOAD_PROFILES_ONLY, &p, &err),
	    0);
	ck_assert_int_eq(p->rules.default_decision, POLICY_DECISION_DENY);
	policy_free(p);
}
END_TEST

/* ---- shipped profiles ---- */

START_TEST(test_shipped_profiles)
{
	static const char *const names[] = {"plan", "read-only", "workspace-write"};
	struct corral_error err = {0};
	struct policy *p;

	ck_assert_uint_eq(policy_profile_count(), NELEM(names));
	for (size_t i = 0; i < NELEM(names); i++) {
		ck_assert_str_eq(policy_profile_name(i), names[i]);
		ck_assert_ptr_nonnull(policy_profile_text(names[i]));
		p = NULL;
		ck_assert_msg(policy_load(names[i], &p, &err) == 0, "%s: %s", names[i],
		              err.message);
		ck_assert_int_eq(p->network.mode, POLICY_NET_NONE);
		ck_assert_uint_eq(p->env.nset, 2);
		policy_free(p);
	}
	ck_assert_ptr_null(policy_profile_name(NELEM(names)));
	ck_assert_ptr_null(policy_profile_text("nope"));

	ck_assert_int_eq(policy_load("workspace-write", &p, &err), 0);
	ck_assert_str_eq(p->filesystem.write.items[0].value, ".");
	ck_assert_str_eq(p->filesystem.protect.items[0].value, ".git");
	ck_assert_uint_eq(p->filesystem.protect.count, 1);
	ck_assert_int_eq(p->rules.default_decision, POLICY_DECISION_ALLOW);
	policy_free(p);
	ck_assert_int_eq(policy_load("plan", &p, &err), 0);
	ck_assert_uint_eq(p->filesystem.write.count, 0);
	ck_assert_int_eq(p->rules.default_decision, POLICY_DECISION_DENY);
	ck_assert_uint_eq(p->rules.allow.count, READ_ONLY_ALLOW);
	policy_free(p);

	expect_load_error("raed-only", "no shipped profile or file named 'raed-only' — did you "
	                               "mean 'read-only'? (shipped profiles: plan, read-only, "
	                               "workspace-write)");
}
END_TEST

START_TEST(test_many_keys)
{
	/* Keys of nested objects share one duplicate table, which grows
	 * while an outer object is half parsed. */
	size_t n = 0, size = 64 * 1024;
	char *text = malloc(size);
	struct policy *p;

	ck_assert_ptr_nonnull(text);
	n += (size_t)snprintf(text + n, size - n, "{\"rules\": {\"ask\": [");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, size - n,
		                      "%s{\"match\": \"t%d\", \"network\": {\"mode\": \"none\"}}",
		                      i ? ", " : "", i);
	n += (size_t)snprintf(text + n, size - n, "]}, \"env\": {\"set\": {");
	for (int i = 0; i < 600; i++)
		n += (size_t)snprintf(text + n, size - n, "%s\"V%d\": \"%d\"", i ? ", " : "", i, i);
	snprintf(text + n, size - n, "}}}");
	p = load_ok(text);
	ck_assert_uint_eq(p->env.nset, 600);
	ck_assert_uint_eq(p->rules.ask.count, 40);
	policy_free(p);
	free(text);
}
END_TEST

START_TEST(test_to_json)
{
	struct policy *p =
	    load_ok("{\"extends\": \"plan\", \"limits\": {\"memory\": \"512MiB\"},"
	            " \"rules\": {\"deny\": [{\"match\": \"exec\", \"hint\": \"no\"}]}}");
	char *text = policy_to_json(p, true);
	cJSON *j, *limits;

	ck_assert_ptr_nonnull(text);
	j = cJSON_Parse(text);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "files"), 1)->valuestring,
	                 "<profile:plan>");
	limits = cJSON_GetObjectItem(j, "limits");
	ck_assert_str_eq(cJSON_GetObjectItem(limits, "memory")->valuestring, "512MiB");
	ck_assert_str_eq(cJSON_GetObjectItem(limits, "timeout")->valuestring, "120s");
	ck_assert_int_eq(cJSON_GetObjectItem(limits, "processes")->valueint, 256);
	ck_assert_str_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "rules"), "default")->valuestring, "deny");
	ck_assert_str_eq(
	    cJSON_GetObjectItem(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "rules"), "deny"),
	                           READ_ONLY_DENY),
	        "hint")
	        ->valuestring,
	    "no");
	ck_assert_str_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "checkpoint"), "max_age")->valuestring,
	    "14d");
	cJSON_Delete(j);
	free(text);
	text = policy_to_json(p, false);
	ck_assert_ptr_null(strchr(text, '\n'));
	free(text);
	policy_free(p);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(policy_net_mode_name(POLICY_NET_NONE), "none");
	ck_assert_str_eq(policy_net_mode_name(POLICY_NET_PROXY), "proxy");
	ck_assert_str_eq(policy_net_mode_name(POLICY_NET_HOST), "host");
	ck_assert_str_eq(policy_decision_name(POLICY_DECISION_ALLOW), "allow");
	ck_assert_str_eq(policy_decision_name(POLICY_DECISION_ASK), "ask");
	ck_assert_str_eq(policy_decision_name(POLICY_DECISION_DENY), "deny");
	policy_free(NULL);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("bad");

	tcase_add_loop_test(tc, test_bad_case, 0, (int)NELEM(bad_cases));
	tcase_add_test(tc, test_nul_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("caps");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, remove_tmpdir);
	tcase_add_test(tc, test_rule_name_too_long);
	tcase_add_test(tc, test_nesting_depth);
	tcase_add_test(tc, test_deep_nesting_does_not_recurse);
	tcase_add_test(tc, test_file_too_large);
	tcase_add_test(tc, test_string_too_long);
	tcase_add_test(tc, test_too_many_values);
	tcase_add_test(tc, test_list_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("good");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_corral_tools);
	tcase_add_test(tc, test_full_policy);
	tcase_add_test(tc, test_rule_object);
	tcase_add_test(tc, test_comments_in_odd_places);
	tcase_add_test(tc, test_string_escapes);
	tcase_add_test(tc, test_positions);
	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_parse_duration);
	tcase_add_test(tc, test_format_round_trip);
	tcase_add_test(tc, test_number_forms);
	tcase_add_test(tc, test_to_json);
	tcase_add_test(tc, test_many_keys);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("extends");
	tcase_add_checked_fixture(tc, NULL, remove_tmpdir);
	tcase_add_test(tc, test_extends_profile);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_extends_cycles);
	tcase_add_test(tc, test_extends_missing_and_bad);
	tcase_add_test(tc, test_extends_relative_display);
	tcase_add_test(tc, test_extends_chain_too_long);
	tcase_add_test(tc, test_extends_large_base);
	tcase_add_test(tc, test_profiles_only);
	tcase_add_test(tc, test_shipped_profiles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Run in an empty directory, so that the in-memory "p.json" of the
	 * tests never resolves to a real file. */
	char cwd[] = "/tmp/corral-test-cwd-XXXXXX";
	SRunner *sr;
	int failed;

	if (!mkdtemp(cwd) || chdir(cwd) < 0) {
		perror("corral-test-cwd");
		return EXIT_FAILURE;
	}
	sr = srunner_create(policy_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (chdir("/") < 0 || rmdir(cwd) < 0)
		perror(cwd);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
