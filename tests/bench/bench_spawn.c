/*
 * bench_spawn.c - what a sandbox costs, measured inside one long-lived
 * process against bare process creation.
 *
 * Variants, each running /bin/true with stdio on /dev/null:
 *   fork+exec        fork(), execve(), waitpid(): the classic baseline
 *   posix_spawn      glibc's vfork-style spawn: the fair baseline, since
 *                    sbx_run() also starts its child vfork-style
 *   sbx_run          the shipped workspace-write policy for a temporary
 *                    workspace, compiled as `corral exec` compiles it
 *   sbx_run host-net the same with the network namespace shared: the
 *                    difference is the cost of a new netns
 *   sbx_run no-cgroup the same with memory and process limits zeroed: the
 *                    difference is the cost of the per-run cgroup
 *   sbx_run minimal  both of the above: what namespaces, mounts, Landlock
 *                    and seccomp cost on their own
 *
 * The variants are interleaved round by round, in an order that rotates
 * every round, so that machine noise falls on all of them alike. Prints
 * median, p10 and p90 in microseconds and each median's ratio to the two
 * baselines. It asserts nothing about speed: it fails only when a variant
 * fails to run, and exits 77 when the sandbox cannot be set up here.
 *
 * usage: bench_spawn [-n ROUNDS] [-w WARMUP] [-r]
 */
#define _GNU_SOURCE
#include "cgroup.h"
#include "compile.h"
#include "policy.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ROUNDS 300
#define DEFAULT_WARMUP 20
#define EXIT_SKIP      77
#define BENCH_POLICY   "workspace-write"
#define BENCH_COMMAND  "/bin/true"

extern char **environ;

enum variant_kind { V_FORK, V_SPAWN, V_SBX };

struct variant {
	const char *name;
	enum variant_kind kind;
	struct sbx_config cfg; /* V_SBX only */
	double *samples;       /* microseconds, one per round */
};

