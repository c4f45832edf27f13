/*
 * jsonc.h - a strict JSON parser that also accepts comments, and remembers
 * where every value and every object key sits in the text.
 *
 * The grammar is RFC 8259 JSON plus two kinds of comment, `// to the end of
 * the line` and `/ * ... * /`, allowed wherever whitespace is. Nothing else
 * is relaxed: no trailing commas, no single quotes, no bare words, no
 * duplicate keys, no NaN. The text must be valid UTF-8 without NUL bytes; a
 * leading UTF-8 byte order mark is skipped.
 *
 * The result is an ordinary cJSON tree plus a side table mapping each node to
 * its 1-based line and column (in bytes), so that a caller validating the
 * tree can say "p.json:3:14: ...".
 *
 * Every resource an input can grow is capped: the caller gives the nesting
 * depth, and strings, numbers and the node count have the fixed caps below.
 * The parser recurses once per nesting level, never deeper than that cap.
 * Errors read "FILE:LINE:COL: what went wrong".
 *
 * Pure code: no I/O.
 */
#ifndef CORRAL_JSONC_H
#define CORRAL_JSONC_H

#include <corral/error.h>

#include <cjson/cJSON.h>

#include <stddef.h>

#define JSONC_STRING_MAX (64u << 10) /* bytes in one decoded string or key */
#define JSONC_NUMBER_MAX 64          /* characters in one number */
#define JSONC_NODES_MAX  (1u << 17)  /* values in one document */

/* Where one value of the tree sits in the text. */
struct jsonc_pos {
	int key_line; /* the value's key, in an object; 0 elsewhere */
	int key_col;
	int line; /* the first byte of the value */
	int col;
	size_t offset; /* the value's bytes: text[offset .. offset+length) */
	size_t length;
};

struct jsonc_entry {
	const cJSON *node;
	struct jsonc_pos pos;
};

/* A parsed document. Initialize with JSONC_DOC_INIT or zeroes. */
struct jsonc_doc {
	cJSON *root;                 /* owned */
	struct jsonc_entry *entries; /* owned, sorted by node for lookup */
	size_t nentries;
};

#define JSONC_DOC_INIT                                                                             \
	{                                                                                          \
		NULL, NULL, 0                                                                      \
	}

/*
 * Parse @len bytes of @text (which needs no NUL terminator) into @doc.
 * @filename is only used in error messages. Objects and arrays may nest
 * @max_depth levels (the root is level 1). On failure returns a negative
 * corral_code (CORRAL_E_JSON, CORRAL_E_TOOLARGE or CORRAL_E_NOMEM), fills
 * @err with "FILE:LINE:COL: ..." and leaves @doc untouched.
 */
int jsonc_parse(const char *filename, const char *text, size_t len, int max_depth,
                struct jsonc_doc *doc, struct corral_error *err);

/* The position of @node, which must belong to @doc's tree. Never NULL for
 * such a node; NULL for a foreign one. */
const struct jsonc_pos *jsonc_pos(const struct jsonc_doc *doc, const cJSON *node);

/* Free what @doc owns and reset it to empty. Accepts NULL. */
void jsonc_release(struct jsonc_doc *doc);

/* "a string", "an object", ... for messages such as "expected X, got Y". */
const char *jsonc_type_name(const cJSON *node);

#endif
