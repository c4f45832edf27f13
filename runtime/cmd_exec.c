#include "cli.h"

#include <stdio.h>

const char cmd_exec_usage[] = "usage: corral exec\n";

int cmd_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "corral exec: not built yet\n");
	return CLI_EXIT_FAILURE;
}
