/*
 * timecmd.c - time whole commands, interleaved, against the first one.
 *
 * usage: timecmd [-n ROUNDS] [-w WARMUP] [-r] -- LABEL CMD [ARGS...] [::: LABEL CMD ...]...
 *
 * Every round runs each command once with posix_spawn (stdio on /dev/null)
 * and waits for it, in an order that rotates every round, so that machine
 * noise falls on all commands alike. The time of a run is from just before
 * posix_spawn to the return of waitpid, CLOCK_MONOTONIC. Prints median, p10
 * and p90 in microseconds and each median's ratio to the first command's;
 * with -r also every run ("sample LABEL ROUND US"). A command that exits
 * non-zero stops the measurement with exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ROUNDS 200
#define DEFAULT_WARMUP 10
#define SEPARATOR      ":::"

extern char **environ;

struct cmd {
	const char *label;
	char **argv;
	double *samples;
};

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

static double quantile(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]);
}

/* Run @c once; the status as waitpid gives it, or -1. */
static int run(const struct cmd *c, const posix_spawn_file_actions_t *fa, double *took)
{
	double start = now_us();
	int status;
	pid_t pid;

	errno = posix_spawn(&pid, c->argv[0], fa, NULL, c->argv, environ);
	if (errno)
		return -1;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	*took = now_us() - start;
	return status;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: timecmd [-n ROUNDS] [-w WARMUP] [-r] -- LABEL CMD [ARGS...] "
	        "[::: LABEL CMD ...]...\n"
	        "  -n ROUNDS  measured runs per command (default %d)\n"
	        "  -w WARMUP  unmeasured rounds first (default %d)\n"
	        "  -r         also print every run (sample LABEL ROUND US)\n"
	        "CMD is a path (no PATH search). Ratios are to the first command.\n",
	        DEFAULT_ROUNDS, DEFAULT_WARMUP);
}

static int parse_count(const char *s, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > 1000000)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	long rounds = DEFAULT_ROUNDS, warmup = DEFAULT_WARMUP;
	posix_spawn_file_actions_t fa;
	struct cmd *cmds;
	size_t ncmds = 0;
	bool raw = false;
	int opt, devnull, status = 1;

	while ((opt = getopt(argc, argv, "+n:w:rh")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_count(optarg, 1, &rounds) < 0) {
				fprintf(stderr, "timecmd: bad -n '%s'\n", optarg);
				return 2;
			}
			break;
		case 'w':
			if (parse_count(optarg, 0, &warmup) < 0) {
				fprintf(stderr, "timecmd: bad -w '%s'\n", optarg);
				return 2;
			}
			break;
		case 'r':
			raw = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	/* Split the rest at ":::" in place: each piece is LABEL CMD ARGS. */
	cmds = calloc((size_t)argc, sizeof(*cmds));
	if (!cmds)
		return 1;
	for (int i = optind; i < argc;) {
		int end = i;
		while (end < argc && strcmp(argv[end], SEPARATOR) != 0)
			end++;
		if (end - i < 2) {
			fprintf(stderr, "timecmd: each command needs a LABEL and a CMD\n");
			usage(stderr);
			free(cmds);
			return 2;
		}
		cmds[ncmds].label = argv[i];
		cmds[ncmds].argv = argv + i + 1;
		if (end < argc)
			argv[end] = NULL; /* argv[argc] is NULL already */
		ncmds++;
		i = end + 1;
	}
	if (!ncmds) {
		usage(stderr);
		free(cmds);
		return 2;
	}
	for (size_t i = 0; i < ncmds; i++) {
		cmds[i].samples = calloc((size_t)rounds, sizeof(double));
		if (!cmds[i].samples) {
			fprintf(stderr, "timecmd: out of memory\n");
			goto out;
		}
	}

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || posix_spawn_file_actions_init(&fa) != 0) {
		perror("timecmd: /dev/null");
		goto out;
	}
	for (int fd = 0; fd < 3; fd++)
		posix_spawn_file_actions_adddup2(&fa, devnull, fd);

	for (long r = -warmup; r < rounds; r++) {
		for (size_t k = 0; k < ncmds; k++) {
			size_t i = (size_t)(r + warmup + (long)k) % ncmds;
			double took = 0;
			int st = run(&cmds[i], &fa, &took);
			if (st != 0) {
				if (st < 0)
					fprintf(stderr, "timecmd: %s: cannot run %s: %s\n",
					        cmds[i].label, cmds[i].argv[0], strerror(errno));
				else
					fprintf(stderr, "timecmd: %s: %s %s %d\n", cmds[i].label,
					        cmds[i].argv[0],
					        WIFEXITED(st) ? "exited with" : "killed by signal",
					        WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
				goto spawned;
			}
			if (r >= 0)
				cmds[i].samples[r] = took;
		}
	}

	if (raw)
		for (size_t i = 0; i < ncmds; i++)
			for (long r = 0; r < rounds; r++)
				printf("sample %s %ld %.1f\n", cmds[i].label, r,
				       cmds[i].samples[r]);
	for (size_t i = 0; i < ncmds; i++)
		qsort(cmds[i].samples, (size_t)rounds, sizeof(double), compare_double);
	printf("%-14s %10s %10s %10s %10s\n", "command", "median_us", "p10_us", "p90_us", "ratio");
	for (size_t i = 0; i < ncmds; i++) {
		double med = quantile(cmds[i].samples, (size_t)rounds, 0.5);
		double base = quantile(cmds[0].samples, (size_t)rounds, 0.5);
		printf("%-14s %10.1f %10.1f %10.1f %10.2f\n", cmds[i].label, med,
		       quantile(cmds[i].samples, (size_t)rounds, 0.1),
		       quantile(cmds[i].samples, (size_t)rounds, 0.9), med / base);
	}
	printf("\n");
	for (size_t i = 0; i < ncmds; i++)
		printf("ratio %-14s %s=%.2f\n", cmds[i].label, cmds[0].label,
		       quantile(cmds[i].samples, (size_t)rounds, 0.5) /
		           quantile(cmds[0].samples, (size_t)rounds, 0.5));
	status = 0;
spawned:
	posix_spawn_file_actions_destroy(&fa);
	close(devnull);
out:
	for (size_t i = 0; i < ncmds; i++)
		free(cmds[i].samples);
	free(cmds);
	return status;
}
