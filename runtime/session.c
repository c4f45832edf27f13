/*
 * session.c - one run of tool calls and the life of each call (session.h).
 *
 * session_call() reads straight down the path of DESIGN.md: one function
 * per step, each step's outcome recorded in the call_outcome.
 */
#define _GNU_SOURCE
#include "session.h"
#include "audit.h"
#include "ckpt.h"
#include "host_tools.h"
#include "rules.h"
#include "schema.h"
#include "state.h"
#include "util.h"
#include <sbx.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct session {
	struct policy *policy;
	struct tool_registry reg;
	char *workspace; /* realpath */
	char run[SESSION_RUN_MAX];
	struct audit_log *audit;
	const struct approver *approver;
	char *approval_hint;
	bool approve_all;
	pthread_mutex_t lock; /* approvals and the "always" list */
	/* What a human answered "always" to in this run (approval_key()),
	 * kept in the state directory so that every process of a named run
	 * (`corral call --run NAME`) sees it. */
	char **always;
	size_t nalways;
	char *always_path; /* NULL: not kept (no state directory) */
	/* The checkpoint store, opened at the first call that can change the
	 * workspace and kept open for the rest of the session. ckpt_lock
	 * serialises checkpoints of concurrent calls. */
	struct ckpt_store *ckpt;
	const char **ckpt_exclude;
	pthread_mutex_t ckpt_lock;
};

static void random_hex(char *buf, size_t nbytes)
{
	unsigned char raw[16];
	static const char hex[] = "0123456789abcdef";

	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	if (getrandom(raw, nbytes, 0) != (ssize_t)nbytes) {
		/* Ids need only be unique, not secret: fall back to the clock. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unsigned long long v =
		    (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
		for (size_t i = 0; i < nbytes; i++)
			raw[i] = (unsigned char)(v >> (8 * (i % 8)));
	}
	for (size_t i = 0; i < nbytes; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[2 * nbytes] = '\0';
}

/* Run names are typed by users and become file and ref names. */
static bool run_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SESSION_RUN_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return strstr(s, "..") == NULL;
}

static void new_run_name(char *out)
{
	time_t now = time(NULL);
	struct tm tm;
	char hex[8];

	localtime_r(&now, &tm);
	random_hex(hex, 2);
	snprintf(out, SESSION_RUN_MAX, "%04d%02d%02d-%02d%02d%02d-%s", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, hex);
}

/* Is @path inside the directory @dir (both absolute and normalised)? */
static bool path_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int open_audit(struct session *s, struct corral_error *err)
{
	char *path = audit_default_path(s->policy, err), *dir, *slash, real[PATH_MAX];
	int rc;

	if (!path)
		return -err->code;
	/* The log must not be where the agent's own calls could rewrite it.
	 * The default place, the state directory, is protected inside the
	 * sandbox even when it lies in the workspace (a workspace that is the
	 * home directory); a path the policy names is not. */
	if (!s->policy->audit.path.value)
		goto open;
	dir = strdup(path);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash && slash != dir)
		*slash = '\0';
	if (dir && realpath(dir, real) && path_inside(real, s->workspace)) {
		rc = corral_error_set(err, CORRAL_E_POLICY, 0,
		                      "the audit log %s is inside the workspace %s, where tool "
		                      "calls could rewrite it; set audit.path outside it",
		                      path, s->workspace);
		free(dir);
		free(path);
		return rc;
	}
	free(dir);
open:
	rc = audit_open(path, s->policy, &s->audit, err);
	free(path);
	return rc;
}

/* ---- approvals kept for the run ---- */

static bool always_has(const struct session *s, const char *key)
{
	for (size_t i = 0; i < s->nalways; i++)
		if (strcmp(s->always[i], key) == 0)
			return true;
	return false;
}

static int always_push(struct session *s, const char *key)
{
	char **grown;

	if (s->nalways >= SESSION_ALWAYS_MAX)
		return -CORRAL_E_TOOLARGE;
	grown = realloc(s->always, (s->nalways + 1) * sizeof(*grown));
	if (!grown)
		return -CORRAL_E_NOMEM;
	s->always = grown;
	if (!(s->always[s->nalways] = strdup(key)))
		return -CORRAL_E_NOMEM;
	s->nalways++;
	return 0;
}

