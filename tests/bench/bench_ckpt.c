/*
 * bench_ckpt.c - what checkpoints cost, as ratios to `git status --porcelain`
 * on the same tree (a real git repository of the same files), measured in
 * the same run. Not a timed test: it prints figures (docs/checkpoints.md).
 *
 * usage: bench_ckpt [-f FILES] [-k KIB_PER_FILE] [-n ROUNDS] [-c CORRAL]
 *
 * Generates FILES files (default 10000) of about KIB_PER_FILE KiB (default
 * 10: ~100 MB) in 100 directories, commits them to a git repository, then
 * times, each the median of ROUNDS: git status; a checkpoint with no change,
 * with 1 and with 100 changed files (the store kept open, as corral serve
 * does); a rollback of one changed file; and, with -c, `corral checkpoint`
 * with no change in a fresh process.
 */
#define _GNU_SOURCE
#include "ckpt.h"

#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DIRS       100
#define ROUNDS_MAX 200

extern char **environ;

static char root[64], ws[128], state[128];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ckpt: %s\n", what);
	exit(1);
}

/* Run argv with stdio on /dev/null; the wall time in ms. */
static double spawn_ms(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	double t0;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	t0 = now_ms();
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		die("cannot spawn");
	waitpid(pid, &status, 0);
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die(argv[0]);
	return now_ms() - t0;
}

static void write_file(const char *path, size_t size, unsigned seed)
{
	char *buf = malloc(size);
	FILE *f;

	for (size_t i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = "abcdefghijklmnopqrstuvwxyz \n"[(seed >> 16) % 28];
	}
	if (!(f = fopen(path, "w")) || fwrite(buf, 1, size, f) != size || fclose(f) != 0)
		die(path);
	free(buf);
}

static void file_path(char *out, size_t size, int i)
{
	snprintf(out, size, "%s/d%02d/f%05d.txt", ws, i % DIRS, i);
}

static void take(struct ckpt_store *s, struct ckpt_info *info)
{
	struct ckpt_call call = {.run = "bench", .tool = "exec"};
	struct corral_error err = {0};

	if (ckpt_take(s, &call, info, &err) < 0)
		die(err.message);
}

