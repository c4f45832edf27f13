/*
 * cmd_doctor.c - `corral doctor`: what this machine offers the sandbox, and
 * the one change that fixes each missing mechanism.
 *
 * The facts come from sbx_probe() (sandbox/probe.h), which tries every
 * mechanism in throwaway children; this file only presents them and turns
 * each failure into advice. The advice names the likely cause from the facts
 * the probe recorded (a sysctl's value, an errno, a seccomp filter already in
 * force, a masked /proc), most specific cause first.
 */
#include "cli.h"
#include "probe.h"
#include "state.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longest verdict line; every problem's advice is appended to it. */
#define DOCTOR_VERDICT_MAX 1024
/* Width of the check-name column of the table. */
#define DOCTOR_NAME_WIDTH 30

#define DOCTOR_READY      "ready \xe2\x80\x94 corral can sandbox tool calls on this machine"

/* What containers need to let a sandbox be built inside them. */
#define FIX_CONTAINER                                                                              \
	"run the container with --security-opt seccomp=unconfined --security-opt "                 \
	"apparmor=unconfined (Docker's default profiles block namespaces and mounts)"

const char cmd_doctor_usage[] =
    "usage: corral doctor [--json]\n"
    "\n"
    "Check what this machine offers the sandbox. Every mechanism the sandbox is\n"
    "built from (user, mount, pid, net, ipc, uts and cgroup namespaces, a fresh\n"
    "/proc, tmpfs and bind mounts, seccomp filters, Landlock, cgroup limits,\n"
    "pidfds) is tried for real in a short-lived child process, as the user who\n"
    "runs corral doctor. The report ends with the limits mechanism in force and\n"
    "a verdict: ready, or NOT READY with the setting that fixes it.\n"
    "\n"
    "Status: ok; MISSING (required, corral will refuse to sandbox); warn (not\n"
    "required: a weaker fallback is used); n-a (does not apply here).\n"
    "\n"
    "Options:\n"
    "  --json   print one JSON object: every check, the limits, the verdict\n"
    "\n"
    "Exit status: 0 ready, 1 something required is missing, 2 usage error.\n"
    "See docs/doctor.md for what each check means and how to fix it.\n";

/* The word the table shows for @c. */
static const char *doctor_status(const struct sbx_check *c)
{
	if (c->status == SBX_PROBE_OK)
		return "ok";
	if (c->status == SBX_PROBE_NA)
		return "n-a";
	return c->need == SBX_NEED_REQUIRED ? "MISSING" : "warn";
}

static bool missing(const struct sbx_features *f, enum sbx_check_id id)
{
	return f->checks[id].status == SBX_PROBE_MISSING;
}

/* How a limit is enforced, in words, for the table. */
static void limit_describe(const struct sbx_features *f, int r, char *buf, size_t size)
{
	static const char *const v2_files[SBX_RESOURCE__COUNT] = {"memory.max", "pids.max",
	                                                          "cpu.max"};
	static const char *const v1_files[SBX_RESOURCE__COUNT] = {"memory.limit_in_bytes",
	                                                          "pids.max", "cpu.cfs_quota_us"};
	static const char *const rlimits[SBX_RESOURCE__COUNT] = {
	    "RLIMIT_DATA, per process", "RLIMIT_NPROC in the sandbox's user namespace",
	    "RLIMIT_CPU, per process"};

	switch (f->limit[r]) {
	case SBX_MECH_CGROUP2:
		snprintf(buf, size, "%s in a child cgroup of %s", v2_files[r], f->limit_dir[r]);
		break;
	case SBX_MECH_CGROUP1:
		snprintf(buf, size, "%s in a child cgroup of %s", v1_files[r], f->limit_dir[r]);
		break;
	default:
		snprintf(buf, size, "%s", rlimits[r]);
		break;
	}
}

/* ---- advice ---- */

struct verdict {
	char text[DOCTOR_VERDICT_MAX];
	int problems;
	bool container_advised; /* FIX_CONTAINER was given once already */
};

