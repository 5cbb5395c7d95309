/* mica serve: the frames the host and fetch.js exchange (server.h). */
#include <stdlib.h>
#include <string.h>

#include "server.h"

int serve_frame_grow(unsigned char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	unsigned char *b = realloc(*buf, c);
	if (!b)
		return -1;
	*buf = b;
	*cap = c;
	return 0;
}

int serve_frame_field(unsigned char **buf, size_t *len, size_t *cap, const void *s, size_t n)
{
	if (n > UINT32_MAX || serve_frame_grow(buf, cap, *len + 4 + n))
		return -1;
	serve_put_u32(*buf + *len, (uint32_t)n);
	memcpy(*buf + *len + 4, s, n);
	*len += 4 + n;
	return 0;
}