int main(int argc, char **argv)
{
	int files = 10000, kib = 10, rounds = 15, opt;
	const char *corral = NULL;
	double git[ROUNDS_MAX], none[ROUNDS_MAX], one[ROUNDS_MAX], hundred[ROUNDS_MAX];
	double rb[ROUNDS_MAX], cli[ROUNDS_MAX], t0, first;
	struct corral_error err = {0};
	struct ckpt_store *s = NULL;
	struct ckpt_info info;
	char p[256], cmd[512];
	unsigned gen = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "f:k:n:c:")) != -1) {
		switch (opt) {
		case 'f':
			files = atoi(optarg);
			break;
		case 'k':
			kib = atoi(optarg);
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		case 'c':
			corral = optarg;
			break;
		default:
			fprintf(stderr,
			        "usage: bench_ckpt [-f FILES] [-k KIB] [-n ROUNDS] [-c CORRAL]\n");
			return 2;
		}
	}
	if (files < 100 || rounds < 1 || rounds > ROUNDS_MAX || kib < 1)
		die("files >= 100, 1 <= rounds <= 200, kib >= 1");
	snprintf(root, sizeof(root), "/tmp/bench_ckpt.XXXXXX");
	if (!mkdtemp(root))
		die("mkdtemp");
	snprintf(ws, sizeof(ws), "%s/ws", root);
	snprintf(state, sizeof(state), "%s/state", root);
	mkdir(ws, 0755);
	for (int d = 0; d < DIRS; d++) {
		snprintf(p, sizeof(p), "%s/d%02d", ws, d);
		mkdir(p, 0755);
	}
	for (int i = 0; i < files; i++) {
		file_path(p, sizeof(p), i);
		write_file(p, (size_t)kib * 1024, (unsigned)i + 1);
	}
	snprintf(cmd, sizeof(cmd),
	         "cd %s && git init -q && git add -A && git -c user.name=b -c user.email=b@b "
	         "commit -qm init && git status --porcelain >/dev/null",
	         ws);
	if (system(cmd) != 0)
		die("git setup");
	printf("tree: %d files, %d MiB\n", files, files * kib / 1024);
	setenv("XDG_STATE_HOME", state, 1);
	if (ckpt_open(state, ws, NULL, &s, &err) < 0)
		die(err.message);
	t0 = now_ms();
	take(s, &info);
	first = now_ms() - t0;
	ckpt_info_release(&info);
	sleep(1); /* past the racy window of the files just written */
	take(s, &info);
	ckpt_info_release(&info);

	char *gitargv[] = {"git", "-C", ws, "status", "--porcelain", NULL};
	char *cliargv[] = {(char *)corral, "checkpoint", "--workspace", ws, "--run", "cli", NULL};
	for (int r = 0; r < rounds; r++) {
		git[r] = spawn_ms(gitargv);
		t0 = now_ms();
		take(s, &info);
		none[r] = now_ms() - t0;
		if (info.created)
			die("a no-change checkpoint made a commit");
		ckpt_info_release(&info);
		/* The CLI has a store of its own (under XDG_STATE_HOME/corral):
		 * the first call catches it up with this round's changes, the
		 * second is the no-change case every corral call pays. */
		if (corral) {
			spawn_ms(cliargv);
			cli[r] = spawn_ms(cliargv);
		}

		file_path(p, sizeof(p), r);
		write_file(p, (size_t)kib * 1024, gen++ * 7919u);
		t0 = now_ms();
		take(s, &info);
		one[r] = now_ms() - t0;
		ckpt_info_release(&info);

		for (int i = 0; i < 100; i++) {
			file_path(p, sizeof(p), (r * 100 + i) % files);
			write_file(p, (size_t)kib * 1024, gen++ * 7919u);
		}
		t0 = now_ms();
		take(s, &info);
		hundred[r] = now_ms() - t0;
		ckpt_info_release(&info);

		/* Roll back one changed file to the checkpoint just taken. */
		struct ckpt_target t = {.kind = CKPT_TARGET_CHECKPOINT, .name = info.commit};
		struct ckpt_report rep = {0};
		char target[CKPT_OID_HEX];
		snprintf(target, sizeof(target), "%s", info.commit);
		t.name = target;
		file_path(p, sizeof(p), files - 1 - r);
		write_file(p, (size_t)kib * 1024, gen++ * 7919u);
		t0 = now_ms();
		if (ckpt_restore(s, &t, false, &rep, &err) < 0)
			die(err.message);
		rb[r] = now_ms() - t0;
		if (rep.count != 1)
			die("a one-file rollback changed more than one file");
		ckpt_report_release(&rep);
	}
	double g = median(git, rounds);
	printf("first checkpoint          %8.1f ms\n", first);
	printf("git status --porcelain    %8.1f ms  1.00x\n", g);
	printf("checkpoint, no change     %8.1f ms  %.2fx\n", median(none, rounds),
	       median(none, rounds) / g);
	printf("checkpoint, 1 file        %8.1f ms  %.2fx\n", median(one, rounds),
	       median(one, rounds) / g);
	printf("checkpoint, 100 files     %8.1f ms  %.2fx\n", median(hundred, rounds),
	       median(hundred, rounds) / g);
	printf("rollback, 1 file          %8.1f ms  %.2fx\n", median(rb, rounds),
	       median(rb, rounds) / g);
	if (corral)
		printf("corral checkpoint (CLI)   %8.1f ms  %.2fx\n", median(cli, rounds),
		       median(cli, rounds) / g);
	ckpt_close(s);
	/* Best effort: a background git process may still hold the tree. */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_ckpt: could not remove all of %s\n", root);
	return 0;
}
