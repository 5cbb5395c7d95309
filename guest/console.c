/* Console output, buffered so that a call that logs a little costs no extra exit. */
#include <string.h>

#include "guest.h"

/* In the window, where both backends' hosts read a flush in place. */
#define CONSOLE_BUF MICA_CONSOLE_SIZE
#define buf	    ((char *)MICA_GPA_CONSOLE)

static size_t buf_len;
static int buf_stream = 1;
static uint64_t sent; /* bytes handed to the host in this request */

void mica_console_flush(void)
{
	if (buf_len == 0)
		return;
	/* Past the limit, send just enough for the host to see the overflow. */
	if (sent <= MICA_INFO->output_limit) {
		struct mica_hc_console hc = {.stream = (uint32_t)buf_stream,
					     .data = (uint64_t)(uintptr_t)buf,
					     .len = buf_len};
		mica_hypercall(MICA_HC_CONSOLE, &hc, sizeof(hc));
		sent += buf_len;
	}
	buf_len = 0;
}

uint64_t mica_console_written(void)
{
	return sent + buf_len;
}

void mica_console_reset(void)
{
	sent = 0;
}

void mica_console_write(int stream, const char *data, size_t len)
{
	if (stream != buf_stream) {
		mica_console_flush();
		buf_stream = stream;
	}
	while (len > 0) {
		if (sent > MICA_INFO->output_limit)
			return;
		size_t n = CONSOLE_BUF - buf_len;
		if (n > len)
			n = len;
		memcpy(buf + buf_len, data, n);
		buf_len += n;
		data += n;
		len -= n;
		if (buf_len == CONSOLE_BUF)
			mica_console_flush();
	}
}

_Noreturn void mica_guest_exit(int64_t code, const char *msg)
{
	mica_console_flush();
	struct mica_hc_exit hc = {
	    .code = code, .msg = (uint64_t)(uintptr_t)msg, .msg_len = strlen(msg)};
	for (;;)
		mica_hypercall(MICA_HC_EXIT, &hc, sizeof(hc));
}
