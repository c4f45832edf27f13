/*
 * test_plugin.c - plugins that exercise the worker. One source, built as
 * several modules: TEST_VARIANT selects a misbehaviour (see CMakeLists.txt).
 */
#include <corral/plugin.h>

#include <stdio.h>
#include <string.h>

#define VARIANT_GOOD       0
#define VARIANT_ABI        1 /* built for another ABI */
#define VARIANT_INIT_FAIL  2 /* corral_plugin_init returns non-zero */
#define VARIANT_BAD_NAME   3 /* registers a tool named with a dot */
#define VARIANT_BAD_SCHEMA 4 /* registers an input schema that is not an object */

#ifndef TEST_VARIANT
#define TEST_VARIANT VARIANT_GOOD
#endif

#if TEST_VARIANT == VARIANT_ABI
CORRAL_PLUGIN_EXPORT const uint32_t corral_plugin_abi = 2;
#else
CORRAL_PLUGIN_DEFINE_ABI;
#endif

static const struct corral_host *host;

static const char schema[] = "{\"type\":\"object\"}";

/* echo: the arguments back as text. */
static int run_echo(struct corral_call *call, const char *args, void *data)
{
	return host->add_text(call, args, strlen(args));
}

/* fail: returns a code without a message. */
static int run_fail(struct corral_call *call, const char *args, void *data)
{
	return 7;
}

/* error: an error message plus text. */
static int run_error(struct corral_call *call, const char *args, void *data)
{
	host->add_text(call, "details", 7);
	return host->set_error(call, "no file named x.c; did you mean y.c?");
}

/* bad_utf8: invalid UTF-8 and a NUL byte in the text. */
static int run_bad_utf8(struct corral_call *call, const char *args, void *data)
{
	return host->add_text(call,
	                      "a\xff"
	                      "b\0c\xc3",
	                      6);
}

/* big: 3000 bytes of text in three pieces; the cap drops some. */
static int run_big(struct corral_call *call, const char *args, void *data)
{
	char buf[1000];

	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 3; i++)
		host->add_text(call, buf, sizeof(buf));
	return 0;
}

/* progress: many reports in a burst; the host throttles them. */
static int run_progress(struct corral_call *call, const char *args, void *data)
{
	for (int i = 0; i < 1000; i++)
		host->progress(call, i, 1000, "step");
	return 0;
}

/* structured: a bad structured result (refused), then a good one. */
static int run_structured(struct corral_call *call, const char *args, void *data)
{
	char text[64];
	int bad = host->set_structured(call, "not json");
	int list = host->set_structured(call, "[1,2]");

	snprintf(text, sizeof(text), "bad=%d list=%d", bad, list);
	host->add_text(call, text, strlen(text));
	return host->set_structured(call, "{\"ok\":true}");
}

/* info: the workspace, the script, a log line and a late register. */
static int run_info(struct corral_call *call, const char *args, void *data)
{
	char text[8192];
	const char *script = host->script();
	struct corral_tool late = {.size = sizeof(late),
	                           .name = "late",
	                           .description = "d",
	                           .input_schema = schema,
	                           .run = run_echo};
	int late_rc = host->register_tool(&late);

	host->log(CORRAL_LOG_WARNING, "careful %d", 42);
	snprintf(text, sizeof(text), "workspace=%s script=%s late=%d cap=%zu has_cap=%d",
	         host->workspace(), script != NULL ? script : "(null)", late_rc,
	         host->output_cap(call), CORRAL_HOST_HAS(host, output_cap));
	return host->add_text(call, text, strlen(text));
}

static const struct {
	const char *name;
	corral_tool_fn run;
} tools[] = {
    {"echo", run_echo},
    {"fail", run_fail},
    {"error", run_error},
    {"bad_utf8", run_bad_utf8},
    {"big", run_big},
    {"progress", run_progress},
    {"structured", run_structured},
    {"info", run_info},
};

CORRAL_PLUGIN_EXPORT int corral_plugin_init(const struct corral_host *h,
                                            struct corral_plugin *plugin)
{
	host = h;
	plugin->name = "test";
	plugin->version = "0.0.1";
#if TEST_VARIANT == VARIANT_INIT_FAIL
	return -5;
#endif
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		struct corral_tool tool = {
		    .size = sizeof(tool),
		    .name = tools[i].name,
		    .description = "a test tool",
		    .input_schema = schema,
		    .hints = CORRAL_TOOL_READ_ONLY,
		    .run = tools[i].run,
		};

		h->register_tool(&tool);
	}
#if TEST_VARIANT == VARIANT_BAD_NAME
	{
		struct corral_tool tool = {.size = sizeof(tool),
		                           .name = "bad.name",
		                           .description = "d",
		                           .input_schema = schema,
		                           .run = run_echo};

		h->register_tool(&tool);
	}
#elif TEST_VARIANT == VARIANT_BAD_SCHEMA
	{
		struct corral_tool tool = {.size = sizeof(tool),
		                           .name = "bad_schema",
		                           .description = "d",
		                           .input_schema = "[1, 2]",
		                           .run = run_echo};

		h->register_tool(&tool);
	}
#endif
	return 0;
}
