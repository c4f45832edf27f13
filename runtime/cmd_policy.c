/*
 * cmd_policy.c - `corral policy`: check policy files, show and list the
 * shipped profiles, explain how the rules decide a call.
 */
#include "cli.h"
#include "jsonc.h"
#include "policy.h"
#include "rules.h"
#include "util.h"

#include <errno.h>
#include <limits.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_policy_usage[] =
    "usage: corral policy check [--json] FILE|NAME...\n"
    "       corral policy show [--json] NAME\n"
    "       corral policy list [--json]\n"
    "       corral policy explain [--policy FILE|NAME] [--workspace DIR] [--json]\n"
    "                             TOOL [ARGS_JSON]\n"
    "\n"
    "Check policy files and inspect the shipped profiles. A policy is JSON with\n"
    "comments that says what a tool call may read, write and reach, the limits it\n"
    "runs under, and which calls are allowed, asked about or denied. It can extend\n"
    "a shipped profile or another file. The format is described in docs/policy.md.\n"
    "\n"
    "Subcommands:\n"
    "   check    Load each FILE, or shipped profile NAME, with everything it\n"
    "            extends. Print 'FILE: ok' and the effective policy, or one line\n"
    "            'FILE:LINE:COL: what is wrong' on stderr. Exits 1 if any failed.\n"
    "   show     Print the text of the shipped profile NAME, comments included.\n"
    "   list     List the shipped profiles with their descriptions.\n"
    "   explain  Decide a call of TOOL with ARGS_JSON (a JSON object, default {})\n"
    "            under the policy's rules (default workspace-write) without running\n"
    "            it: print the decision (allow, ask or deny), the rule that made it\n"
    "            (FILE:LINE:COL) or 'default', its hint, the sentence the agent is\n"
    "            told, and for exec each simple command's verdict. TOOL may also be\n"
    "            written as a call, as in rule examples: 'exec(git push)'. The\n"
    "            workspace (default .) is where relative paths are read. Exits 0\n"
    "            whatever the decision (the decision is the output), 1 when the\n"
    "            policy or the workspace cannot be used, 2 for bad usage (a call\n"
    "            or ARGS_JSON that cannot be read).\n"
    "\n"
    "Options:\n"
    "   --json   Print JSON: for check and show, the effective policy with every\n"
    "            default filled in and sizes and durations as strings (\"2GiB\").\n"
    "\n"
    "Examples:\n"
    "   corral policy check .corral/policy.json\n"
    "   corral policy check --json workspace-write\n"
    "   corral policy show read-only\n"
    "   corral policy list\n"
    "   corral policy explain exec '{\"command\": \"make && git push\"}'\n"
    "   corral policy explain --policy plan 'read_file(.env)'\n";

static const char *const subcommands[] = {"check", "show", "list", "explain", NULL};

/* Print @s as a list item: bare when unambiguous, else as a JSON string. */
static void print_item(const char *s)
{
	if (*s && strcspn(s, " \t,\"\\") == strlen(s)) {
		int plain = 1;
		for (const unsigned char *c = (const unsigned char *)s; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				plain = 0;
		if (plain) {
			fputs(s, stdout);
			return;
		}
	}
	cJSON *str = cJSON_CreateString(s);
	char *text = str ? cJSON_PrintUnformatted(str) : NULL;
	fputs(text ? text : "?", stdout);
	free(text);
	cJSON_Delete(str);
}

static void print_list(const char *label, const struct policy_strlist *l)
{
	printf("  %s: ", label);
	if (l->count == 0)
		fputs("(none)", stdout);
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			fputs(", ", stdout);
		print_item(l->items[i].value);
	}
	putchar('\n');
}

/* The file part of a location, short: the base name of a real file. */
static const char *short_file(const char *file)
{
	const char *slash = strrchr(file, '/');

	return file[0] == '/' && slash ? slash + 1 : file;
}

