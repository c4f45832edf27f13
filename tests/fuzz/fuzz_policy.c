/*
 * fuzz_policy.c - libFuzzer target for the policy loader: jsonc parsing,
 * validation, merging with the shipped profiles, and rendering back to JSON.
 *
 * "extends" may only name shipped profiles here (POLICY_LOAD_PROFILES_ONLY):
 * a fuzzer must not make the loader read arbitrary files such as /dev/zero.
 */
#include "policy.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corral_error err;
	struct policy *p = NULL;
	char *text;

	if (policy_load_buffer_flags("fuzz.json", (const char *)data, size,
	                             POLICY_LOAD_PROFILES_ONLY, &p, &err) < 0) {
		/* Every failure is one line that names the file. */
		if (strncmp(err.message, "fuzz.json", 9) != 0 || strchr(err.message, '\n'))
			abort();
		return 0;
	}
	text = policy_to_json(p, false);
	free(text);
	policy_free(p);
	return 0;
}
