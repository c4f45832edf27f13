/*
 * approve.h - asking a human on the terminal to approve a call.
 *
 * The prompt goes to the controlling terminal (/dev/tty), not to stdout or
 * stdin, so it works while those carry a call's arguments or its result,
 * and it is never answered by a pipe. Without a controlling terminal (CI,
 * a detached agent) nobody can be asked: the answer is
 * APPROVAL_UNAVAILABLE, and the call is refused as needing approval.
 */
#ifndef CORRAL_APPROVE_H
#define CORRAL_APPROVE_H

#include "session.h"

#define APPROVE_ANSWER_MAX 64 /* bytes of one answer line read */
#define APPROVE_TRIES      3  /* unreadable answers before it counts as no */

struct approve_tty {
	struct approver approver;
	int cancel_fd; /* -1, or an fd whose readability ends the prompt with "no" */
};

/* Set up @t and return its approver (borrowed from @t) for session_opts. */
const struct approver *approve_tty_init(struct approve_tty *t);

/* Release @t. Accepts a @t that was never initialised only if zeroed. */
void approve_tty_release(struct approve_tty *t);

#endif
