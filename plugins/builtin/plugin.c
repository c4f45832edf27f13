/*
 * plugin.c - the built-in tools, as a plugin on the public ABI like any
 * other: one table of tools, registered in corral_plugin_init.
 */
#include "builtin.h"

CORRAL_PLUGIN_DEFINE_ABI;

const struct corral_host *builtin_host;

static const struct corral_tool *const builtin_tools[] = {
    &builtin_exec_tool,      &builtin_read_file_tool,  &builtin_write_file_tool,
    &builtin_edit_file_tool, &builtin_list_files_tool, &builtin_grep_tool,
};

int corral_plugin_init(const struct corral_host *host, struct corral_plugin *plugin)
{
	builtin_host = host;
	plugin->name = "builtin";
	plugin->version = CORRAL_VERSION;
	for (size_t i = 0; i < sizeof(builtin_tools) / sizeof(builtin_tools[0]); i++) {
		int rc = host->register_tool(builtin_tools[i]);

		if (rc != 0)
			return rc;
	}
	return 0;
}
