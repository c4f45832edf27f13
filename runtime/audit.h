/*
 * audit.h - the audit log: one JSON Lines record per event of a call.
 *
 * A call leaves two records, tied by its call id: "start" when it has been
 * decided (decision, rule, approver, checkpoint) and is about to run, and
 * "end" with the outcome (exit, signal, limits hit, violations, duration);
 * a call refused before it ran leaves one "end" record. So a corral killed
 * in the middle of a call still leaves the record of what it was running.
 *
 * Records are appended, never rewritten: each one is a single write(2) to
 * a file opened with O_APPEND, then fsync'd, so concurrent corral
 * processes never interleave within a line and a record that was reported
 * written survives a crash. A reader skips (and counts) a line that is not
 * JSON, which only a full disk can leave behind.
 *
 * Arguments are recorded with secrets removed: every string value is
 * matched against the built-in patterns (API keys, tokens, private keys)
 * and the policy's audit.redact expressions, and each match is replaced by
 * "[REDACTED]". Long string values are cut to AUDIT_VALUE_MAX bytes, and
 * the record says so.
 */
#ifndef CORRAL_AUDIT_H
#define CORRAL_AUDIT_H

#include "policy.h"

#include <cjson/cJSON.h>
#include <regex.h>
#include <stddef.h>

#define AUDIT_VALUE_MAX  4096u        /* bytes of one string value recorded */
#define AUDIT_RECORD_MAX (1u << 20)   /* bytes of one record, newline included */
#define AUDIT_REDACT_MAX 64u          /* redaction patterns, built-in ones included */
#define AUDIT_FILE_MAX   (1ull << 32) /* bytes `corral audit` reads of a log */

struct audit_log;

/*
 * Open (creating it and its directory, mode 0600/0700) the log at @path
 * for appending, with the redaction patterns of @p. The last component
 * must not be a symlink. On success *@out owns the log; close it with
 * audit_close(). On failure *@out is untouched and @err names the path.
 */
int audit_open(const char *path, const struct policy *p, struct audit_log **out,
               struct corral_error *err);

/* Close @log. Accepts NULL. */
void audit_close(struct audit_log *log);

/* The path of @log (borrowed). */
const char *audit_path(const struct audit_log *log);

/*
 * A copy of @args for the record: secrets redacted, long strings cut. A new
 * object the caller owns; NULL when out of memory.
 */
cJSON *audit_redact(const struct audit_log *log, const cJSON *args);

/*
 * Append @record (an object; the time "ts" is added here) as one line and
 * fsync it. Thread-safe. A record larger than AUDIT_RECORD_MAX is refused
 * with CORRAL_E_TOOLARGE (never cut mid-way); the caller redacts and cuts
 * values first. Errors name the log's path.
 */
int audit_append(struct audit_log *log, cJSON *record, struct corral_error *err);

/*
 * Read the log at @path: call @fn for each record, in file order, with the
 * parsed object (borrowed for the call). Lines that are not a JSON object
 * are counted in *@bad (may be NULL) and skipped. A missing file is an
 * empty log. Returns 0, a negative code with @err on a read error, or
 * @fn's own non-zero return, which stops the reading.
 */
int audit_read(const char *path, int (*fn)(void *ctx, const cJSON *record), void *ctx, size_t *bad,
               struct corral_error *err);

/* The log's path for @p: audit.path (with ~ expanded) or audit.jsonl in the
 * state directory. A new string; NULL with @err set when no path can be
 * formed ($HOME and $XDG_STATE_HOME unset). */
char *audit_default_path(const struct policy *p, struct corral_error *err);

#endif
