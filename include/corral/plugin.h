/*
 * corral/plugin.h - the native plugin ABI. This header is the specification.
 *
 * A plugin is a shared object that exports two symbols:
 *
 *     const uint32_t corral_plugin_abi;   (defined by CORRAL_PLUGIN_DEFINE_ABI)
 *     int corral_plugin_init(const struct corral_host *host, struct corral_plugin *plugin);
 *
 * corral never loads a plugin into its own process. A small worker program,
 * exec'd inside the sandbox of the call, dlopen()s the plugin
 * (RTLD_NOW | RTLD_LOCAL), reads corral_plugin_abi and refuses a plugin built
 * for another ABI before any of its functions is called, then calls
 * corral_plugin_init() and either lists the tools the plugin registered or
 * runs one of them. A plugin that crashes, loops,
 * exits or misbehaves takes down only that worker; corral reports an error
 * result and carries on.
 *
 * Versioning (the pattern of SQLite's sqlite3_api_routines and Redis's
 * module API):
 *  - CORRAL_PLUGIN_ABI_VERSION changes only when an existing signature or
 *    meaning changes, which should never happen. A plugin built for another
 *    version is refused, with a message naming both versions.
 *  - struct corral_host only grows, at its end. host->size is its size in
 *    the running corral; a plugin that wants a slot added later checks
 *    CORRAL_HOST_HAS(host, slot) before calling it.
 *  - Structs the plugin fills (struct corral_tool) start with a size field
 *    set to sizeof() at the plugin's build, so corral can read older ones.
 *
 * Data crosses the boundary as NUL-terminated UTF-8 JSON text: tool input
 * schemas, call arguments, structured results. Nothing but plain C types
 * and these strings is shared, so a plugin may use any JSON library.
 *
 * Threading: corral calls a plugin from one thread. The plugin may start
 * threads of its own, but must call host functions for a call only from the
 * thread that runs it, and only until its run function returns.
 *
 * Constructors: do no work in ELF constructors (__attribute__((constructor))
 * or C++ static initialisers). They run before the ABI check; they run
 * sandboxed like everything else, but a plugin that relies on them gets no
 * error reporting.
 */
#ifndef CORRAL_PLUGIN_H
#define CORRAL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CORRAL_PLUGIN_ABI_VERSION 1u

#define CORRAL_PLUGIN_EXPORT      __attribute__((visibility("default")))

/* Put this once in a plugin's sources, at file scope. */
#define CORRAL_PLUGIN_DEFINE_ABI                                                                   \
	CORRAL_PLUGIN_EXPORT const uint32_t corral_plugin_abi = CORRAL_PLUGIN_ABI_VERSION

/* Tool annotations (the MCP tool annotations), for struct corral_tool.hints. */
#define CORRAL_TOOL_READ_ONLY   0x1u /* readOnlyHint: never modifies its environment */
#define CORRAL_TOOL_DESTRUCTIVE 0x2u /* destructiveHint: may destroy or overwrite data */
#define CORRAL_TOOL_IDEMPOTENT  0x4u /* idempotentHint: repeating a call changes nothing more */
#define CORRAL_TOOL_OPEN_WORLD  0x8u /* openWorldHint: reaches outside the workspace (network) */

/* Log levels for host->log. */
enum corral_log_level {
	CORRAL_LOG_DEBUG = 0,
	CORRAL_LOG_INFO = 1,
	CORRAL_LOG_WARNING = 2,
	CORRAL_LOG_ERROR = 3,
};

struct corral_call; /* one running call; opaque, owned by the host */

/*
 * A tool's run function. @args is the call's arguments as a JSON object
 * (already validated against the tool's input schema; borrowed, valid until
 * the function returns). The function reports its result through the host
 * functions below (text content, a structured result, an error) and returns
 * 0; any other return value makes the call an error result that says the
 * tool failed with that code. @data is the tool's corral_tool.data.
 */
typedef int (*corral_tool_fn)(struct corral_call *call, const char *args, void *data);

/*
 * A tool, as the plugin describes it to host->register_tool(). Every string
 * is borrowed: the host copies what it keeps before register_tool returns.
 */
