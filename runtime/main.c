/*
 * main.c - corral's entry point: the git-style command table and dispatch.
 */
#include "cli.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const struct cli_command commands[] = {
    {"exec", cmd_exec, "Run a command in the sandbox a policy describes", cmd_exec_usage},
    {"call", cmd_call, "Run one tool call in the sandbox", cmd_call_usage},
    {"serve", cmd_serve, "Serve the tools to an MCP client over stdio", cmd_serve_usage},
    {"tools", cmd_tools, "List the tools and their schemas", cmd_tools_usage},
    {"audit", cmd_audit, "Show the audit log of tool calls", cmd_audit_usage},
    {"checkpoint", cmd_checkpoint, "Snapshot the workspace now", cmd_checkpoint_usage},
    {"log", cmd_log, "List runs and their checkpoints", cmd_log_usage},
    {"diff", cmd_diff, "Show what changed since a checkpoint", cmd_diff_usage},
    {"rollback", cmd_rollback, "Restore the workspace to a checkpoint", cmd_rollback_usage},
    {"gc", cmd_gc, "Prune old checkpoints and bound the store", cmd_gc_usage},
    {"policy", cmd_policy, "Check, show and explain policy files", cmd_policy_usage},
    {"doctor", cmd_doctor, "Check what this machine offers the sandbox", cmd_doctor_usage},
    {"help", cmd_help, "Show help for a command", cmd_help_usage},
    {"version", cmd_version, "Print corral's version", cmd_version_usage},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct cli_command *cli_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "corral %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'corral help %s'.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int argc, char **argv)
{
	const char *arg = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "?";

	if (optopt && !(arg[0] == '-' && arg[1] == '-'))
		return cli_usage_error(cmd, "unknown or incomplete option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown or incomplete option '%s'", arg);
}

int cli_cancel_begin(struct cli_cancel *c)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &c->old);
	c->fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return c->fd;
}

void cli_cancel_end(struct cli_cancel *c)
{
	if (c->fd >= 0) {
		struct signalfd_siginfo si;
		while (read(c->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			;
		close(c->fd);
		c->fd = -1;
	}
	sigprocmask(SIG_SETMASK, &c->old, NULL);
}

const char *cli_default_policy(void)
{
	const char *env = getenv("CORRAL_POLICY");

	return env && *env ? env : "workspace-write";
}

void cli_print_usage(const struct cli_command *cmd)
{
	fputs(cmd->usage, stdout);
}

static void print_main_help(FILE *out)
{
	fprintf(out, "usage: corral [--version] [--help] <command> [<args>]\n\n"
	             "corral runs an AI agent's tool calls in a Linux sandbox under a declarative\n"
	             "policy.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "   %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nSee 'corral help <command>' for more on one command.\n");
}

const char cmd_help_usage[] = "usage: corral help [COMMAND]\n\n"
                              "Show the usage of COMMAND, or the list of commands.\n";

int cmd_help(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_main_help(stdout);
		return CLI_EXIT_OK;
	}
	cmd = cli_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "corral help: no command named '%s'. See 'corral --help'.\n",
		        argv[1]);
		return CLI_EXIT_USAGE;
	}
	cli_print_usage(cmd);
	return CLI_EXIT_OK;
}

const char cmd_version_usage[] = "usage: corral version\n\nPrint corral's version.\n";

int cmd_version(int argc, char **argv)
{
	if (argc > 1)
		return cli_usage_error("version", "takes no arguments");
	printf("corral %s\n", CORRAL_VERSION);
	return CLI_EXIT_OK;
}

static int unknown_command(const char *name)
{
	const char *names[NCOMMANDS + 1];
	const char *guess;

	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = NULL;
	guess = util_suggest(name, names);
	if (guess)
		fprintf(stderr,
		        "corral: '%s' is not a corral command; did you mean '%s'? See 'corral "
		        "--help'.\n",
		        name, guess);
	else
		fprintf(stderr, "corral: '%s' is not a corral command. See 'corral --help'.\n",
		        name);
	return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_main_help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_main_help(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_version(1, argv + 1);
	if (argv[1][0] == '-') {
		fprintf(stderr, "corral: unknown option '%s'. See 'corral --help'.\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	cmd = cli_find(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	/* Every subcommand takes --help. */
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_usage(cmd);
			return CLI_EXIT_OK;
		}
	}
	return cmd->run(argc - 1, argv + 1);
}
