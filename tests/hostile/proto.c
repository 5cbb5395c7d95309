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

void hostile_hc(unsigned nr, uint64_t gpa); /* transport.S */
/* guest/proc.S, for the process backend's tests */
void mica_proc_park(void);
extern char mica_proc_notify_ip[];
long mica_proc_scan(void *arg);
long mica_proc_drop(uint64_t addr, uint64_t len);

static inline void hc(unsigned nr, uint64_t gpa)
{
	__asm__ volatile("" ::: "memory");
	hostile_hc(nr, gpa);
	__asm__ volatile("" ::: "memory");
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

/* Up to 6 unsigned decimal numbers separated by spaces. */
static int numbers(const char *s, uint64_t len, uint64_t *v, int max)
{
	int n = 0;
	for (uint64_t i = 0; i < len && n < max;) {
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			break;
		uint64_t x = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			x = x * 10 + (uint64_t)(s[i++] - '0');
		v[n++] = x;
	}
	return n;
}

static char num_text[24];

/* v as signed decimal text. */
static uint64_t format(int64_t v)
{
	char tmp[24];
	int n = 0, neg = v < 0;
	uint64_t u = neg ? (uint64_t)-v : (uint64_t)v;
	do
		tmp[n++] = (char)('0' + u % 10);
	while (u /= 10);
	int k = 0;
	if (neg)
		num_text[k++] = '-';
	while (n)
		num_text[k++] = tmp[--n];
	return (uint64_t)k;
}

/* A raw system call, made here and not through the guest's stubs: the
 * process backend's filter must refuse it (SIGSYS into the dispatcher,
 * which answers -ENOSYS) or kill the process. */
static long raw_syscall(const uint64_t *a)
{
	long r;
	register uint64_t r10 __asm__("r10") = a[4];
	register uint64_t r8 __asm__("r8") = a[5];
	register uint64_t r9 __asm__("r9") = a[6];
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(a[0]), "D"(a[1]), "S"(a[2]), "d"(a[3]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

/* What "stash" hides where a reset must find it, and "peek" looks. */
static volatile uint64_t hidden;
static uint64_t stash_tls[2] = {(uint64_t)(uintptr_t)stash_tls, 0};

static int in_process(void)
{
	return (((const struct mica_boot_info *)MICA_GPA_INFO)->flags & MICA_BOOT_PROCESS) != 0;
}

static uint64_t fs_base(void)
{
	uint64_t v;
	if (in_process()) /* no FSGSBASE here: the thread pointer is its own address */
		__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	else
		__asm__ volatile("rdfsbase %0" : "=r"(v));
	return v;
}

#define STASH_SLOTS 10

/* The places a guest that owns its sandbox could keep something for the
 * next tenant: its memory (private, the shared window, the request buffer,
 * the signal stack, the mailbox past the WAIT structure, the scratch
 * area), the thread pointer and a vector register. */
static void stash(uint64_t v)
{
	hidden = v;
	((volatile uint64_t *)MICA_GPA_MAILBOX)[400] = v;
	((volatile uint64_t *)MICA_GPA_CONSOLE)[10] = v;
	((volatile uint64_t *)(MICA_GPA_IN + 0x200000))[0] = v;
	((volatile uint64_t *)(MICA_GPA_INLINE + 0x2000))[0] = v;
	((volatile uint64_t *)MICA_GPA_MAILBOX)[7] = v; /* call[56]: past struct mica_hc_wait */
	if (in_process()) {
		((volatile uint64_t *)MICA_GPA_SIGSTACK)[10] = v;
		((volatile uint64_t *)MICA_GPA_SCRATCH)[10] = v;
		uint64_t a[7] = {158, 0x1002,
				 (uint64_t)(uintptr_t)stash_tls}; /* arch_prctl(SET_FS) */
		raw_syscall(a);
	} else {
		__asm__ volatile("wrfsbase %0" : : "r"((uint64_t)(uintptr_t)stash_tls) : "memory");
	}
	__asm__ volatile("movq %0, %%xmm15" : : "r"(v));
}

static uint64_t peeked[STASH_SLOTS];

static void peek(void)
{
	peeked[0] = hidden;
	peeked[1] = ((volatile uint64_t *)MICA_GPA_MAILBOX)[400];
	peeked[2] = ((volatile uint64_t *)MICA_GPA_CONSOLE)[10];
	peeked[3] = ((volatile uint64_t *)(MICA_GPA_IN + 0x200000))[0];
	peeked[4] = ((volatile uint64_t *)(MICA_GPA_INLINE + 0x2000))[0];
	peeked[5] = in_process() ? ((volatile uint64_t *)MICA_GPA_SIGSTACK)[10] : 0;
	peeked[6] = fs_base() == (uint64_t)(uintptr_t)stash_tls;
	__asm__ volatile("movq %%xmm15, %0" : "=r"(peeked[7]));
	peeked[8] = ((volatile uint64_t *)MICA_GPA_MAILBOX)[7];
	peeked[9] = in_process() ? ((volatile uint64_t *)MICA_GPA_SCRATCH)[10] : 0;
}

static char list_text[STASH_SLOTS * 24 + 2];

/* peeked as a JSON array. */
static uint64_t peeked_json(void)
{
	uint64_t n = 0;
	list_text[n++] = '[';
	for (int i = 0; i < STASH_SLOTS; i++) {
		uint64_t k = format((int64_t)peeked[i]);
		for (uint64_t j = 0; j < k; j++)
			list_text[n++] = num_text[j];
		list_text[n++] = i + 1 < STASH_SLOTS ? ',' : ']';
	}
	return n;
}

static char flood_chunk[FLOOD_CHUNK];
static const char flooded[] = "\"flooded\"";

/* Calls host function fn with args of a kind; the reply is in MICA_GPA_IN. */
static void hostcall_kind(struct mica_hc_wait *w, uint32_t fn, uint64_t args, uint64_t len,
			  uint32_t kind)
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
		const char *name = (const char *)(uintptr_t)w.request,
			   *data = name + w.name_len + 1;
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
		} else if (streq(name,
				 "hostcall_bytes")) { /* host function 0 with the event as bytes */
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
		} else if (streq(name, "sys")) { /* "nr a1 .. a6": the raw result */
			uint64_t a[7] = {0};
			numbers(data, len, a, 7);
			w.result = (uintptr_t)num_text;
			w.result_len = format(raw_syscall(a));
		} else if (streq(name, "int80")) { /* a 32-bit system call: getpid */
			long r;
			__asm__ volatile("int $0x80" : "=a"(r) : "a"(20) : "memory");
			w.result = (uintptr_t)num_text;
			w.result_len = format(r);
		} else if (streq(name, "forge")) { /* park with a call number of our own */
			struct mica_mailbox *mb = (struct mica_mailbox *)MICA_GPA_MAILBOX;
			mb->nr = (uint32_t)number(data, len);
			mica_proc_park();
		} else if (streq(name, "scan")) { /* the reset's own pinned ioctl, with garbage */
			w.result = (uintptr_t)num_text;
			w.result_len = format(mica_proc_scan((void *)WILD));
		} else if (streq(name, "drop")) { /* the reset's pinned madvise: our heap goes */
			uint64_t a[2] = {0};
			numbers(data, len, a, 2);
			w.result = (uintptr_t)num_text;
			w.result_len = format(mica_proc_drop(a[0], a[1]));
		} else if (streq(name, "stash")) {
			stash(number(data, len));
		} else if (streq(name, "peek")) {
			peek();
			w.result = (uintptr_t)list_text;
			w.result_len = peeked_json();
		} else if (streq(name, "async_at")) { /* MICA_HC_ASYNC with its structure at data */
			hc(6, number(data, len));
		} else if (streq(name, "readref")) { /* every page of the snapshot view */
			const struct mica_boot_info *bi =
			    (const struct mica_boot_info *)MICA_GPA_INFO;
			uint64_t sum = 0;
			for (uint64_t o = 0; o < bi->mem_size; o += 4096)
				sum += *(volatile const uint8_t *)(MICA_PROC_REF_BASE + o);
			w.result = (uintptr_t)num_text;
			w.result_len = format((int64_t)sum);
		} else if (streq(name, "tf_notify")) {
			/* the park's write with the trap flag set (iretq onto it), a
			 * forged WAIT in the mailbox: guest code would run after the
			 * notify if a handler parked */
			struct mica_mailbox *mb = (struct mica_mailbox *)MICA_GPA_MAILBOX;
			w.status = MICA_GS_OK;
			__builtin_memcpy(mb->call, &w, sizeof(w));
			mb->nr = 0;
			mb->arg = MICA_GPA_MAILBOX;
			__asm__ volatile("mov %%rsp, %%r8\n\t"
					 "pushq $0x2b\n\t"
					 "pushq %%r8\n\t"
					 "pushfq\n\t"
					 "orq $0x100, (%%rsp)\n\t"
					 "pushq $0x33\n\t"
					 "pushq %0\n\t"
					 "mov $1, %%eax\n\t"
					 "mov $1, %%edi\n\t"
					 "mov %1, %%esi\n\t"
					 "mov $8, %%edx\n\t"
					 "iretq\n\t"
					 :
					 : "r"((uint64_t)(uintptr_t)mica_proc_notify_ip - 2),
					   "i"((uint32_t)(MICA_GPA_CTRL + MICA_CTRL_ONE))
					 : "rax", "rdi", "rsi", "rdx", "r8", "memory");
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
