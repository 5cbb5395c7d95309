/* mica_cli_slurp (slurp.h). */
#include "slurp.h"

#include <errno.h>
#include <stdlib.h>

char *mica_cli_slurp(FILE *f, size_t max, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (ferror(f) || feof(f))
			break;
		char *nb = cap < max ? realloc(buf, cap *= 2) : NULL;
		if (!nb) {
			free(buf);
			errno = EFBIG;
		}
		buf = nb;
	}
	if (buf && ferror(f)) { /* ferror keeps the cause in errno */
		int e = errno;
		free(buf);
		errno = e;
		return NULL;
	}
	if (buf) {
		buf[n] = 0;
		*len = n;
	}
	return buf;
}
