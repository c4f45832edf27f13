#include "cli.h"

#include <stdio.h>

const char cmd_policy_usage[] = "usage: corral policy\n";

int cmd_policy(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "corral policy: not built yet\n");
	return CLI_EXIT_FAILURE;
}
