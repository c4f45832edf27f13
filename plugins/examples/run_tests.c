/*
 * run_tests.c - an example plugin: run a project's tests and summarise them.
 *
 * A realistic C plugin on the public ABI (include/corral/plugin.h) and
 * nothing else: one tool, `run_tests`, that finds the project's test
 * command (or takes one), runs it with /bin/sh -c, and returns the counts it
 * can read from the output of the common test runners, with the tail of the
 * output as text. The worker already runs inside the call's sandbox, so the
 * plugin forks and execs directly.
 *
 * Build: cc -shared -fPIC -fvisibility=hidden -I include run_tests.c -lcjson
 */
#define _GNU_SOURCE
#include <corral/plugin.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

CORRAL_PLUGIN_DEFINE_ABI;

#define TESTS_TAIL_MAX     (32u * 1024) /* bytes of output kept: the end */
#define TESTS_TIMEOUT      1800         /* seconds */
#define TESTS_MAKEFILE_MAX (1024u * 1024)

static const struct corral_host *host;

static const char input_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"command\":{\"type\":\"string\",\"description\":\"The test command, run with /bin/sh -c "
    "in the workspace. Default: detected from the project (make check/test, ctest, npm test, "
    "pytest, go test, cargo test).\"}}}";

static const char output_schema[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"command\":{\"type\":\"string\"},"
    "\"exit_code\":{\"type\":[\"integer\",\"null\"]},"
    "\"passed\":{\"type\":[\"integer\",\"null\"]},"
    "\"failed\":{\"type\":[\"integer\",\"null\"]},"
    "\"skipped\":{\"type\":[\"integer\",\"null\"]},"
    "\"summary_line\":{\"type\":[\"string\",\"null\"]}},"
    "\"required\":[\"command\",\"exit_code\",\"passed\",\"failed\",\"skipped\","
    "\"summary_line\"]}";

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Does the Makefile in the workspace define @target? */
static bool makefile_has(const char *target)
{
	static const char *const names[] = {"GNUmakefile", "makefile", "Makefile"};
	size_t tl = strlen(target);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char line[4096];
		bool found = false;
		size_t read_bytes = 0;
		FILE *f = fopen(names[i], "re");

		if (f == NULL)
			continue;
		while (!found && read_bytes < TESTS_MAKEFILE_MAX && fgets(line, sizeof(line), f)) {
			read_bytes += strlen(line);
			found = strncmp(line, target, tl) == 0 && line[tl] == ':' &&
			        line[tl + 1] != '=';
		}
		fclose(f);
		if (found)
			return true;
	}
	return false;
}

/* The test command of the project in the working directory, or NULL. */
static const char *command_detect(void)
{
	if (makefile_has("check"))
		return "make check";
	if (makefile_has("test"))
		return "make test";
	if (file_exists("build/CTestTestfile.cmake"))
		return "ctest --test-dir build";
	if (file_exists("package.json"))
		return "npm test";
	if (file_exists("pyproject.toml") || file_exists("pytest.ini"))
		return "pytest";
	if (file_exists("go.mod"))
		return "go test ./...";
	if (file_exists("Cargo.toml"))
		return "cargo test";
	return NULL;
}

struct summary {
	long passed;
	long failed;
	long skipped;
	char line[512];
	bool found;
};

static void summary_take(struct summary *s, const char *line, size_t len)
{
	s->found = true;
	snprintf(s->line, sizeof(s->line), "%.*s", (int)len, line);
}

/* The number just before @word in @line ("3 passed"), or -1. */
static long count_before(const char *line, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 1; i + wl <= len; i++) {
		size_t j = i;

		if (memcmp(line + i, word, wl) != 0 || line[i - 1] != ' ')
			continue;
		j = i - 1;
		while (j > 0 && line[j - 1] >= '0' && line[j - 1] <= '9')
			j--;
		if (j < i - 1)
			return strtol(line + j, NULL, 10);
	}
	return -1;
}

