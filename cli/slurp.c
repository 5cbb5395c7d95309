/* mica_cli_slurp (slurp.h). */
#include "slurp.h"

#include <errno.h>
#include <stdlib.h>

char *mica_cli_slurp(FILE *f, size_t max, size_t *len)
{
	/* room for max + 1 bytes (one more than allowed tells) and the NUL */
	size_t room = max + 2, cap = room < 65536 ? room : 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (ferror(f) || (feof(f) && n <= max))
			break;
		if (n > max) {
			free(buf);
			errno = EFBIG;
			return NULL;
		}
		cap = cap > room / 2 ? room : cap * 2;
		char *nb = realloc(buf, cap);
		if (!nb) {
			free(buf);
			errno = ENOMEM;
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