static void verdict_add(struct verdict *v, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append "WHAT: ADVICE" to the verdict, separated from earlier problems. */
static void verdict_add(struct verdict *v, const char *what, const char *fmt, ...)
{
	size_t used = strlen(v->text);
	va_list ap;

	if (used + 1 >= sizeof(v->text))
		return;
	used += (size_t)snprintf(v->text + used, sizeof(v->text) - used,
	                         "%s%s: ", v->problems ? "; " : "", what);
	if (used + 1 >= sizeof(v->text))
		return;
	va_start(ap, fmt);
	vsnprintf(v->text + used, sizeof(v->text) - used, fmt, ap);
	va_end(ap);
	v->problems++;
}

/* Does something look like a container runtime's confinement? */
static bool confined_by_container(const struct sbx_features *f)
{
	return f->seccomp_mode == 2 || (f->root && !f->cap_sys_admin);
}

/* Advise FIX_CONTAINER for @what, once in full and then by reference. */
static void verdict_add_container(struct verdict *v, const char *what)
{
	if (v->container_advised) {
		verdict_add(v, what, "blocked by the same container profile");
		return;
	}
	verdict_add(v, what, "%s", FIX_CONTAINER);
	v->container_advised = true;
}

/* Why can this user not create a user namespace, and what fixes it. */
static void advise_userns(const struct sbx_features *f, struct verdict *v)
{
	const struct sbx_check *c = &f->checks[SBX_CHECK_USERNS];
	const char *what = "user namespaces";

	if (f->unprivileged_userns_clone == 0 && !f->root)
		verdict_add(v, what,
		            "run `sysctl -w kernel.unprivileged_userns_clone=1` (Debian "
		            "kernels let only root create them by default)");
	else if (f->max_user_namespaces == 0 || c->sys_errno == ENOSPC)
		verdict_add(v, what,
		            "run `sysctl -w user.max_user_namespaces=15000` (the limit "
		            "is 0 or used up)");
	else if (f->apparmor_restrict_userns > 0 && !f->root)
		verdict_add(v, what,
		            "run `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or "
		            "give corral an AppArmor profile with `userns,`");
	else if (confined_by_container(f))
		verdict_add_container(v, what);
	else if (c->sys_errno == EINVAL || c->sys_errno == ENOSYS)
		verdict_add(v, what, "use a kernel built with CONFIG_USER_NS=y");
	else
		verdict_add(v, what, "%s", c->detail);
}

/* A namespace or mount step failed although user namespaces work. */
static void advise_mounts(const struct sbx_features *f, struct verdict *v)
{
	static const struct {
		enum sbx_check_id id;
		const char *config; /* kernel option behind EINVAL */
		const char *sysctl; /* limit behind ENOSPC */
	} spaces[] = {
	    {SBX_CHECK_NS_MOUNT, "CONFIG_NAMESPACES", "user.max_mnt_namespaces"},
	    {SBX_CHECK_NS_PID, "CONFIG_PID_NS", "user.max_pid_namespaces"},
	    {SBX_CHECK_NS_NET, "CONFIG_NET_NS", "user.max_net_namespaces"},
	    {SBX_CHECK_NS_IPC, "CONFIG_IPC_NS", "user.max_ipc_namespaces"},
	    {SBX_CHECK_NS_UTS, "CONFIG_UTS_NS", "user.max_uts_namespaces"},
	};
	bool blocked = false;

	for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		const struct sbx_check *c = &f->checks[spaces[i].id];
		const char *what = sbx_check_title(spaces[i].id);

		if (c->status != SBX_PROBE_MISSING)
			continue;
		if (c->sys_errno == ENOSPC)
			verdict_add(v, what, "run `sysctl -w %s=15000` (the limit is 0 or used up)",
			            spaces[i].sysctl);
		else if (c->sys_errno == EINVAL)
			verdict_add(v, what, "use a kernel built with %s=y", spaces[i].config);
		else
			blocked = true;
	}
	if (missing(f, SBX_CHECK_PROC_MOUNT) && f->proc_overmount[0])
		verdict_add(v, "/proc mount",
		            "/proc is masked (%s is mounted over), as container runtimes do; run "
		            "the container with --security-opt systempaths=unconfined (Docker) or "
		            "--security-opt unmask=ALL (Podman)",
		            f->proc_overmount);
	else if (missing(f, SBX_CHECK_PROC_MOUNT))
		blocked = true;
	if (missing(f, SBX_CHECK_TMPFS) || missing(f, SBX_CHECK_BIND_MOUNT))
		blocked = true;
	if (!blocked)
		return;
	if (f->apparmor_restrict_userns > 0 && !f->root)
		verdict_add(v, "namespaces and mounts",
		            "AppArmor gives unprivileged user namespaces no capabilities; run "
		            "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`");
	else if (confined_by_container(f))
		verdict_add_container(v, "namespaces and mounts");
	else
		verdict_add(v, "namespaces and mounts",
		            "blocked by a security module or policy (see the MISSING lines)");
}