static void print_rules(const char *label, const struct policy_rulelist *l)
{
	char buf[POLICY_FORMAT_MAX];

	if (l->count == 0)
		printf("  %s: (none)\n", label);
	for (size_t i = 0; i < l->count; i++) {
		const struct policy_rule *r = &l->items[i];

		printf("  %s: ", label);
		print_item(r->match);
		if (r->has_timeout)
			printf(" timeout %s", policy_format_duration(r->timeout_ms, buf));
		if (r->has_network) {
			printf(" network %s", policy_net_mode_name(r->network_mode));
			for (size_t j = 0; j < r->network_allow.count; j++) {
				putchar(j ? ',' : ' ');
				print_item(r->network_allow.items[j].value);
			}
		}
		if (r->hint) {
			fputs(" hint ", stdout);
			print_item(r->hint);
		}
		printf("  (%s:%d)\n", short_file(r->loc.file), r->loc.line);
	}
}

static void print_policy(const char *name, const struct policy *p)
{
	char a[POLICY_FORMAT_MAX], b[POLICY_FORMAT_MAX], c[POLICY_FORMAT_MAX];
	char d[POLICY_FORMAT_MAX], e[POLICY_FORMAT_MAX];

	printf("%s: ok\n", name);
	printf("  files: ");
	for (size_t i = 0; i < p->nfiles; i++)
		printf("%s%s", i ? " <- " : "", p->files[i]);
	putchar('\n');
	print_list("filesystem.read", &p->filesystem.read);
	print_list("filesystem.write", &p->filesystem.write);
	print_list("filesystem.hide", &p->filesystem.hide);
	print_list("filesystem.protect", &p->filesystem.protect);
	printf("  network.mode: %s\n", policy_net_mode_name(p->network.mode));
	print_list("network.allow", &p->network.allow);
	printf("  limits: timeout %s, memory %s, processes %u, output %s, file_size %s, "
	       "open_files %u, tmp %s\n",
	       policy_format_duration(p->limits.timeout_ms, a),
	       policy_format_size(p->limits.memory, b), p->limits.processes,
	       policy_format_size(p->limits.output, c), policy_format_size(p->limits.file_size, d),
	       p->limits.open_files, policy_format_size(p->limits.tmp_size, e));
	print_list("env.pass", &p->env.pass);
	printf("  env.set: ");
	if (p->env.nset == 0)
		fputs("(none)", stdout);
	for (size_t i = 0; i < p->env.nset; i++) {
		printf("%s%s=", i ? ", " : "", p->env.set[i].name);
		print_item(p->env.set[i].value);
	}
	putchar('\n');
	printf("  rules.default: %s\n", policy_decision_name(p->rules.default_decision));
	/* In the order they are applied: deny, then ask, then allow. */
	print_rules("rules.deny", &p->rules.deny);
	print_rules("rules.ask", &p->rules.ask);
	print_rules("rules.allow", &p->rules.allow);
	printf("  checkpoint: max_file_size %s, keep %u, max_age %s\n",
	       policy_format_size(p->checkpoint.max_file_size, a), p->checkpoint.keep,
	       policy_format_duration(p->checkpoint.max_age_ms, b));
	print_list("checkpoint.exclude", &p->checkpoint.exclude);
}

