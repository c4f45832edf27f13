/*
 * schema.h - validate a tool call's arguments against its input schema.
 *
 * The subset of JSON Schema (2020-12) that tool schemas use: type (one or a
 * list), properties, required, additionalProperties (boolean or schema),
 * items, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
 * minLength, maxLength (in characters), minItems, maxItems, pattern (POSIX
 * ERE), anyOf, oneOf, allOf, not. Unknown keywords are ignored, as the
 * specification says. Pure code.
 */
#ifndef CORRAL_SCHEMA_H
#define CORRAL_SCHEMA_H

#include <corral/error.h>
#include <cjson/cJSON.h>

/* Deepest nesting of schema or instance that is followed. */
#define SCHEMA_DEPTH_MAX 64

/*
 * Check @instance against @schema. Returns 0, or -CORRAL_E_USAGE with a
 * message that names the field ("arguments.path: expected a string, got a
 * number"; "arguments: missing required field 'path'"; "arguments: unknown
 * field 'pth' — did you mean 'path'?").
 */
int schema_validate(const cJSON *schema, const cJSON *instance, struct corral_error *err);

#endif
