/*
 * A guest that follows the protocol (READY, then one WAIT per request)
 * until a request's handler name tells it to misbehave. Freestanding: no
 * libc, linked with guest/boot.S. The handlers are listed in proto_main().
 */
#include <stddef.h>
#include <stdint.h>

#include "hostile.h"

#define IN	     ((const char *)MICA_GPA_IN)
#define FLOOD_CHUNK  4096
#define FLOOD_CHUNKS 1024 /* 4 MiB per request */

/* gcc may emit calls to these even when freestanding. */
void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

long mica_syscall_dispatch(long nr)
{
	(void)nr;
	return -38; /* ENOSYS */
}

static inline void hc(unsigned nr, uint64_t gpa)
{
	__asm__ volatile("outl %0, %w1"
			 :
			 : "a"((uint32_t)gpa), "Nd"((uint16_t)(MICA_PORT_BASE + nr))
			 : "memory");
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static uint64_t number(const char *s, uint64_t len)
{
	uint64_t v = 0;
	for (uint64_t i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return v;
}

static char flood_chunk[FLOOD_CHUNK];
static const char flooded[] = "\"flooded\"";

/* Calls host function fn with args of a kind; the reply is in MICA_GPA_IN. */
static void hostcall_kind(struct mica_hc_wait *w, uint32_t fn, uint64_t args, uint64_t len, uint32_t kind)
{
	struct mica_hc_hostcall h = {.fn = fn, .args = args, .args_len = len, .args_kind = kind};
	hc(HC_HOSTCALL, (uintptr_t)&h);
	w->status = h.failed ? MICA_GS_EXCEPTION : MICA_GS_OK;
	w->result = MICA_GPA_IN;
	w->result_len = h.result_len;
}

static void hostcall(struct mica_hc_wait *w, uint32_t fn, uint64_t args, uint64_t len)
{
	hostcall_kind(w, fn, args, len, MICA_KIND_JSON);
}

static void flood(struct mica_hc_wait *w)
{
	memset(flood_chunk, 'x', sizeof(flood_chunk));
	struct mica_hc_console c = {
	    .stream = 1, .data = (uintptr_t)flood_chunk, .len = FLOOD_CHUNK};
	for (int i = 0; i < FLOOD_CHUNKS; i++)
		hc(HC_CONSOLE, (uintptr_t)&c);
	w->status = MICA_GS_OK;
	w->result = (uintptr_t)flooded;
	w->result_len = sizeof(flooded) - 1;
}

void proto_main(void)
{
	struct mica_hc_wait w = {.status = MICA_GS_READY}; /* on the stack */
	for (;;) {
		hc(HC_WAIT, (uintptr_t)&w);
		const char *name = IN, *data = IN + w.name_len + 1;
		uint64_t len = w.data_len;
		w.status = MICA_GS_OK;
		w.kind = MICA_KIND_JSON;
		w.result = (uintptr_t)data;
		w.result_len = len;
		if (streq(name, "echo")) {
			/* the reply above */
		} else if (streq(name, "bytes_echo")) { /* the event, said to be bytes */
			w.kind = MICA_KIND_BYTES;
		} else if (streq(name, "bytes_wild")) { /* bytes at an address outside memory */
			w.kind = MICA_KIND_BYTES;
			w.result = WILD;
		} else if (streq(name, "bytes_huge")) {
			w.kind = MICA_KIND_BYTES;
			w.result_len = 0x8000000000000000;
		} else if (streq(name, "kind_bad")) {
			w.kind = 7;
		} else if (streq(name, "hostcall_bytes")) { /* host function 0 with the event as bytes */
			hostcall_kind(&w, 0, (uintptr_t)data, len, MICA_KIND_BYTES);
		} else if (streq(name, "hostcall_bytes_wild")) {
			hostcall_kind(&w, 0, WILD, 16, MICA_KIND_BYTES);
		} else if (streq(name, "hostcall_kind_bad")) {
			hostcall_kind(&w, 0, (uintptr_t)data, len, 5);
		} else if (streq(name, "hostcall")) { /* host function 0 with args = data */
			hostcall(&w, 0, (uintptr_t)data, len);
		} else if (streq(name, "hostcall_fn")) { /* host function number data */
			hostcall(&w, (uint32_t)number(data, len), (uintptr_t)data, 0);
		} else if (streq(name, "hostcall_args_wild")) {
			hostcall(&w, 0, WILD, 16);
		} else if (streq(name, "flood")) {
			flood(&w);
		} else if (streq(name, "status")) { /* no such status */
			w.status = 0xdeadbeef;
		} else if (streq(name, "ready_again")) {
			w.status = MICA_GS_READY;
		} else if (streq(name, "result_wild")) {
			w.result = WILD;
		} else if (streq(name, "result_huge")) {
			w.result_len = 0x8000000000000000;
		} else if (streq(name, "wait_wild")) {
			hc(HC_WAIT, WILD32);
		} else if (streq(name, "console_wild")) {
			struct mica_hc_console c = {.stream = 2, .data = WILD, .len = 1};
			hc(HC_CONSOLE, (uintptr_t)&c);
		} else if (streq(name, "exit")) {
			struct mica_hc_exit e = {.code = 3, .msg = (uintptr_t)data, .msg_len = len};
			hc(HC_EXIT, (uintptr_t)&e);
		} else if (streq(name, "ud2")) {
			__asm__ volatile("ud2");
		} else if (streq(name, "spin")) {
			for (;;)
				__asm__ volatile("");
		} else {
			static const char bad[] = "no such handler";
			w.status = MICA_GS_BAD_INPUT;
			w.result = (uintptr_t)bad;
			w.result_len = sizeof(bad) - 1;
		}
	}
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	call proto_main\n"
	"	ud2\n");
