/*
 * cmd_diff.c - `corral diff`: what changed since a checkpoint.
 */
#include "ckpt.h"
#include "cli.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_diff_usage[] =
    "usage: corral diff [CHECKPOINT] [--json] [--policy FILE|NAME] [--workspace DIR]\n"
    "                   [-- PATH...]\n"
    "\n"
    "Print, as a unified diff, what changed in the workspace since CHECKPOINT\n"
    "(default: since the start of the last run), limited to PATHs if given.\n"
    "\n"
    "Options:\n"
    "  --json                   print {\"from\": ..., \"diff\": ...}\n"
    "  -p, --policy FILE|NAME   the policy whose checkpoint section applies\n"
    "  -w, --workspace DIR      the workspace (default: the current directory)\n";

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy_name = cli_default_policy(), *workspace = ".", *from = NULL;
	struct corral_error err = {0};
	struct ckpt_store *s = NULL;
	char *text = NULL;
	bool json = false;
	int opt, status;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "p:w:", longopts, NULL)) != -1) {
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
			return cli_bad_option("diff", argc, argv);
		}
	}
	/* getopt moves "--" and what follows to the end, after the operands. */
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
		from = argv[optind++];
	if (optind < argc && from && strcmp(argv[optind - 1], "--") != 0)
		return cli_usage_error("diff", "unexpected argument '%s' (put paths after '--')",
		                       argv[optind]);
	if ((status = cli_ckpt_open("diff", workspace, policy_name, &s)) != CLI_EXIT_OK)
		return status;
	if (ckpt_diff(s, from, (const char *const *)argv + optind, (size_t)(argc - optind), &text,
	              &err) < 0) {
		fprintf(stderr, "corral diff: %s\n", err.message);
		ckpt_close(s);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "from", from ? from : "");
		cJSON_AddStringToObject(o, "diff", text);
		cli_print_json(o);
	} else {
		fputs(text, stdout);
	}
	free(text);
	ckpt_close(s);
	return CLI_EXIT_OK;
}
