/* Error reporting inside libmica: a code plus a formatted message. */
#ifndef MICA_HOST_ERROR_H
#define MICA_HOST_ERROR_H

#include <stdarg.h>

#include "mica.h"

/* Fills err (if not NULL) and returns code, so callers can `return mica_err(...)`. */
int mica_err(mica_error *err, mica_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* mica_err with a va_list. */
int mica_err_v(mica_error *err, mica_code code, const char *fmt, va_list ap);
/* Like mica_err, appending ": strerror(errno)". */
int mica_err_errno(mica_error *err, mica_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
