/*
 * policy.c - load policy files into struct policy. See policy.h.
 *
 * A file is parsed by jsonc (JSON with comments and positions), then each
 * section is validated and applied onto one struct policy that starts out
 * holding the defaults. "extends" is followed before the file's own sections
 * are applied, so the chain is applied base first and the merge rules of
 * policy.h fall out of two operations: a scalar is assigned, a list is
 * appended to.
 *
 * Every error message reads "FILE:LINE:COL: KEY.PATH: what is wrong", with
 * the position of the offending value (or of the key, for an unknown key).
 */
#include "policy.h"
#include "jsonc.h"
#include "rules.h"
#include "util.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The shipped profiles, generated from policies/ by embed_profiles.cmake. */
extern const struct {
	const char *name;
	const char *text;
} policy_profiles[];
extern const size_t policy_profiles_count;

/* Bounds of the counted limits; values outside are certainly mistakes. */
#define POLICY_PROCESSES_MAX  65536u   /* tasks; the kernel's pid_max is larger, no tool needs it */
#define POLICY_OPEN_FILES_MIN 3u       /* stdin, stdout, stderr */
#define POLICY_OPEN_FILES_MAX 1048576u /* the kernel's default nr_open */
#define POLICY_KEEP_MAX       100000u  /* checkpoints per workspace */
#define POLICY_MEMORY_MIN     (1ull << 20) /* less cannot even start a shell */
#define POLICY_TOOL_NAME_MAX  64           /* as for tool names in the registry */
#define POLICY_HOST_MAX       253          /* the longest DNS name */
#define POLICY_QUOTE_MAX      48           /* bytes of a value quoted in a message */
#define POLICY_PATH_MAX       256          /* a key path such as rules.allow[3].match */
/* Larger JSON numbers lose precision in a double; such sizes need a unit. */
#define POLICY_EXACT_DOUBLE_MAX 9007199254740992.0

static const char *const net_mode_names[] = {"none", "proxy", "host", NULL};
static const char *const decision_names[] = {"allow", "ask", "deny", NULL};

static const char *const top_keys[] = {"extends", "filesystem",  "network", "limits",
                                       "env",     "rules",       "tools",   "checkpoint",
                                       "audit",   "description", "$schema", NULL};
static const char *const tools_keys[] = {"paths", "enable", "disable", "corral", NULL};

const char *const policy_corral_tools[] = {"checkpoint_list", "checkpoint_diff", NULL};
static const char *const filesystem_keys[] = {"read", "write", "hide", "protect", NULL};
static const char *const network_keys[] = {"mode", "allow", "unix_sockets", NULL};
static const char *const limits_keys[] = {
    "timeout", "memory", "processes", "output", "file_size", "open_files", "tmp", "calls", NULL};
static const char *const env_keys[] = {"pass", "set", NULL};
static const char *const rules_keys[] = {"default", "allow", "ask", "deny", NULL};
static const char *const rule_keys[] = {"match",   "decision", "hint", "timeout",
                                        "network", "examples", NULL};
static const char *const examples_keys[] = {"match", "not_match", NULL};
static const char *const checkpoint_keys[] = {"max_file_size", "exclude", "keep", "max_age", NULL};
static const char *const audit_keys[] = {"path", "redact", NULL};

/* The extends chain being loaded, outermost file first. */
struct load {
	struct policy *p;
	unsigned flags;
	const char *chain_id[POLICY_EXTENDS_MAX];      /* realpath or <profile:NAME> */
	const char *chain_display[POLICY_EXTENDS_MAX]; /* as the messages name it */
	size_t depth;
	struct corral_error *err;
};

/* One file of the chain. */
struct file {
	struct load *ld;
	const char *display;  /* the name used in messages */
	const char *loc_file; /* the entry of policy->files for locations */
	const char *dir;      /* where a relative "extends" is resolved; NULL: a profile */
	const char *text;     /* for the raw text of numbers */
	struct jsonc_doc doc;
};

/* ---- small helpers ---- */

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* @a "/" @b, or @b alone when it is absolute. */
static char *join_path(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *d;

	if (b[0] == '/' || la == 0)
		return dup_str(b);
	d = malloc(la + lb + 2);
	if (!d)
		return NULL;
	memcpy(d, a, la);
	d[la] = '/';
	memcpy(d + la + 1, b, lb + 1);
	return d;
}

/* The directory part of @path: "." when it has none. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return dup_str(".");
	if (slash == path)
		return dup_str("/");
	d = malloc((size_t)(slash - path) + 1);
	if (!d)
		return NULL;
	memcpy(d, path, (size_t)(slash - path));
	d[slash - path] = '\0';
	return d;
}

/*
 * Copy @s into @buf (at least POLICY_QUOTE_MAX * 4 + 4 bytes) for quoting in
 * a one-line message: control bytes become \xNN, and a long value is cut at
 * a character boundary and ends in "...".
 */
#define QUOTE_BUF UTIL_QUOTE_BUF(POLICY_QUOTE_MAX)
static const char *quote(char *buf, const char *s)
{
	return util_quote(buf, s, POLICY_QUOTE_MAX);
}

/* "a, b or c" from a NULL-terminated list. */
static const char *join_names(char *buf, size_t size, const char *const *names, const char *last)
{
	size_t n = 0, count = 0;

	while (names[count])
		count++;
	buf[0] = '\0';
	for (size_t i = 0; i < count && n < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == count ? last : ", ";
		n += (size_t)snprintf(buf + n, size - n, "%s%s", sep, names[i]);
	}
	return buf;
}

