/*
 * exec.c - the exec tool: run a command and report its output and status.
 *
 * The command runs in its own process group, so that a timeout (and the end
 * of the command) can kill everything it started. Each stream is kept up to
 * the call's output cap; the rest is read and counted, never stored, so a
 * command that writes gigabytes costs no memory.
 */
#define _GNU_SOURCE
#include "builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXEC_TIMEOUT_DEFAULT 300.0
#define EXEC_TIMEOUT_MAX     86400.0
#define EXEC_ARGV_MAX        4096
/* After the command exits, how long output from what it left running is
 * still collected before its process group is killed. */
#define EXEC_LINGER_MS 200
/* Room in the text for the exit line, the section headers and markers. */
#define EXEC_TEXT_OVERHEAD 256

static const char exec_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"oneOf\":[{\"required\":[\"command\"]},{\"required\":[\"argv\"]}],"
    "\"properties\":{"
    "\"command\":{\"type\":\"string\",\"description\":\"A shell command, run with /bin/sh -c. "
    "Give either command or argv.\"},"
    "\"argv\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,"
    "\"description\":\"A program and its arguments, run without a shell (the program is "
    "looked up in PATH). Give either command or argv.\"},"
    "\"cwd\":{\"type\":\"string\",\"description\":\"The directory to run in, relative to the "
    "workspace (default: the workspace).\"},"
    "\"timeout\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":86400,"
    "\"description\":\"Seconds before the command and everything it started are killed "
    "(default 300).\"},"
    "\"stdin\":{\"type\":\"string\",\"description\":\"Text given to the command on its "
    "standard input (default: none).\"}}}";

