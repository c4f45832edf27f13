/*
 * fuzz_rules.c - libFuzzer target for the rules engine: a call built from
 * the input is decided under a fixed policy with rules of every kind.
 *
 * The first byte picks the tool (exec with a command string, exec with an
 * argv, a path tool, a plugin tool), the rest is its argument. Every
 * decision must be allow, ask or deny with a one-line reason, and a denied
 * call must carry no sandbox override.
 */
#include "policy.h"
#include "rules.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_text[] =
    "{\"extends\": \"workspace-write\", \"rules\": {\"default\": \"ask\","
    " \"allow\": [\"exec(make *)\", \"exec(git * --stat)\", \"exec(* --version)\","
    "  \"write_file(src/**)\", \"db_query(sql=SELECT *)\","
    "  {\"match\": \"exec(pip install *)\", \"timeout\": \"5m\","
    "   \"network\": {\"mode\": \"proxy\", \"allow\": [\"pypi.org\"]}}],"
    " \"deny\": [\"exec(rm -rf /*)\", \"exec(curl *)\", \"read_file(/etc/**)\","
    "  \"grep(~/**)\", \"db_query(sql=*DROP*)\", \"exec(* * * * * * * * x)\"]}}";

static struct policy *policy_get(void)
{
	static struct policy *p;
	struct corral_error err;

	if (!p && policy_load_buffer_flags("fuzz.json", policy_text, strlen(policy_text),
	                                   POLICY_LOAD_PROFILES_ONLY, &p, &err) < 0)
		abort();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tools[] = {"exec", "exec",       "read_file", "write_file",
	                                    "grep", "list_files", "db_query",  "run_tests"};
	struct corral_error err;
	struct rules_decision d;
	const char *tool;
	cJSON *args;
	char *text;
	int rc;

	if (size == 0)
		return 0;
	tool = tools[data[0] % 8];
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	args = cJSON_CreateObject();
	if (!args) {
		free(text);
		return 0;
	}
	if (data[0] % 8 == 1) {
		/* argv: the text split at newlines */
		cJSON *argv = cJSON_AddArrayToObject(args, "argv");
		for (char *s = text, *nl; argv && s; s = nl ? nl + 1 : NULL) {
			nl = strchr(s, '\n');
			if (nl)
				*nl = '\0';
			cJSON_AddItemToArray(argv, cJSON_CreateString(s));
		}
	} else {
		const char *key = data[0] % 8 == 0 ? "command" : data[0] % 8 == 6 ? "sql" : "path";
		cJSON_AddStringToObject(args, key, text);
	}
	rc = rules_decide(policy_get(), "/workspace", tool, args, &d, &err);
	if (rc < 0)
		abort(); /* only out of memory, which a fuzzer does not cause */
	if (d.decision != POLICY_DECISION_ALLOW && d.decision != POLICY_DECISION_ASK &&
	    d.decision != POLICY_DECISION_DENY)
		abort();
	if (!d.reason || strchr(d.reason, '\n'))
		abort();
	if (d.decision == POLICY_DECISION_DENY && (d.has_timeout || d.has_network))
		abort();
	for (size_t i = 0; i < d.ncommands; i++)
		if (!d.commands[i].text ||
		    (d.commands[i].rule && d.commands[i].rule->decision != d.commands[i].decision))
			abort();
	rules_decision_release(&d);
	cJSON_Delete(args);
	free(text);
	return 0;
}
