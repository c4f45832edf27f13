/*
 * cmd_policy.c - `corral policy`: check policy files, show and list the
 * shipped profiles.
 */
#include "cli.h"
#include "jsonc.h"
#include "policy.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_policy_usage[] =
    "usage: corral policy check [--json] FILE|NAME...\n"
    "       corral policy show [--json] NAME\n"
    "       corral policy list [--json]\n"
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
    "\n"
    "Options:\n"
    "   --json   Print JSON: for check and show, the effective policy with every\n"
    "            default filled in and sizes and durations as strings (\"2GiB\").\n"
    "\n"
    "Examples:\n"
    "   corral policy check .corral/policy.json\n"
    "   corral policy check --json workspace-write\n"
    "   corral policy show read-only\n"
    "   corral policy list\n";

static const char *const subcommands[] = {"check", "show", "list", NULL};

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

int cmd_policy(int argc, char **argv)
{
	const char *sub, *guess;
	char **ops = NULL;
	int json = 0, n = 0, rc;

	if (argc < 2)
		return cli_usage_error("policy", "missing subcommand (check, show or list)");
	sub = argv[1];
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
