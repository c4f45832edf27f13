/*
 * cgroup.h - per-run control groups (internal to the sandbox module).
 */
#ifndef CORRAL_SBX_CGROUP_H
#define CORRAL_SBX_CGROUP_H

#include "sbx.h"

#include <limits.h>

struct sbx_cgroup {
	int version;     /* 2, 1, or 0 when no cgroup is used */
	bool has_memory; /* v1: a memory cgroup was made (dir[0]) */
	bool has_pids;   /* v1: a pids cgroup was made (dir[1]) */
	char dir[2][PATH_MAX];
	int procs_fd[2]; /* cgroup.procs of dir[0], dir[1]; -1 when unused */
};

void sbx_cgroup_init(struct sbx_cgroup *cg);

/*
 * Create the cgroup(s) for one run with the given limits (0 = none). When
 * the machine offers no usable cgroup, succeeds with version 0 and the
 * caller relies on rlimits. Release with sbx_cgroup_release().
 */
int sbx_cgroup_setup(struct sbx_cgroup *cg, uint64_t memory, uint32_t processes,
                     struct corral_error *err);

/* In the child: move the calling process into the run's cgroup(s).
 * One write per hierarchy, no allocation. Returns 0 or -errno. */
int sbx_cgroup_enter(const struct sbx_cgroup *cg);

/* SBX_LIMIT_MEMORY / SBX_LIMIT_PROCESSES when the run hit them. */
unsigned sbx_cgroup_limits_hit(const struct sbx_cgroup *cg);

/* "cgroup2", "cgroup1" or "rlimit". */
const char *sbx_cgroup_mechanism(const struct sbx_cgroup *cg);

/* Close the fds and remove the directories. Accepts an initialised @cg. */
void sbx_cgroup_release(struct sbx_cgroup *cg);

#endif