static int find_name(const char *s, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int is_env_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static size_t tool_name_len(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
}

/* A shipped profile's name has no '/' and no '.': anything else is a path. */
static int is_profile_name(const char *s)
{
	return s[0] && tool_name_len(s) == strlen(s);
}

/* ---- sizes and durations ---- */

static const struct unit {
	const char *name;
	uint64_t factor;
} size_units[] = {
    {"B", 1},
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
    {"TiB", 1ull << 40},
    {"KB", 1000ull},
    {"MB", 1000ull * 1000},
    {"GB", 1000ull * 1000 * 1000},
    {"TB", 1000ull * 1000 * 1000 * 1000},
};
#define SIZE_UNITS "B, KiB, MiB, GiB, TiB, KB, MB, GB, TB"

static const struct unit duration_units[] = {
    {"d", 86400000ull}, {"h", 3600000ull}, {"m", 60000ull}, {"s", 1000ull}, {"ms", 1ull},
};
#define DURATION_UNITS         "ms, s, m, h, d"
#define DURATION_SECONDS_BELOW (10ull * 60000) /* format shorter spans in seconds */
#define NELEM(a)               (sizeof(a) / sizeof((a)[0]))

static _Thread_local char why_buf[QUOTE_BUF + 64];

static const char why_too_large[] = "it does not fit in 64 bits";
static const char why_needs_unit[] = "a duration needs a unit, e.g. \"120s\"";

static int mul_add(uint64_t *acc, uint64_t mul, uint64_t add)
{
	if (*acc > (UINT64_MAX - add) / mul)
		return -1;
	*acc = *acc * mul + add;
	return 0;
}

int policy_parse_size(const char *s, uint64_t *bytes, const char **why)
{
	const char *q = s, *unit;
	uint64_t whole = 0, frac = 0, frac_den = 1, factor = 1;
	int has_frac = 0, has_space = 0;
	unsigned __int128 total;
	char quoted[QUOTE_BUF];
	size_t i;

	if (!*s) {
		*why = "a size cannot be empty";
		return -1;
	}
	if (*s == '-') {
		*why = "a size cannot be negative";
		return -1;
	}
	if (*q < '0' || *q > '9') {
		*why = "expected a number, e.g. \"512MiB\"";
		return -1;
	}
	for (; *q >= '0' && *q <= '9'; q++) {
		if (mul_add(&whole, 10, (uint64_t)(*q - '0')) < 0) {
			*why = why_too_large;
			return -1;
		}
	}
	if (*q == '.') {
		q++;
		if (*q < '0' || *q > '9') {
			*why = "expected digits after '.'";
			return -1;
		}
		has_frac = 1;
		/* Digits past the 18th cannot change the result by a byte
		 * below 2^64 / 10^18; they are read and ignored. */
		for (; *q >= '0' && *q <= '9'; q++) {
			if (frac_den < 1000000000000000000ull) {
				frac = frac * 10 + (uint64_t)(*q - '0');
				frac_den *= 10;
			}
		}
	}
	if (*q == ' ') {
		q++;
		has_space = 1;
	}
	unit = q;
	if (!*unit) {
		if (has_space) {
			*why = "expected a unit after the space";
			return -1;
		}
		if (has_frac) {
			*why = "a fraction needs a unit, e.g. \"1.5GiB\"";
			return -1;
		}
	} else {
		for (i = 0; i < NELEM(size_units); i++)
			if (strcmp(unit, size_units[i].name) == 0)
				break;
		if (i == NELEM(size_units)) {
			snprintf(why_buf, sizeof(why_buf), "unknown unit '%s' (use " SIZE_UNITS ")",
			         quote(quoted, unit));
			*why = why_buf;
			return -1;
		}
		factor = size_units[i].factor;
	}
	total = (unsigned __int128)whole * factor + (unsigned __int128)frac * factor / frac_den;
	if (total > UINT64_MAX) {
		*why = why_too_large;
		return -1;
	}
	*bytes = (uint64_t)total;
	return 0;
}

int policy_parse_duration(const char *s, uint64_t *ms, const char **why)
{
	const char *q = s;
	uint64_t total = 0;
	size_t last = 0; /* units used so far must come before this index */
	int first = 1;
	char quoted[QUOTE_BUF];

	if (!*s) {
		*why = "a duration cannot be empty";
		return -1;
	}
	if (*s == '-') {
		*why = "a duration cannot be negative";
		return -1;
	}
	while (*q) {
		uint64_t n = 0;
		char unit[8];
		size_t ulen, i;

		if (*q < '0' || *q > '9') {
			*why = first ? "expected a number, e.g. \"120s\""
			             : "expected a number after each unit, e.g. \"1h30m\"";
			return -1;
		}
		for (; *q >= '0' && *q <= '9'; q++) {
			if (mul_add(&n, 10, (uint64_t)(*q - '0')) < 0) {
				*why = why_too_large;
				return -1;
			}
		}
		if (*q == '.') {
			*why = "fractions are not allowed; write \"1h30m\", not \"1.5h\"";
			return -1;
		}
		ulen = strspn(q, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
		if (ulen == 0) {
			*why = why_needs_unit;
			return -1;
		}
		for (i = 0; i < NELEM(duration_units); i++)
			if (strlen(duration_units[i].name) == ulen &&
			    memcmp(q, duration_units[i].name, ulen) == 0)
				break;
		if (i == NELEM(duration_units)) {
			size_t k = ulen < sizeof(unit) - 1 ? ulen : sizeof(unit) - 1;
			memcpy(unit, q, k);
			unit[k] = '\0';
			snprintf(why_buf, sizeof(why_buf),
			         "unknown unit '%s%s' (use " DURATION_UNITS ")",
			         quote(quoted, unit), k < ulen ? "..." : "");
			*why = why_buf;
			return -1;
		}
		if (!first && i < last) {
			*why = "units must go from largest to smallest, each at most once, e.g. "
			       "\"1h30m\"";
			return -1;
		}
		if (n > (UINT64_MAX - total) / duration_units[i].factor) {
			*why = why_too_large;
			return -1;
		}
		total += n * duration_units[i].factor;
		last = i + 1;
		first = 0;
		q += ulen;
	}
	*ms = total;
	return 0;
}

char *policy_format_size(uint64_t bytes, char *buf)
{
	/* The largest unit that divides exactly: binary first, then decimal. */
	static const int order[] = {4, 3, 2, 1, 8, 7, 6, 5};

	for (size_t k = 0; bytes && k < NELEM(order); k++) {
		const struct unit *u = &size_units[order[k]];
		if (bytes % u->factor == 0) {
			snprintf(buf, POLICY_FORMAT_MAX, "%llu%s",
			         (unsigned long long)(bytes / u->factor), u->name);
			return buf;
		}
	}
	snprintf(buf, POLICY_FORMAT_MAX, "%lluB", (unsigned long long)bytes);
	return buf;
}

char *policy_format_duration(uint64_t ms, char *buf)
{
	size_t n = 0;

	if (ms == 0) {
		snprintf(buf, POLICY_FORMAT_MAX, "0ms");
		return buf;
	}
	/* Short whole-second spans read best in seconds: "120s", not "2m". */
	if (ms % 1000 == 0 && ms < DURATION_SECONDS_BELOW) {
		snprintf(buf, POLICY_FORMAT_MAX, "%llus", (unsigned long long)(ms / 1000));
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < NELEM(duration_units); i++) {
		uint64_t q = ms / duration_units[i].factor;
		if (q == 0)
			continue;
		n += (size_t)snprintf(buf + n, POLICY_FORMAT_MAX - n, "%llu%s",
		                      (unsigned long long)q, duration_units[i].name);
		ms -= q * duration_units[i].factor;
	}
	return buf;
}

const char *policy_net_mode_name(enum policy_net_mode m)
{
	return (unsigned)m < NELEM(net_mode_names) - 1 ? net_mode_names[m] : "unknown";
}

const char *policy_decision_name(enum policy_decision d)
{
	if (d == POLICY_DECISION_UNSET)
		return "unset";
	return (unsigned)d <= NELEM(decision_names) - 1 ? decision_names[d - 1] : "unknown";
}

/* ---- shipped profiles ---- */

size_t policy_profile_count(void)
{
	return policy_profiles_count;
}

const char *policy_profile_name(size_t i)
{
	return i < policy_profiles_count ? policy_profiles[i].name : NULL;
}

const char *policy_profile_text(const char *name)
{
	for (size_t i = 0; i < policy_profiles_count; i++)
		if (strcmp(policy_profiles[i].name, name) == 0)
			return policy_profiles[i].text;
	return NULL;
}

/* "unknown profile 'x' — did you mean 'y'?" or the list of names. */
static void describe_unknown_profile(char *buf, size_t size, const char *what, const char *name)
{
	const char *names[64 + 1];
	size_t n = policy_profiles_count < 64 ? policy_profiles_count : 64;
	char quoted[QUOTE_BUF], list[256];
	const char *guess;

	for (size_t i = 0; i < n; i++)
		names[i] = policy_profiles[i].name;
	names[n] = NULL;
	guess = util_suggest(name, names);
	join_names(list, sizeof(list), names, ", ");
	if (guess)
		snprintf(buf, size, "%s '%s' — did you mean '%s'? (shipped profiles: %s)", what,
		         quote(quoted, name), guess, list);
	else
		snprintf(buf, size, "%s '%s' (shipped profiles: %s)", what, quote(quoted, name),
		         list);
}

/* ---- building the struct ---- */

static void strlist_release(struct policy_strlist *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i].value);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static void rule_release(struct policy_rule *r)
{
	free(r->match);
	free(r->hint);
	strlist_release(&r->examples_match);
	strlist_release(&r->examples_not_match);
	strlist_release(&r->network_allow);
}

static void rulelist_release(struct policy_rulelist *l)
{
	for (size_t i = 0; i < l->count; i++)
		rule_release(&l->items[i]);
	free(l->items);
}

/* Make room for one more item in an array of @count items of @size bytes.
 * Capacity is implied: it doubles whenever @count reaches a power of two. */
static int grow(void **items, size_t count, size_t size)
{
	void *n;

	if (count != 0 && (count & (count - 1)) != 0)
		return 0;
	n = realloc(*items, (count ? count * 2 : 4) * size);
	if (!n)
		return -1;
	*items = n;
	return 0;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	strlist_release(&p->filesystem.read);
	strlist_release(&p->filesystem.write);
	strlist_release(&p->filesystem.hide);
	strlist_release(&p->filesystem.protect);
	strlist_release(&p->network.allow);
	strlist_release(&p->env.pass);
	for (size_t i = 0; i < p->env.nset; i++) {
		free(p->env.set[i].name);
		free(p->env.set[i].value);
	}
	free(p->env.set);
	rulelist_release(&p->rules.allow);
	rulelist_release(&p->rules.ask);
	rulelist_release(&p->rules.deny);
	strlist_release(&p->tools.paths);
	strlist_release(&p->tools.enable);
	strlist_release(&p->tools.disable);
	strlist_release(&p->tools.corral);
	strlist_release(&p->checkpoint.exclude);
	free(p->audit.path.value);
	strlist_release(&p->audit.redact);
	free(p);
}

static struct policy *policy_new(void)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->network.mode = POLICY_NET_NONE;
	p->limits.timeout_ms = POLICY_DEFAULT_TIMEOUT_MS;
	p->limits.memory = POLICY_DEFAULT_MEMORY;
	p->limits.output = POLICY_DEFAULT_OUTPUT;
	p->limits.file_size = POLICY_DEFAULT_FILE_SIZE;
	p->limits.tmp_size = POLICY_DEFAULT_TMP_SIZE;
	p->limits.processes = POLICY_DEFAULT_PROCESSES;
	p->limits.open_files = POLICY_DEFAULT_OPEN_FILES;
	p->limits.calls = POLICY_DEFAULT_CALLS;
	p->rules.default_decision = POLICY_DECISION_ASK;
	p->checkpoint.max_file_size = POLICY_DEFAULT_CKPT_MAX_FILE;
	p->checkpoint.keep = POLICY_DEFAULT_CKPT_KEEP;
	p->checkpoint.max_age_ms = POLICY_DEFAULT_CKPT_MAX_AGE_MS;
	return p;
}

