/*
 * bench_echo.c - the most trivial native plugin: one tool that returns
 * "ok". What a .so tool call costs beyond the sandbox and the worker.
 */
#include <corral/plugin.h>

static const struct corral_host *host;

static int echo(struct corral_call *call, const char *args, void *data)
{
	(void)args, (void)data;
	return host->add_text(call, "ok", 2);
}

CORRAL_PLUGIN_DEFINE_ABI;

int corral_plugin_init(const struct corral_host *h, struct corral_plugin *plugin)
{
	struct corral_tool tool = {.size = sizeof(tool),
	                           .name = "bench_echo",
	                           .description = "Return ok.",
	                           .input_schema = "{\"type\": \"object\"}",
	                           .hints = CORRAL_TOOL_READ_ONLY,
	                           .run = echo};
	host = h;
	plugin->name = "bench";
	plugin->version = "1";
	return h->register_tool(&tool);
}