static void advise_seccomp(const struct sbx_features *f, struct verdict *v)
{
	const struct sbx_check *c = missing(f, SBX_CHECK_SECCOMP)
	                                ? &f->checks[SBX_CHECK_SECCOMP]
	                                : &f->checks[SBX_CHECK_SECCOMP_FILTER];

	if (c->sys_errno == EINVAL || c->sys_errno == ENOSYS)
		verdict_add(v, "seccomp",
		            "use a kernel built with CONFIG_SECCOMP=y and CONFIG_SECCOMP_FILTER=y");
	else if (confined_by_container(f))
		verdict_add_container(v, "seccomp");
	else
		verdict_add(v, "seccomp", "%s", c->detail);
}

static void advise_landlock(const struct sbx_features *f, struct verdict *v)
{
	/* Container profiles answer EPERM, or ENOSYS for syscalls they do not know. */
	if ((f->landlock_errno == EPERM || f->landlock_errno == ENOSYS) &&
	    confined_by_container(f)) {
		verdict_add_container(v, "Landlock");
		return;
	}
	switch (f->landlock_errno) {
	case ENOSYS:
		verdict_add(v, "Landlock",
		            "use Linux >= 5.13 built with CONFIG_SECURITY_LANDLOCK=y (corral "
		            "enforces the filesystem policy with both mounts and Landlock)");
		break;
	case EOPNOTSUPP:
		verdict_add(v, "Landlock",
		            "add landlock to the kernel's lsm= boot parameter (e.g. "
		            "lsm=landlock,lockdown,yama,integrity,apparmor,bpf in "
		            "GRUB_CMDLINE_LINUX), run update-grub and reboot");
		break;

	default:
		verdict_add(v, "Landlock", "%s", f->checks[SBX_CHECK_LANDLOCK].detail);
		break;
	}
}

/* The verdict: DOCTOR_READY, or NOT READY with the fix for every problem. */
static void doctor_verdict(const struct sbx_features *f, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (sbx_features_ready(f)) {
		snprintf(v->text, sizeof(v->text), "%s", DOCTOR_READY);
		return;
	}
	snprintf(v->text, sizeof(v->text), "NOT READY \xe2\x80\x94 ");
	/* Everything else that needs a namespace fails with user namespaces. */
	if (missing(f, SBX_CHECK_USERNS))
		advise_userns(f, v);
	else
		advise_mounts(f, v);
	if (missing(f, SBX_CHECK_SECCOMP) || missing(f, SBX_CHECK_SECCOMP_FILTER))
		advise_seccomp(f, v);
	if (missing(f, SBX_CHECK_LANDLOCK))
		advise_landlock(f, v);
	if (!v->problems)
		verdict_add(v, "required checks", "see the MISSING lines above");
}

/* ---- output ---- */

static void doctor_print_table(const struct sbx_features *f, const struct verdict *v)
{
	char how[SBX_PROBE_PATH_MAX + 64];

	printf("%-*s %-8s %s\n", DOCTOR_NAME_WIDTH, "CHECK", "STATUS", "DETAIL");
	for (int i = 0; i < SBX_CHECK__COUNT; i++) {
		const struct sbx_check *c = &f->checks[i];

		printf("%-*s %-8s %s\n", DOCTOR_NAME_WIDTH, sbx_check_title(i), doctor_status(c),
		       c->detail);
	}
	printf("\nlimits in force:\n");
	for (int r = 0; r < SBX_RESOURCE__COUNT; r++) {
		if (r == SBX_RESOURCE_CPU) {
			/* Probed for the record, but no policy key asks for it. */
			printf("  %-10s %-8s not limited: each call is bounded by wall-clock time "
			       "(limits.timeout); %s would be available\n",
			       sbx_limit_resource_name(r), "-",
			       sbx_limit_mechanism_name(f->limit[r]));
			continue;
		}
		limit_describe(f, r, how, sizeof(how));
		printf("  %-10s %-8s %s\n", sbx_limit_resource_name(r),
		       sbx_limit_mechanism_name(f->limit[r]), how);
	}
	printf("\nverdict: %s\n", v->text);
}

/* Where corral keeps its checkpoints, audit log and approvals, and whether
 * it can write there. Nothing is created: the nearest existing ancestor of
 * a directory that does not exist yet must be writable. */
struct state_report {
	char *dir; /* NULL: neither $XDG_STATE_HOME nor $HOME is absolute */
	bool writable;
	char libgit2[32];
};

static void state_probe(struct state_report *r)
{
	char path[PATH_MAX];
	int major = 0, minor = 0, rev = 0;

	memset(r, 0, sizeof(*r));
	git_libgit2_version(&major, &minor, &rev);
	snprintf(r->libgit2, sizeof(r->libgit2), "%d.%d.%d", major, minor, rev);
	r->dir = state_dir_path();
	if (!r->dir || strlen(r->dir) >= sizeof(path))
		return;
	strcpy(path, r->dir);
	for (;;) {
		char *slash;
		if (access(path, F_OK) == 0) {
			r->writable = access(path, W_OK | X_OK) == 0;
			return;
		}
		slash = strrchr(path, '/');
		if (!slash || slash == path)
			return;
		*slash = '\0';
	}
}