/* Split argv into --json and operands; reject other options. */
static int parse_args(int argc, char **argv, int *json, char ***operands, int *noperands)
{
	char **ops = malloc(sizeof(*ops) * (size_t)(argc + 1));
	int n = 0, dashdash = 0;

	if (!ops) {
		fprintf(stderr, "corral policy: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	*json = 0;
	for (int i = 1; i < argc; i++) {
		if (!dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = 1;
		} else if (!dashdash && strcmp(argv[i], "--json") == 0) {
			*json = 1;
		} else if (!dashdash && argv[i][0] == '-' && argv[i][1]) {
			free(ops);
			return cli_usage_error("policy", "unknown option '%s' for '%s'", argv[i],
			                       argv[0]);
		} else {
			ops[n++] = argv[i];
		}
	}
	ops[n] = NULL;
	*operands = ops;
	*noperands = n;
	return CLI_EXIT_OK;
}

/* Print @doc as indented JSON. */
static int emit_json(cJSON *doc)
{
	char *text = doc ? cJSON_Print(doc) : NULL;

	if (!text) {
		fprintf(stderr, "corral policy: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	puts(text);
	free(text);
	return CLI_EXIT_OK;
}

static int policy_check(char **names, int n, int json)
{
	cJSON *results = json ? cJSON_CreateArray() : NULL;
	int status = CLI_EXIT_OK;

	if (json && !results) {
		fprintf(stderr, "corral policy: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	for (int i = 0; i < n; i++) {
		struct corral_error err = {0};
		struct policy *p = NULL;
		cJSON *entry = NULL;

		if (policy_load(names[i], &p, &err) < 0) {
			fprintf(stderr, "%s\n", err.message);
			status = CLI_EXIT_FAILURE;
		} else if (!json) {
			print_policy(names[i], p);
		}
		if (json) {
			entry = cJSON_CreateObject();
			if (entry) {
				cJSON_AddStringToObject(entry, "file", names[i]);
				cJSON_AddBoolToObject(entry, "ok", p != NULL);
				if (p) {
					char *text = policy_to_json(p, false);
					cJSON *pj = text ? cJSON_Parse(text) : NULL;
					free(text);
					if (pj)
						cJSON_AddItemToObject(entry, "policy", pj);
				} else {
					cJSON_AddStringToObject(entry, "error", err.message);
				}
				cJSON_AddItemToArray(results, entry);
			}
		}
		policy_free(p);
	}
	if (json && emit_json(results) != CLI_EXIT_OK)
		status = CLI_EXIT_FAILURE;
	cJSON_Delete(results);
	return status;
}

static const char *profile_description(const char *name, struct jsonc_doc *doc)
{
	const char *text = policy_profile_text(name);
	const cJSON *d;

	if (!text || jsonc_parse(name, text, strlen(text), POLICY_DEPTH_MAX, doc, NULL) < 0)
		return "";
	d = cJSON_GetObjectItemCaseSensitive(doc->root, "description");
	return cJSON_IsString(d) ? d->valuestring : "";
}

static int unknown_profile(const char *name)
{
	const char *names[65];
	size_t n = policy_profile_count() < 64 ? policy_profile_count() : 64;
	const char *guess;

	for (size_t i = 0; i < n; i++)
		names[i] = policy_profile_name(i);
	names[n] = NULL;
	guess = util_suggest(name, names);
	fprintf(stderr, "corral policy show: no shipped profile named '%s'", name);
	if (guess)
		fprintf(stderr, " — did you mean '%s'?", guess);
	fprintf(stderr, " (shipped profiles:");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s %s", i ? "," : "", names[i]);
	fprintf(stderr, ")\n");
	return CLI_EXIT_FAILURE;
}

static int policy_show(const char *name, int json)
{
	struct corral_error err = {0};
	struct policy *p = NULL;
	const char *text = policy_profile_text(name);
	char *out;

	if (!text)
		return unknown_profile(name);
	if (!json) {
		fputs(text, stdout);
		return CLI_EXIT_OK;
	}
	if (policy_load(name, &p, &err) < 0) {
		fprintf(stderr, "%s\n", err.message);
		return CLI_EXIT_FAILURE;
	}
	out = policy_to_json(p, true);
	policy_free(p);
	if (!out) {
		fprintf(stderr, "corral policy: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	puts(out);
	free(out);
	return CLI_EXIT_OK;
}

static int policy_list(int json)
{
	cJSON *list = json ? cJSON_CreateArray() : NULL;
	int status = CLI_EXIT_OK;

	for (size_t i = 0; i < policy_profile_count(); i++) {
		struct jsonc_doc doc = JSONC_DOC_INIT;
		const char *name = policy_profile_name(i);
		const char *desc = profile_description(name, &doc);

		if (!json) {
			printf("%-18s %s\n", name, desc);
		} else if (list) {
			cJSON *o = cJSON_CreateObject();
			if (o) {
				cJSON_AddStringToObject(o, "name", name);
				cJSON_AddStringToObject(o, "description", desc);
				cJSON_AddItemToArray(list, o);
			}
		}
		jsonc_release(&doc);
	}
	if (json)
		status = emit_json(list);
	cJSON_Delete(list);
	return status;
}

/* ---- explain ---- */

static cJSON *rule_json(const struct policy_rule *r)
{
	cJSON *o;

	if (!r)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "match", r->match);
	cJSON_AddStringToObject(o, "decision", policy_decision_name(r->decision));
	cJSON_AddStringToObject(o, "file", r->loc.file ? r->loc.file : "");
	cJSON_AddNumberToObject(o, "line", r->loc.line);
	cJSON_AddNumberToObject(o, "col", r->loc.col);
	if (r->hint)
		cJSON_AddStringToObject(o, "hint", r->hint);
	return o;
}

static cJSON *decision_json(const char *tool, const struct rules_decision *d)
{
	char buf[POLICY_FORMAT_MAX];
	cJSON *o = cJSON_CreateObject(), *cmds;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "tool", tool);
	cJSON_AddStringToObject(o, "decision", policy_decision_name(d->decision));
	cJSON_AddItemToObject(o, "rule", rule_json(d->rule));
	cJSON_AddStringToObject(o, "reason", d->reason);
	if (strcmp(tool, "exec") == 0) {
		cJSON_AddBoolToObject(o, "unparsable", d->unparsable);
		if (d->unparsable)
			cJSON_AddStringToObject(o, "unparsable_why", d->unparsable_why);
		cmds = cJSON_AddArrayToObject(o, "commands");
		for (size_t i = 0; cmds && i < d->ncommands; i++) {
			cJSON *c = cJSON_CreateObject();
			if (!c)
				break;
			cJSON_AddStringToObject(c, "command", d->commands[i].text);
			cJSON_AddStringToObject(c, "decision",
			                        policy_decision_name(d->commands[i].decision));
			cJSON_AddItemToObject(c, "rule", rule_json(d->commands[i].rule));
			cJSON_AddItemToArray(cmds, c);
		}
	}
	if (d->has_timeout)
		cJSON_AddStringToObject(o, "timeout", policy_format_duration(d->timeout_ms, buf));
	if (d->has_network) {
		cJSON *n = cJSON_AddObjectToObject(o, "network");
		cJSON *a = n ? cJSON_AddArrayToObject(n, "allow") : NULL;
		if (n)
			cJSON_AddStringToObject(n, "mode", policy_net_mode_name(d->network_mode));
		for (size_t i = 0; a && i < d->network_nallow; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(d->network_allow[i]));
	}
	return o;
}

static void print_rule_ref(const struct policy_rule *r)
{
	if (!r) {
		fputs("default", stdout);
		return;
	}
	print_item(r->match);
	printf(" (rules.%s, %s:%d:%d)", policy_decision_name(r->decision),
	       r->loc.file ? r->loc.file : "?", r->loc.line, r->loc.col);
}

static void print_decision(const char *tool, const struct policy *p, const struct rules_decision *d)
{
	char buf[POLICY_FORMAT_MAX];

	printf("decision: %s\n", policy_decision_name(d->decision));
	fputs("rule: ", stdout);
	print_rule_ref(d->rule);
	if (!d->rule)
		printf(" (rules.default is %s)", policy_decision_name(p->rules.default_decision));
	putchar('\n');
	if (d->rule && d->rule->hint) {
		fputs("hint: ", stdout);
		print_item(d->rule->hint);
		putchar('\n');
	}
	printf("reason: %s\n", d->reason);
	if (strcmp(tool, "exec") == 0) {
		if (d->unparsable)
			printf("unparsable: %s\n", d->unparsable_why);
		for (size_t i = 0; i < d->ncommands; i++) {
			printf("  %-5s ", policy_decision_name(d->commands[i].decision));
			print_item(d->commands[i].text);
			fputs("  <- ", stdout);
			print_rule_ref(d->commands[i].rule);
			putchar('\n');
		}
	}
	if (d->has_timeout)
		printf("timeout: %s\n", policy_format_duration(d->timeout_ms, buf));
	if (d->has_network) {
		printf("network: %s", policy_net_mode_name(d->network_mode));
		for (size_t i = 0; i < d->network_nallow; i++) {
			putchar(i ? ',' : ' ');
			print_item(d->network_allow[i]);
		}
		putchar('\n');
	}
}

static int policy_explain(int argc, char **argv)
{
	const char *policy_name = cli_default_policy(), *workspace = ".";
	const char *operands[3];
	char wsbuf[PATH_MAX];
	struct corral_error err = {0};
	struct rules_decision d;
	struct policy *p = NULL;
	char *tool = NULL;
	cJSON *args = NULL;
	int json = 0, n = 0, status = CLI_EXIT_FAILURE, dashdash = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
		} else if (!dashdash && strcmp(a, "--json") == 0) {
			json = 1;
		} else if (!dashdash &&
		           (strcmp(a, "--policy") == 0 || strcmp(a, "--workspace") == 0)) {
			if (i + 1 >= argc)
				return cli_usage_error("policy", "'%s' needs a value", a);
			if (a[2] == 'p')
				policy_name = argv[++i];
			else
				workspace = argv[++i];
		} else if (!dashdash && a[0] == '-' && a[1]) {
			return cli_usage_error("policy", "unknown option '%s' for 'explain'", a);
		} else {
			if (n == 2)
				return cli_usage_error("policy",
				                       "explain takes TOOL and at most one "
				                       "ARGS_JSON");
			operands[n++] = a;
		}
	}
	if (n == 0)
		return cli_usage_error("policy", "explain needs a TOOL (and optionally ARGS_JSON)");
	if (!realpath(workspace, wsbuf)) {
		fprintf(stderr, "corral policy explain: cannot use the workspace '%s': %s\n",
		        workspace, strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	if (n == 1 && strchr(operands[0], '(')) {
		if (rules_parse_call(operands[0], &tool, &args, &err) < 0) {
			fprintf(stderr, "corral policy explain: %s\n", err.message);
			return CLI_EXIT_USAGE;
		}
	} else {
		tool = strdup(operands[0]);
		args = n == 2 ? cJSON_Parse(operands[1]) : cJSON_CreateObject();
		if (!tool || !cJSON_IsObject(args)) {
			fprintf(stderr,
			        "corral policy explain: the arguments '%s' are not a JSON "
			        "object\n",
			        n == 2 ? operands[1] : "{}");
			status = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (policy_load(policy_name, &p, &err) < 0) {
		fprintf(stderr, "%s\n", err.message);
		goto out;
	}
	if (rules_decide(p, wsbuf, tool, args, &d, &err) < 0) {
		fprintf(stderr, "corral policy explain: %s\n", err.message);
		goto out;
	}
	if (json) {
		cJSON *doc = decision_json(tool, &d);
		status = emit_json(doc);
		cJSON_Delete(doc);
	} else {
		print_decision(tool, p, &d);
		status = CLI_EXIT_OK;
	}
	rules_decision_release(&d);
out:
	policy_free(p);
	cJSON_Delete(args);
	free(tool);
	return status;
}

int cmd_policy(int argc, char **argv)
{
	const char *sub, *guess;
	char **ops = NULL;
	int json = 0, n = 0, rc;

	if (argc < 2)
		return cli_usage_error("policy",
		                       "missing subcommand (check, show, list or explain)");
	sub = argv[1];
	if (!strcmp(sub, "explain"))
		return policy_explain(argc - 1, argv + 1);
	if (!strcmp(sub, "check") || !strcmp(sub, "show") || !strcmp(sub, "list")) {
		rc = parse_args(argc - 1, argv + 1, &json, &ops, &n);
		if (rc != CLI_EXIT_OK)
			return rc;
	} else {
		guess = util_suggest(sub, subcommands);
		if (guess)
			fprintf(
			    stderr,
			    "corral policy: '%s' is not a policy subcommand; did you mean '%s'? "
			    "See 'corral help policy'.\n",
			    sub, guess);
		else
			fprintf(stderr,
			        "corral policy: '%s' is not a policy subcommand. See 'corral help "
			        "policy'.\n",
			        sub);
		return CLI_EXIT_USAGE;
	}

	if (!strcmp(sub, "check")) {
		rc = n ? policy_check(ops, n, json)
		       : cli_usage_error("policy", "check needs at least one FILE or profile NAME");
	} else if (!strcmp(sub, "show")) {
		rc = n == 1 ? policy_show(ops[0], json)
		            : cli_usage_error("policy", "show takes exactly one profile NAME");
	} else {
		rc = n == 0 ? policy_list(json)
		            : cli_usage_error("policy", "list takes no arguments");
	}
	free(ops);
	return rc;
}