/*
 * The run's "always" answers live in STATE/runs/RUN.approved, one key a
 * line. The state directory is invisible to the sandbox, so a tool cannot
 * approve itself by writing there.
 */
static int always_load(struct session *s, struct corral_error *err)
{
	char *state = state_dir_path(), *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *in;

	if (!state)
		return 0;
	if (asprintf(&s->always_path, "%s/runs/%s.approved", state, s->run) < 0) {
		s->always_path = NULL;
		free(state);
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	}
	free(state);
	in = fopen(s->always_path, "re");
	if (!in)
		return 0;
	while ((n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (*line && !always_has(s, line) && always_push(s, line) < 0)
			break;
	}
	free(line);
	fclose(in);
	return 0;
}

/* Remember @key for the rest of the run. Failing to keep it on disk only
 * means a later process of the run asks again. */
static void always_add(struct session *s, const char *key)
{
	char *dir, *slash;
	int fd;

	if (always_has(s, key) || always_push(s, key) < 0 || !s->always_path)
		return;
	dir = strdup(s->always_path);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash) {
		*slash = '\0';
		util_mkdir_p(dir, 0700);
	}
	free(dir);
	fd = open(s->always_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	dprintf(fd, "%s\n", key);
	close(fd);
}

int session_open(const struct session_opts *opts, struct session **out, struct corral_error *err)
{
	const char *policy = opts->policy ? opts->policy : "workspace-write";
	const char *ws = opts->workspace ? opts->workspace : ".";
	struct session *s = calloc(1, sizeof(*s));
	char real[PATH_MAX];
	int rc;

	if (!s)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->ckpt_lock, NULL);
	if (opts->run && !run_name_ok(opts->run)) {
		rc = corral_error_set(err, CORRAL_E_USAGE, 0,
		                      "the run name '%.80s' is not valid: use 1 to %d letters, "
		                      "digits, '-', '_' and '.'",
		                      opts->run, SESSION_RUN_MAX - 1);
		goto fail;
	}
	if (opts->run)
		snprintf(s->run, sizeof(s->run), "%s", opts->run);
	else
		new_run_name(s->run);
	if (!realpath(ws, real)) {
		rc = corral_error_set(err, CORRAL_E_NOTFOUND, errno, "the workspace %s: %s", ws,
		                      strerror(errno));
		goto fail;
	}
	s->workspace = strdup(real);
	if (!s->workspace) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	s->approver = opts->approver;
	s->approve_all = opts->approve_all;
	s->approval_hint =
	    strdup(opts->approval_hint ? opts->approval_hint
	                               : "approve it where corral can ask (on a terminal), pass "
	                                 "--yes, or allow the call in the policy");
	if (!s->approval_hint) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	rc = policy_load(policy, &s->policy, err);
	if (rc < 0)
		goto fail;
	rc = opts->no_tools ? 0 : tools_load(&s->reg, s->policy, s->workspace, err);
	if (rc == 0 && !opts->no_tools)
		rc = host_tools_add(&s->reg, s->policy, err);
	if (rc < 0)
		goto fail;
	rc = open_audit(s, err);
	if (rc < 0)
		goto fail;
	rc = always_load(s, err);
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	session_close(s);
	return rc;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	ckpt_close(s->ckpt);
	free(s->ckpt_exclude);
	pthread_mutex_destroy(&s->ckpt_lock);
	audit_close(s->audit);
	tools_release(&s->reg);
	policy_free(s->policy);
	free(s->workspace);
	for (size_t i = 0; i < s->nalways; i++)
		free(s->always[i]);
	free(s->always);
	free(s->always_path);
	free(s->approval_hint);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *session_run(const struct session *s)
{
	return s->run;
}

const struct policy *session_policy(const struct session *s)
{
	return s->policy;
}

const struct tool_registry *session_registry(const struct session *s)
{
	return &s->reg;
}

const char *session_workspace(const struct session *s)
{
	return s->workspace;
}

const char *call_stop_name(enum call_stop stop)
{
	static const char *const names[] = {
	    [CALL_RAN] = "ran",           [CALL_BAD_ARGUMENTS] = "bad-arguments",
	    [CALL_DENIED] = "denied",     [CALL_NEEDS_APPROVAL] = "needs-approval",
	    [CALL_DECLINED] = "declined", [CALL_NO_CHECKPOINT] = "no-checkpoint",
	};
	return (unsigned)stop < sizeof(names) / sizeof(names[0]) && names[stop] ? names[stop]
	                                                                        : "unknown";
}

void call_outcome_release(struct call_outcome *o)
{
	if (!o)
		return;
	free(o->rule);
	free(o->approver);
	free(o->checkpoint);
	tool_result_release(&o->result);
	memset(o, 0, sizeof(*o));
}

/* ---- the steps of a call ---- */

/* The call did not run: @fmt is the sentence the agent gets. Returns 1
 * (refused), or -CORRAL_E_NOMEM with @err set. */
static int refuse(struct call_outcome *o, struct corral_error *err, enum call_stop stop,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(struct call_outcome *o, struct corral_error *err, enum call_stop stop,
                  const char *fmt, ...)
{
	va_list ap;
	int n;

	o->stop = stop;
	o->result.is_error = true;
	o->result.exit_code = -1;
	va_start(ap, fmt);
	n = vasprintf(&o->result.text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->result.text = NULL;
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	}
	return 1;
}

static const struct tool *resolve(struct session *s, const char *name, struct corral_error *err)
{
	const struct tool *tool = tools_find(&s->reg, name);
	const char *names[TOOLS_MAX + 1], *guess;

	if (tool)
		return tool;
	for (size_t i = 0; i < s->reg.count; i++)
		names[i] = s->reg.tools[i].name;
	names[s->reg.count] = NULL;
	guess = util_suggest(name, names);
	if (guess)
		corral_error_set(err, CORRAL_E_NOTFOUND, 0,
		                 "no tool named '%.64s'; did you mean '%s'?", name, guess);
	else
		corral_error_set(err, CORRAL_E_NOTFOUND, 0, "no tool named '%.64s'.", name);
	return NULL;
}

static int check_arguments(const struct tool *tool, const cJSON *args, struct call_outcome *o,
                           struct corral_error *err)
{
	struct corral_error verr = {0};

	if (!cJSON_IsObject(args))
		return refuse(o, err, CALL_BAD_ARGUMENTS,
		              "the arguments of %s must be a JSON object", tool->name);
	if (tool->input_schema && schema_validate(tool->input_schema, args, &verr) < 0)
		return refuse(o, err, CALL_BAD_ARGUMENTS, "bad arguments for %s: %s", tool->name,
		              verr.message);
	return 0;
}

/*
 * Decide the call with the policy's rules. Fills the outcome's decision and
 * rule; a denial becomes the refusal (returns 1). @d is the caller's.
 */
static int decide(struct session *s, const struct tool *tool, const cJSON *args,
                  struct rules_decision *d, struct call_outcome *o, struct corral_error *err)
{
	int rc = rules_decide(s->policy, s->workspace, tool->name, args, d, err);

	if (rc < 0)
		return rc;
	o->decision = d->decision;
	if (d->rule) {
		o->rule = strdup(d->rule->match);
		if (!o->rule)
			return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		o->rule_loc = d->rule->loc;
	}
	if (d->decision == POLICY_DECISION_DENY)
		return refuse(o, err, CALL_DENIED, "%s", d->reason);
	return 0;
}

/* What an "always" answer approves: the rule that asked; when the default
 * asked, only this tool (and for exec, this very command), since approving
 * "everything no rule names" is not what a human meant by always. */
static char *approval_key(const struct tool *tool, const cJSON *args,
                          const struct rules_decision *d)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(args, "command");
	char *key = NULL;
	int n;

	if (d->rule)
		n = asprintf(&key, "rule %s:%d:%d %s", d->rule->loc.file ? d->rule->loc.file : "?",
		             d->rule->loc.line, d->rule->loc.col, d->rule->match);
	else if (strcmp(tool->name, "exec") == 0 && cJSON_IsString(cmd))
		n = asprintf(&key, "default exec %s", cmd->valuestring);
	else
		n = asprintf(&key, "default %s", tool->name);
	if (n < 0)
		return NULL;
	/* One key a line in the file that keeps them. */
	for (char *c = key; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	return key;
}

/*
 * An asked-about call: approved by --yes, by an earlier "always", or by
 * the human the approver asks. Returns 0 to run, 1 when refused (the
 * outcome holds the refusal), or a negative code.
 */
static int approve(struct session *s, const struct tool *tool, const cJSON *args,
                   const struct rules_decision *d, struct call_outcome *o, struct corral_error *err)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(args, "command");
	struct approval_request req = {0};
	char detail[128] = "", where[PATH_MAX + 64];
	enum approval_answer answer;
	char *key, *args_json;
	int rc = 0;

	if (s->approve_all) {
		o->approver = strdup("--yes");
		return o->approver ? 0
		                   : corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	}
	if (d->rule)
		snprintf(where, sizeof(where), "rule %s:%d",
		         d->rule->loc.file ? d->rule->loc.file : "?", d->rule->loc.line);
	else
		snprintf(where, sizeof(where), "rules.default");
	key = approval_key(tool, args, d);
	args_json = cJSON_PrintUnformatted(args);
	if (!key || !args_json) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	/* One question at a time: concurrent calls queue behind a prompt,
	 * and an "always" given meanwhile answers the ones waiting. */
	pthread_mutex_lock(&s->lock);
	if (always_has(s, key)) {
		pthread_mutex_unlock(&s->lock);
		if (!(o->approver = strdup("always")))
			rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	if (!s->approver) {
		answer = APPROVAL_UNAVAILABLE;
	} else {
		req.run = s->run;
		req.call_id = o->call_id;
		req.tool = tool->name;
		req.args_json = args_json;
		req.command = strcmp(tool->name, "exec") == 0 && cJSON_IsString(cmd)
		                  ? cmd->valuestring
		                  : NULL;
		req.rule = d->rule ? d->rule->match : NULL;
		if (d->rule)
			req.loc = d->rule->loc;
		req.reason = d->reason;
		req.checkpoint = !tool->read_only;
		answer = s->approver->ask(s->approver->ctx, &req, detail, sizeof(detail));
		if (answer == APPROVAL_ALWAYS)
			always_add(s, key);
	}
	pthread_mutex_unlock(&s->lock);
	switch (answer) {
	case APPROVAL_YES:
	case APPROVAL_ALWAYS:
		if (asprintf(&o->approver, "%s%s%s", s->approver->name, *detail ? ": " : "",
		             detail) < 0) {
			o->approver = NULL;
			rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		}
		break;
	case APPROVAL_UNAVAILABLE:
		rc = refuse(
		    o, err, CALL_NEEDS_APPROVAL,
		    "Not run: this call needs approval (%s) and nobody could be asked; %s. %s",
		    where, s->approval_hint, d->reason);
		break;
	default:
		rc = refuse(o, err, CALL_DECLINED,
		            "Not run: the call was declined by %s%s%s (%s). %s", s->approver->name,
		            *detail ? ", " : "", detail, where, d->reason);
		break;
	}
out:
	free(key);
	free(args_json);
	return rc;
}

/* What the checkpoint records of the call, for `corral log`: exec's
 * command, a file tool's path, or the arguments; secrets redacted. */
static char *call_summary(const struct session *s, const cJSON *args)
{
	cJSON *clean = audit_redact(s->audit, args);
	const cJSON *cmd, *path;
	char *text = NULL;

	if (!clean)
		return NULL;
	cmd = cJSON_GetObjectItemCaseSensitive(clean, "command");
	path = cJSON_GetObjectItemCaseSensitive(clean, "path");
	if (cJSON_IsString(cmd))
		text = strndup(cmd->valuestring, SESSION_SUMMARY_MAX);
	else if (cJSON_IsString(path))
		text = strndup(path->valuestring, SESSION_SUMMARY_MAX);
	else if ((text = cJSON_PrintUnformatted(clean)) && strlen(text) > SESSION_SUMMARY_MAX)
		text[SESSION_SUMMARY_MAX] = '\0';
	cJSON_Delete(clean);
	return text;
}

static int open_store(struct session *s, struct corral_error *err)
{
	struct ckpt_config cfg;
	char *state;
	int rc;

	state = state_dir_path();
	if (!state)
		return corral_error_set(err, CORRAL_E_IO, 0,
		                        "no state directory: neither $XDG_STATE_HOME nor $HOME is "
		                        "an absolute path");
	rc = ckpt_config_from_policy(&cfg, s->policy, &s->ckpt_exclude, err);
	if (rc == 0)
		rc = ckpt_open(state, s->workspace, &cfg, &s->ckpt, err);
	free(state);
	return rc;
}

/*
 * Before a call that can change the workspace: a checkpoint, so that
 * `corral rollback` undoes it. A tool annotated read-only cannot change
 * it, and nothing can under a policy that makes nothing writable. A
 * checkpoint that fails stops the call (returns 1): a change that could
 * not be undone is not made.
 */
static int checkpoint(struct session *s, const struct tool *tool, const cJSON *args,
                      struct call_outcome *o, struct corral_error *err)
{
	struct ckpt_info info = {0};
	struct ckpt_call call;
	char *summary;
	int rc;

	if (tool->read_only || s->policy->filesystem.write.count == 0)
		return 0;
	summary = call_summary(s, args);
	if (!summary)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	call = (struct ckpt_call){
	    .run = s->run, .call_id = o->call_id, .tool = tool->name, .args_digest = summary};
	pthread_mutex_lock(&s->ckpt_lock);
	rc = s->ckpt ? 0 : open_store(s, err);
	if (rc == 0)
		rc = ckpt_take(s->ckpt, &call, &info, err);
	if (rc == 0 && info.created && ckpt_gc_due(s->ckpt)) {
		/* Bound the store as git's auto gc does. A gc that fails leaves
		 * the store as it was, and is tried again at a later checkpoint;
		 * the call does not depend on it. */
		struct ckpt_gc_report gc;
		struct corral_error ignored = {0};
		ckpt_gc(s->ckpt, &gc, &ignored);
	}
	pthread_mutex_unlock(&s->ckpt_lock);
	free(summary);
	if (rc < 0) {
		char why[CORRAL_ERROR_MESSAGE_MAX];

		snprintf(why, sizeof(why), "%s", err->message);
		corral_error_clear(err);
		return refuse(o, err, CALL_NO_CHECKPOINT,
		              "Not run: the checkpoint before the call failed, so the call could "
		              "not be undone: %s",
		              why);
	}
	o->checkpoint = strdup(info.id);
	o->checkpoint_skipped = info.skipped.total;
	ckpt_info_release(&info);
	if (!o->checkpoint)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	return 0;
}

/* The policy the call runs under: the session's, with what the rules that
 * decided it change for this call (a longer timeout, a network). A shallow
 * copy: it borrows every list from the session's policy. */
static void call_policy(const struct session *s, const struct rules_decision *d, struct policy *out)
{
	*out = *s->policy;
	if (d->has_timeout)
		out->limits.timeout_ms = d->timeout_ms;
	if (d->has_network) {
		out->network.mode = d->network_mode;
		/* The proxy mode is refused by the compiler in this version, so
		 * only the mode matters; the rule's hosts will be the proxy's
		 * allow list for this call once the proxy exists. */
		out->network.allow.items = NULL;
		out->network.allow.count = 0;
	}
}

/* The common fields of both records of a call. */
static cJSON *record_new(struct session *s, const char *event, const struct tool *tool,
                         const cJSON *args, const struct call_outcome *o)
{
	cJSON *r = cJSON_CreateObject();

	if (!r)
		return NULL;
	cJSON_AddStringToObject(r, "event", event);
	cJSON_AddStringToObject(r, "run", s->run);
	cJSON_AddStringToObject(r, "call", o->call_id);
	cJSON_AddStringToObject(r, "workspace", s->workspace);
	cJSON_AddStringToObject(r, "tool", tool->name);
	/* The start record holds the arguments; an end record repeats them
	 * only when the call was refused before it started. */
	if (strcmp(event, "start") == 0 || o->stop != CALL_RAN)
		cJSON_AddItemToObject(r, "arguments", audit_redact(s->audit, args));
	cJSON_AddStringToObject(r, "decision", policy_decision_name(o->decision));
	if (o->rule) {
		char loc[PATH_MAX + 32];
		cJSON_AddStringToObject(r, "rule", o->rule);
		snprintf(loc, sizeof(loc), "%s:%d:%d", o->rule_loc.file ? o->rule_loc.file : "?",
		         o->rule_loc.line, o->rule_loc.col);
		cJSON_AddStringToObject(r, "rule_at", loc);
	} else {
		cJSON_AddNullToObject(r, "rule");
	}
	if (o->approver)
		cJSON_AddStringToObject(r, "approver", o->approver);
	else
		cJSON_AddNullToObject(r, "approver");
	if (o->checkpoint) {
		cJSON_AddStringToObject(r, "checkpoint", o->checkpoint);
		cJSON_AddNumberToObject(r, "checkpoint_skipped", (double)o->checkpoint_skipped);
	} else {
		cJSON_AddNullToObject(r, "checkpoint");
	}
	return r;
}

static void record_outcome(cJSON *r, const struct call_outcome *o)
{
	const struct tool_result *res = &o->result;
	cJSON *arr;

	cJSON_AddStringToObject(r, "outcome", call_stop_name(o->stop));
	cJSON_AddBoolToObject(r, "is_error", res->is_error);
	if (o->stop != CALL_RAN) {
		/* The refusal is what the agent was told. */
		cJSON_AddStringToObject(r, "reason", res->text ? res->text : "");
		return;
	}
	if (res->signal || res->exit_code < 0)
		cJSON_AddNullToObject(r, "exit_status");
	else
		cJSON_AddNumberToObject(r, "exit_status", res->exit_code);
	if (res->signal)
		cJSON_AddStringToObject(r, "signal", sigabbrev_np(res->signal) ?: "?");
	cJSON_AddBoolToObject(r, "cancelled", res->cancelled);
	/* A command's own status, for tools that report one (exec). */
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(res->structured, "exit_code");
	if (cJSON_IsNumber(code))
		cJSON_AddNumberToObject(r, "command_exit_status", code->valuedouble);
	arr = cJSON_AddArrayToObject(r, "limits_hit");
	for (unsigned bit = 1; sbx_limit_name(bit); bit <<= 1)
		if (res->limits_hit & bit)
			cJSON_AddItemToArray(arr, cJSON_CreateString(sbx_limit_name(bit)));
	arr = cJSON_AddArrayToObject(r, "violations");
	for (size_t i = 0; i < res->nviolations; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(res->violations[i]));
	cJSON_AddNumberToObject(r, "duration_ms", (double)res->duration_ms);
}

/*
 * Write a record of the call. A record that cannot be written fails the
 * call (before it runs) or is reported (after): an audited tool must not
 * run unrecorded.
 */
static int audit_event(struct session *s, const char *event, const struct tool *tool,
                       const cJSON *args, const struct call_outcome *o, struct corral_error *err)
{
	cJSON *r = record_new(s, event, tool, args, o);
	int rc;

	if (!r)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	if (strcmp(event, "end") == 0)
		record_outcome(r, o);
	rc = audit_append(s->audit, r, err);
	cJSON_Delete(r);
	return rc;
}

int session_begin(struct session *s, const struct tool *tool, const cJSON *args,
                  struct call_outcome *out, struct policy *run_policy, struct corral_error *err)
{
	struct rules_decision d = {0};
	int rc;

	if (!out->call_id[0])
		random_hex(out->call_id, 6);
	out->result.exit_code = -1;
	out->decision = POLICY_DECISION_ALLOW;
	rc = check_arguments(tool, args, out, err);
	if (rc != 0)
		goto refused;
	rc = decide(s, tool, args, &d, out, err);
	if (rc != 0)
		goto refused;
	if (d.decision == POLICY_DECISION_ASK && (rc = approve(s, tool, args, &d, out, err)) != 0)
		goto refused;
	rc = checkpoint(s, tool, args, out, err);
	if (rc != 0)
		goto refused;
	rc = audit_event(s, "start", tool, args, out, err);
	if (rc < 0)
		goto fail;
	call_policy(s, &d, run_policy);
	rules_decision_release(&d);
	return 0;

refused:
	if (rc < 0)
		goto fail;
	rules_decision_release(&d);
	rc = audit_event(s, "end", tool, args, out, err);
	if (rc < 0) {
		call_outcome_release(out);
		return rc;
	}
	return 1;
fail:
	rules_decision_release(&d);
	call_outcome_release(out);
	return rc;
}

void session_end(struct session *s, const struct tool *tool, const cJSON *args,
                 struct call_outcome *out)
{
	struct corral_error err = {0};

	out->stop = CALL_RAN;
	if (audit_event(s, "end", tool, args, out, &err) < 0) {
		/* The tool has run: its result stands, and the agent and the
		 * user learn that the record of it is missing. */
		char *text = NULL;
		if (asprintf(&text, "%s\n(corral: %s)", out->result.text ? out->result.text : "",
		             err.message) >= 0) {
			free(out->result.text);
			out->result.text = text;
		}
	}
}

/*
 * Run one of corral's own tools (host_tools.h) on the session's checkpoint
 * store, opened here if no call has opened it yet. They only read it, but
 * ckpt_lock is held all the same: the store is one handle shared with
 * checkpoints that other calls take at the same time.
 */
static int host_call(struct session *s, const struct tool *tool, const cJSON *args,
                     struct tool_result *out, struct corral_error *err)
{
	struct host_call hc = {.run = s->run, .policy = s->policy, .workspace = s->workspace};
	struct corral_error oerr = {0};
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&s->ckpt_lock);
	if (!s->ckpt && open_store(s, &oerr) < 0) {
		pthread_mutex_unlock(&s->ckpt_lock);
		memset(out, 0, sizeof(*out));
		out->is_error = true;
		if (asprintf(&out->text, "%s: the checkpoint store cannot be opened: %s",
		             tool->name, oerr.message) < 0) {
			out->text = NULL;
			return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		}
		return 0;
	}
	hc.store = s->ckpt;
	rc = host_tool_run(tool, args, &hc, out, err);
	pthread_mutex_unlock(&s->ckpt_lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0)
		out->duration_ms = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000u +
		                   (uint64_t)(t1.tv_nsec / 1000000) -
		                   (uint64_t)(t0.tv_nsec / 1000000);
	return rc;
}

int session_call(struct session *s, const char *tool_name, const cJSON *args,
                 const struct tool_call_opts *opts, struct call_outcome *out,
                 struct corral_error *err)
{
	struct policy run_policy;
	const struct tool *tool;
	int rc;

	memset(out, 0, sizeof(*out));
	out->result.exit_code = -1;
	tool = resolve(s, tool_name, err);
	if (!tool)
		return -err->code;
	rc = session_begin(s, tool, args, out, &run_policy, err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (tool->host)
		rc = host_call(s, tool, args, &out->result, err);
	else
		rc = tool_call(&s->reg, tool, args, &run_policy, s->workspace, opts, &out->result,
		               err);
	if (rc < 0) {
		call_outcome_release(out);
		return rc;
	}
	session_end(s, tool, args, out);
	return 0;
}
