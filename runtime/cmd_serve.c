/*
 * cmd_serve.c - `corral serve`: the MCP server over stdio (docs/mcp.md).
 *
 * This file owns the I/O: it reads stdin line by line and hands each line
 * to mcp_handle_line(); mcp.c owns the protocol. stdout carries nothing
 * but protocol messages; what corral has to say goes to stderr.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "mcp.h"
#include "policy.h"
#include "session.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <unistd.h>

#define SERVE_READ_CHUNK (64u << 10) /* bytes read from stdin at once */

const char cmd_serve_usage[] =
    "usage: corral serve [--policy FILE|NAME] [--workspace DIR] [--run NAME]\n"
    "\n"
    "Serve corral's tools to an MCP client (Claude Code, Codex, Cursor, the MCP SDKs)\n"
    "over stdio: JSON-RPC messages, one per line, on stdin and stdout; logs on stderr.\n"
    "The process is one session (one run): every tools/call goes through the policy's\n"
    "rules, approval, checkpoints, the sandbox and the audit log, like 'corral call'.\n"
    "Up to limits.calls calls (default 4) run at once, each in its own sandbox.\n"
    "\n"
    "A call an 'ask' rule matches is put to the user through MCP elicitation when the\n"
    "client supports it, and is refused as needing approval otherwise. A refused or\n"
    "failed call is a result with isError set and a sentence the model can act on.\n"
    "The server exits when stdin closes (a call still running is killed).\n"
    "\n"
    "Options:\n"
    "  --policy P      a profile name or a policy file (default: $CORRAL_POLICY, else\n"
    "                  workspace-write)\n"
    "  --workspace D   the directory the tools work in (default: the current one)\n"
    "  --run NAME      the run's name for checkpoints and the audit log (default: new)\n"
    "\n"
    "Example:\n"
    "  claude mcp add corral -- corral serve --workspace /path/to/repo\n";

struct serve {
	struct session *session;
	bool closed; /* stdout is gone (under the server's output lock) */
};

static void serve_write(void *ctx, const char *msg, size_t len)
{
	struct serve *sv = ctx;
	struct iovec iov[2] = {{(void *)msg, len}, {"\n", 1}};
	int n = 2, i = 0;

	/* Called under the server's output lock: one message at a time. */
	if (sv->closed)
		return;
	while (i < n) {
		ssize_t w = writev(STDOUT_FILENO, iov + i, n - i);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			sv->closed = true;
			return;
		}
		while (i < n && (size_t)w >= iov[i].iov_len) {
			w -= (ssize_t)iov[i].iov_len;
			i++;
		}
		if (i < n) {
			iov[i].iov_base = (char *)iov[i].iov_base + w;
			iov[i].iov_len -= (size_t)w;
		}
	}
}

static const struct tool_registry *serve_registry(void *ctx)
{
	return session_registry(((struct serve *)ctx)->session);
}

static int serve_call(void *ctx, const char *tool, const cJSON *args,
                      const struct tool_call_opts *opts, struct call_outcome *out,
                      struct corral_error *err)
{
	return session_call(((struct serve *)ctx)->session, tool, args, opts, out, err);
}

/*
 * Read stdin until it closes or a signal asks to stop, handing each line to
 * the server. A line longer than MCP_LINE_MAX is discarded up to its
 * newline and answered with an error; the server keeps going.
 */
static void serve_loop(struct mcp_server *server, int sigfd)
{
	size_t cap = SERVE_READ_CHUNK, used = 0, scanned = 0;
	char *buf = malloc(cap);
	bool discarding = false;
	struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
	                        {.fd = sigfd, .events = POLLIN}};

	if (!buf) {
		fprintf(stderr, "corral serve: out of memory\n");
		return;
	}
	for (;;) {
		ssize_t n;
		char *nl;

		if (poll(fds, sigfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sigfd >= 0 && (fds[1].revents & POLLIN)) {
			fprintf(stderr, "corral serve: stopping on a signal\n");
			break;
		}
		if (used == cap) {
			size_t ncap = cap * 2 > MCP_LINE_MAX + 1 ? MCP_LINE_MAX + 1 : cap * 2;
			char *nbuf = realloc(buf, ncap);
			if (!nbuf) {
				fprintf(stderr, "corral serve: out of memory\n");
				break;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(STDIN_FILENO, buf + used, cap - used);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		while ((nl = memchr(buf + scanned, '\n', used - scanned))) {
			size_t len = (size_t)(nl - buf);
			if (discarding) {
				mcp_reject_oversized(server);
				discarding = false;
			} else {
				mcp_handle_line(server, buf, len);
			}
			memmove(buf, nl + 1, used - len - 1);
			used -= len + 1;
			scanned = 0;
		}
		scanned = used;
		if (used > MCP_LINE_MAX) {
			/* Too long: drop what has come and the rest up to the newline. */
			discarding = true;
			used = scanned = 0;
		}
	}
	/* A last line without a newline is still a message. */
	if (used && !discarding)
		mcp_handle_line(server, buf, used);
	else if (discarding)
		mcp_reject_oversized(server);
	free(buf);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {"run", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	struct session_opts sopts = {.policy = cli_default_policy(), .workspace = "."};
	struct serve sv = {0};
	struct mcp_ops ops = {
	    .write = serve_write,
	    .registry = serve_registry,
	    .call = serve_call,
	    .ctx = &sv,
	    .version = CORRAL_VERSION,
	};
	struct corral_error err = {0};
	struct mcp_server *server = NULL;
	struct approver approver = {0};
	sigset_t mask, old;
	int opt, rc, sigfd;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "p:w:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			sopts.policy = optarg;
			break;
		case 'w':
			sopts.workspace = optarg;
			break;
		case 'r':
			sopts.run = optarg;
			break;
		default:
			return cli_bad_option("serve", argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);

	/* A client that goes away must not kill the server mid-write: the
	 * write fails, and the reader sees stdin close. SIGINT, SIGTERM and
	 * SIGHUP are blocked in every thread (the workers inherit the mask)
	 * and read by the loop, so they stop the server cleanly: every call
	 * in flight is cancelled and its sandbox killed. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	/* The session borrows its approver, which is the server's; the server's
	 * threads are as many as the session's policy allows (limits.calls).
	 * So the session opens first with an approver filled in just after,
	 * before the server reads its first request: no call can ask before. */
	sopts.approver = &approver;
	sopts.approval_hint = "the MCP client cannot ask the user (it did not declare the "
	                      "elicitation capability), so the user must allow the call in "
	                      "corral's policy";
	rc = session_open(&sopts, &sv.session, &err);
	if (rc < 0) {
		fprintf(stderr, "corral serve: %s\n", err.message);
		goto out;
	}
	rc = mcp_server_new(&ops, session_policy(sv.session)->limits.calls, &server, &err);
	if (rc < 0) {
		fprintf(stderr, "corral serve: %s\n", err.message);
		goto out;
	}
	approver = *mcp_server_approver(server);
	fprintf(stderr, "corral serve: %zu tools for %s under %s, run %s\n",
	        session_registry(sv.session)->count, session_workspace(sv.session), sopts.policy,
	        session_run(sv.session));
	serve_loop(server, sigfd);
out:
	/* Stop the workers before the session they call into goes away. */
	mcp_server_free(server);
	session_close(sv.session);
	if (sigfd >= 0)
		close(sigfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		return rc == -CORRAL_E_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
	return CLI_EXIT_OK;
}
