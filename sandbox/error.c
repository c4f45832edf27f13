/*
 * The shared error type lives in the lowest layer (the sandbox), so that
 * both the sandbox and the runtime above it use one implementation.
 */
#include <corral/error.h>

#include <stdio.h>
#include <string.h>

static const char *const code_text[CORRAL_E__COUNT] = {
    [CORRAL_OK] = "success",
    [CORRAL_E_NOMEM] = "out of memory",
    [CORRAL_E_IO] = "input/output error",
    [CORRAL_E_JSON] = "malformed JSON",
    [CORRAL_E_POLICY] = "invalid policy",
    [CORRAL_E_USAGE] = "bad usage",
    [CORRAL_E_SANDBOX] = "sandbox could not be set up",
    [CORRAL_E_UNSUPPORTED] = "not supported by this kernel",
    [CORRAL_E_DENIED] = "denied by policy",
    [CORRAL_E_LIMIT] = "limit hit",
    [CORRAL_E_NOTFOUND] = "not found",
    [CORRAL_E_TOOLARGE] = "input too large",
    [CORRAL_E_INTERNAL] = "internal error",
};

const char *corral_strerror(int code)
{
	if (code < 0)
		code = -code;
	if (code >= CORRAL_E__COUNT || !code_text[code])
		return "unknown error";
	return code_text[code];
}

int corral_error_vset(struct corral_error *err, int code, int sys_errno, const char *fmt,
                      va_list ap)
{
	if (err) {
		err->code = code;
		err->sys_errno = sys_errno;
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
	}
	return -code;
}

int corral_error_set(struct corral_error *err, int code, int sys_errno, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = corral_error_vset(err, code, sys_errno, fmt, ap);
	va_end(ap);
	return rc;
}

void corral_error_prefix(struct corral_error *err, const char *fmt, ...)
{
	char joined[CORRAL_ERROR_MESSAGE_MAX];
	size_t plen, mlen;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(joined, sizeof(joined), fmt, ap);
	va_end(ap);
	/* Truncation is intended: the message keeps its fixed size. */
	plen = strlen(joined);
	mlen = strnlen(err->message, sizeof(err->message));
	if (mlen > sizeof(joined) - 1 - plen)
		mlen = sizeof(joined) - 1 - plen;
	memcpy(joined + plen, err->message, mlen);
	joined[plen + mlen] = '\0';
	memcpy(err->message, joined, sizeof(err->message));
}

void corral_error_clear(struct corral_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->sys_errno = 0;
	err->message[0] = '\0';
}
