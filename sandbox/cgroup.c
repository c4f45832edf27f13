/*
 * cgroup.c - per-run control groups for memory and process limits.
 *
 * Preference order, decided per run from what the machine offers:
 *  1. cgroup v2, when the caller's own cgroup is writable and has the
 *     memory and pids controllers enabled for its children (delegation);
 *  2. cgroup v1 memory and pids hierarchies, when writable (root on a
 *     hybrid or legacy system);
 *  3. none: the rlimits set in the child are then the only bound (see
 *     apply_limits() in spawn.c), and `corral doctor` says so.
 * A cgroup bounds the whole tree (a memory limit that rlimits can only
 * approximate per process) and lets the runtime report which limit was hit.
 */
#define _GNU_SOURCE
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/random.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The last tasks of a killed tree can take a while to leave the cgroup. */
#define RMDIR_TRIES   200
#define RMDIR_WAIT_NS (5 * 1000 * 1000)

static atomic_uint run_seq;

/* The mount point of @fstype (and, for v1, the hierarchy holding @ctrl). */
static int find_mount(const char *fstype, const char *ctrl, char *out, size_t outlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], type[64], opts[1024];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", type, opts) != 2)
			continue;
		if (strcmp(type, fstype) != 0)
			continue;
		if (ctrl) {
			bool has = false;
			for (char *tok = strtok(opts, ","); tok; tok = strtok(NULL, ","))
				has = has || strcmp(tok, ctrl) == 0;
			if (!has)
				continue;
		}
		if ((size_t)snprintf(out, outlen, "%s", mnt) < outlen)
			found = 0;
		break;
	}
	fclose(f);
	return found;
}

/* The caller's cgroup path in hierarchy @key ("" for v2, "memory" for v1). */
static int own_cgroup(const char *key, char *out, size_t outlen)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool match = false;
		if (!c2)
			continue;
		*c2 = '\0';
		if (!*key)
			match = c1[1] == '\0' && line[0] == '0';
		else
			for (char *tok = strtok(c1 + 1, ","); tok; tok = strtok(NULL, ","))
				match = match || strcmp(tok, key) == 0;
		if (!match)
			continue;
		c2[strcspn(c2 + 1, "\n") + 1] = '\0';
		if ((size_t)snprintf(out, outlen, "%s", c2 + 1) < outlen)
			found = 0;
		break;
	}
	fclose(f);
	return found;
}

static int write_at(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	ssize_t n, len = (ssize_t)strlen(value);
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -1;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, value, (size_t)len);
	close(fd);
	return n == len ? 0 : -1;
}

/* Read the counter @key from a "key value" file, 0 when absent. */
static unsigned long long read_counter(const char *dir, const char *file, const char *key)
{
	char path[PATH_MAX], line[256];
	unsigned long long v = 0;
	size_t klen = strlen(key);
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			v = strtoull(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

static int make_child(const char *mnt, const char *own, const char *name, char *out, size_t outlen)
{
	if ((size_t)snprintf(out, outlen, "%s%s/%s", mnt, strcmp(own, "/") == 0 ? "" : own, name) >=
	    outlen)
		return -1;
	if (mkdir(out, 0755) < 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

static int open_procs(const char *dir)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
		return -1;
	return open(path, O_WRONLY | O_CLOEXEC);
}

static bool v2_usable(const char *mnt, const char *own)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], buf[512];
	bool mem = false, pids = false;
	ssize_t n;
	int fd;

	if ((size_t)snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(own, "/") == 0 ? "" : own) >=
	    sizeof(dir))
		return false;
	if (access(dir, W_OK) < 0)
		return false;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
		mem = mem || strcmp(tok, "memory") == 0;
		pids = pids || strcmp(tok, "pids") == 0;
	}
	return mem && pids;
}

void sbx_cgroup_init(struct sbx_cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->procs_fd[0] = cg->procs_fd[1] = -1;
}

