/*
 * cmd_tools.c - `corral tools`: list every tool with its schema.
 */
#include "cli.h"
#include "policy.h"
#include "tools.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

const char cmd_tools_usage[] =
    "usage: corral tools [--json] [--policy FILE|NAME] [--workspace DIR]\n"
    "\n"
    "List every tool: the built-in ones and those of the plugins in the shipped\n"
    "plugin directory and in $CORRAL_PLUGIN_PATH. Each plugin is asked, in a\n"
    "sandbox, to describe its tools.\n"
    "\n"
    "Options:\n"
    "  --json                   the tools as MCP describes them, with their schemas\n"
    "  -p, --policy FILE|NAME   the policy of the sandbox that describes plugins\n"
    "  -w, --workspace DIR      the workspace (default: the current directory)\n";

int cmd_tools(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy_name = cli_default_policy(), *workspace = ".";
	struct corral_error err = {0};
	struct tool_registry reg;
	struct policy *p = NULL;
	bool json = false;
	int opt, status = CLI_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+p:w:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'p':
			policy_name = optarg;
			break;
		case 'w':
			workspace = optarg;
			break;
		default:
			return cli_bad_option("tools", argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("tools", "unexpected argument '%s'", argv[optind]);
	if (policy_load(policy_name, &p, &err) < 0 || tools_load(&reg, p, workspace, &err) < 0) {
		fprintf(stderr, "corral tools: %s\n", err.message);
		policy_free(p);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		cJSON *arr = cJSON_CreateArray();
		char *text;
		for (size_t i = 0; arr && i < reg.count; i++)
			cJSON_AddItemToArray(arr, tool_to_json(&reg.tools[i]));
		text = arr ? cJSON_Print(arr) : NULL;
		if (text)
			puts(text);
		else
			status = CLI_EXIT_FAILURE;
		free(text);
		cJSON_Delete(arr);
	} else {
		for (size_t i = 0; i < reg.count; i++) {
			const struct tool *t = &reg.tools[i];
			printf("%-14s %s%s\n", t->name, t->read_only ? "[read-only] " : "",
			       t->title ? t->title : t->description);
		}
	}
	tools_release(&reg);
	policy_free(p);
	return status;
}