/* Read one output line for a summary; later summaries win. */
static void summary_line(struct summary *s, const char *line, size_t len)
{
	long total, failed;
	char buf[512];

	if (len >= sizeof(buf))
		return;
	memcpy(buf, line, len);
	buf[len] = '\0';
	/* ctest: "75% tests passed, 1 tests failed out of 4" */
	if (strstr(buf, "tests passed") != NULL && strstr(buf, "out of") != NULL &&
	    sscanf(strstr(buf, "tests passed"), "tests passed, %ld tests failed out of %ld",
	           &failed, &total) == 2) {
		s->failed = failed;
		s->passed = total - failed;
		summary_take(s, line, len);
		return;
	}
	/* cargo: "test result: ok. 3 passed; 1 failed; 0 ignored; ..." */
	if (strncmp(buf, "test result:", 12) == 0) {
		long p = count_before(buf, len, "passed"), f = count_before(buf, len, "failed"),
		     i = count_before(buf, len, "ignored");

		/* cargo prints one line per test binary: add them up. */
		if (!s->found || strncmp(s->line, "test result:", 12) != 0)
			s->passed = s->failed = s->skipped = 0;
		s->passed += p > 0 ? p : 0;
		s->failed += f > 0 ? f : 0;
		s->skipped += i > 0 ? i : 0;
		summary_take(s, line, len);
		return;
	}
	/* go: "ok  pkg 0.1s" and "FAIL pkg 0.1s", one per package. */
	if ((strncmp(buf, "ok  ", 4) == 0 || strncmp(buf, "ok\t", 3) == 0 ||
	     strncmp(buf, "FAIL\t", 5) == 0 || strncmp(buf, "FAIL ", 5) == 0) &&
	    strchr(buf, '.') != NULL) {
		if (!s->found ||
		    (strncmp(s->line, "ok", 2) != 0 && strncmp(s->line, "FAIL", 4) != 0))
			s->passed = s->failed = s->skipped = 0;
		if (buf[0] == 'o')
			s->passed++;
		else
			s->failed++;
		summary_take(s, line, len);
		return;
	}
	/* pytest "=== 3 passed, 1 failed, 2 skipped in 0.1s ===" and the plain
	 * "3 passed, 1 failed". */
	{
		long p = count_before(buf, len, "passed"), f = count_before(buf, len, "failed"),
		     k = count_before(buf, len, "skipped");

		if (p < 0 && f < 0)
			return;
		s->passed = p > 0 ? p : 0;
		s->failed = f > 0 ? f : 0;
		s->skipped = k > 0 ? k : 0;
		summary_take(s, line, len);
	}
}

/* Keep the last TESTS_TAIL_MAX bytes of the output. */
struct tail {
	char buf[TESTS_TAIL_MAX];
	size_t len;
	size_t total;
};

static void tail_add(struct tail *t, const char *data, size_t len)
{
	size_t keep;

	t->total += len;
	if (len > sizeof(t->buf)) {
		data += len - sizeof(t->buf);
		len = sizeof(t->buf);
	}
	/* Keep the newest bytes that still leave room for @len more. */
	keep = sizeof(t->buf) - len;
	if (t->len < keep)
		keep = t->len;
	memmove(t->buf, t->buf + (t->len - keep), keep);
	memcpy(t->buf + keep, data, len);
	t->len = keep + len;
}

/* Run @command, output (stdout and stderr together) into @t. Returns the
 * wait status, or -errno when it could not be started. */