static unsigned random_part(void)
{
	unsigned v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (unsigned)ts.tv_nsec ^ (unsigned)getpid();
	}
	return v;
}

/*
 * Remove what earlier corral processes left in @dir (a run cgroup that
 * could not be removed before its process exited): directories named
 * corral-PID-... whose PID no longer runs. rmdir() only removes empty,
 * task-free cgroups, so a live run is never touched.
 */
static void sweep_stale(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		long pid;
		if (strncmp(de->d_name, "corral-", 7) != 0)
			continue;
		pid = strtol(de->d_name + 7, NULL, 10);
		if (pid <= 0 || pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path))
			rmdir(path);
	}
	closedir(d);
}

/* Where the hierarchies are, looked up once per process: reading
 * /proc/self/mountinfo costs tens of microseconds each time. */
static struct {
	bool v2; /* a usable, delegated cgroup v2 */
	char v2_mnt[PATH_MAX], v2_own[PATH_MAX];
	bool v1_mem, v1_pids;
	char mem_mnt[PATH_MAX], mem_own[PATH_MAX];
	char pids_mnt[PATH_MAX], pids_own[PATH_MAX];
} where;
static pthread_once_t where_once = PTHREAD_ONCE_INIT;

static void where_lookup(void)
{
	where.v2 = find_mount("cgroup2", NULL, where.v2_mnt, sizeof(where.v2_mnt)) == 0 &&
	           own_cgroup("", where.v2_own, sizeof(where.v2_own)) == 0 &&
	           v2_usable(where.v2_mnt, where.v2_own);
	where.v1_mem = find_mount("cgroup", "memory", where.mem_mnt, sizeof(where.mem_mnt)) == 0 &&
	               own_cgroup("memory", where.mem_own, sizeof(where.mem_own)) == 0;
	where.v1_pids = find_mount("cgroup", "pids", where.pids_mnt, sizeof(where.pids_mnt)) == 0 &&
	                own_cgroup("pids", where.pids_own, sizeof(where.pids_own)) == 0;
	{
		char dir[PATH_MAX * 2];
		if (where.v2) {
			snprintf(dir, sizeof(dir), "%s%s", where.v2_mnt, where.v2_own);
			sweep_stale(dir);
		}
		if (where.v1_mem) {
			snprintf(dir, sizeof(dir), "%s%s", where.mem_mnt, where.mem_own);
			sweep_stale(dir);
		}
		if (where.v1_pids) {
			snprintf(dir, sizeof(dir), "%s%s", where.pids_mnt, where.pids_own);
			sweep_stale(dir);
		}
	}
}

int sbx_cgroup_setup(struct sbx_cgroup *cg, uint64_t memory, uint32_t processes,
                     struct corral_error *err)
{
	char name[64], value[32];

	sbx_cgroup_init(cg);
	if (!memory && !processes)
		return 0;
	pthread_once(&where_once, where_lookup);
	/* pid, sequence and a random part: a stale directory of a recycled pid
	 * must not make this run fall back to rlimits. */
	snprintf(name, sizeof(name), "corral-%d-%u-%08x", (int)getpid(),
	         atomic_fetch_add(&run_seq, 1), random_part());

	if (where.v2) {
		if (make_child(where.v2_mnt, where.v2_own, name, cg->dir[0], sizeof(cg->dir[0])) <
		    0)
			return corral_error_set(err, CORRAL_E_SANDBOX, errno,
			                        "cannot create cgroup %s: %s", cg->dir[0],
			                        strerror(errno));
		cg->version = 2;
		if (memory) {
			snprintf(value, sizeof(value), "%llu", (unsigned long long)memory);
			if (write_at(cg->dir[0], "memory.max", value) < 0)
				goto fail;
			write_at(cg->dir[0], "memory.swap.max", "0"); /* absent without swap */
		}
		if (processes) {
			snprintf(value, sizeof(value), "%u", processes);
			if (write_at(cg->dir[0], "pids.max", value) < 0)
				goto fail;
		}
		cg->procs_fd[0] = open_procs(cg->dir[0]);
		if (cg->procs_fd[0] < 0)
			goto fail;
		return 0;
	}

