/*
 * host_tools.c - checkpoint_list and checkpoint_diff (host_tools.h).
 *
 * Both only read: the store's journal and commits, and the workspace for
 * the diff's far side. Nothing here writes to the store, the workspace or
 * anywhere else, which is why they may run outside the sandbox.
 */
#define _GNU_SOURCE
#include "host_tools.h"
#include "compile.h"
#include "pathglob.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char list_input[] = "{\"type\":\"object\",\"additionalProperties\":false,"
                                 "\"properties\":{}}";

static const char list_output[] =
    "{\"type\":\"object\",\"required\":[\"runs\",\"total\",\"shown\"],\"properties\":{"
    "\"runs\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"run\","
    "\"checkpoints\"],\"properties\":{\"run\":{\"type\":\"string\"},\"checkpoints\":{"
    "\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"id\",\"kind\","
    "\"time_ms\"],\"properties\":{\"id\":{\"type\":\"string\"},\"commit\":{\"type\":"
    "\"string\"},\"seq\":{\"type\":\"number\"},\"kind\":{\"type\":\"string\",\"enum\":["
    "\"call\",\"manual\",\"rollback\"]},\"time_ms\":{\"type\":\"number\"},\"call\":{"
    "\"type\":\"string\"},\"tool\":{\"type\":\"string\"},\"args\":{\"type\":\"string\"},"
    "\"created\":{\"type\":\"boolean\"},\"target\":{\"type\":\"string\"},\"stat\":{\"type\":"
    "\"object\"}}}}}}},"
    "\"current_run\":{\"type\":\"string\"},"
    "\"total\":{\"type\":\"number\",\"description\":\"journal entries in the store\"},"
    "\"shown\":{\"type\":\"number\",\"description\":\"entries listed here, the newest\"}}}";

