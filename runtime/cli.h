/*
 * cli.h - the corral command table. One file per subcommand (cmd_*.c), each
 * exporting one cmd_NAME() entry point; main.c dispatches.
 *
 * Exit statuses shared by every subcommand (documented in README.md):
 */
#ifndef CORRAL_CLI_H
#define CORRAL_CLI_H

#include <signal.h>
#include <stdbool.h>

#define CLI_EXIT_OK      0
#define CLI_EXIT_FAILURE 1 /* the command ran and reported a failure */
#define CLI_EXIT_USAGE   2 /* bad command line */
/* corral exec: the command's own status, 128+N for signal N, or one of: */
#define CLI_EXIT_DENIED  121 /* denied by policy */
#define CLI_EXIT_LIMIT   122 /* a limit was hit: timeout, memory, output, processes */
#define CLI_EXIT_SANDBOX 125 /* the sandbox could not be set up */

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* one line for `corral --help` */
	const char *usage;   /* full text for `corral help NAME` */
};

const struct cli_command *cli_find(const char *name);

/* Print "corral NAME: MESSAGE" and a hint to stderr; return CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report an option getopt rejected (argv[optind-1] / optopt), with a hint. */
int cli_bad_option(const char *cmd, int argc, char **argv);

/*
 * While a sandbox runs, Ctrl-C, SIGTERM and SIGHUP must cancel it (the whole
 * tree is killed) rather than kill corral and leave it unsupervised.
 * cli_cancel_begin() blocks them and returns a signalfd to pass as the run's
 * cancel fd (or -1); cli_cancel_end() consumes what arrived, so restoring
 * the mask does not deliver it, and restores the mask.
 */
struct cli_cancel {
	sigset_t old;
	int fd;
};
int cli_cancel_begin(struct cli_cancel *c);
void cli_cancel_end(struct cli_cancel *c);

/* The policy a command uses when none is named with --policy:
 * $CORRAL_POLICY when set and not empty, else the "workspace-write"
 * profile. The variable is the user's, never the workspace's: a policy
 * found in the repository would let whoever wrote the repository choose
 * its own fence. */
const char *cli_default_policy(void);

/* Print @text to stdout: the usage of @cmd. */
void cli_print_usage(const struct cli_command *cmd);

int cmd_audit(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_tools(int argc, char **argv);
int cmd_version(int argc, char **argv);

extern const char cmd_audit_usage[];
extern const char cmd_call_usage[];
extern const char cmd_checkpoint_usage[];
extern const char cmd_diff_usage[];
extern const char cmd_gc_usage[];
extern const char cmd_log_usage[];
extern const char cmd_rollback_usage[];
extern const char cmd_doctor_usage[];
extern const char cmd_exec_usage[];
extern const char cmd_help_usage[];
extern const char cmd_policy_usage[];
extern const char cmd_serve_usage[];
extern const char cmd_tools_usage[];
extern const char cmd_version_usage[];

/*
 * The checkpoint commands (cmd_checkpoint.c): open the store of @workspace
 * with the checkpoint section of @policy_name, printing any error as
 * "corral CMD: ..." and a finished interrupted rollback as a note. Returns
 * CLI_EXIT_OK and *@out (close with ckpt_close()) or CLI_EXIT_FAILURE.
 */
struct ckpt_store;
struct ckpt_skiplist;
struct cJSON;
int cli_ckpt_open(const char *cmd, const char *workspace, const char *policy_name,
                  struct ckpt_store **out);
/* The skipped paths as a JSON array of {path, reason}. */
struct cJSON *cli_skips_json(const struct ckpt_skiplist *l);
/* Print @o pretty to stdout and free it. */
void cli_print_json(struct cJSON *o);

#endif
