#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int verr(mica_error *err, mica_code code, int errnum, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	int n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(err->message))
		snprintf(err->message + n, sizeof(err->message) - (size_t)n, ": %s",
			 strerror(errnum));
	return code;
}

int mica_err_v(mica_error *err, mica_code code, const char *fmt, va_list ap)
{
	return verr(err, code, 0, fmt, ap);
}

int mica_err(mica_error *err, mica_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int mica_err_errno(mica_error *err, mica_code code, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	verr(err, code, errnum, fmt, ap);
	va_end(ap);
	return code;
}

const char *mica_code_name(mica_code code)
{
	switch (code) {
	case MICA_OK: return "ok";
	case MICA_ERR_JS: return "uncaught exception";
	case MICA_ERR_INVALID: return "invalid input";
	case MICA_ERR_TIMEOUT: return "time limit exceeded";
	case MICA_ERR_MEMORY: return "memory limit exceeded";
	case MICA_ERR_FAULT: return "guest fault";
	case MICA_ERR_SYSTEM: return "system error";
	case MICA_ERR_INTERRUPTED: return "interrupted";
	}
	return "unknown error";
}
