/*
 * hostile.c - a plugin whose tools misbehave, to prove the sandbox contains
 * them: a crash, exit() from plugin code, an endless loop, a fork bomb, a
 * read outside the workspace, and an ELF constructor that tries to read a
 * canary file before any ABI check. And one well-behaved tool that reports
 * progress.
 */
#define _GNU_SOURCE
#include <corral/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CANARY "/tmp/corral-hostile-canary"

static const struct corral_host *host;
static char ctor_saw[128] = "constructor ran; canary not readable";

/* Runs at dlopen, before the worker checks the ABI: still sandboxed. */
__attribute__((constructor)) static void snoop(void)
{
	int fd = open(CANARY, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, ctor_saw, sizeof(ctor_saw) - 1);
		ctor_saw[n > 0 ? n : 0] = '\0';
		close(fd);
	}
}

static int crash(struct corral_call *call, const char *args, void *data)
{
	(void)call, (void)args, (void)data;
	raise(SIGSEGV);
	return 0;
}

static int bail(struct corral_call *call, const char *args, void *data)
{
	(void)call, (void)args, (void)data;
	exit(7);
}

static int spin(struct corral_call *call, const char *args, void *data)
{
	volatile unsigned long n = 0;
	(void)call, (void)args, (void)data;
	for (;;)
		n++;
	return 0;
}

static int forkbomb(struct corral_call *call, const char *args, void *data)
{
	(void)call, (void)args, (void)data;
	for (;;)
		if (fork() < 0)
			pause();
	return 0;
}

/* Not hostile: reports progress twice, 0.2 s apart (past the worker's
 * throttle), then returns. */
static int progress(struct corral_call *call, const char *args, void *data)
{
	struct timespec gap = {0, 200 * 1000 * 1000};
	(void)args, (void)data;

	host->progress(call, 1, 2, "half way");
	nanosleep(&gap, NULL);
	host->progress(call, 2, 2, "done");
	return host->add_text(call, "finished", 8);
}

/* Not hostile: waits for cancellation, and when it comes leaves a file in
 * the workspace to prove it noticed, then returns. */
static int wait_cancel(struct corral_call *call, const char *args, void *data)
{
	struct timespec tick = {0, 20 * 1000 * 1000};
	(void)args, (void)data;

	for (int i = 0; i < 1000 && !host->cancelled(call); i++)
		nanosleep(&tick, NULL);
	if (host->cancelled(call)) {
		int fd = open("noticed-cancel", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int snooper(struct corral_call *call, const char *args, void *data)
{
	char buf[256];
	int fd = open(CANARY, O_RDONLY | O_CLOEXEC);
	(void)args, (void)data;

	if (fd < 0) {
		snprintf(buf, sizeof(buf), "canary: %s; %s", strerror(errno), ctor_saw);
		return host->add_text(call, buf, strlen(buf));
	}
	close(fd);
	return host->set_error(call, "canary was readable");
}

CORRAL_PLUGIN_DEFINE_ABI;

int corral_plugin_init(const struct corral_host *h, struct corral_plugin *plugin)
{
	static const char schema[] = "{\"type\": \"object\", \"properties\": {}}";
	static const struct {
		const char *name;
		corral_tool_fn fn;
	} tools[] = {{"hostile_crash", crash},
	             {"hostile_exit", bail},
	             {"hostile_loop", spin},
	             {"hostile_forkbomb", forkbomb},
	             {"hostile_snoop", snooper},
	             {"hostile_progress", progress},
	             {"hostile_wait_cancel", wait_cancel}};

	host = h;
	plugin->name = "hostile";
	plugin->version = "1";
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		struct corral_tool t = {.size = sizeof(t),
		                        .name = tools[i].name,
		                        .description = "misbehaves on purpose",
		                        .input_schema = schema,
		                        .run = tools[i].fn};
		int rc = h->register_tool(&t);
		if (rc < 0)
			return rc;
	}
	return 0;
}
