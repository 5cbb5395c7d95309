/* A synchronous host call in progress (the public mica_hostcall). */
#ifndef MICA_HOST_HOSTCALL_H
#define MICA_HOST_HOSTCALL_H

#include <stddef.h>
#include <stdint.h>

#include "guestmem.h"

struct mica_hostcall {
	const char *args;
	size_t args_len;
	uint32_t args_kind; /* enum mica_kind */
	/* Where the answer goes: the guest's request buffer in mem (written
	 * through the logging accessor), or into result when mem is NULL. */
	struct mica_guestmem *mem;
	char *result; /* malloc'd, when mem is NULL */
	size_t result_len;
	uint32_t result_kind; /* enum mica_kind */
	int failed;
	int answered;
};

#endif
