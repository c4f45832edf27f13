#include "cli.h"

#include <stdio.h>

const char cmd_doctor_usage[] = "usage: corral doctor\n";

int cmd_doctor(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "corral doctor: not built yet\n");
	return CLI_EXIT_FAILURE;
}
