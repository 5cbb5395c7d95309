#include "events.h"

#include <string.h>

size_t mica_cli_split_events(char *buf, size_t len, char **ev, size_t *ev_len, size_t max)
{
	size_t lines = 0;
	for (char *p = buf, *end = buf + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		char *q = p;
		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < e) {
			if (lines < max) {
				*e = 0;
				ev[lines] = p;
				ev_len[lines] = (size_t)(e - p);
			}
			lines++;
		}
		p = e + 1;
	}
	return lines;
}