static int command_run(struct corral_call *call, const char *command, struct tail *t,
                       bool *timed_out)
{
	int pipefd[2], status = 0;
	time_t deadline = time(NULL) + TESTS_TIMEOUT;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(pipefd[1]);
	for (;;) {
		struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
		char buf[8192];
		ssize_t n;
		int left = (int)(deadline - time(NULL));

		if (left <= 0 || host->cancelled(call)) {
			*timed_out = left <= 0;
			break;
		}
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		tail_add(t, buf, (size_t)n);
		host->progress(call, 0, 0, "running tests");
	}
	close(pipefd[0]);
	killpg(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return status;
}

static int run_tests(struct corral_call *call, const char *args, void *data)
{
	struct tail *t = NULL;
	struct summary s = {.passed = -1, .failed = -1, .skipped = -1};
	cJSON *json = cJSON_Parse(args), *result = NULL;
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(json, "command");
	const char *command = NULL;
	bool timed_out = false;
	char *printed = NULL, head[1024];
	int status;

	if (cmd != NULL && !cJSON_IsNull(cmd)) {
		if (!cJSON_IsString(cmd) || cmd->valuestring[0] == '\0') {
			host->set_error(call, "the argument 'command' must be a non-empty string");
			goto out;
		}
		command = cmd->valuestring;
	} else {
		command = command_detect();
		if (command == NULL) {
			host->set_error(call,
			                "no test command found (no Makefile with check or test, "
			                "build/CTestTestfile.cmake, package.json, pyproject.toml, "
			                "pytest.ini, go.mod or Cargo.toml); pass 'command'");
			goto out;
		}
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	status = command_run(call, command, t, &timed_out);
	if (status < 0) {
		snprintf(head, sizeof(head), "cannot run %s: %s", command, strerror(-status));
		host->set_error(call, head);
		goto out;
	}
	for (size_t i = 0; i < t->len;) {
		const char *nl = memchr(t->buf + i, '\n', t->len - i);
		size_t n = nl != NULL ? (size_t)(nl - (t->buf + i)) : t->len - i;

		summary_line(&s, t->buf + i, n);
		i += n + 1;
	}

	result = cJSON_CreateObject();
	cJSON_AddStringToObject(result, "command", command);
	if (WIFEXITED(status) && !timed_out)
		cJSON_AddNumberToObject(result, "exit_code", WEXITSTATUS(status));
	else
		cJSON_AddNullToObject(result, "exit_code");
	if (s.passed >= 0)
		cJSON_AddNumberToObject(result, "passed", (double)s.passed);
	else
		cJSON_AddNullToObject(result, "passed");
	if (s.failed >= 0)
		cJSON_AddNumberToObject(result, "failed", (double)s.failed);
	else
		cJSON_AddNullToObject(result, "failed");
	if (s.skipped >= 0)
		cJSON_AddNumberToObject(result, "skipped", (double)s.skipped);
	else
		cJSON_AddNullToObject(result, "skipped");
	if (s.found)
		cJSON_AddStringToObject(result, "summary_line", s.line);
	else
		cJSON_AddNullToObject(result, "summary_line");
	printed = cJSON_PrintUnformatted(result);
	if (printed != NULL)
		host->set_structured(call, printed);

	if (timed_out)
		snprintf(head, sizeof(head), "%s timed out after %ds\n", command, TESTS_TIMEOUT);
	else if (WIFEXITED(status))
		snprintf(head, sizeof(head), "%s exited with %d: %s\n", command,
		         WEXITSTATUS(status), s.found ? s.line : "no summary line found");
	else
		snprintf(head, sizeof(head), "%s was killed by signal %d\n", command,
		         WTERMSIG(status));
	host->add_text(call, head, strlen(head));
	if (t->total > t->len) {
		snprintf(head, sizeof(head), "[last %zu of %zu bytes of output]\n", t->len,
		         t->total);
		host->add_text(call, head, strlen(head));
	}
	host->add_text(call, t->buf, t->len);
out:
	free(printed);
	free(t);
	cJSON_Delete(result);
	cJSON_Delete(json);
	return 0;
}

static const struct corral_tool run_tests_tool = {
    .size = sizeof(struct corral_tool),
    .name = "run_tests",
    .title = "Run the tests",
    .description = "Run the project's tests and report passed, failed and skipped counts with "
                   "the end of the output. Finds the test command itself (make check or test, "
                   "ctest, npm test, pytest, go test, cargo test) unless `command` is given. "
                   "Failing tests are a normal result, not an error.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .hints = 0,
    .run = run_tests,
};

CORRAL_PLUGIN_EXPORT int corral_plugin_init(const struct corral_host *h,
                                            struct corral_plugin *plugin)
{
	host = h;
	plugin->name = "run_tests";
	plugin->version = "1.0.0";
	return h->register_tool(&run_tests_tool);
}
