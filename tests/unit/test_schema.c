/*
 * test_schema.c - argument validation against tool input schemas: each bad
 * case asserts the exact message the model will read.
 */
#include "schema.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const char *schema_text =
    "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"path\"],"
    " \"properties\": {"
    "  \"path\": {\"type\": \"string\", \"minLength\": 1},"
    "  \"offset\": {\"type\": \"integer\", \"minimum\": 1},"
    "  \"mode\": {\"enum\": [\"fast\", \"slow\"]},"
    "  \"argv\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"minItems\": 1},"
    "  \"ratio\": {\"type\": \"number\", \"exclusiveMaximum\": 1},"
    "  \"tag\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\"},"
    "  \"either\": {\"oneOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}]},"
    "  \"nested\": {\"type\": \"object\", \"properties\": {\"deep\": {\"type\": "
    "\"boolean\"}}}}}";

static void expect(const char *args, const char *message)
{
	cJSON *schema = cJSON_Parse(schema_text), *inst = cJSON_Parse(args);
	struct corral_error err = {0};
	int rc;

	ck_assert_ptr_nonnull(schema);
	ck_assert_ptr_nonnull(inst);
	rc = schema_validate(schema, inst, &err);
	if (message) {
		ck_assert_int_eq(rc, -CORRAL_E_USAGE);
		ck_assert_str_eq(err.message, message);
	} else {
		ck_assert_msg(rc == 0, "%s: %s", args, err.message);
	}
	cJSON_Delete(schema);
	cJSON_Delete(inst);
}

START_TEST(test_good)
{
	expect("{\"path\": \"a\"}", NULL);
	expect("{\"path\": \"a\", \"offset\": 3, \"mode\": \"fast\", \"argv\": [\"x\"]}", NULL);
	expect("{\"path\": \"a\", \"ratio\": 0.5, \"tag\": \"abc\", \"either\": 4}", NULL);
	expect("{\"path\": \"a\", \"either\": \"s\", \"nested\": {\"deep\": true}}", NULL);
}
END_TEST

START_TEST(test_bad)
{
	expect("{}", "arguments: missing required field 'path'");
	expect("{\"path\": 3}", "arguments.path: expected a string, got an integer");
	expect("{\"path\": \"\"}", "arguments.path: must be at least 1 characters long");
	expect("{\"path\": \"a\", \"pth\": 1}",
	       "arguments: unknown field 'pth' — did you mean 'path'?");
	expect("{\"path\": \"a\", \"zzzzzz\": 1}", "arguments: unknown field 'zzzzzz'");
	expect("{\"path\": \"a\", \"offset\": 0}",
	       "arguments.offset: 0 is out of range (minimum 1)");
	expect("{\"path\": \"a\", \"offset\": 1.5}",
	       "arguments.offset: expected an integer, got a number");
	expect("{\"path\": \"a\", \"mode\": \"medium\"}",
	       "arguments.mode: is not one of the allowed values");
	expect("{\"path\": \"a\", \"argv\": []}", "arguments.argv: needs at least 1 items, has 0");
	expect("{\"path\": \"a\", \"argv\": [\"x\", 2]}",
	       "arguments.argv[1]: expected a string, got an integer");
	expect("{\"path\": \"a\", \"ratio\": 1}",
	       "arguments.ratio: 1 is out of range (exclusiveMaximum 1)");
	expect("{\"path\": \"a\", \"tag\": \"ABC\"}",
	       "arguments.tag: does not match the pattern ^[a-z]+$");
	expect("{\"path\": \"a\", \"either\": true}",
	       "arguments.either: expected a string, got a boolean");
	expect("{\"path\": \"a\", \"nested\": {\"deep\": \"yes\"}}",
	       "arguments.nested.deep: expected a boolean, got a string");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("schema");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_bad);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
