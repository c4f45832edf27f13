/*
 * bench_filters.c - how long the filters cost: building the seccomp
 * program (parent, once per set of options), installing it (child, every
 * sandbox), and a Landlock ruleset. Prints medians in microseconds; fails
 * only when a step fails.
 */
#define _GNU_SOURCE
#include "landlock.h"
#include "sbx_seccomp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_ROUNDS 101

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), compare_double);
	return v[n / 2];
}

/* Time @what in a fresh child each round (installing is one-way); -1 on failure. */
static double child_median(int (*what)(const void *), const void *arg)
{
	double samples[BENCH_ROUNDS];

	for (int i = 0; i < BENCH_ROUNDS; i++) {
		int pipefd[2], status;
		double took = -1;
		pid_t pid;

		if (pipe(pipefd) != 0)
			return -1;
		pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			double start;

			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
				_exit(1);
			start = now_us();
			if (what(arg) < 0)
				_exit(1);
			took = now_us() - start;
			_exit(write(pipefd[1], &took, sizeof(took)) == sizeof(took) ? 0 : 1);
		}
		close(pipefd[1]);
		if (read(pipefd[0], &took, sizeof(took)) != sizeof(took))
			took = -1;
		close(pipefd[0]);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0 || took < 0)
			return -1;
		samples[i] = took;
	}
	return median(samples, BENCH_ROUNDS);
}

static int install_prog(const void *arg)
{
	return sbx_seccomp_install(arg, false);
}

static int enforce_ruleset(const void *arg)
{
	return sbx_landlock_enforce(arg);
}

static int bench_seccomp(bool notify)
{
	struct sbx_seccomp_opts opts = {.allow_unix_sockets = false, .notify = notify};
	struct corral_error err = {0};
	struct sock_fprog prog = {0};
	double samples[BENCH_ROUNDS], install;

	for (int i = 0; i < BENCH_ROUNDS; i++) {
		double start = now_us();

		if (sbx_seccomp_build(&opts, &prog, &err) != 0) {
			fprintf(stderr, "build: %s\n", err.message);
			return 1;
		}
		samples[i] = now_us() - start;
		if (i + 1 < BENCH_ROUNDS)
			sbx_seccomp_release(&prog);
	}
	/* Without a listener: what the install itself costs. */
	install = child_median(install_prog, &prog);
	printf("seccomp%s: %u instructions, build %.0f us, install %.1f us (medians of %d)\n",
	       notify ? " (notify)" : "", prog.len, median(samples, BENCH_ROUNDS), install,
	       BENCH_ROUNDS);
	sbx_seccomp_release(&prog);
	return install < 0;
}

static int bench_landlock(void)
{
	static const char *const paths[] = {"/usr", "/etc", "/tmp", "/dev/null", "/proc"};
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct corral_error err = {0};
	double samples[BENCH_ROUNDS], enforce;

	if (sbx_landlock_abi() == 0) {
		printf("landlock: not available\n");
		return 0;
	}
	for (int i = 0; i < BENCH_ROUNDS; i++) {
		double start = now_us();

		sbx_landlock_release(&ll);
		if (sbx_landlock_create(&ll, false, &err) != 0) {
			fprintf(stderr, "landlock: %s\n", err.message);
			return 1;
		}
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			if (sbx_landlock_allow(&ll, paths[p], SBX_LL_READ) != 0) {
				fprintf(stderr, "landlock: cannot allow %s\n", paths[p]);
				return 1;
			}
		}
		samples[i] = now_us() - start;
	}
	enforce = child_median(enforce_ruleset, &ll);
	printf("landlock ABI %d: create + 5 rules %.1f us, enforce %.1f us\n", ll.abi,
	       median(samples, BENCH_ROUNDS), enforce);
	sbx_landlock_release(&ll);
	return enforce < 0;
}

int main(void)
{
	int failed = 0;

	failed |= bench_seccomp(false);
	failed |= bench_seccomp(true);
	failed |= bench_landlock();
	return failed;
}
