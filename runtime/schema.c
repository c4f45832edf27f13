/*
 * schema.c - a small JSON Schema validator for tool arguments.
 */
#define _GNU_SOURCE
#include "schema.h"
#include "util.h"

#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PATH_LEN    256
#define SUGGEST_MAX 64

struct ctx {
	struct corral_error *err;
	int depth;
};

static const char *type_of(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "boolean";
	if (cJSON_IsNumber(v))
		return v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9e15
		           ? "integer"
		           : "number";
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsArray(v))
		return "array";
	return "object";
}

static bool type_matches(const char *want, const cJSON *v)
{
	const char *have = type_of(v);

	if (strcmp(want, have) == 0)
		return true;
	return strcmp(want, "number") == 0 && strcmp(have, "integer") == 0;
}

/* "a string", "an integer" */
static const char *with_article(const char *type)
{
	static const char *const names[][2] = {
	    {"null", "null"},        {"boolean", "a boolean"}, {"integer", "an integer"},
	    {"number", "a number"},  {"string", "a string"},   {"array", "an array"},
	    {"object", "an object"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i][0], type) == 0)
			return names[i][1];
	return type;
}

static size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int fail(struct ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const char *path, const char *fmt, ...)
{
	char what[CORRAL_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return corral_error_set(c->err, CORRAL_E_USAGE, 0, "%s: %s", path, what);
}

static void child_path(char *out, const char *path, const char *key)
{
	/* Cut on purpose when too long: the path only labels a message. */
	int n = snprintf(out, PATH_LEN, "%s.%s", path, key);
	if (n < 0 || n >= PATH_LEN)
		out[PATH_LEN - 1] = '\0';
}

static int validate(struct ctx *c, const cJSON *schema, const cJSON *v, const char *path);

static int check_type(struct ctx *c, const cJSON *schema, const cJSON *v, const char *path)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
	const cJSON *t;
	char list[128] = "";

	if (!type)
		return 0;
	if (cJSON_IsString(type)) {
		if (type_matches(type->valuestring, v))
			return 0;
		return fail(c, path, "expected %s, got %s", with_article(type->valuestring),
		            with_article(type_of(v)));
	}
	cJSON_ArrayForEach(t, type)
	{
		if (cJSON_IsString(t) && type_matches(t->valuestring, v))
			return 0;
		if (cJSON_IsString(t)) {
			strncat(list, *list ? " or " : "", sizeof(list) - strlen(list) - 1);
			strncat(list, t->valuestring, sizeof(list) - strlen(list) - 1);
		}
	}
	return fail(c, path, "expected %s, got %s", list, with_article(type_of(v)));
}

