/*
 * test_landlock.c - Landlock rules as the sandbox uses them: the ruleset is
 * built in the parent on host paths, a forked child enforces it and tries
 * what a tool would. Skips (77) only when the kernel has no Landlock at
 * all; a missing feature of a newer ABI is reported, and the checks that
 * need it are left out.
 */
#define _GNU_SOURCE
#include "landlock.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* A failed expectation in a forked child: say which, exit 1. */
#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: expected %s (errno: %s)\n", __FILE__, __LINE__,    \
			        #cond, strerror(errno));                                           \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

/* @call must fail with @err. */
#define EXPECT_ERRNO(call, err) EXPECT((errno = 0, (call) < 0) && errno == (err))

static int abi;
static char root[64];

/* root/<rel>, in a static ring of buffers so that a few can be live at once. */
static const char *at(const char *rel)
{
	static char bufs[8][256];
	static int next;
	char *p = bufs[next++ % 8];

	snprintf(p, sizeof(bufs[0]), "%s/%s", root, rel);
	return p;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * The tree every test starts from:
 *   ro/file.txt ro/sub/      read-only rule
 *   rw/existing.txt rw/sub/  write rule
 *   hidden/secret.txt        no rule
 *   bindsrc/data.txt bindmnt/  for the bind mount test
 */
static void tree_setup(void)
{
	snprintf(root, sizeof(root), "/tmp/corral-landlock-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(mkdir(at("ro"), 0755), 0);
	ck_assert_int_eq(mkdir(at("ro/sub"), 0755), 0);
	ck_assert_int_eq(mkdir(at("rw"), 0755), 0);
	ck_assert_int_eq(mkdir(at("rw/sub"), 0755), 0);
	ck_assert_int_eq(mkdir(at("hidden"), 0755), 0);
	ck_assert_int_eq(mkdir(at("bindsrc"), 0755), 0);
	ck_assert_int_eq(mkdir(at("bindmnt"), 0755), 0);
	write_file(at("ro/file.txt"), "hello");
	write_file(at("rw/existing.txt"), "existing");
	write_file(at("hidden/secret.txt"), "secret");
	write_file(at("bindsrc/data.txt"), "data");
}

static void tree_teardown(void)
{
	if (root[0])
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
}

/* The usual ruleset: ro readable, rw writable. */
static void ruleset_usual(struct sbx_landlock *ll)
{
	struct corral_error err = {0};

	ck_assert_msg(sbx_landlock_create(ll, false, &err) == 0, "%s", err.message);
	ck_assert_int_eq(sbx_landlock_allow(ll, at("ro"), SBX_LL_READ), 0);
	ck_assert_int_eq(sbx_landlock_allow(ll, at("rw"), SBX_LL_WRITE), 0);
}

static void enforce_or_die(const struct sbx_landlock *ll)
{
	EXPECT(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	EXPECT(sbx_landlock_enforce(ll) == 0);
}

/* Fork, run @fn in the child, and require that it exits 0. */
static void run_child(void (*fn)(const struct sbx_landlock *), const struct sbx_landlock *ll)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fn(ll);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "child failed (status 0x%x), see its message above", status);
}

static int read_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int list_dir(const char *path)
{
	DIR *dir = opendir(path);

	if (!dir)
		return -1;
	while (readdir(dir))
		;
	closedir(dir);
	return 0;
}

START_TEST(test_abi_and_lifecycle)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct corral_error err = {0};

	ck_assert_int_ge(sbx_landlock_abi(), 1);
	sbx_landlock_release(&ll);
	sbx_landlock_release(NULL);
	ck_assert_int_eq(sbx_landlock_allow(&ll, "/", SBX_LL_READ), -EINVAL);
	ck_assert_int_eq(sbx_landlock_enforce(&ll), -EBADF);

	ck_assert_msg(sbx_landlock_create(&ll, false, &err) == 0, "%s", err.message);
	ck_assert_int_ge(ll.ruleset_fd, 0);
	ck_assert_int_eq(ll.abi, abi);
	ck_assert_int_eq(fcntl(ll.ruleset_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(sbx_landlock_allow(&ll, "/", 0), -EINVAL);
	ck_assert_int_eq(sbx_landlock_allow(&ll, "/", 16), -EINVAL);
	sbx_landlock_release(&ll);
	ck_assert_int_eq(ll.ruleset_fd, -1);
	sbx_landlock_release(&ll);
}
END_TEST

START_TEST(test_missing_path)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct corral_error err = {0};

	ck_assert_msg(sbx_landlock_create(&ll, false, &err) == 0, "%s", err.message);
	errno = 4321;
	ck_assert_int_eq(sbx_landlock_allow(&ll, at("nowhere"), SBX_LL_READ), -ENOENT);
	ck_assert_int_eq(errno, 4321);
	ck_assert_int_eq(sbx_landlock_allow_fd(&ll, -1, SBX_LL_READ), -EBADF);
	sbx_landlock_release(&ll);
}
END_TEST

static void child_read_rules(const struct sbx_landlock *ll)
{
	char buf[64];

	enforce_or_die(ll);
	EXPECT(read_all(at("ro/file.txt"), buf, sizeof(buf)) == 0 && strcmp(buf, "hello") == 0);
	EXPECT(list_dir(at("ro")) == 0);
	EXPECT(list_dir(at("ro/sub")) == 0);
	/* Nothing outside the rules. */
	EXPECT_ERRNO(read_all(at("hidden/secret.txt"), buf, sizeof(buf)), EACCES);
	EXPECT_ERRNO(list_dir(at("hidden")), EACCES);
	EXPECT_ERRNO(list_dir(root), EACCES);
	EXPECT_ERRNO(open("/etc/passwd", O_RDONLY), EACCES);
	/* READ does not write. */
	EXPECT_ERRNO(open(at("ro/file.txt"), O_WRONLY), EACCES);
	EXPECT_ERRNO(open(at("ro/new.txt"), O_WRONLY | O_CREAT, 0644), EACCES);
	EXPECT_ERRNO(unlink(at("ro/file.txt")), EACCES);
	EXPECT_ERRNO(mkdir(at("ro/dir"), 0755), EACCES);
	EXPECT_ERRNO(rmdir(at("ro/sub")), EACCES);
	EXPECT_ERRNO(symlink("file.txt", at("ro/link")), EACCES);
	EXPECT_ERRNO(mkfifo(at("ro/fifo"), 0644), EACCES);
	if (ll->abi >= 3)
		EXPECT_ERRNO(truncate(at("ro/file.txt"), 0), EACCES);
}

START_TEST(test_read_rules)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct stat st;

	ruleset_usual(&ll);
	run_child(child_read_rules, &ll);
	ck_assert_int_eq(stat(at("ro/file.txt"), &st), 0);
	ck_assert_int_eq(st.st_size, 5);
	sbx_landlock_release(&ll);
}
END_TEST