struct corral_tool {
	size_t size;               /* sizeof(struct corral_tool) at the plugin's build */
	const char *name;          /* [A-Za-z0-9_-]{1,64}, unique across all plugins */
	const char *title;         /* short human title, or NULL */
	const char *description;   /* what the tool does, for the model; required */
	const char *input_schema;  /* JSON Schema of the arguments (an object schema); required */
	const char *output_schema; /* JSON Schema of the structured result, or NULL */
	uint32_t hints;            /* CORRAL_TOOL_* annotations */
	corral_tool_fn run;        /* required */
	void *data;                /* passed to run, untouched by the host */
};

/*
 * The host's functions. Every function that can fail returns 0 on success
 * or a negative errno value (-EINVAL for a bad argument, -ENOMEM, -E2BIG
 * when a cap is exceeded) and never aborts the plugin.
 */
struct corral_host {
	size_t size;          /* sizeof(struct corral_host) in the running corral */
	uint32_t abi_version; /* CORRAL_PLUGIN_ABI_VERSION of the running corral */

	/* Declare a tool. Only during corral_plugin_init(). */
	int (*register_tool)(const struct corral_tool *tool);

	/* Append UTF-8 text to the call's result content. The text is copied.
	 * Content past the host's output cap is dropped and the result says
	 * how much; the call itself goes on. */
	int (*add_text)(struct corral_call *call, const char *text, size_t len);

	/* Set the call's structured result: a JSON object as text (copied).
	 * -EINVAL when it is not valid JSON. A later call replaces it. */
	int (*set_structured)(struct corral_call *call, const char *json);

	/* Make the result an error with this one-sentence message (copied),
	 * written for the model to act on ("no file named x.c; did you mean
	 * y.c?"). Text content added before or after is kept. */
	int (*set_error)(struct corral_call *call, const char *message);

	/* Report progress: @done of @total (total 0 when unknown), with an
	 * optional message. Throttled by the host; cheap to call often. */
	int (*progress)(struct corral_call *call, double done, double total, const char *message);

	/* Non-zero once the call was cancelled: return as soon as possible
	 * (the host kills the sandbox a moment later anyway). */
	int (*cancelled)(struct corral_call *call);

	/* Memory that the host may free, and the matching free. */
	void *(*alloc)(size_t size);
	void (*free)(void *ptr);

	/* A log line for the operator (not the model); printf-style. */
	void (*log)(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

	/* The workspace's absolute path (the sandbox's working directory). */
	const char *(*workspace)(void);

	/* For a plugin that hosts scripts (the Lua host): the path of the
	 * script to load for this worker, readable in the sandbox; NULL for a
	 * plain plugin. */
	const char *(*script)(void);

	/* The most text content this call keeps (the worker's --output-cap),
	 * so that a tool can bound what it gathers before add_text drops it. */
	size_t (*output_cap)(struct corral_call *call);

	/* New slots go here, at the end, and are tested with CORRAL_HOST_HAS. */
};

/* Does the running host have the function slot @field? */
#define CORRAL_HOST_HAS(host, field)                                                               \
	((host)->size >= offsetof(struct corral_host, field) + sizeof((host)->field))

/*
 * What the plugin tells the host about itself in corral_plugin_init().
 * The host zeroes it and sets size before the call.
 */
struct corral_plugin {
	size_t size;         /* sizeof(struct corral_plugin) in the running corral */
	const char *name;    /* the plugin's name, e.g. "builtin"; static */
	const char *version; /* its version, e.g. "1.0.0"; static */
};

/* The ABI version the plugin was built against (CORRAL_PLUGIN_DEFINE_ABI). */
CORRAL_PLUGIN_EXPORT extern const uint32_t corral_plugin_abi;

/*
 * The entry point, called once per worker, after the ABI check. Register
 * tools and return 0; any other return value makes the plugin fail to load,
 * with that code in the message. @host and @plugin stay valid for the
 * worker's life.
 */
CORRAL_PLUGIN_EXPORT int corral_plugin_init(const struct corral_host *host,
                                            struct corral_plugin *plugin);

#ifdef __cplusplus
}
#endif
#endif
