/*
 * cmd_rollback.c - `corral rollback`: restore the workspace to a checkpoint.
 */
#include "ckpt.h"
#include "cli.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

const char cmd_rollback_usage[] =
    "usage: corral rollback [CHECKPOINT | --run RUN | --call ID | --undo] [--dry-run]\n"
    "                       [--json] [--policy FILE|NAME] [--workspace DIR]\n"
    "\n"
    "Restore the workspace. With no argument: to its state before the last run.\n"
    "Deleted files come back, contents, exec bits and symlinks are restored, files\n"
    "and directories the run created are removed. A file no checkpoint saw\n"
    "(ignored, oversized, in a nested repository) is never deleted or overwritten:\n"
    "it is listed as kept. Your git (HEAD, index, branches, stash) is not touched.\n"
    "Every rollback snapshots first, so it can be undone with --undo.\n"
    "\n"
    "Options:\n"
    "  --run RUN                the state before run RUN\n"
    "  --call ID                the state before call ID\n"
    "  --undo                   revert the last rollback\n"
    "  -n, --dry-run            list what would change; change nothing\n"
    "  --json                   print the changes as JSON\n"
    "  -p, --policy FILE|NAME   the policy whose checkpoint section applies\n"
    "  -w, --workspace DIR      the workspace (default: the current directory)\n";

static const char *change_word(enum ckpt_change_kind k)
{
	switch (k) {
	case CKPT_CHANGE_WRITE:
		return "restore";
	case CKPT_CHANGE_DELETE:
		return "remove";
	case CKPT_CHANGE_MKDIR:
		return "mkdir";
	case CKPT_CHANGE_RMDIR:
		return "rmdir";
	case CKPT_CHANGE_KEEP:
		return "keep";
	}
	return "?";
}

int cmd_rollback(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"run", required_argument, NULL, 'r'},
	    {"call", required_argument, NULL, 'c'},
	    {"undo", no_argument, NULL, 'u'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy_name = cli_default_policy(), *workspace = ".";
	struct ckpt_target t = {.kind = CKPT_TARGET_LAST_RUN};
	struct corral_error err = {0};
	struct ckpt_report rep = {0};
	struct ckpt_store *s = NULL;
	bool json = false, dry = false;
	int opt, status, targets = 0;
	size_t kept = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+np:w:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			t.kind = CKPT_TARGET_RUN;
			t.name = optarg;
			targets++;
			break;
		case 'c':
			t.kind = CKPT_TARGET_CALL;
			t.name = optarg;
			targets++;
			break;
		case 'u':
			t.kind = CKPT_TARGET_UNDO;
			targets++;
			break;
		case 'n':
			dry = true;
			break;
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
			return cli_bad_option("rollback", argc, argv);
		}
	}
	if (optind < argc) {
		t.kind = CKPT_TARGET_CHECKPOINT;
		t.name = argv[optind++];
		targets++;
	}
	if (optind < argc)
		return cli_usage_error("rollback", "unexpected argument '%s'", argv[optind]);
	if (targets > 1)
		return cli_usage_error("rollback", "give one target: a CHECKPOINT, --run, --call "
		                                   "or --undo");
	if ((status = cli_ckpt_open("rollback", workspace, policy_name, &s)) != CLI_EXIT_OK)
		return status;
	if (ckpt_restore(s, &t, dry, &rep, &err) < 0) {
		fprintf(stderr, "corral rollback: %s\n", err.message);
		ckpt_close(s);
		return CLI_EXIT_FAILURE;
	}
	for (size_t i = 0; i < rep.count; i++)
		kept += rep.items[i].kind == CKPT_CHANGE_KEEP;
	if (json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
		cJSON_AddStringToObject(o, "target", rep.target);
		cJSON_AddStringToObject(o, "before", rep.pre);
		cJSON_AddBoolToObject(o, "dry_run", dry);
		for (size_t i = 0; arr && i < rep.count; i++) {
			cJSON *c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "action", change_word(rep.items[i].kind));
			cJSON_AddStringToObject(c, "path", rep.items[i].path);
			if (rep.items[i].why)
				cJSON_AddStringToObject(c, "why", rep.items[i].why);
			cJSON_AddItemToArray(arr, c);
		}
		cJSON_AddItemToObject(o, "changes", arr);
		if (rep.head_note[0])
			cJSON_AddStringToObject(o, "head_note", rep.head_note);
		cli_print_json(o);
	} else {
		for (size_t i = 0; i < rep.count; i++) {
			const struct ckpt_change *c = &rep.items[i];
			if (c->why)
				printf("%-8s %s (%s)\n", change_word(c->kind), c->path, c->why);
			else
				printf("%-8s %s\n", change_word(c->kind), c->path);
		}
		if (dry)
			printf("Dry run: %zu changes to reach %.12s; nothing was changed.\n",
			       rep.count - kept, rep.target);
		else
			printf("Rolled back to %.12s (%zu changes, %zu kept). Undo with "
			       "'corral rollback --undo'.\n",
			       rep.target, rep.count - kept, kept);
		if (rep.head_note[0])
			printf("%s\n", rep.head_note);
	}
	ckpt_report_release(&rep);
	ckpt_close(s);
	return CLI_EXIT_OK;
}