static void state_print(const struct state_report *r)
{
	printf("\ncorral's state (checkpoints, audit log, approvals):\n");
	if (!r->dir)
		printf("  directory  none: neither $XDG_STATE_HOME nor $HOME is an absolute path; "
		       "calls that change the workspace cannot be checkpointed\n");
	else
		printf("  directory  %s: %s\n", r->dir,
		       r->writable
		           ? "writable"
		           : "NOT writable: calls that change the workspace will be refused, "
		             "since they cannot be checkpointed");
	printf("  libgit2    %s\n", r->libgit2);
}

/* Print @f as one JSON object. Returns 0, or -1 when out of memory. */
static int doctor_print_json(const struct sbx_features *f, const struct verdict *v,
                             const struct state_report *st)
{
	cJSON *root = cJSON_CreateObject(), *limits, *checks, *state;
	char *text = NULL;
	bool ok = root != NULL;

	ok = ok && cJSON_AddBoolToObject(root, "ready", sbx_features_ready(f));
	ok = ok && cJSON_AddStringToObject(root, "verdict", v->text);
	ok = ok && cJSON_AddBoolToObject(root, "root", f->root);
	ok = ok && cJSON_AddNumberToObject(root, "uid", (double)f->uid);
	ok = ok && cJSON_AddNumberToObject(root, "gid", (double)f->gid);
	ok = ok && cJSON_AddStringToObject(root, "kernel", f->kernel);
	ok = ok && cJSON_AddNumberToObject(root, "landlock_abi", f->landlock_abi);
	limits = ok ? cJSON_AddObjectToObject(root, "limits") : NULL;
	ok = limits != NULL;
	for (int r = 0; ok && r < SBX_RESOURCE__COUNT; r++)
		ok = cJSON_AddStringToObject(limits, sbx_limit_resource_name(r),
		                             sbx_limit_mechanism_name(f->limit[r])) != NULL;
	state = ok ? cJSON_AddObjectToObject(root, "state") : NULL;
	ok = state != NULL;
	ok = ok && (st->dir ? cJSON_AddStringToObject(state, "dir", st->dir)
	                    : cJSON_AddNullToObject(state, "dir"));
	ok = ok && cJSON_AddBoolToObject(state, "writable", st->writable);
	ok = ok && cJSON_AddStringToObject(state, "libgit2", st->libgit2);
	checks = ok ? cJSON_AddArrayToObject(root, "checks") : NULL;
	ok = checks != NULL;
	for (int i = 0; ok && i < SBX_CHECK__COUNT; i++) {
		const struct sbx_check *c = &f->checks[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(checks, o)) {
			cJSON_Delete(o);
			ok = false;
			break;
		}
		ok = cJSON_AddStringToObject(o, "name", sbx_check_key(i));
		ok = ok && cJSON_AddStringToObject(o, "title", sbx_check_title(i));
		ok = ok && cJSON_AddStringToObject(o, "status", sbx_probe_status_name(c->status));
		ok = ok && cJSON_AddBoolToObject(o, "required", c->need == SBX_NEED_REQUIRED);
		ok = ok && cJSON_AddStringToObject(o, "need", sbx_probe_need_name(c->need));
		ok = ok && cJSON_AddStringToObject(o, "detail", c->detail);
	}
	if (ok)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return -1;
	printf("%s\n", text);
	cJSON_free(text);
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	struct corral_error err = {0};
	struct sbx_features f;
	struct state_report st;
	struct verdict v;
	bool json = false;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		default:
			return cli_bad_option("doctor", argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("doctor", "unexpected argument '%s'", argv[optind]);

	if (sbx_probe(&f, &err) < 0) {
		fprintf(stderr, "corral doctor: %s\n", err.message);
		return CLI_EXIT_FAILURE;
	}
	doctor_verdict(&f, &v);
	state_probe(&st);
	if (json) {
		if (doctor_print_json(&f, &v, &st) < 0) {
			fprintf(stderr, "corral doctor: out of memory building the JSON report\n");
			free(st.dir);
			return CLI_EXIT_FAILURE;
		}
	} else {
		doctor_print_table(&f, &v);
		state_print(&st);
	}
	free(st.dir);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "corral doctor: writing the report: %s\n", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	return sbx_features_ready(&f) ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
