/*
 * test_ckpt.c - unit tests of the checkpoint API: take, the stat cache and
 * its racy case, restore, names, skips and errors.
 */
#define _GNU_SOURCE
#include "ckpt.h"
#include "ckpt_internal.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[64], ws[128], state[128];

static void setup(void)
{
	char cmd[256];

	snprintf(root, sizeof(root), "/tmp/test_ckpt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(ws, sizeof(ws), "%s/ws", root);
	snprintf(state, sizeof(state), "%s/state", root);
	ck_assert_int_eq(mkdir(ws, 0755), 0);
	snprintf(cmd, sizeof(cmd), "true");
	(void)cmd;
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", ws, name);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

static char *get(const char *name)
{
	static char buf[256];
	char p[256];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", ws, name);
	if (!(f = fopen(p, "r")))
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Let the file system clock move past what was just written, so the stat
 * cache written next is strictly newer (no racy entries). */
static void tick(void)
{
	nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
}

static struct ckpt_store *open_store(const struct ckpt_config *cfg)
{
	struct corral_error err = {0};
	struct ckpt_store *s = NULL;

	ck_assert_msg(ckpt_open(state, ws, cfg, &s, &err) == 0, "%s", err.message);
	return s;
}

static void take(struct ckpt_store *s, const char *run, struct ckpt_info *info)
{
	struct ckpt_call call = {.run = run, .tool = "exec", .args_digest = "abc"};
	struct corral_error err = {0};

	ck_assert_msg(ckpt_take(s, &call, info, &err) == 0, "%s", err.message);
}

START_TEST(take_links_unchanged_and_uses_the_cache)
{
	struct ckpt_info a, b, c;
	struct ckpt_store *s;

	put("one", "1\n");
	put("two", "2\n");
	tick();
	s = open_store(NULL);
	take(s, "r", &a);
	ck_assert(a.created);
	ck_assert_uint_eq(a.files, 2);
	ck_assert_uint_eq(a.hashed, 2);
	ck_assert_uint_eq(strlen(a.id), CKPT_ID_LEN);
	tick();
	take(s, "r", &b);
	ck_assert(!b.created);
	ck_assert_str_eq(a.commit, b.commit);
	ck_assert_uint_eq(b.hashed, 0); /* every file came from the stat cache */
	ck_assert_str_ne(a.call_id, b.call_id);
	put("two", "22\n");
	take(s, "r", &c);
	ck_assert(c.created);
	ck_assert_uint_eq(c.hashed, 1);
	ckpt_info_release(&a);
	ckpt_info_release(&b);
	ckpt_info_release(&c);
	ckpt_close(s);
}
END_TEST

START_TEST(racy_entries_are_rehashed)
{
	struct timespec future[2];
	struct ckpt_info a, b;
	struct ckpt_store *s;
	char p[256];

	put("f", "same size A\n");
	/* An mtime that is not older than the cache file: the cache cannot
	 * vouch for it, however often it is written. */
	clock_gettime(CLOCK_REALTIME, &future[0]);
	future[0].tv_sec += 1000;
	future[1] = future[0];
	snprintf(p, sizeof(p), "%s/f", ws);
	ck_assert_int_eq(utimensat(AT_FDCWD, p, future, 0), 0);
	s = open_store(NULL);
	take(s, NULL, &a);
	take(s, NULL, &b);
	ck_assert_uint_eq(b.hashed, 1);
	ckpt_info_release(&a);
	ckpt_info_release(&b);
	ckpt_close(s);
}
END_TEST

/* Take a checkpoint with the tree cache, then drop the cache and take again:
 * a tree kept from the cache must be the tree a full build makes, so the
 * second take links to the first. Returns how many trees the first built. */
static size_t take_and_rebuild(struct ckpt_store *s)
{
	struct ckpt_info a, b;
	char p[256];
	size_t built;

	take(s, "r", &a);
	built = a.trees;
	snprintf(p, sizeof(p), "%s/trees", ckpt_store_dir(s));
	ck_assert_int_eq(unlink(p), 0);
	take(s, "r", &b);
	ck_assert_msg(!b.created && strcmp(a.commit, b.commit) == 0,
	              "a tree kept from the cache differs from the one built");
	ckpt_info_release(&a);
	ckpt_info_release(&b);
	tick();
	return built;
}

static void mkdir_ws(const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", ws, name);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void rm_ws(const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", ws, name);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(kept_trees_are_the_trees_of_the_workspace)
{
	const char *excl[] = {"b/ex.txt"};
	struct ckpt_config cfg = {.exclude = excl, .exclude_count = 1};
	struct ckpt_info a;
	struct ckpt_store *s;
	char trees[300], saved[1024];

	mkdir_ws("a");
	mkdir_ws("b");
	mkdir_ws("b/c");
	put("a/1", "1\n");
	put("b/2", "2\n");
	put("b/c/3", "3\n");
	put("b/ex.txt", "x\n");
	tick();
	s = open_store(NULL);
	take_and_rebuild(s);
	/* Nothing changed: every tree is kept. */
	take(s, "r", &a);
	ck_assert_uint_eq(a.trees, 0);
	ck_assert(!a.created);
	ckpt_info_release(&a);
	/* One file in b/c: b/c, b and the root are built, a is kept. */
	put("b/c/3", "33\n");
	tick();
	ck_assert_uint_eq(take_and_rebuild(s), 3);
	/* An empty directory leaves the stat cache as it is. */
	mkdir_ws("a/empty");
	ck_assert_uint_gt(take_and_rebuild(s), 0);
	mkdir_ws("a/empty/deeper");
	take_and_rebuild(s);
	rm_ws("a/empty");
	take_and_rebuild(s);
	/* A .gitignore further up drops a file whose directory is unchanged. */
	put(".gitignore", "b/c/3\n");
	tick();
	take_and_rebuild(s);
	put(".gitignore", "\n");
	tick();
	take_and_rebuild(s);
	/* A file becomes a directory of the same name, and back. */
	rm_ws("a/1");
	mkdir_ws("a/1");
	take_and_rebuild(s);
	rm_ws("a/1");
	put("a/1", "1\n");
	tick();
	take_and_rebuild(s);
	/* A cache left from another stat cache is not used. */
	snprintf(trees, sizeof(trees), "%s/trees", ckpt_store_dir(s));
	snprintf(saved, sizeof(saved), "cp '%s' '%s.old'", trees, trees);
	take(s, "r", &a);
	ckpt_info_release(&a);
	ck_assert_int_eq(system(saved), 0);
	put("b/2", "22\n");
	tick();
	take(s, "r", &a);
	ckpt_info_release(&a);
	snprintf(saved, sizeof(saved), "mv '%s.old' '%s'", trees, trees);
	ck_assert_int_eq(system(saved), 0);
	put("b/2", "2\n");
	tick();
	take_and_rebuild(s);
	ckpt_close(s);
	/* checkpoint.exclude drops a file in a directory nothing else changed. */
	s = open_store(&cfg);
	take_and_rebuild(s);
	ckpt_close(s);
	s = open_store(NULL);
	take_and_rebuild(s);
	/* A garbled cache is ignored, not trusted. */
	snprintf(saved, sizeof(saved), "printf 'CTREES1\\nshort' > '%s'", trees);
	ck_assert_int_eq(system(saved), 0);
	take(s, "r", &a);
	ck_assert_uint_gt(a.trees, 0);
	ckpt_info_release(&a);
	ckpt_close(s);
}
END_TEST

START_TEST(a_damaged_stat_cache_only_costs_a_rehash)
{
	const char *damage[] = {"truncate -s 40", "truncate -s -3", "truncate -s 8",
	                        "truncate -s 0"};
	struct ckpt_info a, b;
	struct ckpt_store *s;
	char p[300], cmd[700];

	mkdir_ws("d");
	put("d/one", "1\n");
	put("two", "2\n");
	tick();
	s = open_store(NULL);
	take(s, "r", &a);
	snprintf(p, sizeof(p), "%s/stat", ckpt_store_dir(s));
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		tick();
		snprintf(cmd, sizeof(cmd), "%s '%s'", damage[i], p);
		ck_assert_int_eq(system(cmd), 0);
		take(s, "r", &b);
		ck_assert_msg(b.hashed == 2, "%s: %zu files hashed", damage[i], b.hashed);
		ck_assert(!b.created);
		ck_assert_str_eq(a.commit, b.commit);
		ckpt_info_release(&b);
	}
	tick();
	take(s, "r", &b);
	ck_assert_uint_eq(b.hashed, 0);
	ckpt_info_release(&a);
	ckpt_info_release(&b);
	ckpt_close(s);
}
END_TEST

START_TEST(an_unchanged_checkpoint_needs_no_repository)
{
	struct ckpt_info a, b, c;
	struct ckpt_store *s;

	mkdir_ws("d");
	put("d/one", "1\n");
	tick();
	s = open_store(NULL);
	take(s, "r", &a);
	ckpt_close(s);
	tick();
	/* A fresh process: the stat cache, the tree cache and the journal's
	 * last checkpoint answer; libgit2 is not even initialised. */
	s = open_store(NULL);
	take(s, "r", &b);
	ck_assert(!b.created);
	ck_assert_str_eq(a.commit, b.commit);
	ck_assert_ptr_null(s->repo);
	ck_assert(!s->git_up);
	put("d/one", "11\n");
	take(s, "r", &c);
	ck_assert(c.created);
	ck_assert_ptr_nonnull(s->repo);
	ckpt_info_release(&a);
	ckpt_info_release(&b);
	ckpt_info_release(&c);
	ckpt_close(s);
}
END_TEST

START_TEST(an_unchanged_empty_workspace_needs_no_repository)
{
	struct ckpt_info a, b;
	struct ckpt_store *s;

	/* Nothing in the workspace at all: the caches still answer. */
	s = open_store(NULL);
	take(s, "r", &a);
	ckpt_close(s);
	tick();
	s = open_store(NULL);
	take(s, "r", &b);
	ck_assert(!b.created);
	ck_assert_str_eq(a.commit, b.commit);
	ck_assert_ptr_null(s->repo);
	ck_assert(!s->git_up);
	ckpt_info_release(&a);
	ckpt_info_release(&b);
	ckpt_close(s);
}
END_TEST

START_TEST(restore_brings_back_and_removes)
{
	struct ckpt_target t = {.kind = CKPT_TARGET_LAST_RUN};
	struct corral_error err = {0};
	struct ckpt_report rep = {0};
	struct ckpt_info a;
	struct ckpt_store *s;
	char p[256];

	put("keep", "original\n");
	s = open_store(NULL);
	take(s, "run1", &a);
	put("keep", "edited\n");
	put("created", "by the run\n");
	ck_assert_msg(ckpt_restore(s, &t, false, &rep, &err) == 0, "%s", err.message);
	ck_assert_str_eq(get("keep"), "original\n");
	ck_assert_ptr_null(get("created"));
	ck_assert_str_eq(rep.target, a.commit);
	ck_assert_uint_eq(rep.count, 2);
	ck_assert_uint_eq(strlen(rep.pre), CKPT_OID_HEX - 1);
	ckpt_report_release(&rep);
	/* Undo: the run's result is back. */
	t.kind = CKPT_TARGET_UNDO;
	ck_assert_msg(ckpt_restore(s, &t, false, &rep, &err) == 0, "%s", err.message);
	ck_assert_str_eq(get("keep"), "edited\n");
	ck_assert_str_eq(get("created"), "by the run\n");
	ckpt_report_release(&rep);
	snprintf(p, sizeof(p), "%s/created", ws);
	ck_assert_int_eq(access(p, F_OK), 0);
	ckpt_info_release(&a);
	ckpt_close(s);
}
END_TEST

START_TEST(dry_run_changes_nothing)
{
	struct ckpt_target t = {.kind = CKPT_TARGET_LAST_RUN};
	struct corral_error err = {0};
	struct ckpt_report rep = {0};
	struct ckpt_log log;
	struct ckpt_info a;
	struct ckpt_store *s;

	put("f", "1\n");
	s = open_store(NULL);
	take(s, "r", &a);
	put("f", "2\n");
	ck_assert_msg(ckpt_restore(s, &t, true, &rep, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(rep.count, 1);
	ck_assert_int_eq(rep.items[0].kind, CKPT_CHANGE_WRITE);
	ck_assert_str_eq(rep.items[0].path, "f");
	ck_assert_str_eq(get("f"), "2\n");
	ck_assert_int_eq(ckpt_log_read(s, &log, &err), 0);
	ck_assert_uint_eq(log.count, 1); /* not journaled */
	ckpt_log_release(&log);
	ckpt_report_release(&rep);
	ckpt_info_release(&a);
	ckpt_close(s);
}
END_TEST

START_TEST(skips_are_reported)
{
	struct ckpt_config cfg = {.max_file_size = 8};
	const char *ex[] = {"*.o"};
	struct ckpt_info a;
	struct ckpt_store *s;
	char p[256];

	cfg.exclude = ex;
	cfg.exclude_count = 1;
	put("small", "ok\n");
	put("large", "more than eight bytes\n");
	put("x.o", "obj\n");
	snprintf(p, sizeof(p), "%s/fifo", ws);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	s = open_store(&cfg);
	take(s, NULL, &a);
	ck_assert_uint_eq(a.files, 1);
	ck_assert_uint_eq(a.skipped.count, 3);
	for (size_t i = 0; i < a.skipped.count; i++) {
		const struct ckpt_skip *k = &a.skipped.items[i];
		if (strcmp(k->path, "large") == 0)
			ck_assert_int_eq(k->reason, CKPT_SKIP_TOO_LARGE);
		else if (strcmp(k->path, "x.o") == 0)
			ck_assert_int_eq(k->reason, CKPT_SKIP_IGNORED);
		else
			ck_assert_int_eq(k->reason, CKPT_SKIP_SPECIAL);
	}
	ckpt_info_release(&a);
	ckpt_close(s);
}
END_TEST

START_TEST(unknown_names_are_named)
{
	struct corral_error err = {0};
	char hex[CKPT_OID_HEX];
	struct ckpt_store *s = open_store(NULL);
	struct ckpt_target t = {.kind = CKPT_TARGET_LAST_RUN};

	ck_assert_int_eq(ckpt_resolve(s, &t, hex, &err), -CORRAL_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "nothing to go back to"));
	t.kind = CKPT_TARGET_CHECKPOINT;
	t.name = "deadbeef";
	ck_assert_int_eq(ckpt_resolve(s, &t, hex, &err), -CORRAL_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "'deadbeef'"));
	t.kind = CKPT_TARGET_RUN;
	t.name = "nope";
	ck_assert_int_eq(ckpt_resolve(s, &t, hex, &err), -CORRAL_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "'nope'"));
	t.kind = CKPT_TARGET_UNDO;
	ck_assert_int_eq(ckpt_resolve(s, &t, hex, &err), -CORRAL_E_NOTFOUND);
	ckpt_close(s);
}
END_TEST

START_TEST(bad_workspace_is_named)
{
	struct corral_error err = {0};
	struct ckpt_store *s = NULL;

	ck_assert_int_eq(ckpt_open(state, "/nonexistent/ws", NULL, &s, &err), -CORRAL_E_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/ws"));
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(the_store_is_outside_the_snapshot)
{
	struct ckpt_info a;
	struct ckpt_store *s;

	/* A state directory inside the workspace is skipped, not captured. */
	snprintf(state, sizeof(state), "%s/ws/.state", root);
	put("f", "x\n");
	s = open_store(NULL);
	take(s, NULL, &a);
	ck_assert_uint_eq(a.files, 1);
	ck_assert_uint_eq(a.skipped.count, 1);
	ck_assert_int_eq(a.skipped.items[0].reason, CKPT_SKIP_STATE);
	ckpt_info_release(&a);
	ckpt_close(s);
}
END_TEST

START_TEST(journal_tail_survives_torn_and_long_lines)
{
	struct ckpt_call call = {.run = "r"};
	struct corral_error err = {0};
	struct ckpt_info a, b, c;
	struct ckpt_store *s;
	char p[512], *big;
	FILE *f;

	put("f", "1\n");
	s = open_store(NULL);
	take(s, "r", &a);
	/* A killed writer's torn line at the end is skipped. */
	snprintf(p, sizeof(p), "%s/journal", ckpt_store_dir(s));
	ck_assert_ptr_nonnull(f = fopen(p, "a"));
	fputs("{\"seq\": 99, \"kind\": \"ca", f);
	fclose(f);
	take(s, "r", &b);
	ck_assert(!b.created);
	ck_assert_str_eq(b.call_id, "c2");
	/* An entry longer than the tail that is read. */
	big = malloc(100000);
	memset(big, 'm', 99999);
	big[99999] = '\0';
	call.args_digest = big;
	ck_assert_msg(ckpt_take(s, &call, &c, &err) == 0, "%s", err.message);
	ckpt_info_release(&c);
	call.args_digest = "x";
	ck_assert_msg(ckpt_take(s, &call, &c, &err) == 0, "%s", err.message);
	ck_assert_str_eq(c.call_id, "c4");
	ck_assert_str_eq(c.commit, a.commit);
	free(big);
	ckpt_info_release(&a);
	ckpt_info_release(&b);
	ckpt_info_release(&c);
	ckpt_close(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ckpt");
	TCase *tc = tcase_create("api");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, take_links_unchanged_and_uses_the_cache);
	tcase_add_test(tc, racy_entries_are_rehashed);
	tcase_add_test(tc, kept_trees_are_the_trees_of_the_workspace);
	tcase_add_test(tc, a_damaged_stat_cache_only_costs_a_rehash);
	tcase_add_test(tc, an_unchanged_checkpoint_needs_no_repository);
	tcase_add_test(tc, an_unchanged_empty_workspace_needs_no_repository);
	tcase_add_test(tc, restore_brings_back_and_removes);
	tcase_add_test(tc, dry_run_changes_nothing);
	tcase_add_test(tc, skips_are_reported);
	tcase_add_test(tc, unknown_names_are_named);
	tcase_add_test(tc, bad_workspace_is_named);
	tcase_add_test(tc, the_store_is_outside_the_snapshot);
	tcase_add_test(tc, journal_tail_survives_torn_and_long_lines);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