static void child_write_rules(const struct sbx_landlock *ll)
{
	char buf[64];
	int fd;

	enforce_or_die(ll);
	/* Paths created after the ruleset, at any depth. */
	EXPECT(mkdir(at("rw/later"), 0755) == 0);
	EXPECT(mkdir(at("rw/later/deep"), 0755) == 0);
	fd = open(at("rw/later/deep/new.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	EXPECT(fd >= 0);
	EXPECT(write(fd, "new", 3) == 3);
	close(fd);
	EXPECT(read_all(at("rw/later/deep/new.txt"), buf, sizeof(buf)) == 0);
	EXPECT(strcmp(buf, "new") == 0);
	/* A directory the parent created after adding the rule. */
	EXPECT(read_all(at("rw/made-by-parent/file.txt"), buf, sizeof(buf)) == 0);
	EXPECT(truncate(at("rw/existing.txt"), 2) == 0);
	EXPECT(symlink("existing.txt", at("rw/link")) == 0);
	EXPECT(mkfifo(at("rw/fifo"), 0644) == 0);
	/* Moves within the rule, across directories (REFER on both sides). */
	if (ll->abi >= 2) {
		EXPECT(rename(at("rw/later/deep/new.txt"), at("rw/sub/moved.txt")) == 0);
		EXPECT(link(at("rw/sub/moved.txt"), at("rw/later/linked.txt")) == 0);
	}
	EXPECT(unlink(at("rw/fifo")) == 0);
	EXPECT(unlink(at("rw/link")) == 0);
	EXPECT(list_dir(at("rw")) == 0);
}

START_TEST(test_write_rules)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;

	ruleset_usual(&ll);
	ck_assert_int_eq(mkdir(at("rw/made-by-parent"), 0755), 0);
	write_file(at("rw/made-by-parent/file.txt"), "p");
	run_child(child_write_rules, &ll);
	sbx_landlock_release(&ll);
}
END_TEST

static void child_refer(const struct sbx_landlock *ll)
{
	enforce_or_die(ll);
	/*
	 * A link from the read-only tree into the writable one: the
	 * destination allows creation, only REFER on the source side is
	 * missing, and Landlock says so with EXDEV.
	 */
	EXPECT_ERRNO(link(at("ro/file.txt"), at("rw/stolen.txt")), EXDEV);
	/* A rename also needs removal in the source: EACCES takes precedence. */
	EXPECT_ERRNO(rename(at("ro/file.txt"), at("rw/stolen.txt")), EACCES);
	/* Out of the writable tree into the read-only one: no creation there. */
	EXPECT_ERRNO(rename(at("rw/existing.txt"), at("ro/planted.txt")), EACCES);
	EXPECT_ERRNO(link(at("rw/existing.txt"), at("ro/planted.txt")), EACCES);
	/* Nor into or out of a path with no rule at all. */
	EXPECT_ERRNO(rename(at("rw/existing.txt"), at("hidden/planted.txt")), EACCES);
	EXPECT_ERRNO(rename(at("hidden/secret.txt"), at("rw/secret.txt")), EACCES);
	EXPECT_ERRNO(link(at("hidden/secret.txt"), at("rw/secret.txt")), EXDEV);
}

START_TEST(test_refer)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct stat st;

	ruleset_usual(&ll);
	run_child(child_refer, &ll);
	ck_assert_int_eq(stat(at("ro/file.txt"), &st), 0);
	ck_assert_int_eq(stat(at("rw/existing.txt"), &st), 0);
	ck_assert_int_eq(stat(at("hidden/secret.txt"), &st), 0);
	ck_assert_int_eq(stat(at("rw/stolen.txt"), &st), -1);
	ck_assert_int_eq(stat(at("ro/planted.txt"), &st), -1);
	sbx_landlock_release(&ll);
}
END_TEST