static int devnull = -1;
static char *const true_argv[] = {BENCH_COMMAND, NULL};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int run_fork(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			if (dup2(devnull, i) < 0)
				_exit(126);
		execve(BENCH_COMMAND, true_argv, environ);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int run_spawn(void)
{
	posix_spawn_file_actions_t fa;
	int status, rc;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	for (int i = 0; i < 3; i++)
		posix_spawn_file_actions_adddup2(&fa, devnull, i);
	rc = posix_spawn(&pid, BENCH_COMMAND, &fa, NULL, true_argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int run_sbx(const struct variant *v, struct corral_error *err)
{
	struct sbx_result res;
	int rc = sbx_run(&v->cfg, &res, err);

	if (rc == 0 && (res.exit_code != 0 || res.signal)) {
		corral_error_set(err, CORRAL_E_SANDBOX, 0, "%s exited with %d (signal %d)",
		                 BENCH_COMMAND, res.exit_code, res.signal);
		rc = -CORRAL_E_SANDBOX;
	}
	sbx_result_release(&res);
	return rc;
}

static int run_one(struct variant *v, double *took, struct corral_error *err)
{
	double start = now_us();
	int rc;

	switch (v->kind) {
	case V_FORK:
		rc = run_fork();
		break;
	case V_SPAWN:
		rc = run_spawn();
		break;
	default:
		rc = run_sbx(v, err);
		break;
	}
	*took = now_us() - start;
	if (rc < 0 && v->kind != V_SBX)
		corral_error_set(err, CORRAL_E_INTERNAL, errno, "%s failed", BENCH_COMMAND);
	return rc;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @q quantile (0..1) of the sorted @v, by linear interpolation. */
static double quantile(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_spawn [-n ROUNDS] [-w WARMUP] [-r]\n"
	        "  -n ROUNDS  measured rounds per variant (default %d)\n"
	        "  -w WARMUP  unmeasured rounds first (default %d)\n"
	        "  -r         also print every sample (variant round microseconds)\n",
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

/* Which cgroup mechanism a run with limits gets here (for the report). */
static const char *cgroup_mechanism(const struct sbx_config *cfg)
{
	static char name[16];
	struct corral_error err = {0};
	struct sbx_cgroup cg;

	if (sbx_cgroup_setup(&cg, cfg->limits.memory, cfg->limits.processes, &err) < 0)
		return "unavailable";
	snprintf(name, sizeof(name), "%s", sbx_cgroup_mechanism(&cg));
	sbx_cgroup_release(&cg);
	return name;
}

int main(int argc, char **argv)
{
	long rounds = DEFAULT_ROUNDS, warmup = DEFAULT_WARMUP;
	bool raw = false;
	char workspace[] = "/tmp/corral-bench-XXXXXX";
	struct corral_error err = {0};
	struct compile_opts copts = {0};
	struct sandbox_plan plan;
	struct policy *policy = NULL;
	struct variant v[6];
	size_t nv = sizeof(v) / sizeof(v[0]);
	char *state_dir = NULL;
	double med[6];
	int opt, status = 1;

	while ((opt = getopt(argc, argv, "n:w:rh")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_count(optarg, 1, &rounds) < 0) {
				fprintf(stderr, "bench_spawn: bad -n '%s'\n", optarg);
				return 2;
			}
			break;
		case 'w':
			if (parse_count(optarg, 0, &warmup) < 0) {
				fprintf(stderr, "bench_spawn: bad -w '%s'\n", optarg);
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
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || !mkdtemp(workspace)) {
		perror("bench_spawn: setup");
		return 1;
	}
	if (policy_load(BENCH_POLICY, &policy, &err) < 0) {
		fprintf(stderr, "bench_spawn: %s\n", err.message);
		rmdir(workspace);
		return 1;
	}
	state_dir = state_dir_path();
	copts.workspace = workspace;
	copts.argv = true_argv;
	copts.state_dir = state_dir;
	if (sandbox_compile(policy, &copts, &plan, &err) < 0) {
		fprintf(stderr, "bench_spawn: %s\n", err.message);
		policy_free(policy);
		free(state_dir);
		rmdir(workspace);
		return 1;
	}
	plan.cfg.stdin_mode = plan.cfg.stdout_mode = plan.cfg.stderr_mode = SBX_IO_NULL;

	memset(v, 0, sizeof(v));
	v[0] = (struct variant){.name = "fork+exec", .kind = V_FORK};
	v[1] = (struct variant){.name = "posix_spawn", .kind = V_SPAWN};
	v[2] = (struct variant){.name = "sbx_run", .kind = V_SBX, .cfg = plan.cfg};
	v[3] = (struct variant){.name = "sbx_run host-net", .kind = V_SBX, .cfg = plan.cfg};
	v[3].cfg.share_net = true;
	v[4] = (struct variant){.name = "sbx_run no-cgroup", .kind = V_SBX, .cfg = plan.cfg};
	v[4].cfg.limits.memory = 0;
	v[4].cfg.limits.processes = 0;
	v[5] = (struct variant){.name = "sbx_run minimal", .kind = V_SBX, .cfg = v[4].cfg};
	v[5].cfg.share_net = true;
	for (size_t i = 0; i < nv; i++) {
		v[i].samples = calloc((size_t)rounds, sizeof(double));
		if (!v[i].samples) {
			fprintf(stderr, "bench_spawn: out of memory\n");
			goto out;
		}
	}

	printf("bench_spawn: %ld rounds after %ld warm-up, %s, policy %s, %zu mounts, "
	       "limits via %s\n",
	       rounds, warmup, BENCH_COMMAND, BENCH_POLICY, plan.nmounts,
	       cgroup_mechanism(&plan.cfg));
	fflush(stdout);

	/* Round r runs the variants starting at r mod nv, so none always
	 * follows the teardown of the same neighbour. */
	for (long r = -warmup; r < rounds; r++) {
		for (size_t k = 0; k < nv; k++) {
			size_t i = (size_t)((r + warmup) + (long)k) % nv;
			double took;
			if (run_one(&v[i], &took, &err) < 0) {
				fprintf(stderr, "bench_spawn: %s: %s\n", v[i].name, err.message);
				status = v[i].kind == V_SBX && r == -warmup ? EXIT_SKIP : 1;
				goto out;
			}
			if (r >= 0)
				v[i].samples[r] = took;
		}
	}

	if (raw)
		for (size_t i = 0; i < nv; i++)
			for (long r = 0; r < rounds; r++)
				printf("sample %s %ld %.1f\n", v[i].name, r, v[i].samples[r]);

	printf("%-18s %10s %10s %10s %12s %12s\n", "variant", "median_us", "p10_us", "p90_us",
	       "x_fork+exec", "x_posix_spawn");
	for (size_t i = 0; i < nv; i++) {
		qsort(v[i].samples, (size_t)rounds, sizeof(double), compare_double);
		med[i] = quantile(v[i].samples, (size_t)rounds, 0.5);
	}
	for (size_t i = 0; i < nv; i++)
		printf("%-18s %10.1f %10.1f %10.1f %12.2f %12.2f\n", v[i].name, med[i],
		       quantile(v[i].samples, (size_t)rounds, 0.1),
		       quantile(v[i].samples, (size_t)rounds, 0.9), med[i] / med[0],
		       med[i] / med[1]);
	printf("\n");
	for (size_t i = 0; i < nv; i++)
		printf("ratio %-18s fork+exec=%.2f posix_spawn=%.2f\n", v[i].name, med[i] / med[0],
		       med[i] / med[1]);
	printf("\ncost of a new network namespace: %+.1f us (sbx_run - sbx_run host-net)\n",
	       med[2] - med[3]);
	printf("cost of the per-run cgroup:      %+.1f us (sbx_run - sbx_run no-cgroup)\n",
	       med[2] - med[4]);
	printf("cost of the rest of the sandbox: %+.1f us (sbx_run minimal - posix_spawn)\n",
	       med[5] - med[1]);
	status = 0;
out:
	for (size_t i = 0; i < nv; i++)
		free(v[i].samples);
	sandbox_plan_release(&plan);
	policy_free(policy);
	free(state_dir);
	rmdir(workspace);
	close(devnull);
	return status;
}
