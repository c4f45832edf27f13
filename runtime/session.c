/*
 * session.c - one run of tool calls and the life of each call (session.h).
 *
 * session_call() reads straight down the path of DESIGN.md: one function
 * per step, each step's outcome recorded in the call_outcome.
 */
#define _GNU_SOURCE
#include "session.h"
#include "audit.h"
#include "schema.h"
#include "util.h"
#include <sbx.h>

#include <errno.h>
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
	bool approve_all;
	pthread_mutex_t lock; /* approvals and the "always" list */
	/* Rules a human answered "always" to in this run (borrowed from the
	 * policy). */
	const void **always;
	size_t nalways;
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
	/* The log must not be where the agent's own calls could rewrite it. */
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
	rc = audit_open(path, s->policy, &s->audit, err);
	free(path);
	return rc;
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
	rc = policy_load(policy, &s->policy, err);
	if (rc < 0)
		goto fail;
	rc = tools_load(&s->reg, s->policy, s->workspace, err);
	if (rc < 0)
		goto fail;
	rc = open_audit(s, err);
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
	audit_close(s->audit);
	tools_release(&s->reg);
	policy_free(s->policy);
	free(s->workspace);
	free(s->always);
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

/* The call did not run: @fmt is the sentence the agent gets. */
static int refuse(struct call_outcome *o, enum call_stop stop, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct call_outcome *o, enum call_stop stop, const char *fmt, ...)
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
		return -CORRAL_E_NOMEM;
	}
	return 0;
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

static int check_arguments(const struct tool *tool, const cJSON *args, struct call_outcome *o)
{
	struct corral_error verr = {0};

	if (!cJSON_IsObject(args))
		return refuse(o, CALL_BAD_ARGUMENTS, "the arguments of %s must be a JSON object",
		              tool->name)
		           ?: 1;
	if (schema_validate(tool->input_schema, args, &verr) < 0)
		return refuse(o, CALL_BAD_ARGUMENTS, "bad arguments for %s: %s", tool->name,
		              verr.message)
		           ?: 1;
	return 0;
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
	if (o->checkpoint)
		cJSON_AddStringToObject(r, "checkpoint", o->checkpoint);
	else
		cJSON_AddNullToObject(r, "checkpoint");
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

int session_call(struct session *s, const char *tool_name, const cJSON *args,
                 const struct tool_call_opts *opts, struct call_outcome *out,
                 struct corral_error *err)
{
	const struct tool *tool;
	int rc;

	memset(out, 0, sizeof(*out));
	out->result.exit_code = -1;
	tool = resolve(s, tool_name, err);
	if (!tool)
		return -err->code;
	random_hex(out->call_id, 6);
	out->decision = POLICY_DECISION_ALLOW;

	rc = check_arguments(tool, args, out);
	if (rc != 0)
		goto refused;

	rc = audit_event(s, "start", tool, args, out, err);
	if (rc < 0)
		goto fail;
	rc = tool_call(&s->reg, tool, args, s->policy, s->workspace, opts, &out->result, err);
	if (rc < 0)
		goto fail;
	out->stop = CALL_RAN;
	if (audit_event(s, "end", tool, args, out, err) < 0) {
		/* The tool has run: its result stands, and the agent and the
		 * user learn that the record of it is missing. */
		char *text = NULL;
		if (asprintf(&text, "%s\n(corral: %s)", out->result.text ? out->result.text : "",
		             err->message) >= 0) {
			free(out->result.text);
			out->result.text = text;
		}
		corral_error_clear(err);
	}
	return 0;

refused:
	if (rc < 0)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	rc = audit_event(s, "end", tool, args, out, err);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	call_outcome_release(out);
	return rc;
}