static void child_file_rule(const struct sbx_landlock *ll)
{
	char buf[64];
	int fd;

	enforce_or_die(ll);
	fd = open(at("rw/existing.txt"), O_WRONLY | O_TRUNC);
	EXPECT(fd >= 0);
	EXPECT(write(fd, "w", 1) == 1);
	close(fd);
	EXPECT(read_all(at("rw/existing.txt"), buf, sizeof(buf)) == 0 && strcmp(buf, "w") == 0);
	/* The rule is on the file: its directory stays closed. */
	EXPECT_ERRNO(list_dir(at("rw")), EACCES);
	EXPECT_ERRNO(open(at("rw/other.txt"), O_WRONLY | O_CREAT, 0644), EACCES);
	EXPECT_ERRNO(unlink(at("rw/existing.txt")), EACCES);
}

START_TEST(test_file_rule)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct corral_error err = {0};

	ck_assert_msg(sbx_landlock_create(&ll, false, &err) == 0, "%s", err.message);
	/* WRITE on a file: the directory-only rights are masked out, not refused. */
	ck_assert_int_eq(sbx_landlock_allow(&ll, at("rw/existing.txt"), SBX_LL_WRITE), 0);
	ck_assert_int_eq(sbx_landlock_allow(&ll, at("ro/file.txt"), SBX_LL_READ | SBX_LL_DEV), 0);
	run_child(child_file_rule, &ll);
	sbx_landlock_release(&ll);
}
END_TEST

static void child_dev(const struct sbx_landlock *ll)
{
	char c;
	int fd;

	enforce_or_die(ll);
	fd = open("/dev/null", O_RDWR);
	EXPECT(fd >= 0);
	EXPECT(write(fd, "x", 1) == 1);
	EXPECT(read(fd, &c, 1) == 0);
	close(fd);
	/* Shells open with O_TRUNC: fine on a device. */
	fd = open("/dev/null", O_WRONLY | O_TRUNC);
	EXPECT(fd >= 0);
	close(fd);
	EXPECT_ERRNO(open("/dev/zero", O_RDONLY), EACCES);
	EXPECT_ERRNO(list_dir("/dev"), EACCES);
}

START_TEST(test_dev)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct corral_error err = {0};

	ck_assert_msg(sbx_landlock_create(&ll, false, &err) == 0, "%s", err.message);
	ck_assert_int_eq(sbx_landlock_allow(&ll, "/dev/null", SBX_LL_DEV), 0);
	run_child(child_dev, &ll);
	sbx_landlock_release(&ll);
}
END_TEST

static void write_proc(const char *path, const char *fmt, ...)
{
	char text[64];
	va_list ap;
	int fd, len;

	va_start(ap, fmt);
	len = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	EXPECT(fd >= 0);
	EXPECT(write(fd, text, (size_t)len) == len);
	close(fd);
}

/*
 * The rule was added in the parent on the host directory bindsrc; the
 * child mounts it elsewhere in its own mount namespace, as the spawner
 * does, and reaches it through the bind mount only.
 */
