/* MICA_HC_CONSOLE: the guest's console output, capped per request. */
#include <stdio.h>
#include <stdlib.h>

#include "hypercall.h"

#define TRUNCATED_NOTE "\n[mica] console output truncated: the limit is %zu bytes per call\n"

static void console_out(mica_sandbox *sb, int stream, const char *p, size_t n)
{
	if (sb->console && n)
		sb->console(sb->console_data, stream, p, n);
}

int mica_hc_console(mica_sandbox *sb, uint64_t gpa, int64_t deadline, mica_error *err)
{
	(void)deadline;
	struct mica_hc_console hc;
	if (mica_mem_read(&sb->mem, gpa, &hc, sizeof(hc)))
		return mica_abi_violation(sb, err, "console structure", gpa);
	if (!mica_mem_check(&sb->mem, hc.data, hc.len) || (hc.stream != 1 && hc.stream != 2))
		return mica_sandbox_kill(
		    sb, MICA_ERR_FAULT, err,
		    "guest ABI violation: console write of %llu bytes at 0x%llx to stream %u",
		    (unsigned long long)hc.len, (unsigned long long)hc.data, hc.stream);
	size_t limit = sb->limits.output_bytes;
	if (sb->output > limit)
		return 0;
	size_t n = hc.len > limit - sb->output ? limit - sb->output : hc.len;
	void *copy;
	const char *data = mica_mem_view(&sb->mem, hc.data, n, &copy);
	if (!data)
		return mica_sandbox_kill(
		    sb, MICA_ERR_FAULT, err,
		    "guest ABI violation: console write of %llu bytes at 0x%llx to stream %u",
		    (unsigned long long)hc.len, (unsigned long long)hc.data, hc.stream);
	console_out(sb, (int)hc.stream, data, n);
	free(copy);
	sb->output += hc.len;
	if (sb->output > limit) {
		char note[128];
		int k = snprintf(note, sizeof(note), TRUNCATED_NOTE, limit);
		console_out(sb, 2, note, (size_t)k);
	}
	return 0;
}