static int check_object(struct ctx *c, const cJSON *schema, const cJSON *v, const char *path)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(schema, "required");
	const cJSON *extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
	const cJSON *f;
	char sub[PATH_LEN];
	int rc;

	cJSON_ArrayForEach(f, req)
	{
		if (cJSON_IsString(f) && !cJSON_GetObjectItemCaseSensitive(v, f->valuestring))
			return fail(c, path, "missing required field '%s'", f->valuestring);
	}
	cJSON_ArrayForEach(f, v)
	{
		const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, f->string) : NULL;
		child_path(sub, path, f->string);
		if (ps) {
			rc = validate(c, ps, f, sub);
		} else if (cJSON_IsFalse(extra)) {
			const char *names[SUGGEST_MAX + 1], *guess;
			size_t n = 0;
			const cJSON *p;
			cJSON_ArrayForEach(p, props)
			{
				if (n < SUGGEST_MAX)
					names[n++] = p->string;
			}
			names[n] = NULL;
			guess = util_suggest(f->string, names);
			if (guess)
				return fail(c, path, "unknown field '%s' — did you mean '%s'?",
				            f->string, guess);
			return fail(c, path, "unknown field '%s'", f->string);
		} else if (cJSON_IsObject(extra)) {
			rc = validate(c, extra, f, sub);
		} else {
			rc = 0;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_array(struct ctx *c, const cJSON *schema, const cJSON *v, const char *path)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
	const cJSON *lo = cJSON_GetObjectItemCaseSensitive(schema, "minItems");
	const cJSON *hi = cJSON_GetObjectItemCaseSensitive(schema, "maxItems");
	int n = cJSON_GetArraySize(v), i = 0, rc;
	const cJSON *e;

	if (cJSON_IsNumber(lo) && n < lo->valuedouble)
		return fail(c, path, "needs at least %g items, has %d", lo->valuedouble, n);
	if (cJSON_IsNumber(hi) && n > hi->valuedouble)
		return fail(c, path, "takes at most %g items, has %d", hi->valuedouble, n);
	if (!cJSON_IsObject(items))
		return 0;
	cJSON_ArrayForEach(e, v)
	{
		char sub[PATH_LEN];
		int len = snprintf(sub, sizeof(sub), "%s[%d]", path, i++);
		if (len < 0 || len >= (int)sizeof(sub))
			sub[sizeof(sub) - 1] = '\0';
		rc = validate(c, items, e, sub);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_string(struct ctx *c, const cJSON *schema, const cJSON *v, const char *path)
{
	const cJSON *lo = cJSON_GetObjectItemCaseSensitive(schema, "minLength");
	const cJSON *hi = cJSON_GetObjectItemCaseSensitive(schema, "maxLength");
	const cJSON *pat = cJSON_GetObjectItemCaseSensitive(schema, "pattern");
	size_t len = utf8_length(v->valuestring);

	if (cJSON_IsNumber(lo) && (double)len < lo->valuedouble)
		return fail(c, path, "must be at least %g characters long", lo->valuedouble);
	if (cJSON_IsNumber(hi) && (double)len > hi->valuedouble)
		return fail(c, path, "must be at most %g characters long", hi->valuedouble);
	if (cJSON_IsString(pat)) {
		regex_t re;
		int m;
		if (regcomp(&re, pat->valuestring, REG_EXTENDED | REG_NOSUB) != 0)
			return 0; /* a pattern POSIX cannot read is not enforced */
		m = regexec(&re, v->valuestring, 0, NULL, 0);
		regfree(&re);
		if (m != 0)
			return fail(c, path, "does not match the pattern %s", pat->valuestring);
	}
	return 0;
}

static int check_number(struct ctx *c, const cJSON *schema, const cJSON *v, const char *path)
{
	static const char *const keys[] = {"minimum", "maximum", "exclusiveMinimum",
	                                   "exclusiveMaximum"};
	double x = v->valuedouble;

	for (int i = 0; i < 4; i++) {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(schema, keys[i]);
		bool bad;
		if (!cJSON_IsNumber(b))
			continue;
		bad = i == 0   ? x < b->valuedouble
		      : i == 1 ? x > b->valuedouble
		      : i == 2 ? x <= b->valuedouble
		               : x >= b->valuedouble;
		if (bad)
			return fail(c, path, "%g is out of range (%s %g)", x, keys[i],
			            b->valuedouble);
	}
	return 0;
}

static int check_enum(struct ctx *c, const cJSON *schema, const cJSON *v, const char *path)
{
	const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
	const cJSON *cst = cJSON_GetObjectItemCaseSensitive(schema, "const");
	const cJSON *e;

	if (cst && !cJSON_Compare(cst, v, true))
		return fail(c, path, "must be the constant given by the schema");
	if (!cJSON_IsArray(en))
		return 0;
	cJSON_ArrayForEach(e, en)
	{
		if (cJSON_Compare(e, v, true))
			return 0;
	}
	return fail(c, path, "is not one of the allowed values");
}

static int check_combinators(struct ctx *c, const cJSON *schema, const cJSON *v, const char *path)
{
	const cJSON *all = cJSON_GetObjectItemCaseSensitive(schema, "allOf");
	const cJSON *any = cJSON_GetObjectItemCaseSensitive(schema, "anyOf");
	const cJSON *one = cJSON_GetObjectItemCaseSensitive(schema, "oneOf");
	const cJSON *not = cJSON_GetObjectItemCaseSensitive(schema, "not");
	struct corral_error first = {0};
	const cJSON *s;
	int rc, matched;

	cJSON_ArrayForEach(s, all)
	{
		rc = validate(c, s, v, path);
		if (rc < 0)
			return rc;
	}
	if (cJSON_IsArray(any)) {
		matched = 0;
		cJSON_ArrayForEach(s, any)
		{
			if (validate(c, s, v, path) == 0) {
				matched = 1;
				break;
			}
			if (!first.code)
				first = *c->err;
		}
		if (!matched) {
			*c->err = first;
			return -CORRAL_E_USAGE;
		}
	}
	if (cJSON_IsArray(one)) {
		matched = 0;
		cJSON_ArrayForEach(s, one)
		{
			if (validate(c, s, v, path) == 0)
				matched++;
			else if (!first.code)
				first = *c->err;
		}
		if (matched == 0) {
			*c->err = first;
			return -CORRAL_E_USAGE;
		}
		if (matched > 1)
			return fail(c, path, "matches more than one of the alternatives (oneOf)");
	}
	if (cJSON_IsObject(not ) && validate(c, not, v, path) == 0)
		return fail(c, path, "matches a schema it must not match");
	corral_error_clear(c->err);
	return 0;
}

static int validate(struct ctx *c, const cJSON *schema, const cJSON *v, const char *path)
{
	int rc;

	if (cJSON_IsTrue(schema))
		return 0;
	if (cJSON_IsFalse(schema))
		return fail(c, path, "is not allowed here");
	if (!cJSON_IsObject(schema))
		return 0;
	if (++c->depth > SCHEMA_DEPTH_MAX) {
		c->depth--;
		return fail(c, path, "nested deeper than %d levels", SCHEMA_DEPTH_MAX);
	}
	rc = check_type(c, schema, v, path);
	if (rc == 0)
		rc = check_enum(c, schema, v, path);
	if (rc == 0 && cJSON_IsObject(v))
		rc = check_object(c, schema, v, path);
	if (rc == 0 && cJSON_IsArray(v))
		rc = check_array(c, schema, v, path);
	if (rc == 0 && cJSON_IsString(v))
		rc = check_string(c, schema, v, path);
	if (rc == 0 && cJSON_IsNumber(v))
		rc = check_number(c, schema, v, path);
	if (rc == 0)
		rc = check_combinators(c, schema, v, path);
	c->depth--;
	return rc;
}

int schema_validate(const cJSON *schema, const cJSON *instance, struct corral_error *err)
{
	struct corral_error local = {0};
	struct ctx c = {.err = &local, .depth = 0};
	int rc = validate(&c, schema, instance, "arguments");

	if (rc < 0 && err)
		*err = local;
	return rc;
}
