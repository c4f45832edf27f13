/*
 * corral/error.h - the one error type shared by every layer of corral.
 *
 * A function that can fail returns 0 on success or a negative corral_code on
 * failure, and fills the struct corral_error passed as its last parameter.
 * The struct is fixed-size and holds no pointers, so a sandboxed child can
 * send it to its parent in one write(2). Out-parameters other than the error
 * are left untouched on failure.
 *
 * The codes are an append-only enum: a published value never changes
 * meaning, new ones are added at the end.
 */
#ifndef CORRAL_ERROR_H
#define CORRAL_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum corral_code {
	CORRAL_OK = 0,
	CORRAL_E_NOMEM = 1,       /* out of memory */
	CORRAL_E_IO = 2,          /* a file or system call failed; see sys_errno */
	CORRAL_E_JSON = 3,        /* malformed JSON */
	CORRAL_E_POLICY = 4,      /* a policy file is invalid */
	CORRAL_E_USAGE = 5,       /* bad command-line usage */
	CORRAL_E_SANDBOX = 6,     /* the sandbox could not be set up */
	CORRAL_E_UNSUPPORTED = 7, /* the kernel lacks a mechanism that is required */
	CORRAL_E_DENIED = 8,      /* denied by policy */
	CORRAL_E_LIMIT = 9,       /* a resource limit was hit */
	CORRAL_E_NOTFOUND = 10,   /* a named thing (file, profile, tool) does not exist */
	CORRAL_E_TOOLARGE = 11,   /* an input exceeds a hard cap */
	CORRAL_E_INTERNAL = 12,   /* a bug in corral */
	CORRAL_E__COUNT
};

/* Longest message, including the terminating NUL. */
#define CORRAL_ERROR_MESSAGE_MAX 480

struct corral_error {
	int code;      /* enum corral_code, 0 when no error */
	int sys_errno; /* errno behind the failure, 0 if none */
	char message[CORRAL_ERROR_MESSAGE_MAX];
};

/*
 * Fill @err (which may be NULL) with @code, @sys_errno and a printf-style
 * message, and return -@code so callers can write
 * `return corral_error_set(err, CORRAL_E_IO, errno, "cannot open %s", p);`.
 * Never allocates, so it is safe in a forked child.
 */
int corral_error_set(struct corral_error *err, int code, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Like corral_error_set() with a va_list. */
int corral_error_vset(struct corral_error *err, int code, int sys_errno, const char *fmt,
                      va_list ap) __attribute__((format(printf, 4, 0)));

/* Prefix @err's message with a printf-style context ("loading x: "). */
void corral_error_prefix(struct corral_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset @err to "no error". Accepts NULL. */
void corral_error_clear(struct corral_error *err);

/* A short, static description of @code ("out of memory"). Never NULL. */
const char *corral_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
