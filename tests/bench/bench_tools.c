/*
 * bench_tools.c - what a tool call costs, inside one long-lived process.
 *
 * Variants, interleaved round by round in a rotating order:
 *   cat          fork+exec of /bin/cat on a small file: the baseline
 *   exec true    the sandbox alone: sbx_run() of /bin/true under the same
 *                policy (workspace-write), as `corral exec` runs it
 *   read_file    tool_call() of the built-in read_file on the same file
 *   .so tool     tool_call() of a trivial native tool (bench_echo.so)
 *   lua tool     tool_call() of a trivial Lua tool (bench_echo.lua)
 * Prints medians, p10, p90 and the ratios to cat and to exec true. The aim
 * (issue: plugins) is a plugin call within 1.3x of the sandboxed exec of
 * /bin/true. Asserts nothing about speed.
 *
 * usage: bench_tools [-n ROUNDS]    ($CORRAL_PLUGIN_PATH must hold the two
 *                                    trivial plugins; bench_tools.sh sets it)
 */
#define _GNU_SOURCE
#include "compile.h"
#include "policy.h"
#include "tools.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NVARIANTS 5

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *const names[NVARIANTS] = {"cat", "exec true", "read_file", ".so tool",
	                                             "lua tool"};
	static const char *const tools[NVARIANTS] = {NULL, NULL, "read_file", "bench_echo",
	                                             "bench_echo_lua"};
	char ws[] = "/tmp/corral-bench-tools.XXXXXX", file[64];
	struct corral_error err = {0};
	struct tool_registry reg;
	struct sandbox_plan plan;
	struct policy *p = NULL;
	cJSON *args[NVARIANTS] = {0};
	double *samples[NVARIANTS], med[NVARIANTS];
	int rounds = 200, devnull, fd;
	static char *true_argv[] = {"/bin/true", NULL};
	struct compile_opts opts = {.argv = true_argv};

	if (argc == 3 && strcmp(argv[1], "-n") == 0)
		rounds = atoi(argv[2]);
	if (rounds < 1 || !mkdtemp(ws))
		return 2;
	snprintf(file, sizeof(file), "%s/notes.txt", ws);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "one\ntwo\nthree\n", 14) != 14)
		return 2;
	close(fd);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (policy_load("workspace-write", &p, &err) < 0 || tools_load(&reg, p, ws, &err) < 0) {
		fprintf(stderr, "bench_tools: %s\n", err.message);
		return 1;
	}
	for (int v = 2; v < NVARIANTS; v++) {
		if (!tools_find(&reg, tools[v])) {
			fprintf(stderr, "bench_tools: no tool %s (set CORRAL_PLUGIN_PATH)\n",
			        tools[v]);
			return 1;
		}
		args[v] = cJSON_Parse(v == 2 ? "{\"path\": \"notes.txt\"}" : "{}");
	}
	opts.workspace = ws;
	if (sandbox_compile(p, &opts, &plan, &err) < 0) {
		fprintf(stderr, "bench_tools: %s\n", err.message);
		return 1;
	}
	for (int v = 0; v < NVARIANTS; v++)
		samples[v] = calloc((size_t)rounds, sizeof(double));
	for (int r = -10; r < rounds; r++) {
		for (int k = 0; k < NVARIANTS; k++) {
			int v = (k + (r < 0 ? 0 : r)) % NVARIANTS;
			double t0 = now_us();
			if (v == 0) {
				pid_t pid = fork();
				if (pid == 0) {
					dup2(devnull, 1);
					execl("/bin/cat", "cat", file, (char *)NULL);
					_exit(127);
				}
				waitpid(pid, NULL, 0);
			} else if (v == 1) {
				struct sbx_result res;
				if (sbx_run(&plan.cfg, &res, &err) < 0) {
					fprintf(stderr, "bench_tools: %s\n", err.message);
					return 1;
				}
				sbx_result_release(&res);
			} else {
				struct tool_result res;
				if (tool_call(&reg, tools_find(&reg, tools[v]), args[v], p, ws,
				              NULL, &res, &err) < 0 ||
				    res.is_error) {
					fprintf(stderr, "bench_tools: %s: %s\n", tools[v],
					        res.text ? res.text : err.message);
					return 1;
				}
				tool_result_release(&res);
			}
			if (r >= 0)
				samples[v][r] = now_us() - t0;
		}
	}
	printf("bench_tools: %d rounds, policy workspace-write\n", rounds);
	printf("%-12s %10s %10s %10s %8s %12s\n", "variant", "median_us", "p10_us", "p90_us",
	       "x_cat", "x_exec_true");
	for (int v = 0; v < NVARIANTS; v++) {
		qsort(samples[v], (size_t)rounds, sizeof(double), cmp);
		med[v] = samples[v][rounds / 2];
	}
	for (int v = 0; v < NVARIANTS; v++)
		printf("%-12s %10.1f %10.1f %10.1f %8.2f %12.2f\n", names[v], med[v],
		       samples[v][rounds / 10], samples[v][rounds * 9 / 10], med[v] / med[0],
		       med[v] / med[1]);
	for (int v = 0; v < NVARIANTS; v++) {
		free(samples[v]);
		cJSON_Delete(args[v]);
	}
	sandbox_plan_release(&plan);
	tools_release(&reg);
	policy_free(p);
	return 0;
}
