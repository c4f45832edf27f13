/*
 * approve.c - the terminal approval prompt (approve.h).
 */
#define _GNU_SOURCE
#include "approve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Write all of @s to @fd; a terminal that went away just ends the prompt. */
static void put(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Print @s with control characters shown as ^X, so a call's arguments
 * cannot move the cursor or rewrite the question on the screen. */
static void put_visible(int fd, const char *s, size_t max)
{
	char buf[8];
	size_t n = 0;

	for (; *s && n < max; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f) {
			snprintf(buf, sizeof(buf), "^%c", c == 0x7f ? '?' : c + '@');
			put(fd, buf);
		} else {
			buf[0] = (char)c;
			buf[1] = '\0';
			put(fd, buf);
		}
	}
	if (*s)
		put(fd, "...");
}

/* Read one line from @fd, or give up when @cancel_fd becomes readable.
 * Returns the length, 0 at end of input, -1 when cancelled or on error. */
static ssize_t read_answer(int fd, int cancel_fd, char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
		                        {.fd = cancel_fd, .events = POLLIN}};
		char c;
		ssize_t n;

		if (poll(pfd, cancel_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (cancel_fd >= 0 && (pfd[1].revents & POLLIN))
			return -1;
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0 || c == '\n')
			break;
		if (len + 1 < size)
			buf[len++] = c;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

static enum approval_answer ask_tty(void *ctx, const struct approval_request *req, char *detail,
                                    size_t detail_size)
{
	struct approve_tty *t = ctx;
	enum approval_answer answer = APPROVAL_NO;
	char line[APPROVE_ANSWER_MAX], where[512];
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return APPROVAL_UNAVAILABLE;
	put(fd, "\ncorral: approve this call?\n  tool:      ");
	put_visible(fd, req->tool, 64);
	if (req->command) {
		put(fd, "\n  command:   ");
		put_visible(fd, req->command, 2000);
	} else {
		put(fd, "\n  arguments: ");
		put_visible(fd, req->args_json ? req->args_json : "{}", 2000);
	}
	if (req->rule && req->loc.file)
		snprintf(where, sizeof(where), "\n  rule:      ask %.200s (%.200s:%d)", req->rule,
		         req->loc.file, req->loc.line);
	else
		snprintf(where, sizeof(where),
		         "\n  rule:      no rule matched; the default is ask");
	put(fd, where);
	if (req->checkpoint)
		put(fd, "\n  a checkpoint is taken first: `corral rollback` undoes the call");
	put(fd, "\n");
	for (int i = 0; i < APPROVE_TRIES; i++) {
		ssize_t n;

		put(fd, "Allow? [y]es, [n]o, [a]lways for this run: ");
		n = read_answer(fd, t->cancel_fd, line, sizeof(line));
		if (n < 0) {
			put(fd, "\n");
			break;
		}
		if (n == 0 && i == 0) {
			/* A bare Enter, or the end of input: the safe answer. */
			break;
		}
		if (!strcasecmp(line, "y") || !strcasecmp(line, "yes")) {
			answer = APPROVAL_YES;
			break;
		}
		if (!strcasecmp(line, "a") || !strcasecmp(line, "always")) {
			answer = APPROVAL_ALWAYS;
			break;
		}
		if (!strcasecmp(line, "n") || !strcasecmp(line, "no"))
			break;
		put(fd, "Please answer y, n or a.\n");
	}
	if (detail && detail_size) {
		/* /dev/tty names no one: the terminal's own name does. */
		const char *name = isatty(STDERR_FILENO)  ? ttyname(STDERR_FILENO)
		                   : isatty(STDIN_FILENO) ? ttyname(STDIN_FILENO)
		                                          : NULL;
		snprintf(detail, detail_size, "uid %u on %s", (unsigned)getuid(),
		         name ? name : "a terminal");
	}
	close(fd);
	return answer;
}

const struct approver *approve_tty_init(struct approve_tty *t)
{
	t->approver.name = "tty";
	t->approver.ask = ask_tty;
	t->approver.ctx = t;
	t->cancel_fd = -1;
	return &t->approver;
}

void approve_tty_release(struct approve_tty *t)
{
	(void)t;
}
