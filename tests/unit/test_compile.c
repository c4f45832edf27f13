/*
 * test_compile.c - the policy compiler (policy + workspace -> sandbox
 * config) and the path globs it uses. Pure checks on the plan it builds;
 * the sandbox itself is exercised by the CLI cases and the escape suite.
 */
#define _GNU_SOURCE
#include "compile.h"
#include "pathglob.h"
#include "policy.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[PATH_MAX]; /* made by main(), removed after every test ran */
static char ws[PATH_MAX];

static void make_ws(void)
{
	char tmpl[PATH_MAX + 16];

	snprintf(tmpl, sizeof(tmpl), "%s/ws.XXXXXX", top);
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_ptr_nonnull(realpath(tmpl, ws));
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void touch(const char *rel)
{
	char path[PATH_MAX * 2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ws, rel);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void mkdir_ws(const char *rel)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", ws, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static struct policy *load(const char *text)
{
	struct corral_error err = {0};
	struct policy *p = NULL;

	ck_assert_msg(policy_load_buffer("test.json", text, strlen(text), &p, &err) == 0, "%s",
	              err.message);
	return p;
}

static const struct sbx_mount *find(const struct sandbox_plan *plan, enum sbx_mount_type type,
                                    const char *rel)
{
	char path[PATH_MAX * 2];

	if (rel[0] == '/')
		snprintf(path, sizeof(path), "%s", rel);
	else
		snprintf(path, sizeof(path), "%s/%s", ws, rel);
	for (size_t i = 0; i < plan->nmounts; i++)
		if (plan->mounts[i].type == type && strcmp(plan->mounts[i].dst, path) == 0)
			return &plan->mounts[i];
	return NULL;
}

static int compile(struct policy *p, struct sandbox_plan *plan, struct corral_error *err)
{
	static char *const argv[] = {"true", NULL};
	struct compile_opts opts = {.workspace = ws, .argv = argv};

	return sandbox_compile(p, &opts, plan, err);
}

START_TEST(test_glob)
{
	ck_assert(pathglob_match("**/.env", ".env", false));
	ck_assert(pathglob_match("**/.env", "a/b/.env", false));
	ck_assert(!pathglob_match("**/.env", "a/b/.envrc", false));
	ck_assert(pathglob_match(".env", "deep/down/.env", false));
	ck_assert(pathglob_match("src/**/*.c", "src/a.c", false));
	ck_assert(pathglob_match("src/**/*.c", "src/x/y/a.c", false));
	ck_assert(!pathglob_match("src/**/*.c", "lib/a.c", false));
	ck_assert(pathglob_match("a/?/c", "a/b/c", false));
	ck_assert(!pathglob_match("a/?/c", "a/bb/c", false));
	ck_assert(pathglob_match("[ab]*", "x/apple", false));
	ck_assert(pathglob_match("build/", "build", true));
	ck_assert(!pathglob_match("build/", "build", false));
	ck_assert(!pathglob_match("*.txt", ".hidden.txt", false)); /* like the shell */
	ck_assert(pathglob_match("**/**/**/**/**/**/**/**/x", "a/b/c/d/e/f/g/h/i/j/k/l/x", false));
	ck_assert(!pathglob_match("", "a", false));
	ck_assert(pathglob_has_magic("a*b"));
	ck_assert(!pathglob_has_magic("plain/path"));
}
END_TEST

START_TEST(test_binds)
{
	struct policy *p;
	struct sandbox_plan plan;
	struct corral_error err = {0};
	const struct sbx_mount *m;

	make_ws();
	mkdir_ws("sub");
	p = load("{\"filesystem\": {\"read\": [\".\", \"/usr\", \"/nonexistent-dir\"],"
	         " \"write\": [\"sub\"]}}");
	ck_assert_msg(compile(p, &plan, &err) == 0, "%s", err.message);
	m = find(&plan, SBX_MOUNT_RO, ".");
	ck_assert_ptr_null(m); /* the workspace itself: its dst has no trailing "/." */
	m = find(&plan, SBX_MOUNT_RO, ws);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(find(&plan, SBX_MOUNT_RO, "/usr"));
	ck_assert_ptr_null(find(&plan, SBX_MOUNT_RO, "/nonexistent-dir"));
	/* A writable directory inside a read-only workspace is its own bind,
	 * after its parent. */
	m = find(&plan, SBX_MOUNT_RW, "sub");
	ck_assert_ptr_nonnull(m);
	ck_assert(m > find(&plan, SBX_MOUNT_RO, ws));
	ck_assert_str_eq(plan.cfg.cwd, ws);
	sandbox_plan_release(&plan);
	policy_free(p);
}
END_TEST

START_TEST(test_write_upgrades_read)
{
	struct policy *p;
	struct sandbox_plan plan;
	struct corral_error err = {0};

	make_ws();
	p = load("{\"filesystem\": {\"read\": [\".\"], \"write\": [\".\"]}}");
	ck_assert_msg(compile(p, &plan, &err) == 0, "%s", err.message);
	ck_assert_ptr_nonnull(find(&plan, SBX_MOUNT_RW, ws));
	ck_assert_ptr_null(find(&plan, SBX_MOUNT_RO, ws));
	sandbox_plan_release(&plan);
	policy_free(p);
}
END_TEST

START_TEST(test_symlinked_system_dir)
{
	struct policy *p;
	struct sandbox_plan plan;
	struct corral_error err = {0};
	char link[PATH_MAX * 2];
	const struct sbx_mount *m;

	make_ws();
	mkdir_ws("real");
	snprintf(link, sizeof(link), "%s/alias", ws);
	ck_assert_int_eq(symlink("real", link), 0);
	p = load("{\"filesystem\": {\"read\": [\"alias\"]}}");
	ck_assert_msg(compile(p, &plan, &err) == 0, "%s", err.message);
	/* Recreated as a link with the same text, not bound through. */
	m = find(&plan, SBX_MOUNT_SYMLINK, "alias");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->src, "real");
	sandbox_plan_release(&plan);
	policy_free(p);
}
END_TEST

START_TEST(test_hide_globs)
{
	struct policy *p;
	struct sandbox_plan plan;
	struct corral_error err = {0};

	make_ws();
	mkdir_ws("a");
	mkdir_ws("a/b");
	mkdir_ws(".git");
	touch(".env");
	touch("a/b/.env");
	touch("a/keep.txt");
	touch(".git/.env"); /* .git is not searched */
	p = load("{\"filesystem\": {\"write\": [\".\"], \"hide\": [\"**/.env\"]}}");
	ck_assert_msg(compile(p, &plan, &err) == 0, "%s", err.message);
	ck_assert_ptr_nonnull(find(&plan, SBX_MOUNT_MASK, ".env"));
	ck_assert_ptr_nonnull(find(&plan, SBX_MOUNT_MASK, "a/b/.env"));
	ck_assert_ptr_null(find(&plan, SBX_MOUNT_MASK, "a/keep.txt"));
	ck_assert_ptr_null(find(&plan, SBX_MOUNT_MASK, ".git/.env"));
	ck_assert_uint_eq(plan.hidden, 2);
	sandbox_plan_release(&plan);
	policy_free(p);
}
END_TEST

START_TEST(test_protect_missing_created_and_removed)
{
	struct policy *p;
	struct sandbox_plan plan;
	struct corral_error err = {0};
	char path[PATH_MAX * 2];
	struct stat st;

	make_ws();
	p = load("{\"filesystem\": {\"write\": [\".\"], \"protect\": [\".git/hooks\", "
	         "\".git/config\"]}}");
	ck_assert_msg(compile(p, &plan, &err) == 0, "%s", err.message);
	/* .git was missing: it is created, empty, and protected as a whole. */
	snprintf(path, sizeof(path), "%s/.git", ws);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_ptr_nonnull(find(&plan, SBX_MOUNT_PROTECT, ".git"));
	ck_assert_ptr_null(find(&plan, SBX_MOUNT_PROTECT, ".git/hooks"));
	ck_assert_uint_eq(plan.ncreated, 1);
	sandbox_plan_release(&plan);
	ck_assert_int_eq(stat(path, &st), -1);
	policy_free(p);
}
END_TEST

START_TEST(test_protect_refuses_symlink)
{
	struct policy *p;
	struct sandbox_plan plan;
	struct corral_error err = {0};
	char link[PATH_MAX * 2];

	make_ws();
	snprintf(link, sizeof(link), "%s/.git", ws);
	ck_assert_int_eq(symlink("/tmp", link), 0);
	p = load("{\"filesystem\": {\"write\": [\".\"], \"protect\": [\".git/hooks\"]}}");
	ck_assert_int_lt(compile(p, &plan, &err), 0);
	ck_assert_msg(strstr(err.message, "is a symlink") != NULL, "%s", err.message);
	policy_free(p);
}
END_TEST

START_TEST(test_env)
{
	struct policy *p;
	struct sandbox_plan plan;
	struct corral_error err = {0};
	bool home = false, secret = false, pass = false;

	make_ws();
	setenv("CORRAL_TEST_PASS", "yes", 1);
	setenv("CORRAL_TEST_SECRET", "sk-no", 1);
	p = load("{\"env\": {\"pass\": [\"CORRAL_TEST_PASS\"], \"set\": {\"HOME\": \"/tmp\"}}}");
	ck_assert_msg(compile(p, &plan, &err) == 0, "%s", err.message);
	for (size_t i = 0; plan.cfg.envp[i]; i++) {
		home = home || strcmp(plan.cfg.envp[i], "HOME=/tmp") == 0;
		pass = pass || strcmp(plan.cfg.envp[i], "CORRAL_TEST_PASS=yes") == 0;
		secret = secret || strncmp(plan.cfg.envp[i], "CORRAL_TEST_SECRET=", 19) == 0;
	}
	ck_assert(home && pass && !secret);
	sandbox_plan_release(&plan);
	policy_free(p);
}
END_TEST

START_TEST(test_workspace_root_refused)
{
	struct policy *p = load("{}");
	struct sandbox_plan plan;
	struct corral_error err = {0};
	static char *const argv[] = {"true", NULL};
	struct compile_opts opts = {.workspace = "/", .argv = argv};

	ck_assert_int_eq(sandbox_compile(p, &opts, &plan, &err), -CORRAL_E_USAGE);
	ck_assert_msg(strstr(err.message, "cannot be /") != NULL, "%s", err.message);
	policy_free(p);
}
END_TEST

START_TEST(test_proxy_fails_closed)
{
	struct policy *p =
	    load("{\"network\": {\"mode\": \"proxy\", \"allow\": [\"example.com\"]}}");
	struct sandbox_plan plan;
	struct corral_error err = {0};

	make_ws();
	ck_assert_int_eq(compile(p, &plan, &err), -CORRAL_E_UNSUPPORTED);
	ck_assert_msg(strstr(err.message, "proxy") != NULL, "%s", err.message);
	policy_free(p);
}
END_TEST

START_TEST(test_hooks_path_protected)
{
	struct policy *p;
	struct sandbox_plan plan;
	struct corral_error err = {0};
	char path[PATH_MAX * 2];
	FILE *f;

	make_ws();
	mkdir_ws(".git");
	mkdir_ws(".husky");
	snprintf(path, sizeof(path), "%s/.git/config", ws);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[user]\n\thooksPath = nope\n[core]\n\tbare = false\n\thooksPath = .husky\n", f);
	fclose(f);
	p = load("{\"filesystem\": {\"write\": [\".\"]}}");
	ck_assert_msg(compile(p, &plan, &err) == 0, "%s", err.message);
	ck_assert_ptr_nonnull(find(&plan, SBX_MOUNT_PROTECT, ".husky"));
	ck_assert_ptr_null(find(&plan, SBX_MOUNT_PROTECT, "nope"));
	sandbox_plan_release(&plan);
	policy_free(p);
}
END_TEST

int main(void)
{
	char tmpl[] = "/tmp/corral-compile.XXXXXX";
	Suite *s = suite_create("compile");
	TCase *tc = tcase_create("compile");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_glob);
	tcase_add_test(tc, test_binds);
	tcase_add_test(tc, test_write_upgrades_read);
	tcase_add_test(tc, test_symlinked_system_dir);
	tcase_add_test(tc, test_hide_globs);
	tcase_add_test(tc, test_protect_missing_created_and_removed);
	tcase_add_test(tc, test_protect_refuses_symlink);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_workspace_root_refused);
	tcase_add_test(tc, test_proxy_fails_closed);
	tcase_add_test(tc, test_hooks_path_protected);
	suite_add_tcase(s, tc);
	if (!mkdtemp(tmpl) || !realpath(tmpl, top)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(top, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