/* ---- errors ---- */

static int fail_at(struct file *f, const cJSON *node, int at_key, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail_at(struct file *f, const cJSON *node, int at_key, int code, const char *fmt, ...)
{
	const struct jsonc_pos *pos = jsonc_pos(&f->doc, node);
	char msg[CORRAL_ERROR_MESSAGE_MAX];
	int line = 0, col = 0;
	va_list ap;

	if (pos) {
		line = at_key && pos->key_line ? pos->key_line : pos->line;
		col = at_key && pos->key_line ? pos->key_col : pos->col;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return corral_error_set(f->ld->err, code, 0, "%s:%d:%d: %s", f->display, line, col, msg);
}

#define bad(f, node, ...)     fail_at((f), (node), 0, CORRAL_E_POLICY, __VA_ARGS__)
#define bad_key(f, node, ...) fail_at((f), (node), 1, CORRAL_E_POLICY, __VA_ARGS__)

static int fail_nomem(struct file *f)
{
	return corral_error_set(f->ld->err, CORRAL_E_NOMEM, ENOMEM, "%s: out of memory",
	                        f->display);
}

static int bad_type(struct file *f, const cJSON *v, const char *path, const char *want)
{
	return bad(f, v, "%s: expected %s, got %s", path, want, jsonc_type_name(v));
}

static int check_keys(struct file *f, const cJSON *obj, const char *where, const char *const *known)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, obj)
	{
		char quoted[QUOTE_BUF], list[256];
		const char *guess;

		if (find_name(c->string, known) >= 0)
			continue;
		quote(quoted, c->string);
		guess = util_suggest(c->string, known);
		if (guess)
			return bad_key(f, c, "unknown key '%s' in %s — did you mean '%s'?", quoted,
			               where, guess);
		return bad_key(f, c, "unknown key '%s' in %s (expected %s)", quoted, where,
		               join_names(list, sizeof(list), known, " or "));
	}
	return 0;
}

static int want_object(struct file *f, const cJSON *v, const char *path, const char *const *keys)
{
	if (!cJSON_IsObject(v))
		return bad_type(f, v, path, "an object");
	return check_keys(f, v, path, keys);
}

static struct policy_loc loc_of(struct file *f, const cJSON *v)
{
	const struct jsonc_pos *pos = jsonc_pos(&f->doc, v);
	struct policy_loc loc = {f->loc_file, pos ? pos->line : 0, pos ? pos->col : 0};

	return loc;
}

/* The text of a number value as written ("1.5", "-3", "1e9"). */
static void number_text(struct file *f, const cJSON *v, char *buf, size_t size)
{
	const struct jsonc_pos *pos = jsonc_pos(&f->doc, v);
	size_t n = pos ? pos->length : 0;

	if (n >= size)
		n = size - 1;
	if (pos)
		memcpy(buf, f->text + pos->offset, n);
	buf[n] = '\0';
}

/* Format a key path ("rules.allow[3].match") for messages. A path longer
 * than the buffer is cut short on purpose: it only labels an error. */
