/*
 * jsonc.c - strict JSON with comments, with positions. See jsonc.h.
 *
 * The text is checked in two passes. The first pass validates the encoding
 * (UTF-8, no NUL byte) of the whole text, so that the second, the recursive
 * descent parser, can copy multi-byte characters without decoding them. The
 * parser recurses only into objects and arrays, and stops at the depth cap
 * before it recurses, so the C stack stays small whatever the input.
 */
#include "jsonc.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whatever the caller asks, the parser never recurses deeper than this. */
#define JSONC_DEPTH_LIMIT 256
/* How much of an offending word or number an error message quotes. */
#define JSONC_QUOTE_MAX 32

/* One object key seen so far, for duplicate detection. */
struct key_slot {
	const cJSON *object; /* NULL: the slot is free */
	const char *key;     /* owned by the tree */
	uint64_t hash;
	int line;
};

struct parser {
	const char *filename;
	const unsigned char *s;
	size_t len;
	size_t i;          /* the next byte to read */
	size_t line_start; /* offset of the current line's first byte */
	int line;
	int depth;
	int max_depth;
	size_t nodes;
	struct jsonc_entry *entries;
	size_t nentries;
	size_t entries_cap;
	struct key_slot *keys;
	size_t keys_cap; /* a power of two, or 0 */
	size_t keys_used;
	struct corral_error *err;
};

static int parse_value(struct parser *p, cJSON **out, int key_line, int key_col);

static int col_at(const struct parser *p, size_t offset)
{
	return (int)(offset - p->line_start + 1);
}