static const char diff_input[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"since\":{\"type\":\"string\",\"minLength\":4,\"maxLength\":40,\"pattern\":"
    "\"^[0-9a-f]+$\",\"description\":\"A checkpoint id (or a prefix of one) from "
    "checkpoint_list. Default: the first checkpoint of this run.\"},"
    "\"paths\":{\"type\":\"array\",\"maxItems\":64,\"items\":{\"type\":\"string\","
    "\"minLength\":1,\"maxLength\":4096},\"description\":\"Only these paths "
    "(files, directories or globs, relative to the workspace).\"}}}";

static const char diff_output[] =
    "{\"type\":\"object\",\"required\":[\"diff\",\"truncated\"],\"properties\":{"
    "\"from\":{\"type\":[\"string\",\"null\"],\"description\":\"the checkpoint the diff "
    "starts at, null when this run has none\"},"
    "\"diff\":{\"type\":\"string\",\"description\":\"a unified diff to the workspace "
    "now\"},"
    "\"truncated\":{\"type\":\"boolean\"},"
    "\"omitted_bytes\":{\"type\":\"number\"},"
    "\"withheld_files\":{\"type\":\"number\",\"description\":\"files left out because "
    "the policy hides them\"}}}";

struct host_spec {
	const char *name, *title, *description, *input, *output;
};

static const struct host_spec specs[] = {
    {"checkpoint_list", "List checkpoints",
     "List the runs and checkpoints corral took of this workspace before the calls that "
     "could change it, newest first (the same data as `corral log --json`): each with its "
     "id, the call and tool it preceded, and a diff stat of what that call changed. Use an "
     "id with checkpoint_diff to see the change since then. Read-only.",
     list_input, list_output},
    {"checkpoint_diff", "Diff since a checkpoint",
     "Show a unified diff from a checkpoint (default: the first of this run, that is what "
     "this session changed) to the workspace as it is now, optionally only for some paths. "
     "Read-only.",
     diff_input, diff_output},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static int nomem(struct corral_error *err)
{
	return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
}

int host_tools_add(struct tool_registry *reg, const struct policy *p, struct corral_error *err)
{
	for (size_t i = 0; i < p->tools.corral.count; i++) {
		const struct policy_str *want = &p->tools.corral.items[i];
		const struct host_spec *spec = NULL;
		struct tool *t, *grown;

		for (size_t k = 0; k < NSPECS; k++)
			if (strcmp(specs[k].name, want->value) == 0)
				spec = &specs[k];
		if (!spec)
			return corral_error_set(err, CORRAL_E_POLICY, 0,
			                        "%s:%d: tools.corral: unknown corral tool '%s'",
			                        want->loc.file ? want->loc.file : "?",
			                        want->loc.line, want->value);
		if (tools_find(reg, spec->name)) {
			const struct tool *other = tools_find(reg, spec->name);
			if (other->host)
				continue; /* named twice (a base and its extension) */
			return corral_error_set(
			    err, CORRAL_E_POLICY, 0,
			    "%s:%d: tools.corral: %s is also a tool of the plugin %s; "
			    "rename or disable one of them",
			    want->loc.file ? want->loc.file : "?", want->loc.line, spec->name,
			    other->plugin ? other->plugin : "?");
		}
		if (reg->count >= TOOLS_MAX)
			return corral_error_set(err, CORRAL_E_LIMIT, 0,
			                        "more than %d tools: %s cannot be added", TOOLS_MAX,
			                        spec->name);
		grown = realloc(reg->tools, (reg->count + 1) * sizeof(*reg->tools));
		if (!grown)
			return nomem(err);
		reg->tools = grown;
		t = &reg->tools[reg->count];
		memset(t, 0, sizeof(*t));
		t->name = strdup(spec->name);
		t->title = strdup(spec->title);
		t->description = strdup(spec->description);
		t->input_schema = cJSON_Parse(spec->input);
		t->output_schema = cJSON_Parse(spec->output);
		t->read_only = true;
		t->idempotent = true;
		t->host = true;
		reg->count++;
		if (!t->name || !t->title || !t->description || !t->input_schema ||
		    !t->output_schema)
			return nomem(err);
	}
	return 0;
}

/* ---- checkpoint_list ---- */

static const char *kind_word(enum ckpt_kind k)
{
	return k == CKPT_KIND_ROLLBACK ? "rollback" : k == CKPT_KIND_MANUAL ? "manual" : "call";
}

static cJSON *entry_json(const struct ckpt_entry *e, const struct ckpt_stat *st)
{
	cJSON *c = cJSON_CreateObject(), *js;
	char id[CKPT_ID_LEN + 1];

	if (!c)
		return NULL;
	snprintf(id, sizeof(id), "%.*s", CKPT_ID_LEN, e->commit);
	cJSON_AddStringToObject(c, "id", id);
	cJSON_AddStringToObject(c, "commit", e->commit);
	cJSON_AddNumberToObject(c, "seq", (double)e->seq);
	cJSON_AddStringToObject(c, "kind", kind_word(e->kind));
	cJSON_AddNumberToObject(c, "time_ms", (double)e->time_ms);
	cJSON_AddStringToObject(c, "call", e->call_id);
	cJSON_AddStringToObject(c, "tool", e->tool);
	cJSON_AddStringToObject(c, "args", e->args);
	cJSON_AddBoolToObject(c, "created", e->created);
	if (e->target[0])
		cJSON_AddStringToObject(c, "target", e->target);
	js = cJSON_AddObjectToObject(c, "stat");
	cJSON_AddNumberToObject(js, "files", (double)st->files);
	cJSON_AddNumberToObject(js, "insertions", (double)st->insertions);
	cJSON_AddNumberToObject(js, "deletions", (double)st->deletions);
	return c;
}

static int result_set(struct tool_result *out, cJSON *structured, struct corral_error *err)
{
	out->structured = structured;
	out->text = structured ? cJSON_PrintUnformatted(structured) : NULL;
	if (!out->text)
		return nomem(err);
	out->exit_code = 0;
	return 0;
}

static int result_error(struct tool_result *out, const char *tool, const char *why)
{
	if (asprintf(&out->text, "%s: %s", tool, why) < 0) {
		out->text = NULL;
		return -CORRAL_E_NOMEM;
	}
	out->is_error = true;
	out->exit_code = 0;
	return 0;
}

static int run_list(const struct host_call *hc, struct tool_result *out, struct corral_error *err)
{
	struct ckpt_log log = {0};
	struct corral_error qerr = {0};
	size_t first;
	cJSON *root = NULL, *runs;
	bool *done = NULL;
	int rc;

	if (ckpt_log_read(hc->store, &log, &qerr) < 0)
		return result_error(out, "checkpoint_list", qerr.message);
	first = log.count > HOST_LIST_MAX ? log.count - HOST_LIST_MAX : 0;
	done = calloc(log.count + 1, sizeof(*done));
	root = cJSON_CreateObject();
	runs = root ? cJSON_AddArrayToObject(root, "runs") : NULL;
	if (!done || !runs) {
		rc = nomem(err);
		goto out;
	}
	/* Runs ordered by their newest entry, newest first, as corral log. */
	for (size_t i = log.count; i-- > first;) {
		cJSON *jrun, *jck;
		if (done[i])
			continue;
		jrun = cJSON_CreateObject();
		if (!jrun) {
			rc = nomem(err);
			goto out;
		}
		cJSON_AddItemToArray(runs, jrun);
		cJSON_AddStringToObject(jrun, "run", log.entries[i].run);
		jck = cJSON_AddArrayToObject(jrun, "checkpoints");
		for (size_t j = i + 1; j-- > first;) {
			const struct ckpt_entry *e = &log.entries[j];
			const char *from = e->kind == CKPT_KIND_ROLLBACK ? e->target : e->commit;
			const char *to = j + 1 < log.count ? log.entries[j + 1].commit : NULL;
			struct ckpt_stat st = {0};
			cJSON *c;
			if (done[j] || strcmp(e->run, log.entries[i].run) != 0)
				continue;
			done[j] = true;
			/* A stat that cannot be had is shown as zero rather than
			 * hiding the checkpoint from the list. */
			if (ckpt_diffstat(hc->store, from, to, &st, &qerr) < 0)
				corral_error_clear(&qerr);
			c = entry_json(e, &st);
			if (!c) {
				rc = nomem(err);
				goto out;
			}
			cJSON_AddItemToArray(jck, c);
		}
	}
	cJSON_AddStringToObject(root, "current_run", hc->run);
	cJSON_AddNumberToObject(root, "total", (double)log.count);
	cJSON_AddNumberToObject(root, "shown", (double)(log.count - first));
	rc = result_set(out, root, err);
	root = NULL;
out:
	cJSON_Delete(root);
	free(done);
	ckpt_log_release(&log);
	return rc;
}

/* ---- checkpoint_diff ---- */

/* Does one hide entry @h of the policy mask the workspace path @rel (a
 * file when !@is_dir)? The same reading as the sandbox's (compile.c):
 * a relative glob matches paths in the workspace, a glob without '/'
 * any component, other entries are paths resolved like the policy's. */
static bool hide_matches(const struct policy_str *h, const char *ws, const char *rel, bool is_dir)
{
	const char *g = h->value, *base = strncmp(g, "**/", 3) == 0 ? g + 3 : g;
	const char *name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	char abs[PATH_MAX], here[PATH_MAX];
	struct corral_error ignored = {0};

	if (pathglob_has_magic(g) && g[0] != '/' && g[0] != '~') {
		if (*base && !strchr(base, '/'))
			return fnmatch(base, name, FNM_PERIOD) == 0;
		return pathglob_match(g, rel, is_dir);
	}
	if (compile_resolve_path(ws, g, abs, sizeof(abs), &h->loc, &ignored) < 0)
		return false;
	if ((size_t)snprintf(here, sizeof(here), "%s/%s", ws, rel) >= sizeof(here))
		return true; /* too long to check: leave it out */
	if (pathglob_has_magic(abs))
		return fnmatch(abs, here, FNM_PATHNAME | FNM_PERIOD) == 0;
	return strcmp(here, abs) == 0; /* the caller tries every directory above */
}

/* Is @rel, or a directory above it, hidden by the policy? */
static bool hidden(const struct policy *p, const char *ws, const char *rel)
{
	char prefix[PATH_MAX];
	size_t len = strlen(rel);

	if (len >= sizeof(prefix))
		return true;
	for (size_t end = 1; end <= len; end++) {
		if (rel[end] != '/' && rel[end] != '\0')
			continue;
		memcpy(prefix, rel, end);
		prefix[end] = '\0';
		for (size_t i = 0; i < p->filesystem.hide.count; i++)
			if (hide_matches(&p->filesystem.hide.items[i], ws, prefix, end < len))
				return true;
	}
	return false;
}

/*
 * The path of the file section whose header is "diff --git a/P b/P" (@line,
 * @len bytes without the newline), into @out; false when it is not of that
 * shape (a quoted name, a rename), and the section is then withheld.
 */
static bool section_path(const char *line, size_t len, char *out, size_t size)
{
	static const char head[] = "diff --git a/";
	size_t plen;

	if (len < sizeof(head) - 1 || memcmp(line, head, sizeof(head) - 1) != 0)
		return false;
	line += sizeof(head) - 1;
	len -= sizeof(head) - 1;
	/* "P b/P": 2 * |P| + 3 bytes. */
	if (len < 4 || (len - 3) % 2)
		return false;
	plen = (len - 3) / 2;
	if (plen + 1 > size || memcmp(line + plen, " b/", 3) != 0 ||
	    memcmp(line, line + plen + 3, plen) != 0)
		return false;
	memcpy(out, line, plen);
	out[plen] = '\0';
	return true;
}

/* @diff without the sections of files the policy hides; *@withheld counts them. */
static char *diff_filter(const char *diff, const struct host_call *hc, size_t *withheld)
{
	size_t len = strlen(diff), used = 0;
	char *out = malloc(len + 1);
	bool keep = true;

	if (!out)
		return NULL;
	for (const char *p = diff; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (strncmp(p, "diff --git ", 11) == 0) {
			char rel[PATH_MAX];
			keep = section_path(p, nl ? n - 1 : n, rel, sizeof(rel)) &&
			       !hidden(hc->policy, hc->workspace, rel);
			if (!keep)
				(*withheld)++;
		}
		if (keep) {
			memcpy(out + used, p, n);
			used += n;
		}
		p += n;
	}
	out[used] = '\0';
	return out;
}

static int run_diff(const cJSON *args, const struct host_call *hc, struct tool_result *out,
                    struct corral_error *err)
{
	const cJSON *since = cJSON_GetObjectItemCaseSensitive(args, "since");
	const cJSON *paths = cJSON_GetObjectItemCaseSensitive(args, "paths"), *path;
	const char *pathv[HOST_DIFF_PATHS_MAX];
	struct corral_error qerr = {0};
	char from[CKPT_OID_HEX], id[CKPT_ID_LEN + 1], *diff = NULL, *shown = NULL, *why = NULL;
	size_t npaths = 0, withheld = 0, keep;
	cJSON *root;
	int rc;

	/* The input schema has checked the list; this only keeps pathv in bounds. */
	cJSON_ArrayForEach(path, paths)
	{
		if (npaths == HOST_DIFF_PATHS_MAX || !cJSON_IsString(path))
			return result_error(out, "checkpoint_diff",
			                    "paths must be at most 64 strings");
		pathv[npaths++] = path->valuestring;
	}
	if (cJSON_IsString(since)) {
		struct ckpt_target t = {CKPT_TARGET_CHECKPOINT, since->valuestring};
		if (ckpt_resolve(hc->store, &t, from, &qerr) < 0)
			return result_error(out, "checkpoint_diff", qerr.message);
	} else {
		struct ckpt_target t = {CKPT_TARGET_RUN, hc->run};
		if (ckpt_resolve(hc->store, &t, from, &qerr) < 0) {
			/* No checkpoint in this run: none of its calls could change
			 * the workspace, so there is no change of its own to show. */
			root = cJSON_CreateObject();
			if (!root)
				return nomem(err);
			cJSON_AddNullToObject(root, "from");
			cJSON_AddStringToObject(root, "diff", "");
			cJSON_AddBoolToObject(root, "truncated", false);
			rc = result_set(out, root, err);
			if (rc == 0) {
				free(out->text);
				out->text = NULL;
				if (asprintf(
				        &out->text,
				        "No checkpoint in this run (%s) yet, so it has changed "
				        "nothing through corral; pass since (an id from "
				        "checkpoint_list) to diff from an earlier checkpoint.",
				        hc->run) < 0) {
					out->text = NULL;
					return nomem(err);
				}
			}
			return rc;
		}
	}
	if (ckpt_diff(hc->store, from, pathv, npaths, &diff, &qerr) < 0)
		return result_error(out, "checkpoint_diff", qerr.message);
	shown = diff_filter(diff, hc, &withheld);
	free(diff);
	if (!shown)
		return nomem(err);
	/* Cut at a line end before HOST_DIFF_MAX: the rest is for narrower
	 * calls (paths), not for one result. */
	keep = strlen(shown);
	if (keep > HOST_DIFF_MAX) {
		size_t total = keep;
		keep = HOST_DIFF_MAX;
		while (keep > 0 && shown[keep - 1] != '\n')
			keep--;
		if (asprintf(&why,
		             "[corral: the diff was cut here: %zu of its %zu bytes were left out; "
		             "pass paths to see the rest]\n",
		             total - keep, total) < 0)
			why = NULL;
		shown[keep] = '\0';
		root = cJSON_CreateObject();
		if (root)
			cJSON_AddNumberToObject(root, "omitted_bytes", (double)(total - keep));
	} else {
		root = cJSON_CreateObject();
	}
	if (!root) {
		free(shown);
		free(why);
		return nomem(err);
	}
	snprintf(id, sizeof(id), "%.*s", CKPT_ID_LEN, from);
	cJSON_AddStringToObject(root, "from", id);
	cJSON_AddStringToObject(root, "diff", shown);
	cJSON_AddBoolToObject(root, "truncated", why != NULL);
	cJSON_AddNumberToObject(root, "withheld_files", (double)withheld);
	out->structured = root;
	if (asprintf(&out->text, "Changes since checkpoint %s:\n%s%s%s", id,
	             *shown ? shown : "(none)\n", why ? why : "",
	             withheld ? "[corral: files the policy hides were left out]\n" : "") < 0)
		out->text = NULL;
	free(shown);
	free(why);
	if (!out->text)
		return nomem(err);
	out->exit_code = 0;
	return 0;
}

int host_tool_run(const struct tool *tool, const cJSON *args, const struct host_call *hc,
                  struct tool_result *out, struct corral_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	if (strcmp(tool->name, "checkpoint_list") == 0)
		rc = run_list(hc, out, err);
	else if (strcmp(tool->name, "checkpoint_diff") == 0)
		rc = run_diff(args, hc, out, err);
	else
		rc = corral_error_set(err, CORRAL_E_INTERNAL, 0, "%s is not a corral tool",
		                      tool->name);
	if (rc < 0) {
		if (rc == -CORRAL_E_NOMEM && !err->message[0])
			nomem(err);
		tool_result_release(out);
	}
	return rc;
}