static void child_bind_mount(const struct sbx_landlock *ll)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char buf[64];

	EXPECT(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0);
	write_proc("/proc/self/setgroups", "deny");
	write_proc("/proc/self/uid_map", "0 %u 1", (unsigned)uid);
	write_proc("/proc/self/gid_map", "0 %u 1", (unsigned)gid);
	EXPECT(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	EXPECT(mount(at("bindsrc"), at("bindmnt"), NULL, MS_BIND, NULL) == 0);
	enforce_or_die(ll);

	EXPECT(read_all(at("bindmnt/data.txt"), buf, sizeof(buf)) == 0);
	EXPECT(strcmp(buf, "data") == 0);
	EXPECT(list_dir(at("bindmnt")) == 0);
	/* READ through the mount still does not write. */
	EXPECT_ERRNO(open(at("bindmnt/data.txt"), O_WRONLY), EACCES);
	EXPECT_ERRNO(open(at("bindmnt/new.txt"), O_WRONLY | O_CREAT, 0644), EACCES);
	/* Everything else stays denied. */
	EXPECT_ERRNO(read_all(at("hidden/secret.txt"), buf, sizeof(buf)), EACCES);
	EXPECT_ERRNO(read_all(at("ro/file.txt"), buf, sizeof(buf)), EACCES);
	EXPECT_ERRNO(list_dir(root), EACCES);
	/* And the mounts cannot be changed back under the ruleset. */
	EXPECT((errno = 0, umount2(at("bindmnt"), MNT_DETACH)) < 0);
}

START_TEST(test_bind_mount)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct corral_error err = {0};

	ck_assert_msg(sbx_landlock_create(&ll, false, &err) == 0, "%s", err.message);
	ck_assert_int_eq(sbx_landlock_allow(&ll, at("bindsrc"), SBX_LL_READ), 0);
	run_child(child_bind_mount, &ll);
	sbx_landlock_release(&ll);
}
END_TEST

static pid_t outside_pid;

static void child_scope_signal(const struct sbx_landlock *ll)
{
	pid_t inside;
	int status;

	/* Check's SIGTERM handler would forward the signal to the whole group. */
	signal(SIGTERM, SIG_DFL);
	/* Before the domain: the process outside can be signalled. */
	EXPECT(kill(outside_pid, 0) == 0);
	enforce_or_die(ll);
	EXPECT_ERRNO(kill(outside_pid, 0), EPERM);
	EXPECT_ERRNO(kill(outside_pid, SIGTERM), EPERM);
	EXPECT_ERRNO(kill(getppid(), SIGTERM), EPERM);
	/* Inside the domain signals still work. */
	inside = fork();
	EXPECT(inside >= 0);
	if (inside == 0) {
		pause();
		_exit(0);
	}
	EXPECT(kill(inside, SIGTERM) == 0);
	EXPECT(waitpid(inside, &status, 0) == inside);
	EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

START_TEST(test_scope_signal)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	int status;

	if (abi < 6) {
		fprintf(stderr, "note: Landlock ABI %d has no signal scoping (ABI 6)\n", abi);
		return;
	}
	outside_pid = fork();
	ck_assert_int_ge(outside_pid, 0);
	if (outside_pid == 0) {
		signal(SIGTERM, SIG_DFL);
		pause();
		_exit(0);
	}
	ruleset_usual(&ll);
	run_child(child_scope_signal, &ll);
	/* Still alive: the SIGTERM never arrived. */
	ck_assert_int_eq(waitpid(outside_pid, &status, WNOHANG), 0);
	kill(outside_pid, SIGKILL);
	waitpid(outside_pid, &status, 0);
	sbx_landlock_release(&ll);
}
END_TEST

static struct sockaddr_un abstract_addr;
static socklen_t abstract_len;

static void child_scope_abstract(const struct sbx_landlock *ll)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	EXPECT(fd >= 0);
	EXPECT(connect(fd, (struct sockaddr *)&abstract_addr, abstract_len) == 0);
	close(fd);
	enforce_or_die(ll);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	EXPECT(fd >= 0);
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&abstract_addr, abstract_len), EPERM);
	close(fd);
}

START_TEST(test_scope_abstract_unix)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	int server;

	if (abi < 6) {
		fprintf(stderr, "note: Landlock ABI %d has no abstract socket scoping (ABI 6)\n",
		        abi);
		return;
	}
	memset(&abstract_addr, 0, sizeof(abstract_addr));
	abstract_addr.sun_family = AF_UNIX;
	snprintf(abstract_addr.sun_path + 1, sizeof(abstract_addr.sun_path) - 1,
	         "corral-landlock-test-%d", (int)getpid());
	abstract_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	                           strlen(abstract_addr.sun_path + 1));
	server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(server, 0);
	ck_assert_int_eq(bind(server, (struct sockaddr *)&abstract_addr, abstract_len), 0);
	ck_assert_int_eq(listen(server, 4), 0);
	ruleset_usual(&ll);
	run_child(child_scope_abstract, &ll);
	close(server);
	sbx_landlock_release(&ll);
}
END_TEST