static void key_path(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void key_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* ---- typed values ---- */

static int get_enum(struct file *f, const cJSON *v, const char *path, const char *what,
                    const char *const *names, int *out)
{
	char quoted[QUOTE_BUF], list[128];
	const char *guess;
	int i;

	if (!cJSON_IsString(v))
		return bad_type(f, v, path, "a string");
	i = find_name(v->valuestring, names);
	if (i >= 0) {
		*out = i;
		return 0;
	}
	quote(quoted, v->valuestring);
	guess = util_suggest(v->valuestring, names);
	if (guess)
		return bad(f, v, "%s: unknown %s '%s' — did you mean '%s'?", path, what, quoted,
		           guess);
	return bad(f, v, "%s: unknown %s '%s' (expected %s)", path, what, quoted,
	           join_names(list, sizeof(list), names, " or "));
}

static int get_count(struct file *f, const cJSON *v, const char *path, uint64_t min, uint64_t max,
                     uint32_t *out)
{
	char raw[JSONC_NUMBER_MAX + 1];
	uint64_t n = 0;
	size_t i;

	if (!cJSON_IsNumber(v))
		return bad(f, v, "%s: expected a whole number from %llu to %llu, got %s", path,
		           (unsigned long long)min, (unsigned long long)max, jsonc_type_name(v));
	number_text(f, v, raw, sizeof(raw));
	for (i = 0; raw[i] >= '0' && raw[i] <= '9'; i++)
		if (mul_add(&n, 10, (uint64_t)(raw[i] - '0')) < 0)
			n = UINT64_MAX;
	if (i == 0 || raw[i] || n < min || n > max)
		return bad(f, v, "%s: expected a whole number from %llu to %llu, got %s", path,
		           (unsigned long long)min, (unsigned long long)max, raw);
	*out = (uint32_t)n;
	return 0;
}

static int get_size(struct file *f, const cJSON *v, const char *path, uint64_t min, uint64_t *out)
{
	char raw[JSONC_NUMBER_MAX + 1], quoted[QUOTE_BUF], buf[POLICY_FORMAT_MAX];
	const char *shown, *why = NULL;
	uint64_t bytes = 0;

	if (cJSON_IsString(v)) {
		shown = quote(quoted, v->valuestring);
		if (policy_parse_size(v->valuestring, &bytes, &why) < 0)
			return bad(f, v, "%s: bad size '%s': %s", path, shown, why);
	} else if (cJSON_IsNumber(v)) {
		number_text(f, v, raw, sizeof(raw));
		shown = raw;
		if (strspn(raw, "0123456789") == strlen(raw)) {
			if (policy_parse_size(raw, &bytes, &why) < 0)
				return bad(f, v, "%s: bad size '%s': %s", path, raw, why);
		} else if (v->valuedouble < 0) {
			return bad(f, v, "%s: bad size '%s': a size cannot be negative", path, raw);
		} else if (v->valuedouble >= POLICY_EXACT_DOUBLE_MAX ||
		           v->valuedouble != (double)(uint64_t)v->valuedouble) {
			return bad(
			    f, v,
			    "%s: bad size '%s': write a whole number of bytes or a size with "
			    "a unit, e.g. \"1.5GiB\"",
			    path, raw);
		} else {
			bytes = (uint64_t)v->valuedouble;
		}
	} else {
		return bad_type(f, v, path, "a size such as \"1GiB\"");
	}
	if (bytes < min)
		return bad(f, v, "%s: must be at least %s, got '%s'", path,
		           policy_format_size(min, buf), shown);
	*out = bytes;
	return 0;
}

static int get_duration(struct file *f, const cJSON *v, const char *path, uint64_t *out)
{
	char quoted[QUOTE_BUF];
	const char *why = NULL;
	uint64_t ms = 0;

	if (cJSON_IsNumber(v))
		return bad(f, v, "%s: %s", path, why_needs_unit);
	if (!cJSON_IsString(v))
		return bad_type(f, v, path, "a duration such as \"120s\"");
	quote(quoted, v->valuestring);
	if (policy_parse_duration(v->valuestring, &ms, &why) < 0)
		return bad(f, v, "%s: bad duration '%s': %s", path, quoted, why);
	if (ms == 0)
		return bad(f, v, "%s: must be at least 1ms, got '%s'", path, quoted);
	*out = ms;
	return 0;
}

/* ---- lists ---- */

typedef int (*item_check_fn)(struct file *f, const cJSON *item, const char *path);

static int check_path(struct file *f, const cJSON *item, const char *path)
{
	const char *s = item->valuestring;
	char quoted[QUOTE_BUF];

	if (!*s)
		return bad(f, item, "%s: a path cannot be empty", path);
	if (s[0] == '~' && s[1] && s[1] != '/')
		return bad(f, item,
		           "%s: bad path '%s': only '~' and '~/...' (your home directory) are "
		           "supported",
		           path, quote(quoted, s));
	return 0;
}

static int check_nonempty(struct file *f, const cJSON *item, const char *path)
{
	if (!*item->valuestring)
		return bad(f, item, "%s: an entry cannot be empty", path);
	return 0;
}

static int check_env_name(struct file *f, const cJSON *item, const char *path)
{
	char quoted[QUOTE_BUF];

	if (!is_env_name(item->valuestring))
		return bad(f, item, "%s: bad variable name '%s' (expected [A-Za-z_][A-Za-z0-9_]*)",
		           path, quote(quoted, item->valuestring));
	return 0;
}

static int check_host(struct file *f, const cJSON *item, const char *path)
{
	const char *s = item->valuestring, *q = s;
	char quoted[QUOTE_BUF];
	size_t n;
	int ok;

	if (strncmp(q, "*.", 2) == 0)
		q += 2;
	n = strspn(q, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
	ok = n > 0 && n <= POLICY_HOST_MAX && q[0] != '.' && q[0] != '-';
	q += n;
	if (ok && *q == ':') {
		unsigned long port = 0;
		size_t digits = strspn(q + 1, "0123456789");
		for (size_t i = 1; i <= digits && i <= 5; i++)
			port = port * 10 + (unsigned long)(q[i] - '0');
		ok = digits >= 1 && digits <= 5 && port >= 1 && port <= 65535;
		q += 1 + digits;
	}
	if (!ok || *q)
		return bad(f, item,
		           "%s: bad host '%s': expected a host name such as \"example.com\", "
		           "\"*.example.com\" or \"example.com:443\"",
		           path, quote(quoted, s));
	return 0;
}

/* Why the rule (or example call) @m is malformed, or NULL. */
static const char *rule_shape_why(const char *m)
{
	size_t n = tool_name_len(m), depth = 0;

	if (!*m)
		return "it is empty";
	if (n == 0 || n > POLICY_TOOL_NAME_MAX || (m[n] && m[n] != '('))
		return "expected a tool name (letters, digits, '_' and '-', at most 64) optionally "
		       "followed by '(pattern)'";
	if (!m[n])
		return NULL;
	if (m[n + 1] == ')')
		return "empty '()'; write the tool name alone to match every call";
	for (size_t i = n; m[i]; i++) {
		if (m[i] == '(') {
			depth++;
		} else if (m[i] == ')') {
			depth--;
			if (depth == 0 && m[i + 1])
				return "text after the closing ')'";
		}
	}
	return depth ? "unbalanced parentheses" : NULL;
}

static int check_example(struct file *f, const cJSON *item, const char *path)
{
	char quoted[QUOTE_BUF];
	const char *why = rule_shape_why(item->valuestring);

	if (why)
		return bad(f, item, "%s: bad example '%s': %s", path,
		           quote(quoted, item->valuestring), why);
	return 0;
}

static int strlist_push(struct policy_strlist *l, const char *value, struct policy_loc loc)
{
	char *copy = dup_str(value);

	if (!copy || grow((void **)&l->items, l->count, sizeof(*l->items)) < 0) {
		free(copy);
		return -1;
	}
	l->items[l->count].value = copy;
	l->items[l->count].loc = loc;
	l->count++;
	return 0;
}

static int check_list_size(struct file *f, const cJSON *arr, const char *path, size_t have)
{
	if (!cJSON_IsArray(arr))
		return bad_type(f, arr, path, "an array");
	if (have + (size_t)cJSON_GetArraySize(arr) > POLICY_LIST_MAX)
		return bad(f, arr, "%s: more than %u entries", path, POLICY_LIST_MAX);
	return 0;
}

/* Append the strings of the array @arr to @l, each checked by @check. */
static int apply_strlist(struct file *f, const cJSON *arr, const char *path,
                         struct policy_strlist *l, item_check_fn check)
{
	const cJSON *item;
	size_t i = 0;
	int rc;

	rc = check_list_size(f, arr, path, l->count);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(item, arr)
	{
		char ipath[POLICY_PATH_MAX];

		key_path(ipath, sizeof(ipath), "%s[%zu]", path, i++);
		if (!cJSON_IsString(item))
			return bad_type(f, item, ipath, "a string");
		rc = check(f, item, ipath);
		if (rc < 0)
			return rc;
		if (strlist_push(l, item->valuestring, loc_of(f, item)) < 0)
			return fail_nomem(f);
	}
	return 0;
}

/* ---- sections ---- */

static int apply_filesystem(struct file *f, const cJSON *v)
{
	struct policy *p = f->ld->p;
	struct policy_strlist *lists[] = {&p->filesystem.read, &p->filesystem.write,
	                                  &p->filesystem.hide, &p->filesystem.protect};
	const cJSON *c;
	int rc;

	rc = want_object(f, v, "filesystem", filesystem_keys);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, v)
	{
		char path[POLICY_PATH_MAX];
		int k = find_name(c->string, filesystem_keys);

		key_path(path, sizeof(path), "filesystem.%s", c->string);
		rc = apply_strlist(f, c, path, lists[k], check_path);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A "network" object, at the top level or in a rule (where "mode" is
 * required, since there is nothing to inherit it from). */
static int apply_network(struct file *f, const cJSON *v, const char *path, int mode_required,
                         enum policy_net_mode *mode, struct policy_strlist *allow,
                         bool *unix_sockets)
{
	const cJSON *c;
	int rc;

	rc = want_object(f, v, path, network_keys);
	if (rc < 0)
		return rc;
	if (mode_required && !cJSON_GetObjectItemCaseSensitive(v, "mode"))
		return bad(f, v, "%s: missing required key 'mode'", path);
	cJSON_ArrayForEach(c, v)
	{
		char cpath[POLICY_PATH_MAX];

		key_path(cpath, sizeof(cpath), "%s.%s", path, c->string);
		if (strcmp(c->string, "mode") == 0) {
			int m;
			rc = get_enum(f, c, cpath, "mode", net_mode_names, &m);
			if (rc == 0)
				*mode = (enum policy_net_mode)m;
		} else if (strcmp(c->string, "unix_sockets") == 0) {
			if (!unix_sockets)
				rc =
				    bad(f, c, "%s: only the top-level network may set unix_sockets",
				        cpath);
			else if (!cJSON_IsBool(c))
				rc = bad_type(f, c, cpath, "true or false");
			else
				*unix_sockets = cJSON_IsTrue(c);
		} else {
			rc = apply_strlist(f, c, cpath, allow, check_host);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int apply_limits(struct file *f, const cJSON *v)
{
	struct policy_limits *l = &f->ld->p->limits;
	const cJSON *c;
	int rc;

	rc = want_object(f, v, "limits", limits_keys);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, v)
	{
		char path[POLICY_PATH_MAX];
		const char *k = c->string;

		key_path(path, sizeof(path), "limits.%s", k);
		if (strcmp(k, "timeout") == 0)
			rc = get_duration(f, c, path, &l->timeout_ms);
		else if (strcmp(k, "memory") == 0)
			rc = get_size(f, c, path, POLICY_MEMORY_MIN, &l->memory);
		else if (strcmp(k, "output") == 0)
			rc = get_size(f, c, path, 1, &l->output);
		else if (strcmp(k, "file_size") == 0)
			rc = get_size(f, c, path, 1, &l->file_size);
		else if (strcmp(k, "tmp") == 0)
			rc = get_size(f, c, path, 1, &l->tmp_size);
		else if (strcmp(k, "processes") == 0)
			rc = get_count(f, c, path, 1, POLICY_PROCESSES_MAX, &l->processes);
		else if (strcmp(k, "calls") == 0)
			rc = get_count(f, c, path, 1, POLICY_CALLS_MAX, &l->calls);
		else
			rc = get_count(f, c, path, POLICY_OPEN_FILES_MIN, POLICY_OPEN_FILES_MAX,
			               &l->open_files);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int env_set(struct file *f, const cJSON *c)
{
	struct policy *p = f->ld->p;
	struct policy_env_var *var = NULL;
	char *value;

	for (size_t i = 0; i < p->env.nset && !var; i++)
		if (strcmp(p->env.set[i].name, c->string) == 0)
			var = &p->env.set[i];
	value = dup_str(c->valuestring);
	if (!value)
		return fail_nomem(f);
	if (!var) {
		char *name = dup_str(c->string);
		if (!name || grow((void **)&p->env.set, p->env.nset, sizeof(*p->env.set)) < 0) {
			free(name);
			free(value);
			return fail_nomem(f);
		}
		var = &p->env.set[p->env.nset++];
		var->name = name;
		var->value = NULL;
	}
	free(var->value);
	var->value = value;
	var->loc = loc_of(f, c);
	return 0;
}

static int apply_env(struct file *f, const cJSON *v)
{
	struct policy *p = f->ld->p;
	const cJSON *c, *s;
	int rc;

	rc = want_object(f, v, "env", env_keys);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, v)
	{
		if (strcmp(c->string, "pass") == 0) {
			rc = apply_strlist(f, c, "env.pass", &p->env.pass, check_env_name);
			if (rc < 0)
				return rc;
			continue;
		}
		if (!cJSON_IsObject(c))
			return bad_type(f, c, "env.set", "an object");
		if (p->env.nset + (size_t)cJSON_GetArraySize(c) > POLICY_LIST_MAX)
			return bad(f, c, "env.set: more than %u entries", POLICY_LIST_MAX);
		cJSON_ArrayForEach(s, c)
		{
			char quoted[QUOTE_BUF], path[POLICY_PATH_MAX];

			if (!is_env_name(s->string))
				return bad_key(f, s,
				               "env.set: bad variable name '%s' (expected "
				               "[A-Za-z_][A-Za-z0-9_]*)",
				               quote(quoted, s->string));
			key_path(path, sizeof(path), "env.set.%s", s->string);
			if (!cJSON_IsString(s))
				return bad_type(f, s, path, "a string");
			rc = env_set(f, s);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int get_rule_match(struct file *f, const cJSON *v, const char *path, char **out)
{
	char quoted[QUOTE_BUF];
	const char *why;

	if (!cJSON_IsString(v))
		return bad_type(f, v, path, "a string");
	why = rule_shape_why(v->valuestring);
	if (why)
		return bad(f, v, "%s: bad rule '%s': %s", path, quote(quoted, v->valuestring), why);
	*out = dup_str(v->valuestring);
	return *out ? 0 : fail_nomem(f);
}

static int apply_examples(struct file *f, const cJSON *v, const char *path, struct policy_rule *r)
{
	const cJSON *c;
	int rc;

	rc = want_object(f, v, path, examples_keys);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, v)
	{
		char cpath[POLICY_PATH_MAX];
		int match = strcmp(c->string, "match") == 0;

		key_path(cpath, sizeof(cpath), "%s.%s", path, c->string);
		rc = apply_strlist(f, c, cpath, match ? &r->examples_match : &r->examples_not_match,
		                   check_example);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_rule_object(struct file *f, const cJSON *v, const char *path,
                             enum policy_decision list, struct policy_rule *r)
{
	const cJSON *c;
	int rc;

	rc = check_keys(f, v, path, rule_keys);
	if (rc < 0)
		return rc;
	if (!cJSON_GetObjectItemCaseSensitive(v, "match"))
		return bad(f, v, "%s: missing required key 'match'", path);
	cJSON_ArrayForEach(c, v)
	{
		char cpath[POLICY_PATH_MAX];
		const char *k = c->string;

		key_path(cpath, sizeof(cpath), "%s.%s", path, k);
		if (strcmp(k, "match") == 0) {
			rc = get_rule_match(f, c, cpath, &r->match);
		} else if (strcmp(k, "decision") == 0) {
			int d;
			rc = get_enum(f, c, cpath, "decision", decision_names, &d);
			if (rc == 0 && (enum policy_decision)(d + 1) != list)
				rc = bad(
				    f, c,
				    "%s: a '%s' rule cannot sit in rules.%s; move it to rules.%s",
				    cpath, decision_names[d], policy_decision_name(list),
				    decision_names[d]);
		} else if (strcmp(k, "hint") == 0) {
			if (!cJSON_IsString(c))
				return bad_type(f, c, cpath, "a string");
			free(r->hint);
			r->hint = dup_str(c->valuestring);
			rc = r->hint ? 0 : fail_nomem(f);
		} else if (strcmp(k, "timeout") == 0) {
			rc = get_duration(f, c, cpath, &r->timeout_ms);
			r->has_timeout = rc == 0;
		} else if (strcmp(k, "network") == 0) {
			rc = apply_network(f, c, cpath, 1, &r->network_mode, &r->network_allow,
			                   NULL);
			r->has_network = rc == 0;
		} else {
			rc = apply_examples(f, c, cpath, r);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int apply_rules_list(struct file *f, const cJSON *arr, const char *path,
                            enum policy_decision decision, struct policy_rulelist *l)
{
	const cJSON *item;
	size_t i = 0;
	int rc;

	rc = check_list_size(f, arr, path, l->count);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(item, arr)
	{
		char ipath[POLICY_PATH_MAX];
		struct policy_rule r;

		memset(&r, 0, sizeof(r));
		r.decision = decision;
		r.loc = loc_of(f, item);
		key_path(ipath, sizeof(ipath), "%s[%zu]", path, i++);
		if (cJSON_IsString(item))
			rc = get_rule_match(f, item, ipath, &r.match);
		else if (cJSON_IsObject(item))
			rc = parse_rule_object(f, item, ipath, decision, &r);
		else
			rc = bad_type(f, item, ipath, "a string or an object");
		if (rc == 0 && grow((void **)&l->items, l->count, sizeof(*l->items)) < 0)
			rc = fail_nomem(f);
		if (rc < 0) {
			rule_release(&r);
			return rc;
		}
		l->items[l->count++] = r;
	}
	return 0;
}

static int apply_rules(struct file *f, const cJSON *v)
{
	struct policy *p = f->ld->p;
	const cJSON *c;
	int rc;

	rc = want_object(f, v, "rules", rules_keys);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, v)
	{
		const char *k = c->string;

		if (strcmp(k, "default") == 0) {
			int d;
			rc = get_enum(f, c, "rules.default", "decision", decision_names, &d);
			if (rc == 0)
				p->rules.default_decision = (enum policy_decision)(d + 1);
		} else if (strcmp(k, "allow") == 0) {
			rc = apply_rules_list(f, c, "rules.allow", POLICY_DECISION_ALLOW,
			                      &p->rules.allow);
		} else if (strcmp(k, "ask") == 0) {
			rc =
			    apply_rules_list(f, c, "rules.ask", POLICY_DECISION_ASK, &p->rules.ask);
		} else {
			rc = apply_rules_list(f, c, "rules.deny", POLICY_DECISION_DENY,
			                      &p->rules.deny);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int apply_checkpoint(struct file *f, const cJSON *v)
{
	struct policy *p = f->ld->p;
	const cJSON *c;
	int rc;

	rc = want_object(f, v, "checkpoint", checkpoint_keys);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, v)
	{
		const char *k = c->string;

		if (strcmp(k, "max_file_size") == 0)
			rc = get_size(f, c, "checkpoint.max_file_size", 1,
			              &p->checkpoint.max_file_size);
		else if (strcmp(k, "exclude") == 0)
			rc = apply_strlist(f, c, "checkpoint.exclude", &p->checkpoint.exclude,
			                   check_nonempty);
		else if (strcmp(k, "keep") == 0)
			rc = get_count(f, c, "checkpoint.keep", 1, POLICY_KEEP_MAX,
			               &p->checkpoint.keep);
		else
			rc = get_duration(f, c, "checkpoint.max_age", &p->checkpoint.max_age_ms);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A redaction pattern is a POSIX extended regular expression; one that does
 * not compile is refused here rather than silently redacting nothing. */
static int check_regex(struct file *f, const cJSON *item, const char *path)
{
	char quoted[QUOTE_BUF], why[128];
	regex_t re;
	int rc;

	if (!*item->valuestring)
		return bad(f, item, "%s: an entry cannot be empty", path);
	rc = regcomp(&re, item->valuestring, REG_EXTENDED);
	if (rc != 0) {
		regerror(rc, &re, why, sizeof(why));
		quote(quoted, item->valuestring);
		return bad(f, item, "%s: '%s' is not a valid regular expression: %s", path, quoted,
		           why);
	}
	regfree(&re);
	return 0;
}

static int apply_audit(struct file *f, const cJSON *v)
{
	struct policy *p = f->ld->p;
	const cJSON *c;
	int rc;

	rc = want_object(f, v, "audit", audit_keys);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, v)
	{
		if (strcmp(c->string, "redact") == 0) {
			rc = apply_strlist(f, c, "audit.redact", &p->audit.redact, check_regex);
		} else if (!cJSON_IsString(c)) {
			rc = bad_type(f, c, "audit.path", "a string");
		} else if (c->valuestring[0] != '/' &&
		           !(c->valuestring[0] == '~' && c->valuestring[1] == '/')) {
			/* A relative path would land in the workspace, where the
			 * agent's own calls could rewrite the record of them. */
			rc = bad(f, c,
			         "audit.path: must be absolute or start with ~/ (the log must "
			         "live outside the workspace)");
		} else {
			char *dup = dup_str(c->valuestring);
			if (!dup)
				return fail_nomem(f);
			free(p->audit.path.value);
			p->audit.path.value = dup;
			p->audit.path.loc = loc_of(f, c);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_tool_name(struct file *f, const cJSON *item, const char *path)
{
	const char *s = item->valuestring;
	size_t n = tool_name_len(s);
	char quoted[QUOTE_BUF];

	if (n == 0 || n > POLICY_TOOL_NAME_MAX || s[n])
		return bad(f, item,
		           "%s: bad tool name '%s' (letters, digits, '_' and '-', at most 64)",
		           path, quote(quoted, s));
	return 0;
}

/* One of policy_corral_tools: a typo must not pass as a tool left off. */
static int check_corral_tool(struct file *f, const cJSON *item, const char *path)
{
	char quoted[QUOTE_BUF];

	if (find_name(item->valuestring, policy_corral_tools) >= 0)
		return 0;
	return bad(f, item,
	           "%s: unknown corral tool '%s' (known: checkpoint_list, checkpoint_diff)", path,
	           quote(quoted, item->valuestring));
}

static int apply_tools(struct file *f, const cJSON *v)
{
	struct policy *p = f->ld->p;
	const cJSON *c;
	int rc;

	rc = want_object(f, v, "tools", tools_keys);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, v)
	{
		const char *k = c->string;

		if (strcmp(k, "paths") == 0)
			rc = apply_strlist(f, c, "tools.paths", &p->tools.paths, check_path);
		else if (strcmp(k, "enable") == 0)
			rc = apply_strlist(f, c, "tools.enable", &p->tools.enable, check_tool_name);
		else if (strcmp(k, "corral") == 0)
			rc = apply_strlist(f, c, "tools.corral", &p->tools.corral,
			                   check_corral_tool);
		else
			rc = apply_strlist(f, c, "tools.disable", &p->tools.disable,
			                   check_tool_name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- files and the extends chain ---- */

static int load_text(struct load *ld, const char *display, const char *id, const char *dir,
                     const char *text, size_t len);

static int add_file(struct load *ld, const char *id, const char **stored)
{
	struct policy *p = ld->p;
	char *copy = dup_str(id);

	if (!copy || grow((void **)&p->files, p->nfiles, sizeof(*p->files)) < 0) {
		free(copy);
		return corral_error_set(ld->err, CORRAL_E_NOMEM, ENOMEM, "%s: out of memory", id);
	}
	p->files[p->nfiles++] = copy;
	*stored = copy;
	return 0;
}

/* The name messages use for a base: @s resolved against the directory of
 * @parent as the user sees it ("dir/a.json" + "./b.json" = "dir/b.json"). */
static char *display_of(const char *parent, const char *s)
{
	char *dir, *d;

	while (s[0] == '.' && s[1] == '/')
		s += 2;
	if (s[0] == '/')
		return dup_str(s);
	dir = dir_of(parent);
	if (!dir)
		return NULL;
	d = strcmp(dir, ".") == 0 ? dup_str(s) : join_path(dir, s);
	free(dir);
	return d;
}

/* Cycle and length checks for the base @id about to be loaded. The message
 * shows the cycle itself: "a.json -> b.json -> a.json". */
static int check_chain(struct file *f, const cJSON *v, const char *id)
{
	struct load *ld = f->ld;
	char msg[CORRAL_ERROR_MESSAGE_MAX];
	size_t n = 0;

	for (size_t i = 0; i < ld->depth; i++) {
		if (strcmp(ld->chain_id[i], id) != 0)
			continue;
		for (size_t j = i; j < ld->depth && n < sizeof(msg); j++)
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s -> ",
			                      ld->chain_display[j]);
		if (n < sizeof(msg))
			snprintf(msg + n, sizeof(msg) - n, "%s", ld->chain_display[i]);
		return bad(f, v, "extends cycle: %s", msg);
	}
	if (ld->depth >= POLICY_EXTENDS_MAX)
		return bad(f, v, "extends chain longer than %d files", POLICY_EXTENDS_MAX);
	return 0;
}

static int load_extends(struct file *f, const cJSON *v)
{
	struct load *ld = f->ld;
	char quoted[QUOTE_BUF], msg[CORRAL_ERROR_MESSAGE_MAX];
	char *path = NULL, *real = NULL, *display = NULL, *dir = NULL, *text = NULL;
	struct corral_error rerr;
	const char *s;
	size_t len = 0;
	int rc;

	if (!cJSON_IsString(v))
		return bad_type(f, v, "extends", "a string");
	s = v->valuestring;
	quote(quoted, s);
	if (!*s)
		return bad(f, v, "extends: expected a profile name or a path, got ''");
	if (is_profile_name(s)) {
		char id[QUOTE_BUF + 16];
		const char *ptext = policy_profile_text(s);
		if (!ptext) {
			describe_unknown_profile(msg, sizeof(msg), "unknown profile", s);
			return bad(f, v, "extends: %s", msg);
		}
		snprintf(id, sizeof(id), "<profile:%s>", s);
		rc = check_chain(f, v, id);
		if (rc < 0)
			return rc;
		return load_text(ld, id, id, NULL, ptext, strlen(ptext));
	}
	if (!f->dir)
		return bad(f, v,
		           "extends: a shipped profile can only extend another profile, not '%s'",
		           quoted);
	if (ld->flags & POLICY_LOAD_PROFILES_ONLY)
		return bad(f, v, "extends: only shipped profiles can be extended here, not '%s'",
		           quoted);

	path = join_path(f->dir, s);
	display = display_of(f->display, s);
	if (!path || !display) {
		rc = fail_nomem(f);
		goto out;
	}
	real = realpath(path, NULL);
	if (!real) {
		rc = fail_at(f, v, 0, errno == ENOENT ? CORRAL_E_NOTFOUND : CORRAL_E_IO,
		             "extends: cannot open '%s': %s", quoted, strerror(errno));
		goto out;
	}
	rc = check_chain(f, v, real);
	if (rc < 0)
		goto out;
	rc = util_read_file(real, POLICY_FILE_MAX, &text, &len, &rerr);
	if (rc < 0) {
		if (rerr.code == CORRAL_E_TOOLARGE)
			rc = fail_at(f, v, 0, CORRAL_E_TOOLARGE,
			             "extends: '%s' is larger than %u bytes", quoted,
			             POLICY_FILE_MAX);
		else
			rc = fail_at(f, v, 0, rerr.code, "extends: cannot open '%s': %s", quoted,
			             strerror(rerr.sys_errno ? rerr.sys_errno : EIO));
		goto out;
	}
	dir = dir_of(real);
	if (!dir) {
		rc = fail_nomem(f);
		goto out;
	}
	rc = load_text(ld, display, real, dir, text, len);
out:
	free(text);
	free(dir);
	free(real);
	free(display);
	free(path);
	return rc;
}

/* Load one file of the chain: its base first, then its own sections. */
static int load_text(struct load *ld, const char *display, const char *id, const char *dir,
                     const char *text, size_t len)
{
	struct file f;
	const cJSON *root, *c;
	int rc;

	memset(&f, 0, sizeof(f));
	f.ld = ld;
	f.display = display;
	f.dir = dir;
	f.text = text;
	rc = add_file(ld, id, &f.loc_file);
	if (rc < 0)
		return rc;
	ld->chain_id[ld->depth] = f.loc_file;
	ld->chain_display[ld->depth] = display;
	ld->depth++;

	rc = jsonc_parse(display, text, len, POLICY_DEPTH_MAX, &f.doc, ld->err);
	if (rc < 0)
		goto out;
	root = f.doc.root;
	if (!cJSON_IsObject(root)) {
		rc = bad(&f, root, "a policy must be a JSON object, got %s", jsonc_type_name(root));
		goto out;
	}
	rc = check_keys(&f, root, "the top level", top_keys);
	if (rc < 0)
		goto out;
	c = cJSON_GetObjectItemCaseSensitive(root, "extends");
	if (c) {
		rc = load_extends(&f, c);
		if (rc < 0)
			goto out;
	}
	cJSON_ArrayForEach(c, root)
	{
		const char *k = c->string;

		if (strcmp(k, "extends") == 0)
			continue;
		if (strcmp(k, "description") == 0 || strcmp(k, "$schema") == 0)
			rc = cJSON_IsString(c) ? 0 : bad_type(&f, c, k, "a string");
		else if (strcmp(k, "filesystem") == 0)
			rc = apply_filesystem(&f, c);
		else if (strcmp(k, "network") == 0)
			rc = apply_network(&f, c, "network", 0, &ld->p->network.mode,
			                   &ld->p->network.allow, &ld->p->network.unix_sockets);
		else if (strcmp(k, "limits") == 0)
			rc = apply_limits(&f, c);
		else if (strcmp(k, "env") == 0)
			rc = apply_env(&f, c);
		else if (strcmp(k, "rules") == 0)
			rc = apply_rules(&f, c);
		else if (strcmp(k, "tools") == 0)
			rc = apply_tools(&f, c);
		else if (strcmp(k, "audit") == 0)
			rc = apply_audit(&f, c);
		else
			rc = apply_checkpoint(&f, c);
		if (rc < 0)
			goto out;
	}
out:
	ld->depth--;
	jsonc_release(&f.doc);
	return rc;
}

/* Load the chain that starts at @text into a new policy. */
static int load_root(const char *display, const char *id, const char *dir, const char *text,
                     size_t len, unsigned flags, struct policy **out, struct corral_error *err)
{
	struct load ld;
	int rc;

	memset(&ld, 0, sizeof(ld));
	ld.flags = flags;
	ld.err = err;
	ld.p = policy_new();
	if (!ld.p)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "%s: out of memory", display);
	rc = load_text(&ld, display, id, dir, text, len);
	/* Every rule's pattern and examples, once the whole chain is merged.
	 * Its messages name a rule's file as policy->files does; the named
	 * file is shown as the caller named it, like every other error. */
	if (rc == 0) {
		rc = rules_validate(ld.p, err);
		if (rc < 0 && err && strcmp(id, display) != 0 &&
		    strncmp(err->message, id, strlen(id)) == 0 && err->message[strlen(id)] == ':') {
			char rest[CORRAL_ERROR_MESSAGE_MAX];
			snprintf(rest, sizeof(rest), "%s", err->message + strlen(id));
			snprintf(err->message, sizeof(err->message), "%s%s", display, rest);
		}
	}
	if (rc < 0) {
		policy_free(ld.p);
		return rc;
	}
	*out = ld.p;
	return 0;
}

int policy_load_buffer_flags(const char *filename, const char *text, size_t len, unsigned flags,
                             struct policy **out, struct corral_error *err)
{
	char *real, *dir;
	int rc;

	if (len > POLICY_FILE_MAX)
		return corral_error_set(err, CORRAL_E_TOOLARGE, EFBIG,
		                        "%s: file is larger than %u bytes", filename,
		                        POLICY_FILE_MAX);
	real = flags & POLICY_LOAD_PROFILES_ONLY ? NULL : realpath(filename, NULL);
	dir = dir_of(real ? real : filename);
	if (!dir) {
		free(real);
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "%s: out of memory", filename);
	}
	rc = load_root(filename, real ? real : filename, dir, text, len, flags, out, err);
	free(dir);
	free(real);
	return rc;
}

int policy_load_buffer(const char *filename, const char *text, size_t len, struct policy **out,
                       struct corral_error *err)
{
	return policy_load_buffer_flags(filename, text, len, 0, out, err);
}

int policy_load(const char *name_or_path, struct policy **out, struct corral_error *err)
{
	char msg[CORRAL_ERROR_MESSAGE_MAX];
	char *text = NULL, *real = NULL, *dir = NULL;
	size_t len = 0;
	int rc;

	if (is_profile_name(name_or_path)) {
		const char *ptext = policy_profile_text(name_or_path);
		if (ptext) {
			char id[QUOTE_BUF + 16];
			snprintf(id, sizeof(id), "<profile:%s>", name_or_path);
			return load_root(id, id, NULL, ptext, strlen(ptext), 0, out, err);
		}
		/* Not a profile: a file of that name in the current directory,
		 * if there is one. */
		if (access(name_or_path, F_OK) != 0) {
			describe_unknown_profile(msg, sizeof(msg),
			                         "no shipped profile or file named", name_or_path);
			return corral_error_set(err, CORRAL_E_NOTFOUND, ENOENT, "%s", msg);
		}
	}
	rc = util_read_file(name_or_path, POLICY_FILE_MAX, &text, &len, err);
	if (rc < 0)
		return rc;
	real = realpath(name_or_path, NULL);
	dir = real ? dir_of(real) : NULL;
	if (!real || !dir) {
		rc = corral_error_set(err, CORRAL_E_IO, errno, "%s: cannot resolve: %s",
		                      name_or_path, strerror(errno));
		goto out;
	}
	rc = load_root(name_or_path, real, dir, text, len, 0, out, err);
out:
	free(dir);
	free(real);
	free(text);
	return rc;
}

/* ---- policy_to_json ---- */

static cJSON *strlist_json(const struct policy_strlist *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < l->count; i++) {
		cJSON *s = cJSON_CreateString(l->items[i].value);
		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* Add @item to @obj under @key; on failure free @item and clear *@ok. */
static void put(cJSON *obj, const char *key, cJSON *item, int *ok)
{
	if (!item || !cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		*ok = 0;
	}
}

static cJSON *size_json(uint64_t bytes)
{
	char buf[POLICY_FORMAT_MAX];

	return cJSON_CreateString(policy_format_size(bytes, buf));
}

static cJSON *duration_json(uint64_t ms)
{
	char buf[POLICY_FORMAT_MAX];

	return cJSON_CreateString(policy_format_duration(ms, buf));
}

static cJSON *network_json(enum policy_net_mode mode, const struct policy_strlist *allow)
{
	cJSON *o = cJSON_CreateObject();
	int ok = o != NULL;

	if (o) {
		put(o, "mode", cJSON_CreateString(policy_net_mode_name(mode)), &ok);
		put(o, "allow", strlist_json(allow), &ok);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *rules_json(const struct policy_rulelist *l)
{
	cJSON *a = cJSON_CreateArray();
	int ok = a != NULL;

	for (size_t i = 0; ok && i < l->count; i++) {
		const struct policy_rule *r = &l->items[i];
		cJSON *item;

		if (!r->hint && !r->has_timeout && !r->has_network && !r->examples_match.count &&
		    !r->examples_not_match.count) {
			item = cJSON_CreateString(r->match);
		} else {
			item = cJSON_CreateObject();
			if (item) {
				put(item, "match", cJSON_CreateString(r->match), &ok);
				if (r->hint)
					put(item, "hint", cJSON_CreateString(r->hint), &ok);
				if (r->has_timeout)
					put(item, "timeout", duration_json(r->timeout_ms), &ok);
				if (r->has_network)
					put(item, "network",
					    network_json(r->network_mode, &r->network_allow), &ok);
				if (r->examples_match.count || r->examples_not_match.count) {
					cJSON *ex = cJSON_CreateObject();
					if (ex) {
						put(ex, "match", strlist_json(&r->examples_match),
						    &ok);
						put(ex, "not_match",
						    strlist_json(&r->examples_not_match), &ok);
					}
					put(item, "examples", ex, &ok);
				}
			}
		}
		if (!item || !cJSON_AddItemToArray(a, item)) {
			cJSON_Delete(item);
			ok = 0;
		}
	}
	if (!ok) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

char *policy_to_json(const struct policy *p, bool pretty)
{
	cJSON *root = cJSON_CreateObject(), *o;
	char *text = NULL;
	int ok = root != NULL;

	if (!ok)
		return NULL;
	o = cJSON_CreateArray();
	for (size_t i = 0; o && i < p->nfiles; i++) {
		cJSON *s = cJSON_CreateString(p->files[i]);
		if (!s || !cJSON_AddItemToArray(o, s)) {
			cJSON_Delete(s);
			cJSON_Delete(o);
			o = NULL;
		}
	}
	put(root, "files", o, &ok);

	o = cJSON_CreateObject();
	if (o) {
		put(o, "read", strlist_json(&p->filesystem.read), &ok);
		put(o, "write", strlist_json(&p->filesystem.write), &ok);
		put(o, "hide", strlist_json(&p->filesystem.hide), &ok);
		put(o, "protect", strlist_json(&p->filesystem.protect), &ok);
	}
	put(root, "filesystem", o, &ok);

	{
		cJSON *net = network_json(p->network.mode, &p->network.allow);
		if (net)
			put(net, "unix_sockets", cJSON_CreateBool(p->network.unix_sockets), &ok);
		put(root, "network", net, &ok);
	}

	o = cJSON_CreateObject();
	if (o) {
		put(o, "timeout", duration_json(p->limits.timeout_ms), &ok);
		put(o, "memory", size_json(p->limits.memory), &ok);
		put(o, "processes", cJSON_CreateNumber(p->limits.processes), &ok);
		put(o, "output", size_json(p->limits.output), &ok);
		put(o, "file_size", size_json(p->limits.file_size), &ok);
		put(o, "open_files", cJSON_CreateNumber(p->limits.open_files), &ok);
		put(o, "calls", cJSON_CreateNumber(p->limits.calls), &ok);
		put(o, "tmp", size_json(p->limits.tmp_size), &ok);
	}
	put(root, "limits", o, &ok);

	o = cJSON_CreateObject();
	if (o) {
		cJSON *set = cJSON_CreateObject();
		put(o, "pass", strlist_json(&p->env.pass), &ok);
		for (size_t i = 0; set && i < p->env.nset; i++)
			put(set, p->env.set[i].name, cJSON_CreateString(p->env.set[i].value), &ok);
		put(o, "set", set, &ok);
	}
	put(root, "env", o, &ok);

	o = cJSON_CreateObject();
	if (o) {
		put(o, "default",
		    cJSON_CreateString(policy_decision_name(p->rules.default_decision)), &ok);
		put(o, "allow", rules_json(&p->rules.allow), &ok);
		put(o, "ask", rules_json(&p->rules.ask), &ok);
		put(o, "deny", rules_json(&p->rules.deny), &ok);
	}
	put(root, "rules", o, &ok);

	o = cJSON_CreateObject();
	if (o) {
		put(o, "paths", strlist_json(&p->tools.paths), &ok);
		put(o, "enable", strlist_json(&p->tools.enable), &ok);
		put(o, "disable", strlist_json(&p->tools.disable), &ok);
		put(o, "corral", strlist_json(&p->tools.corral), &ok);
	}
	put(root, "tools", o, &ok);

	o = cJSON_CreateObject();
	if (o) {
		put(o, "max_file_size", size_json(p->checkpoint.max_file_size), &ok);
		put(o, "exclude", strlist_json(&p->checkpoint.exclude), &ok);
		put(o, "keep", cJSON_CreateNumber(p->checkpoint.keep), &ok);
		put(o, "max_age", duration_json(p->checkpoint.max_age_ms), &ok);
	}
	put(root, "checkpoint", o, &ok);

	o = cJSON_CreateObject();
	if (o) {
		if (p->audit.path.value)
			put(o, "path", cJSON_CreateString(p->audit.path.value), &ok);
		else
			put(o, "path", cJSON_CreateNull(), &ok);
		put(o, "redact", strlist_json(&p->audit.redact), &ok);
	}
	put(root, "audit", o, &ok);

	if (ok)
		text = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return text;
}