static const char exec_output_schema[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"exit_code\":{\"type\":[\"integer\",\"null\"]},"
    "\"signal\":{\"type\":[\"integer\",\"null\"]},"
    "\"stdout\":{\"type\":\"string\"},\"stderr\":{\"type\":\"string\"},"
    "\"timed_out\":{\"type\":\"boolean\"},"
    "\"stdout_dropped\":{\"type\":\"integer\"},\"stderr_dropped\":{\"type\":\"integer\"}},"
    "\"required\":[\"exit_code\",\"signal\",\"stdout\",\"stderr\",\"timed_out\"]}";

/* One captured stream. */
struct capture {
	int fd;
	struct strbuf kept;
	size_t dropped;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void capture_read(struct capture *c, size_t cap)
{
	char buf[65536];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	size_t room = cap > c->kept.len ? cap - c->kept.len : 0;
	size_t keep = (size_t)n < room ? (size_t)n : room;

	strbuf_append(&c->kept, buf, keep);
	c->dropped += (size_t)n - keep;
}

/* In the child: set up and exec; on failure, send errno on @errfd. */
static void __attribute__((noreturn))
child_exec(char **argv, const char *cwd, int in, int out, int err, int errfd)
{
	sigset_t none;
	int e;

	setpgid(0, 0);
	/* The worker may ignore SIGPIPE; the command gets the defaults. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	if (cwd != NULL && chdir(cwd) != 0)
		goto fail;
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

struct exec_result {
	int status;
	bool timed_out;
	int start_errno; /* non-zero when the command could not be started */
	bool cwd_failed;
};

static int exec_command(char **argv, const char *cwd, const char *input, double timeout, size_t cap,
                        struct capture *out, struct capture *err, struct exec_result *res)
{
	int inp[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1}, ep[2] = {-1, -1};
	size_t input_len = input != NULL ? strlen(input) : 0, input_done = 0;
	long long deadline, linger = 0;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	int pidfd = -1, e = 0, rc = 0;
	bool exited = false;
	pid_t pid;
	ssize_t n;

	if (pipe2(inp, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0 ||
	    pipe2(errp, O_CLOEXEC) != 0 || pipe2(ep, O_CLOEXEC) != 0) {
		res->start_errno = errno;
		goto out;
	}
	/* A command that closes its stdin early must not kill the worker. */
	sigaction(SIGPIPE, &ign, &old);
	pid = fork();
	if (pid < 0) {
		res->start_errno = errno;
		sigaction(SIGPIPE, &old, NULL);
		goto out;
	}
	if (pid == 0)
		child_exec(argv, cwd, inp[0], outp[1], errp[1], ep[1]);
	setpgid(pid, pid); /* also in the parent, so that killpg never races */
	close(inp[0]);
	close(outp[1]);
	close(errp[1]);
	close(ep[1]);
	inp[0] = outp[1] = errp[1] = ep[1] = -1;

	n = read(ep[0], &e, sizeof(e));
	if (n == (ssize_t)sizeof(e)) {
		res->start_errno = e;
		res->cwd_failed = cwd != NULL && e != 0 && access(cwd, X_OK) != 0;
		waitpid(pid, NULL, 0);
		sigaction(SIGPIPE, &old, NULL);
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	out->fd = outp[0];
	err->fd = errp[0];
	outp[0] = errp[0] = -1;
	fcntl(inp[1], F_SETFL, O_NONBLOCK);
	if (input_len == 0) {
		close(inp[1]);
		inp[1] = -1;
	}

	deadline = now_ms() + (long long)(timeout * 1000.0);
	while (out->fd >= 0 || err->fd >= 0 || !exited) {
		struct pollfd pfd[4];
		nfds_t count = 0;
		long long now = now_ms(), wait_ms;

		if (!exited && now >= deadline) {
			killpg(pid, SIGKILL);
			res->timed_out = true;
			waitpid(pid, &res->status, 0);
			exited = true;
			linger = now; /* drain what is buffered, then stop */
		}
		if (exited && now >= linger + EXEC_LINGER_MS)
			break;
		wait_ms = exited ? linger + EXEC_LINGER_MS - now : deadline - now;
		if (out->fd >= 0)
			pfd[count++] = (struct pollfd){.fd = out->fd, .events = POLLIN};
		if (err->fd >= 0)
			pfd[count++] = (struct pollfd){.fd = err->fd, .events = POLLIN};
		if (inp[1] >= 0)
			pfd[count++] = (struct pollfd){.fd = inp[1], .events = POLLOUT};
		if (!exited && pidfd >= 0)
			pfd[count++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		if (!exited && pidfd < 0 && wait_ms > 50)
			wait_ms = 50; /* no pidfd: poll for the exit */
		if (poll(pfd, count, (int)(wait_ms > 0 ? wait_ms : 0)) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		for (nfds_t i = 0; i < count; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == out->fd)
				capture_read(out, cap);
			else if (pfd[i].fd == err->fd)
				capture_read(err, cap);
			else if (pfd[i].fd == inp[1]) {
				n = write(inp[1], input + input_done, input_len - input_done);
				if (n > 0)
					input_done += (size_t)n;
				if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
				    input_done == input_len) {
					close(inp[1]);
					inp[1] = -1;
				}
			}
		}
		if (!exited && waitpid(pid, &res->status, WNOHANG) == pid) {
			exited = true;
			linger = now_ms();
		}
	}
	if (!exited) {
		killpg(pid, SIGKILL);
		waitpid(pid, &res->status, 0);
	}
	/* Whatever the command left running in its group ends with it. */
	killpg(pid, SIGKILL);
	sigaction(SIGPIPE, &old, NULL);
out:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	if (out->fd >= 0)
		close(out->fd);
	if (err->fd >= 0)
		close(err->fd);
	out->fd = err->fd = -1;
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

static void text_stream(struct strbuf *text, const char *name, const struct capture *c)
{
	strbuf_printf(text, "--- %s ---\n", name);
	if (c->kept.len > 0) {
		strbuf_append(text, c->kept.buf, c->kept.len);
		if (c->kept.buf[c->kept.len - 1] != '\n')
			strbuf_append(text, "\n", 1);
	}
	if (c->dropped > 0)
		strbuf_printf(text, "[output capped: %zu bytes dropped]\n", c->dropped);
}

/* Add the stream's text to @obj as a string (cJSON needs it NUL-free). */
static void json_stream(cJSON *obj, const char *name, const struct capture *c)
{
	char *copy = malloc(c->kept.len + 1);

	if (copy == NULL)
		return;
	for (size_t i = 0; i < c->kept.len; i++)
		copy[i] = c->kept.buf[i] != '\0' ? c->kept.buf[i] : ' ';
	copy[c->kept.len] = '\0';
	cJSON_AddStringToObject(obj, name, copy);
	free(copy);
}

static int exec_run(struct corral_call *call, const char *args, void *data)
{
	cJSON *json = builtin_args_parse(call, args), *structured = NULL;
	const char *command = NULL, *cwd = NULL, *input = NULL;
	const cJSON *argv_json;
	double timeout = EXEC_TIMEOUT_DEFAULT;
	char *argv_buf[EXEC_ARGV_MAX + 1], **argv = argv_buf;
	struct capture out = {.fd = -1}, err = {.fd = -1};
	struct exec_result res = {0};
	struct strbuf text = {0};
	char *printed;
	size_t cap;
	int rc;

	if (json == NULL)
		return 0;
	if (builtin_arg_string(call, json, "command", false, &command) != 0 ||
	    builtin_arg_string(call, json, "cwd", false, &cwd) != 0 ||
	    builtin_arg_string(call, json, "stdin", false, &input) != 0 ||
	    builtin_arg_number(call, json, "timeout", 0.001, EXEC_TIMEOUT_MAX, &timeout) != 0)
		goto out;
	argv_json = cJSON_GetObjectItemCaseSensitive(json, "argv");
	if (cJSON_IsNull(argv_json))
		argv_json = NULL;
	if ((command == NULL) == (argv_json == NULL)) {
		builtin_error(call,
		              "give exactly one of 'command' (a shell command) and 'argv' (an "
		              "array of strings)");
		goto out;
	}
	if (command != NULL) {
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = (char *)command;
		argv[3] = NULL;
	} else {
		int i = 0;
		const cJSON *item;

		if (!cJSON_IsArray(argv_json) || cJSON_GetArraySize(argv_json) == 0 ||
		    cJSON_GetArraySize(argv_json) > EXEC_ARGV_MAX) {
			builtin_error(call,
			              "the argument 'argv' must be a non-empty array of at most "
			              "%d strings",
			              EXEC_ARGV_MAX);
			goto out;
		}
		cJSON_ArrayForEach(item, argv_json)
		{
			if (!cJSON_IsString(item)) {
				builtin_error(call, "the argument 'argv' must hold strings only");
				goto out;
			}
			argv[i++] = item->valuestring;
		}
		argv[i] = NULL;
		if (argv[0][0] == '\0') {
			builtin_error(call, "argv[0] is empty");
			goto out;
		}
	}

	/* Each stream keeps about half the output cap, so that both, with
	 * their headers and markers, fit in the text the host keeps. */
	cap = builtin_output_cap(call);
	cap = cap > 2 * EXEC_TEXT_OVERHEAD ? (cap - EXEC_TEXT_OVERHEAD) / 2 : cap / 4;
	rc = exec_command(argv, cwd, input, timeout, cap, &out, &err, &res);
	if (rc != 0 || res.start_errno != 0) {
		if (res.cwd_failed)
			builtin_path_error(call, "change to the directory", cwd, res.start_errno);
		else
			builtin_error(call, "cannot run %s: %s", argv[0],
			              strerror(res.start_errno != 0 ? res.start_errno : -rc));
		goto out;
	}

	structured = cJSON_CreateObject();
	if (res.timed_out) {
		strbuf_printf(&text,
		              "timed out after %gs (the command and its children were "
		              "killed)\n",
		              timeout);
		cJSON_AddNullToObject(structured, "exit_code");
		cJSON_AddNumberToObject(structured, "signal", SIGKILL);
	} else if (WIFSIGNALED(res.status)) {
		strbuf_printf(&text, "killed by signal %d (%s)\n", WTERMSIG(res.status),
		              strsignal(WTERMSIG(res.status)));
		cJSON_AddNullToObject(structured, "exit_code");
		cJSON_AddNumberToObject(structured, "signal", WTERMSIG(res.status));
	} else {
		strbuf_printf(&text, "exit code %d\n", WEXITSTATUS(res.status));
		cJSON_AddNumberToObject(structured, "exit_code", WEXITSTATUS(res.status));
		cJSON_AddNullToObject(structured, "signal");
	}
	text_stream(&text, "stdout", &out);
	text_stream(&text, "stderr", &err);
	json_stream(structured, "stdout", &out);
	json_stream(structured, "stderr", &err);
	cJSON_AddBoolToObject(structured, "timed_out", res.timed_out);
	cJSON_AddNumberToObject(structured, "stdout_dropped", (double)out.dropped);
	cJSON_AddNumberToObject(structured, "stderr_dropped", (double)err.dropped);
	if (text.failed || out.kept.failed || err.kept.failed) {
		builtin_error(call, "out of memory while collecting the output");
		goto out;
	}
	builtin_host->add_text(call, text.buf, text.len);
	printed = cJSON_PrintUnformatted(structured);
	if (printed != NULL)
		builtin_host->set_structured(call, printed);
	free(printed);
out:
	cJSON_Delete(structured);
	strbuf_release(&text);
	strbuf_release(&out.kept);
	strbuf_release(&err.kept);
	cJSON_Delete(json);
	return 0;
}

const struct corral_tool builtin_exec_tool = {
    .size = sizeof(struct corral_tool),
    .name = "exec",
    .title = "Run a command",
    .description = "Run a command in the workspace: `command` with /bin/sh -c, or `argv` "
                   "without a shell. Returns the exit code first, then the output in two "
                   "labelled sections, `--- stdout ---` and `--- stderr ---`. A non-zero exit "
                   "code is a normal result, not an error. The command is killed after "
                   "`timeout` seconds (default 300), and anything it left running in the "
                   "background is killed when it exits. Each stream keeps up to about half "
                   "of the output cap; the rest is dropped and counted.",
    .input_schema = exec_schema,
    .output_schema = exec_output_schema,
    .hints = CORRAL_TOOL_DESTRUCTIVE,
    .run = exec_run,
};