	/* cgroup v1: one hierarchy per controller, used where writable. */
	if (memory && where.v1_mem &&
	    make_child(where.mem_mnt, where.mem_own, name, cg->dir[0], sizeof(cg->dir[0])) == 0) {
		cg->version = 1;
		snprintf(value, sizeof(value), "%llu", (unsigned long long)memory);
		if (write_at(cg->dir[0], "memory.limit_in_bytes", value) < 0)
			goto fail;
		/* Swap counts too, where the kernel accounts it. */
		write_at(cg->dir[0], "memory.memsw.limit_in_bytes", value);
		cg->procs_fd[0] = open_procs(cg->dir[0]);
		if (cg->procs_fd[0] < 0)
			goto fail;
		cg->has_memory = true;
	}
	if (processes && where.v1_pids &&
	    make_child(where.pids_mnt, where.pids_own, name, cg->dir[1], sizeof(cg->dir[1])) == 0) {
		cg->version = 1;
		snprintf(value, sizeof(value), "%u", processes);
		if (write_at(cg->dir[1], "pids.max", value) < 0)
			goto fail;
		cg->procs_fd[1] = open_procs(cg->dir[1]);
		if (cg->procs_fd[1] < 0)
			goto fail;
		cg->has_pids = true;
	}
	return 0;
fail:
	corral_error_set(err, CORRAL_E_SANDBOX, errno, "cannot configure cgroup: %s",
	                 strerror(errno));
	sbx_cgroup_release(cg);
	return -CORRAL_E_SANDBOX;
}

int sbx_cgroup_enter(const struct sbx_cgroup *cg)
{
	for (int i = 0; i < 2; i++)
		if (cg->procs_fd[i] >= 0 && write(cg->procs_fd[i], "0", 1) != 1)
			return -errno;
	return 0;
}

unsigned sbx_cgroup_limits_hit(const struct sbx_cgroup *cg)
{
	unsigned hit = 0;

	if (cg->version == 2) {
		if (read_counter(cg->dir[0], "memory.events", "oom_kill") ||
		    read_counter(cg->dir[0], "memory.events", "max"))
			hit |= SBX_LIMIT_MEMORY;
		if (read_counter(cg->dir[0], "pids.events", "max"))
			hit |= SBX_LIMIT_PROCESSES;
	} else if (cg->version == 1) {
		if (cg->has_memory && read_counter(cg->dir[0], "memory.oom_control", "oom_kill"))
			hit |= SBX_LIMIT_MEMORY;
		if (cg->has_pids && read_counter(cg->dir[1], "pids.events", "max"))
			hit |= SBX_LIMIT_PROCESSES;
	}
	return hit;
}

const char *sbx_cgroup_mechanism(const struct sbx_cgroup *cg)
{
	return cg->version == 2 ? "cgroup2" : cg->version == 1 ? "cgroup1" : "rlimit";
}

void sbx_cgroup_release(struct sbx_cgroup *cg)
{
	for (int i = 0; i < 2; i++) {
		if (cg->procs_fd[i] >= 0)
			close(cg->procs_fd[i]);
		cg->procs_fd[i] = -1;
		if (!cg->dir[i][0])
			continue;
		/* The pid namespace is gone by now, but the kernel may take a
		 * moment to release the cgroup of the last task. */
		for (int t = 0; t < RMDIR_TRIES && rmdir(cg->dir[i]) < 0 && errno == EBUSY; t++) {
			struct timespec ts = {0, RMDIR_WAIT_NS};
			nanosleep(&ts, NULL);
		}
		cg->dir[i][0] = '\0';
	}
	cg->version = 0;
}
