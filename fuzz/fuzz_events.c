/*
 * fuzz_events: the CLI's event file, split into one event per line
 * (mica_cli_split_events, cli/events.c), as `mica run --event-file F
 * --repeat N` does. The buffer is exactly what the CLI's read_file gives
 * (the bytes and one NUL after them, no more: ASan sees a write beyond),
 * with room for max events for a max the input chooses.
 *
 * Every event must be a non-blank line of the input, NUL-terminated in
 * place, in order, none missed, and the count must not depend on max.
 */
#include <string.h>

#include "events.h"
#include "fuzz.h"

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

FUZZ_TARGET(events)
{
	size_t max = size ? data[0] % 8 : 0; /* --repeat N: room for N */
	const uint8_t *text = size ? data + 1 : data;
	size_t len = size ? size - 1 : 0;
	char *buf = malloc(len + 1);
	char **ev = malloc((max ? max : 1) * sizeof(*ev));
	size_t *ev_len = malloc((max ? max : 1) * sizeof(*ev_len));
	if (!buf || !ev || !ev_len) {
		free(buf), free(ev), free(ev_len);
		return 0;
	}
	memcpy(buf, text, len);
	buf[len] = 0;
	size_t n = mica_cli_split_events(buf, len, ev, ev_len, max);

	/* What the lines are, from the original bytes. */
	size_t want = 0, k = 0;
	for (size_t p = 0; p <= len;) {
		const uint8_t *nl = memchr(text + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - text) : len;
		if (!blank((const char *)text + p, e - p)) {
			if (k < max) {
				FUZZ_CHECK(ev[k] == buf + p && ev_len[k] == e - p,
					   "event %zu: at %td, %zu bytes; want %zu, %zu", k,
					   ev[k] - buf, ev_len[k], p, e - p);
				FUZZ_CHECK(ev[k][ev_len[k]] == 0 &&
					       !memchr(ev[k], '\n', ev_len[k]) &&
					       !memcmp(ev[k], text + p, e - p),
					   "event %zu is not its line", k);
				k++;
			}
			want++;
		}
		if (!nl)
			break;
		p = e + 1;
	}
	FUZZ_CHECK(n == want, "%zu events, want %zu", n, want);

	/* The count does not depend on the room given. */
	if (max) {
		memcpy(buf, text, len);
		FUZZ_CHECK(mica_cli_split_events(buf, len, ev, ev_len, 0) == n, "count with max 0");
	}
	free(buf);
	free(ev);
	free(ev_len);
	return 0;
}