static int fail_at(struct parser *p, int code, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail_at(struct parser *p, int code, int line, int col, const char *fmt, ...)
{
	char msg[CORRAL_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return corral_error_set(p->err, code, 0, "%s:%d:%d: %s", p->filename, line, col, msg);
}

#define fail_here(p, ...) fail_at((p), CORRAL_E_JSON, (p)->line, col_at((p), (p)->i), __VA_ARGS__)

static int fail_nomem(struct parser *p)
{
	return corral_error_set(p->err, CORRAL_E_NOMEM, 0, "%s: out of memory parsing the file",
	                        p->filename);
}

/* "expected WHAT", saying so when the text simply ended. */
static int fail_expected(struct parser *p, const char *what)
{
	if (p->i >= p->len)
		return fail_here(p, "expected %s, got the end of the file", what);
	return fail_here(p, "expected %s", what);
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), 0 if invalid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* First pass: the whole text is UTF-8 and holds no NUL byte. */
static int check_encoding(struct parser *p)
{
	size_t i = p->i, line_start = p->line_start;
	int line = 1;

	while (i < p->len) {
		size_t n;
		if (p->s[i] == '\0')
			return fail_at(p, CORRAL_E_JSON, line, (int)(i - line_start + 1),
			               "NUL byte in the text");
		if (p->s[i] == '\n') {
			line++;
			line_start = ++i;
			continue;
		}
		n = utf8_len(p->s + i, p->len - i);
		if (n == 0)
			return fail_at(p, CORRAL_E_JSON, line, (int)(i - line_start + 1),
			               "invalid UTF-8 (byte 0x%02x)", p->s[i]);
		i += n;
	}
	return 0;
}

/* Skip whitespace and comments. */
static int skip_space(struct parser *p)
{
	while (p->i < p->len) {
		unsigned char c = p->s[p->i];
		if (c == ' ' || c == '\t' || c == '\r') {
			p->i++;
		} else if (c == '\n') {
			p->line++;
			p->line_start = ++p->i;
		} else if (c == '/' && p->i + 1 < p->len && p->s[p->i + 1] == '/') {
			while (p->i < p->len && p->s[p->i] != '\n')
				p->i++;
		} else if (c == '/' && p->i + 1 < p->len && p->s[p->i + 1] == '*') {
			int line = p->line, col = col_at(p, p->i);
			p->i += 2;
			for (;;) {
				if (p->i + 1 >= p->len)
					return fail_at(p, CORRAL_E_JSON, line, col,
					               "unterminated comment");
				if (p->s[p->i] == '*' && p->s[p->i + 1] == '/') {
					p->i += 2;
					break;
				}
				if (p->s[p->i] == '\n') {
					p->line++;
					p->line_start = p->i + 1;
				}
				p->i++;
			}
		} else if (c == '/') {
			return fail_here(p, "stray '/' (a comment starts with // or /*)");
		} else {
			break;
		}
	}
	return 0;
}

static int record(struct parser *p, const cJSON *node, int key_line, int key_col, int line, int col,
                  size_t offset)
{
	struct jsonc_entry *e;

	if (p->nentries == p->entries_cap) {
		size_t ncap = p->entries_cap ? p->entries_cap * 2 : 64;
		struct jsonc_entry *n = realloc(p->entries, ncap * sizeof(*n));
		if (!n)
			return fail_nomem(p);
		p->entries = n;
		p->entries_cap = ncap;
	}
	e = &p->entries[p->nentries++];
	e->node = node;
	e->pos.key_line = key_line;
	e->pos.key_col = key_col;
	e->pos.line = line;
	e->pos.col = col;
	e->pos.offset = offset;
	e->pos.length = p->i - offset;
	return 0;
}

static uint64_t key_hash(const cJSON *object, const char *key)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)object;

	for (; *key; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static struct key_slot *key_find(struct parser *p, const cJSON *object, const char *key, uint64_t h)
{
	size_t mask = p->keys_cap - 1;

	for (size_t j = h & mask;; j = (j + 1) & mask) {
		struct key_slot *s = &p->keys[j];
		if (!s->object)
			return s;
		if (s->hash == h && s->object == object && strcmp(s->key, key) == 0)
			return s;
	}
}

static int key_grow(struct parser *p)
{
	size_t ncap = p->keys_cap ? p->keys_cap * 2 : 64;
	struct key_slot *old = p->keys, *n = calloc(ncap, sizeof(*n));
	size_t oldcap = p->keys_cap;

	if (!n)
		return fail_nomem(p);
	p->keys = n;
	p->keys_cap = ncap;
	for (size_t j = 0; j < oldcap; j++)
		if (old[j].object)
			*key_find(p, old[j].object, old[j].key, old[j].hash) = old[j];
	free(old);
	return 0;
}

/*
 * Scan the string at p->i (on its opening quote) and decode it into a new
 * buffer (*@out, caller frees). The text is already known to be UTF-8, so
 * bytes above 0x7f are copied as they are.
 */
static int parse_string(struct parser *p, char **out)
{
	size_t start = p->i, end, j;
	int line = p->line, col = col_at(p, p->i);
	char *buf;
	size_t n = 0;

	/* Find the closing quote first, so the buffer can be sized. */
	for (end = start + 1;; end++) {
		if (end >= p->len || p->s[end] == '\n')
			return fail_at(p, CORRAL_E_JSON, line, col, "unterminated string");
		if (p->s[end] == '"')
			break;
		if (p->s[end] == '\\')
			end++;
	}
	buf = malloc(end - start);
	if (!buf)
		return fail_nomem(p);
	for (j = start + 1; j < end; j++) {
		unsigned char c = p->s[j];
		if (c < 0x20) {
			p->i = j;
			free(buf);
			return fail_here(
			    p, "control character 0x%02x in a string (write it as an escape)", c);
		}
		if (c != '\\') {
			buf[n++] = (char)c;
			continue;
		}
		p->i = j;
		c = p->s[++j];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			buf[n++] = (char)c;
			break;
		case 'b':
			buf[n++] = '\b';
			break;
		case 'f':
			buf[n++] = '\f';
			break;
		case 'n':
			buf[n++] = '\n';
			break;
		case 'r':
			buf[n++] = '\r';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case 'u': {
			unsigned long cp = 0;
			for (int k = 0; k < 4; k++) {
				unsigned char h = j + 1 < end ? p->s[j + 1] : 0;
				int v = h >= '0' && h <= '9'   ? h - '0'
				        : h >= 'a' && h <= 'f' ? h - 'a' + 10
				        : h >= 'A' && h <= 'F' ? h - 'A' + 10
				                               : -1;
				if (v < 0) {
					free(buf);
					return fail_here(
					    p, "invalid \\u escape: expected 4 hex digits");
				}
				cp = cp * 16 + (unsigned long)v;
				j++;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned long lo = 0;
				int ok = j + 6 < end && p->s[j + 1] == '\\' && p->s[j + 2] == 'u';
				for (int k = 0; ok && k < 4; k++) {
					unsigned char h = p->s[j + 3 + k];
					int v = h >= '0' && h <= '9'   ? h - '0'
					        : h >= 'a' && h <= 'f' ? h - 'a' + 10
					        : h >= 'A' && h <= 'F' ? h - 'A' + 10
					                               : -1;
					if (v < 0)
						ok = 0;
					lo = lo * 16 + (unsigned long)(v < 0 ? 0 : v);
				}
				if (!ok || lo < 0xdc00 || lo > 0xdfff) {
					free(buf);
					return fail_here(p,
					                 "invalid \\u escape: unpaired surrogate "
					                 "\\u%04lX",
					                 cp);
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				j += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				free(buf);
				return fail_here(
				    p, "invalid \\u escape: unpaired surrogate \\u%04lX", cp);
			} else if (cp == 0) {
				free(buf);
				return fail_here(p, "\\u0000 is not allowed in a string");
			}
			if (cp < 0x80) {
				buf[n++] = (char)cp;
			} else if (cp < 0x800) {
				buf[n++] = (char)(0xc0 | (cp >> 6));
				buf[n++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				buf[n++] = (char)(0xe0 | (cp >> 12));
				buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[n++] = (char)(0x80 | (cp & 0x3f));
			} else {
				buf[n++] = (char)(0xf0 | (cp >> 18));
				buf[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[n++] = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default:
			free(buf);
			if (c >= 0x21 && c < 0x7f)
				return fail_here(p, "invalid escape '\\%c' in a string", c);
			return fail_here(p, "invalid escape in a string");
		}
	}
	if (n > JSONC_STRING_MAX) {
		free(buf);
		return fail_at(p, CORRAL_E_TOOLARGE, line, col, "string longer than %u bytes",
		               JSONC_STRING_MAX);
	}
	buf[n] = '\0';
	p->i = end + 1;
	*out = buf;
	return 0;
}

static int is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_json_number(const unsigned char *t, size_t n)
{
	size_t k = 0;

	if (k < n && t[k] == '-')
		k++;
	if (k < n && t[k] == '0') {
		k++;
	} else if (k < n && t[k] >= '1' && t[k] <= '9') {
		while (k < n && is_digit(t[k]))
			k++;
	} else {
		return 0;
	}
	if (k < n && t[k] == '.') {
		if (++k >= n || !is_digit(t[k]))
			return 0;
		while (k < n && is_digit(t[k]))
			k++;
	}
	if (k < n && (t[k] == 'e' || t[k] == 'E')) {
		k++;
		if (k < n && (t[k] == '+' || t[k] == '-'))
			k++;
		if (k >= n || !is_digit(t[k]))
			return 0;
		while (k < n && is_digit(t[k]))
			k++;
	}
	return k == n;
}

static int parse_number(struct parser *p, cJSON **out)
{
	size_t start = p->i, n;
	const unsigned char *t = p->s + start;
	char buf[JSONC_NUMBER_MAX + 1];
	const char *point = localeconv()->decimal_point;
	double v;

	/* Take everything that could be meant as part of the number, so that
	 * the message quotes "1.5.3" or "0x10" whole. */
	while (p->i < p->len && (is_word_byte(p->s[p->i]) || p->s[p->i] == '.' ||
	                         p->s[p->i] == '+' || p->s[p->i] == '-'))
		p->i++;
	n = p->i - start;
	if (!is_json_number(t, n)) {
		p->i = start;
		return fail_here(p, "invalid number '%.*s%s'",
		                 (int)(n > JSONC_QUOTE_MAX ? JSONC_QUOTE_MAX : n), (const char *)t,
		                 n > JSONC_QUOTE_MAX ? "..." : "");
	}
	if (n > JSONC_NUMBER_MAX) {
		p->i = start;
		return fail_at(p, CORRAL_E_TOOLARGE, p->line, col_at(p, start),
		               "number longer than %d characters", JSONC_NUMBER_MAX);
	}
	/* strtod() follows the locale; give it the decimal point it expects. */
	for (size_t k = 0; k < n; k++)
		buf[k] = t[k] == '.' && point && point[0] ? point[0] : (char)t[k];
	buf[n] = '\0';
	v = strtod(buf, NULL);
	if (!isfinite(v)) {
		p->i = start;
		return fail_here(p, "number out of range '%s'", buf);
	}
	*out = cJSON_CreateNumber(v);
	return *out ? 0 : fail_nomem(p);
}

static int parse_word(struct parser *p, cJSON **out)
{
	size_t start = p->i, n;
	const char *t = (const char *)p->s + start;

	while (p->i < p->len && is_word_byte(p->s[p->i]))
		p->i++;
	n = p->i - start;
	if (n == 4 && memcmp(t, "true", 4) == 0)
		*out = cJSON_CreateTrue();
	else if (n == 5 && memcmp(t, "false", 5) == 0)
		*out = cJSON_CreateFalse();
	else if (n == 4 && memcmp(t, "null", 4) == 0)
		*out = cJSON_CreateNull();
	else {
		p->i = start;
		return fail_here(p, "expected a value, got '%.*s%s' (strings need double quotes)",
		                 (int)(n > JSONC_QUOTE_MAX ? JSONC_QUOTE_MAX : n), t,
		                 n > JSONC_QUOTE_MAX ? "..." : "");
	}
	return *out ? 0 : fail_nomem(p);
}

static int enter(struct parser *p)
{
	if (++p->depth > p->max_depth)
		return fail_at(p, CORRAL_E_TOOLARGE, p->line, col_at(p, p->i),
		               "nesting deeper than %d levels", p->max_depth);
	return 0;
}

static int parse_object(struct parser *p, cJSON **out)
{
	cJSON *obj;
	int rc;

	rc = enter(p);
	if (rc < 0)
		return rc;
	obj = cJSON_CreateObject();
	if (!obj)
		return fail_nomem(p);
	p->i++;
	rc = skip_space(p);
	if (rc < 0)
		goto fail;
	if (p->i < p->len && p->s[p->i] == '}') {
		p->i++;
		goto done;
	}
	for (;;) {
		int key_line = p->line, key_col = col_at(p, p->i);
		struct key_slot *slot;
		cJSON *child = NULL;
		char *key = NULL;
		uint64_t h;

		if (p->i >= p->len || p->s[p->i] != '"') {
			rc = fail_expected(p, "a key in double quotes");
			goto fail;
		}
		rc = parse_string(p, &key);
		if (rc < 0)
			goto fail;
		if (p->keys_used * 2 >= p->keys_cap) {
			rc = key_grow(p);
			if (rc < 0) {
				free(key);
				goto fail;
			}
		}
		h = key_hash(obj, key);
		slot = key_find(p, obj, key, h);
		if (slot->object) {
			rc = fail_at(p, CORRAL_E_JSON, key_line, key_col,
			             "duplicate key '%.64s' (first on line %d)", key, slot->line);
			free(key);
			goto fail;
		}
		rc = skip_space(p);
		if (rc == 0 && (p->i >= p->len || p->s[p->i] != ':'))
			rc = fail_expected(p, "':' after an object key");
		if (rc == 0) {
			p->i++;
			rc = skip_space(p);
		}
		if (rc == 0)
			rc = parse_value(p, &child, key_line, key_col);
		if (rc < 0) {
			free(key);
			goto fail;
		}
		if (!cJSON_AddItemToObject(obj, key, child)) {
			cJSON_Delete(child);
			free(key);
			rc = fail_nomem(p);
			goto fail;
		}
		free(key);
		/* The value may have grown the table: find the slot again. */
		slot = key_find(p, obj, child->string, h);
		slot->object = obj;
		slot->key = child->string;
		slot->hash = h;
		slot->line = key_line;
		p->keys_used++;

		rc = skip_space(p);
		if (rc < 0)
			goto fail;
		if (p->i < p->len && p->s[p->i] == '}') {
			p->i++;
			break;
		}
		if (p->i >= p->len || p->s[p->i] != ',') {
			rc = fail_expected(p, "',' or '}' after an object member");
			goto fail;
		}
		{
			int comma_line = p->line, comma_col = col_at(p, p->i);
			p->i++;
			rc = skip_space(p);
			if (rc < 0)
				goto fail;
			if (p->i < p->len && p->s[p->i] == '}') {
				rc = fail_at(p, CORRAL_E_JSON, comma_line, comma_col,
				             "trailing comma before '}'");
				goto fail;
			}
		}
	}
done:
	p->depth--;
	*out = obj;
	return 0;
fail:
	cJSON_Delete(obj);
	return rc;
}

static int parse_array(struct parser *p, cJSON **out)
{
	cJSON *arr;
	int rc;

	rc = enter(p);
	if (rc < 0)
		return rc;
	arr = cJSON_CreateArray();
	if (!arr)
		return fail_nomem(p);
	p->i++;
	rc = skip_space(p);
	if (rc < 0)
		goto fail;
	if (p->i < p->len && p->s[p->i] == ']') {
		p->i++;
		goto done;
	}
	for (;;) {
		cJSON *child = NULL;

		rc = parse_value(p, &child, 0, 0);
		if (rc < 0)
			goto fail;
		if (!cJSON_AddItemToArray(arr, child)) {
			cJSON_Delete(child);
			rc = fail_nomem(p);
			goto fail;
		}
		rc = skip_space(p);
		if (rc < 0)
			goto fail;
		if (p->i < p->len && p->s[p->i] == ']') {
			p->i++;
			break;
		}
		if (p->i >= p->len || p->s[p->i] != ',') {
			rc = fail_expected(p, "',' or ']' after an array element");
			goto fail;
		}
		{
			int comma_line = p->line, comma_col = col_at(p, p->i);
			p->i++;
			rc = skip_space(p);
			if (rc < 0)
				goto fail;
			if (p->i < p->len && p->s[p->i] == ']') {
				rc = fail_at(p, CORRAL_E_JSON, comma_line, comma_col,
				             "trailing comma before ']'");
				goto fail;
			}
		}
	}
done:
	p->depth--;
	*out = arr;
	return 0;
fail:
	cJSON_Delete(arr);
	return rc;
}

/* Parse the value at p->i (whitespace already skipped) into *@out. */
static int parse_value(struct parser *p, cJSON **out, int key_line, int key_col)
{
	size_t start = p->i;
	int line = p->line, col = col_at(p, p->i);
	cJSON *node = NULL;
	unsigned char c;
	int rc;

	if (p->i >= p->len)
		return fail_expected(p, "a value");
	if (++p->nodes > JSONC_NODES_MAX)
		return fail_at(p, CORRAL_E_TOOLARGE, line, col,
		               "more than %u values in the document", JSONC_NODES_MAX);
	c = p->s[p->i];
	if (c == '{') {
		rc = parse_object(p, &node);
	} else if (c == '[') {
		rc = parse_array(p, &node);
	} else if (c == '"') {
		char *s = NULL;
		rc = parse_string(p, &s);
		if (rc == 0) {
			node = cJSON_CreateString(s);
			free(s);
			if (!node)
				rc = fail_nomem(p);
		}
	} else if (is_digit(c) || c == '-' || c == '+' || c == '.') {
		rc = parse_number(p, &node);
	} else if (is_word_byte(c)) {
		rc = parse_word(p, &node);
	} else if (c == '\'') {
		rc = fail_here(p, "expected a value, got ''' (strings need double quotes)");
	} else {
		size_t n = utf8_len(p->s + p->i, p->len - p->i);
		rc = fail_here(p, "expected a value, got '%.*s'", (int)(n ? n : 1),
		               (const char *)p->s + p->i);
	}
	if (rc < 0)
		return rc;
	rc = record(p, node, key_line, key_col, line, col, start);
	if (rc < 0) {
		cJSON_Delete(node);
		return rc;
	}
	*out = node;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct jsonc_entry *)a)->node;
	uintptr_t y = (uintptr_t)((const struct jsonc_entry *)b)->node;

	return x < y ? -1 : x > y;
}

int jsonc_parse(const char *filename, const char *text, size_t len, int max_depth,
                struct jsonc_doc *doc, struct corral_error *err)
{
	struct parser p;
	cJSON *root = NULL;
	int rc;

	memset(&p, 0, sizeof(p));
	p.filename = filename;
	p.s = (const unsigned char *)text;
	p.len = len;
	p.line = 1;
	p.max_depth = max_depth < JSONC_DEPTH_LIMIT ? max_depth : JSONC_DEPTH_LIMIT;
	p.err = err;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.i = p.line_start = 3;

	rc = check_encoding(&p);
	if (rc == 0)
		rc = skip_space(&p);
	if (rc == 0)
		rc = parse_value(&p, &root, 0, 0);
	if (rc == 0)
		rc = skip_space(&p);
	if (rc == 0 && p.i < p.len)
		rc = fail_here(&p, "expected the end of the file after the top-level value");
	free(p.keys);
	if (rc < 0) {
		/* The entries point into the freed tree; drop them too. */
		cJSON_Delete(root);
		free(p.entries);
		return rc;
	}
	qsort(p.entries, p.nentries, sizeof(*p.entries), entry_cmp);
	jsonc_release(doc);
	doc->root = root;
	doc->entries = p.entries;
	doc->nentries = p.nentries;
	return 0;
}

const struct jsonc_pos *jsonc_pos(const struct jsonc_doc *doc, const cJSON *node)
{
	size_t lo = 0, hi = doc->nentries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const cJSON *m = doc->entries[mid].node;
		if (m == node)
			return &doc->entries[mid].pos;
		if ((uintptr_t)m < (uintptr_t)node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void jsonc_release(struct jsonc_doc *doc)
{
	if (!doc)
		return;
	cJSON_Delete(doc->root);
	free(doc->entries);
	doc->root = NULL;
	doc->entries = NULL;
	doc->nentries = 0;
}

const char *jsonc_type_name(const cJSON *node)
{
	if (cJSON_IsString(node))
		return "a string";
	if (cJSON_IsNumber(node))
		return "a number";
	if (cJSON_IsObject(node))
		return "an object";
	if (cJSON_IsArray(node))
		return "an array";
	if (cJSON_IsTrue(node))
		return "true";
	if (cJSON_IsFalse(node))
		return "false";
	if (cJSON_IsNull(node))
		return "null";
	return "an unknown value";
}