static struct sockaddr_in tcp_addr;

static void child_tcp_denied(const struct sbx_landlock *ll)
{
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd;

	enforce_or_die(ll);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	EXPECT(fd >= 0);
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)), EACCES);
	EXPECT_ERRNO(bind(fd, (struct sockaddr *)&any, sizeof(any)), EACCES);
	close(fd);
}

static void child_tcp_allowed(const struct sbx_landlock *ll)
{
	int fd;

	enforce_or_die(ll);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	EXPECT(fd >= 0);
	EXPECT(connect(fd, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)) == 0);
	close(fd);
}

START_TEST(test_restrict_tcp)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct corral_error err = {0};
	socklen_t len = sizeof(tcp_addr);
	int server;

	if (abi < 4) {
		ck_assert_int_eq(sbx_landlock_create(&ll, true, &err), -CORRAL_E_UNSUPPORTED);
		fprintf(stderr, "note: %s\n", err.message);
		return;
	}
	server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(server, 0);
	memset(&tcp_addr, 0, sizeof(tcp_addr));
	tcp_addr.sin_family = AF_INET;
	tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(server, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)), 0);
	ck_assert_int_eq(getsockname(server, (struct sockaddr *)&tcp_addr, &len), 0);
	ck_assert_int_eq(listen(server, 4), 0);

	ck_assert_msg(sbx_landlock_create(&ll, true, &err) == 0, "%s", err.message);
	run_child(child_tcp_denied, &ll);
	sbx_landlock_release(&ll);
	ck_assert_msg(sbx_landlock_create(&ll, false, &err) == 0, "%s", err.message);
	run_child(child_tcp_allowed, &ll);
	sbx_landlock_release(&ll);
	close(server);
}
END_TEST

static void child_enforce_errno(const struct sbx_landlock *ll)
{
	EXPECT(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	errno = 777;
	EXPECT(sbx_landlock_enforce(ll) == 0);
	EXPECT(errno == 777);
}

static void child_list_rule(const struct sbx_landlock *ll)
{
	char buf[64];

	enforce_or_die(ll);
	/* Directories can be listed at any depth, files cannot be read. */
	EXPECT(list_dir(at("")) == 0);
	EXPECT(list_dir(at("ro")) == 0);
	EXPECT_ERRNO(read_all(at("ro/file.txt"), buf, sizeof(buf)), EACCES);
}

START_TEST(test_list_rule)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;
	struct corral_error err = {0};

	ck_assert_msg(sbx_landlock_create(&ll, false, &err) == 0, "%s", err.message);
	ck_assert_int_eq(sbx_landlock_allow(&ll, at(""), SBX_LL_LIST), 0);
	run_child(child_list_rule, &ll);
	sbx_landlock_release(&ll);
}
END_TEST

START_TEST(test_enforce_keeps_errno)
{
	struct sbx_landlock ll = SBX_LANDLOCK_INIT;

	ruleset_usual(&ll);
	run_child(child_enforce_errno, &ll);
	sbx_landlock_release(&ll);
}
END_TEST

static Suite *landlock_suite(void)
{
	Suite *s = suite_create("landlock");
	TCase *tc = tcase_create("rules");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, test_abi_and_lifecycle);
	tcase_add_test(tc, test_missing_path);
	tcase_add_test(tc, test_read_rules);
	tcase_add_test(tc, test_write_rules);
	tcase_add_test(tc, test_refer);
	tcase_add_test(tc, test_file_rule);
	tcase_add_test(tc, test_dev);
	tcase_add_test(tc, test_bind_mount);
	tcase_add_test(tc, test_scope_signal);
	tcase_add_test(tc, test_scope_abstract_unix);
	tcase_add_test(tc, test_restrict_tcp);
	tcase_add_test(tc, test_enforce_keeps_errno);
	tcase_add_test(tc, test_list_rule);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner;
	int failed;

	abi = sbx_landlock_abi();
	if (abi == 0) {
		printf("SKIP: this kernel has no Landlock (not built, or not in the lsm= list)\n");
		return 77;
	}
	printf("Landlock ABI %d\n", abi);
	runner = srunner_create(landlock_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
