/*
 * fuzz_hypercall: the hypercall decoder. Every MICA_HC_* handler
 * (host/hypercall.h) is called directly, as mica_hypercall_serve would, on
 * a sandbox with no guest at all: its memory is a malloc'd buffer (fake
 * guest memory, 16 MiB, laid out for the runtime's own guest image), the
 * fuzz input writes into it and picks the calls. No guest runs and nothing
 * sleeps (MICA_HC_SLEEP gets a deadline in the past, or 2 us ahead, or an
 * interrupt).
 *
 * The input (fuzz/make-corpus.sh writes seeds with fuzz/seedgen.c):
 *   flags:u8   1 = only the window is reachable in place, the rest through
 *                  the slow accessors (as on the process backend);
 *              2 = a module root is granted; 4 = the completion queue is
 *                  dropped first (no request has begun); 8 = handlers get
 *                  no mica_error; 16 = a 64-byte console limit;
 *                  0xe0 (all three) = lengths are not cut (below)
 *   records, each a tag:u8 and, by tag % 4:
 *     0 WRITE     where, len:u16, bytes        into guest memory (clipped)
 *     1 CALL      nr:u8 (% 8), where, opts:u8  a handler, or (MICA_HC_FAULT)
 *                                              mica_fault_report on 48 bytes
 *                                              that follow; opts for SLEEP:
 *                                              1 = deadline ahead, 2 = interrupt
 *     2 COMPLETE  slot:u8, how:u8, len:u16, bytes  finish an async call kept
 *                                              (how % 7: JSON, bytes, failure,
 *                                              failure without a message, no
 *                                              bytes, no JSON, or u16 bytes
 *                                              of 'x', x 64 if a third byte
 *                                              is 0xff)
 *     3 NEWREQ                                 a new request begins
 *   where = base:u8 (% 12, below) then off:i32, or (base 0) gpa:u64.
 *
 * Host functions: fz.sync (sync; what it answers follows its first
 * argument byte), fz.later (async, kept until a COMPLETE or the end of the
 * input), fz.now (async, completed at once).
 *
 * Checked after every call: the code (and that a killed sandbox is dead),
 * that the host wrote guest memory only where it may (the structure, if the
 * guest may write it, and the request buffer, for the calls that answer
 * there), and what it wrote: the reply of a WAIT, the answer of a host
 * call, a module's source, the completions of a SLEEP. After every input:
 * the async budget is whole again (a small call is not refused).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "async.h"
#include "fuzz.h"
#include "hostcall.h"
#include "hypercall.h"
#include "modules.h"
#include "sys.h"

#define MEM	  (16ull << 20)
#define PAGE	  MICA_PAGE_SIZE
#define NPAGES	  (MEM / PAGE)
#define KEEP	  16	    /* async calls fz.later keeps */
#define BIG	  (4 << 20) /* bytes a completion may take from */
#define MOD_MARK  "module-inside-the-root"
#define CON_LIMIT 64

enum { F_SLOW = 1, F_MODULES = 2, F_DETACH = 4, F_NO_ERR = 8, F_SMALL_CONSOLE = 16, F_HUGE = 0xe0 };

/* Lengths up to all of memory only with F_HUGE (all three bits, 1 input in
 * 8): else a length in (64 KiB, MEM] is cut to its low 16 bits first. The
 * host copies what it is given (async arguments, results): megabytes per
 * call, which libFuzzer's comparison hints ask for all the time, cost
 * milliseconds each. */
#define CUT 0x10000ull
static int huge;

static mica_runtime *rt;
static mica_sandbox *sb;
static uint8_t *mem;		      /* the fake guest memory, [0, MEM) */
static uint64_t *dirty;		      /* the host's writes during one call (sb->mem.dirty) */
static uint64_t touched[NPAGES / 64]; /* pages to zero after the input */
static int modules_fd = -1;
static char modules_dir[64];
static char *big;

/* What the host may write during the current call: [lo, hi) ranges. */
static struct {
	uint64_t lo, hi;
} allowed[2];
static int nallowed;

/* What the callbacks saw. */
static mica_async_call *kept[KEEP];
static uint64_t console_bytes;
static struct {
	int answered, failed;
	uint32_t kind;
	uint8_t bytes[64];
	size_t len;
} answer;

/* ---- guest memory -------------------------------------------------------- */

static void may_write(uint64_t lo, uint64_t hi)
{
	allowed[nallowed].lo = lo;
	allowed[nallowed].hi = hi;
	nallowed++;
}

static int write_allowed(uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < nallowed; i++)
		if (gpa >= allowed[i].lo && gpa <= allowed[i].hi && len <= allowed[i].hi - gpa)
			return 1;
	return 0;
}

static int slow_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	(void)ctx;
	FUZZ_CHECK(gpa <= MEM && len <= MEM - gpa, "slow read of %zu bytes at 0x%llx", len,
		   (unsigned long long)gpa);
	memcpy(dst, mem + gpa, len);
	return 0;
}

static int slow_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	(void)ctx;
	FUZZ_CHECK(gpa <= MEM && len <= MEM - gpa && write_allowed(gpa, len),
		   "the host wrote %zu bytes at 0x%llx", len, (unsigned long long)gpa);
	memcpy(mem + gpa, src, len);
	return 0;
}

static void set_memory(int slow)
{
	struct mica_guestmem *m = &sb->mem;
	memset(m, 0, sizeof(*m));
	m->size = MEM;
	m->dirty = dirty;
	if (slow) { /* the process backend's view: the window in place */
		m->direct = mem + MICA_GPA_WINDOW;
		m->direct_lo = MICA_GPA_WINDOW;
		m->direct_hi = MICA_SHARED_END;
		m->slow_read = slow_read;
		m->slow_write = slow_write;
	} else {
		m->direct = mem;
		m->direct_lo = 0;
		m->direct_hi = MEM;
	}
}

static void touch(uint64_t gpa, uint64_t len)
{
	for (uint64_t p = gpa / PAGE; len && p <= (gpa + len - 1) / PAGE; p++)
		touched[p / 64] |= 1ull << (p % 64);
}

/* Every page written since the input began back to zero. */
static void wipe(void)
{
	for (size_t w = 0; w < NPAGES / 64; w++) {
		for (uint64_t bits = touched[w]; bits; bits &= bits - 1) {
			uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);
			memset(mem + p * PAGE, 0, PAGE);
		}
		touched[w] = 0;
	}
}

/* The rule of mica_guest_writable, said again: where the guest itself may
 * write (heap, stack, mailbox and inline area, writable image data), 8-aligned. */
static int guest_writable(uint64_t gpa, uint64_t len)
{
	const struct mica_layout *l = &sb->layout;
	const struct {
		uint64_t lo, hi;
	} r[] = {{l->heap_start, l->heap_end},
		 {l->stack_bottom, l->stack_top},
		 {MICA_GPA_MAILBOX, MICA_GPA_INLINE + MICA_INLINE_SIZE}};
	if (gpa % 8 || gpa > MEM || len > MEM - gpa)
		return 0;
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (gpa >= r[i].lo && gpa + len <= r[i].hi)
			return 1;
	const struct mica_image *img = &rt->image;
	for (int i = 0; i < img->nsegs; i++)
		if ((img->segs[i].flags & PF_W) && gpa >= img->segs[i].vaddr &&
		    gpa + len <= img->segs[i].vaddr + img->segs[i].memsz)
			return 1;
	return 0;
}

/* Reads guest bytes as the host would see them; 0 if out of memory. */
static int peek(uint64_t gpa, void *dst, size_t len)
{
	if (gpa > MEM || len > MEM - gpa)
		return 0;
	memcpy(dst, mem + gpa, len);
	return 1;
}

/* ---- host functions ------------------------------------------------------ */

/* Reads every byte of p[0..n) (ASan checks the range), without a loop of
 * our own that libFuzzer's coverage would count byte by byte. */
static void touch_all(const void *p, size_t n)
{
	static volatile const void *sink;
	if (n)
		sink = memchr(p, 0x5a, n);
	(void)sink;
}

static void fz_sync(mica_hostcall *call, void *ud)
{
	(void)ud;
	size_t len;
	const char *args = mica_hostcall_args(call, &len);
	FUZZ_CHECK(len == 0 || args, "no arguments");
	touch_all(args, len);
	size_t n = len < sizeof(answer.bytes) ? len : sizeof(answer.bytes);
	int how = len ? (uint8_t)args[0] % 8 : 0, rc = -1, failed = 0;
	uint32_t kind = MICA_KIND_JSON;
	const char *msg = "fz.sync says no";
	switch (how) {
	case 0: rc = mica_hostcall_return(call, args, n); break;
	case 1:
		rc = mica_hostcall_return_bytes(call, args, n);
		kind = MICA_KIND_BYTES;
		break;
	case 2:
		rc = mica_hostcall_fail(call, msg);
		failed = 1;
		break;
	case 3:
		rc = mica_hostcall_fail(call, NULL);
		failed = 1;
		msg = "host function failed";
		break;
	case 4: break; /* no answer: undefined */
	case 5:	       /* twice: the second counts */
		mica_hostcall_return(call, "1", 1);
		rc = mica_hostcall_return_bytes(call, args, n);
		kind = MICA_KIND_BYTES;
		break;
	case 6: /* too large for the request buffer */
		FUZZ_CHECK(mica_hostcall_return(call, big, MICA_IN_SIZE) == MICA_ERR_INVALID,
			   "3 MiB answered");
		break;
	case 7:
		FUZZ_CHECK(mica_hostcall_return_bytes(call, NULL, 5) == MICA_ERR_INVALID,
			   "no bytes answered");
		break;
	}
	if (rc == MICA_OK) {
		answer.answered = 1;
		answer.failed = failed;
		answer.kind = kind;
		answer.len = failed ? strlen(msg) : n;
		memcpy(answer.bytes, failed ? msg : args, answer.len);
	} else if (rc > 0) { /* only a full request buffer refuses, and it is not */
		FUZZ_CHECK(0, "answer refused: %d", rc);
	}
}

static void fz_later(mica_async_call *call, void *ud)
{
	(void)ud;
	size_t len;
	const char *args = mica_async_args(call, &len);
	FUZZ_CHECK(len == 0 || args, "no arguments");
	for (int i = 0; i < KEEP; i++)
		if (!kept[i]) {
			kept[i] = call;
			return;
		}
	mica_async_fail(call, "fz.later holds too many");
}

static void fz_now(mica_async_call *call, void *ud)
{
	(void)ud;
	size_t len;
	const char *args = mica_async_args(call, &len);
	int how = len ? (uint8_t)args[0] % 5 : 0;
	size_t n = len < 64 ? len : 64;
	switch (how) {
	case 0: mica_async_complete(call, args, n); break;
	case 1: mica_async_complete_bytes(call, args, n); break;
	case 2: mica_async_fail(call, NULL); break;
	case 3: mica_async_complete_bytes(call, NULL, 3); break;
	case 4: /* too large: fails the call */
		FUZZ_CHECK(mica_async_complete(call, big, MICA_IN_SIZE) == MICA_ERR_INVALID,
			   "3 MiB completed");
		break;
	}
}

static void on_console(void *ud, int stream, const char *p, size_t n)
{
	(void)ud;
	FUZZ_CHECK(stream == 1 || stream == 2, "stream %d", stream);
	touch_all(p, n);
	if (!(stream == 2 && n > 8 && !memcmp(p, "\n[mica] ", 8))) /* the truncation note */
		console_bytes += n;
}

/* ---- setup --------------------------------------------------------------- */

static void make_modules(void)
{
	snprintf(modules_dir, sizeof(modules_dir), "/tmp/mica-fuzz-hc-XXXXXX");
	if (!mkdtemp(modules_dir))
		FUZZ_SETUP_FAILED("mkdtemp: %s", strerror(errno));
	char p[128];
	snprintf(p, sizeof(p), "%s/m.js", modules_dir);
	FILE *f = fopen(p, "w");
	if (!f)
		FUZZ_SETUP_FAILED("cannot write %s", p);
	fputs("export const m = '" MOD_MARK "';\n", f);
	fclose(f);
	mica_error err;
	if (mica_modules_open(modules_dir, &modules_fd, &err))
		FUZZ_SETUP_FAILED("%s", err.message);
}

static void remove_modules(void)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/m.js", modules_dir);
	unlink(p);
	rmdir(modules_dir);
}

static void setup(void)
{
	mica_error err;
	prctl(PR_SET_TIMERSLACK, 1ul); /* a 2 us ppoll sleeps 2 us */
	if (!(rt = mica_runtime_new(NULL, &err)))
		FUZZ_SETUP_FAILED("mica_runtime_new: %s", err.message);
	if (mica_runtime_register(rt, "fz", "sync", fz_sync, NULL) ||
	    mica_runtime_register_async(rt, "fz", "later", fz_later, NULL) ||
	    mica_runtime_register_async(rt, "fz", "now", fz_now, NULL))
		FUZZ_SETUP_FAILED("cannot register the host functions");
	if (!(sb = mica_sandbox_alloc(rt, &err)))
		FUZZ_SETUP_FAILED("%s", err.message);
	mica_limits_default(&sb->limits);
	sb->limits.memory_bytes = MEM;
	if (mica_hostfns_copy(&sb->fns, &sb->nfns, rt->fns, rt->nfns, &err))
		FUZZ_SETUP_FAILED("%s", err.message);
	struct mica_boot_params bp = {.mem_size = MEM,
				      .stack_size = sb->limits.stack_bytes,
				      .output_limit = sb->limits.output_bytes};
	if (mica_layout_compute(&sb->layout, &rt->image, &bp, &err))
		FUZZ_SETUP_FAILED("%s", err.message);
	mem = calloc(1, MEM);
	dirty = calloc(mica_mem_dirty_words(MEM), sizeof(*dirty));
	big = malloc(BIG);
	if (!mem || !dirty || !big)
		FUZZ_SETUP_FAILED("out of memory");
	memset(big, 'x', BIG);
	sb->console = on_console;
	make_modules();
	atexit(remove_modules);
}

/* ---- one input ----------------------------------------------------------- */

static uint64_t where(struct fuzz_in *in)
{
	const struct mica_layout *l = &sb->layout;
	uint64_t data_seg = MICA_GPA_IMAGE;
	for (int i = 0; i < rt->image.nsegs; i++)
		if (rt->image.segs[i].flags & PF_W) {
			data_seg = rt->image.segs[i].vaddr;
			break;
		}
	const uint64_t base[12] = {0,
				   MICA_GPA_MAILBOX,
				   MICA_GPA_INLINE,
				   l->heap_start,
				   l->stack_bottom,
				   data_seg,
				   MICA_GPA_IN,
				   MICA_GPA_CONSOLE,
				   MICA_GPA_INFO,
				   l->heap_end - PAGE,
				   l->stack_top - 64,
				   MEM - 64};
	unsigned b = (unsigned)fuzz_take(in, 1) % 12;
	if (b == 0)
		return fuzz_take(in, 8);
	return base[b] + (uint64_t)(int64_t)(int32_t)fuzz_take(in, 4);
}

/* A request begins, as mica_hypercall_serve begins one. */
static void new_request(void)
{
	mica_error e;
	FUZZ_CHECK(mica_async_begin(sb, &e) == 0, "begin: %s", e.message);
	sb->output = 0;
	console_bytes = 0;
}

static void reset_dirty(void)
{
	memset(dirty, 0, mica_mem_dirty_words(MEM) * sizeof(*dirty));
}

/* Every page the host logged as written lies in an allowed range. */
static void check_dirty(int nr)
{
	for (size_t w = 0; w < mica_mem_dirty_words(MEM); w++) {
		for (uint64_t bits = dirty[w]; bits; bits &= bits - 1) {
			uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits), ok = 0;
			for (int i = 0; i < nallowed && !ok; i++)
				ok = allowed[i].hi > p * PAGE && allowed[i].lo < (p + 1) * PAGE;
			FUZZ_CHECK(ok, "hypercall %d: the host wrote page 0x%llx", nr,
				   (unsigned long long)(p * PAGE));
			touched[w] |= 1ull << (p % 64);
		}
	}
}

static size_t struct_size(int nr)
{
	switch (nr) {
	case MICA_HC_WAIT: return sizeof(struct mica_hc_wait);
	case MICA_HC_CONSOLE: return sizeof(struct mica_hc_console);
	case MICA_HC_HOSTCALL: return sizeof(struct mica_hc_hostcall);
	case MICA_HC_EXIT: return sizeof(struct mica_hc_exit);
	case MICA_HC_MODULE: return sizeof(struct mica_hc_module);
	case MICA_HC_ASYNC: return sizeof(struct mica_hc_async);
	case MICA_HC_SLEEP: return sizeof(struct mica_hc_sleep);
	}
	return 0;
}

/* The NUL-terminated answer of `len` bytes at MICA_GPA_IN. */
static void check_in_answer(int nr, uint64_t len)
{
	FUZZ_CHECK(len < MICA_IN_SIZE, "hypercall %d: an answer of %llu bytes", nr,
		   (unsigned long long)len);
	FUZZ_CHECK(mem[MICA_GPA_IN + len] == 0, "hypercall %d: the answer has no NUL", nr);
}

static void check_completions(const struct mica_hc_sleep *s)
{
	FUZZ_CHECK(s->len <= MICA_IN_SIZE && (s->count == 0) == (s->len == 0) && s->more <= 1,
		   "sleep: %u completions, %llu bytes, more %u", s->count,
		   (unsigned long long)s->len, s->more);
	uint64_t at = 0;
	for (uint32_t i = 0; i < s->count; i++) {
		struct mica_completion c;
		FUZZ_CHECK(at + sizeof(c) <= s->len, "completion %u header", i);
		memcpy(&c, mem + MICA_GPA_IN + at, sizeof(c));
		uint64_t need = sizeof(c) + ((c.len + 8ull) & ~7ull);
		FUZZ_CHECK(c.kind <= MICA_COMPLETION_BYTES && at + need <= s->len,
			   "completion %u: kind %u, %u bytes", i, c.kind, c.len);
		FUZZ_CHECK(mem[MICA_GPA_IN + at + sizeof(c) + c.len] == 0, "completion %u: no NUL",
			   i);
		at += need;
	}
	FUZZ_CHECK(at == s->len, "completions take %llu bytes, the host says %llu",
		   (unsigned long long)at, (unsigned long long)s->len);
}

/* Cuts the length field of the structure at gpa (below F_HUGE). */
static void cut_length(int nr, uint64_t gpa)
{
	size_t off;
	switch (nr) {
	case MICA_HC_WAIT: off = offsetof(struct mica_hc_wait, result_len); break;
	case MICA_HC_CONSOLE: off = offsetof(struct mica_hc_console, len); break;
	case MICA_HC_HOSTCALL: off = offsetof(struct mica_hc_hostcall, args_len); break;
	case MICA_HC_ASYNC: off = offsetof(struct mica_hc_async, args_len); break;
	default: return;
	}
	uint64_t v;
	if (huge || !peek(gpa + off, &v, sizeof(v)) || v <= CUT || v > MEM)
		return;
	v &= CUT - 1;
	memcpy(mem + gpa + off, &v, sizeof(v));
	touch(gpa + off, sizeof(v));
}

/* A handler (or the fault report), as mica_hypercall_serve calls it. 1 when
 * the sandbox is dead (the host stops there). */
static int call(int nr, uint64_t gpa, unsigned opts, struct fuzz_in *in, mica_error *err)
{
	static mica_hc_handler *const handlers[MICA_HC_COUNT] = {
	    [MICA_HC_WAIT] = mica_hc_wait,	   [MICA_HC_CONSOLE] = mica_hc_console,
	    [MICA_HC_HOSTCALL] = mica_hc_hostcall, [MICA_HC_EXIT] = mica_hc_exit,
	    [MICA_HC_MODULE] = mica_hc_module,	   [MICA_HC_ASYNC] = mica_hc_async,
	    [MICA_HC_SLEEP] = mica_hc_sleep};
	size_t ssize = struct_size(nr);
	cut_length(nr, gpa);
	int writable = ssize && guest_writable(gpa, ssize);
	uint8_t before[64] = {0};
	int readable = ssize && peek(gpa, before, ssize);
	nallowed = 0;
	if (writable && nr != MICA_HC_WAIT && nr != MICA_HC_CONSOLE && nr != MICA_HC_EXIT)
		may_write(gpa, gpa + ssize);
	if (nr == MICA_HC_HOSTCALL || nr == MICA_HC_MODULE || nr == MICA_HC_SLEEP)
		may_write(MICA_GPA_IN, MICA_GPA_IN + MICA_IN_SIZE);
	memset(&answer, 0, sizeof(answer));
	uint64_t console_before = console_bytes;
	int64_t now = mica_now_ns(), deadline = now + 1000000000;
	if (nr == MICA_HC_SLEEP) {
		deadline = opts & 1 ? now + 2000 : now - 1;
		if (opts & 2)
			atomic_store(&sb->interrupt, 1);
	}
	if (err)
		err->message[0] = 0;
	reset_dirty();

	int rc;
	if (nr == MICA_HC_FAULT) {
		struct mica_fault f;
		f.vector = fuzz_take(in, 8);
		f.error = fuzz_take(in, 8);
		f.rip = fuzz_take(in, 8);
		f.addr = fuzz_take(in, 8);
		f.rsp = fuzz_take(in, 8);
		f.signal = (int)fuzz_take(in, 4);
		f.kernel = (int)fuzz_take(in, 4);
		rc = mica_fault_report(sb, &f, err);
		FUZZ_CHECK(rc == MICA_ERR_FAULT, "fault report: %d", rc);
	} else {
		rc = handlers[nr](sb, gpa, deadline, err);
	}
	atomic_store(&sb->interrupt, 0);
	check_dirty(nr);
	FUZZ_LOG("hypercall %d at 0x%llx: %d %s\n", nr, (unsigned long long)gpa, rc,
		 rc > 0 && err ? err->message : "");

	FUZZ_CHECK(rc == 0 || rc == MICA_HC_DONE || (rc > 0 && rc <= MICA_ERR_INTERRUPTED),
		   "hypercall %d: rc %d", nr, rc);
	if (rc > 0) { /* killed, saying why */
		FUZZ_CHECK(sb->dead == (mica_code)rc, "hypercall %d: rc %d, dead %d", nr, rc,
			   sb->dead);
		FUZZ_CHECK(!err || ((int)err->code == rc && err->message[0]),
			   "hypercall %d: no message", nr);
		for (const char *c = err ? err->message : ""; *c; c++) /* guest text is escaped */
			FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f, "control character");
		return 1;
	}
	FUZZ_CHECK(!sb->dead, "hypercall %d: rc %d, but dead", nr, rc);
	FUZZ_CHECK(nr != MICA_HC_EXIT && nr != MICA_HC_FAULT, "hypercall %d survived", nr);
	FUZZ_CHECK(readable, "hypercall %d: a structure at 0x%llx accepted", nr,
		   (unsigned long long)gpa);
	FUZZ_CHECK(writable || nr == MICA_HC_CONSOLE,
		   "hypercall %d: a structure at 0x%llx accepted", nr, (unsigned long long)gpa);

	switch (nr) {
	case MICA_HC_WAIT: {
		struct mica_hc_wait w;
		memcpy(&w, before, sizeof(w));
		FUZZ_CHECK(rc == MICA_HC_DONE && sb->wait_gpa == gpa, "wait");
		const struct mica_reply *r = &sb->reply;
		FUZZ_CHECK(r->text && r->len == w.result_len && r->text[r->len] == 0 &&
			       r->status == w.status && r->kind == w.kind &&
			       w.kind <= MICA_KIND_BYTES,
			   "wait: the reply");
		FUZZ_CHECK(!memcmp(r->text, mem + w.result, w.result_len),
			   "wait: the reply's bytes");
		free(sb->reply.text);
		memset(&sb->reply, 0, sizeof(sb->reply));
		new_request();
		break;
	}
	case MICA_HC_CONSOLE:
		FUZZ_CHECK(rc == 0, "console rc %d", rc);
		FUZZ_CHECK(console_bytes - console_before <= sb->limits.output_bytes &&
			       console_bytes <= sb->limits.output_bytes,
			   "console: %llu bytes shown, the limit is %zu",
			   (unsigned long long)console_bytes, sb->limits.output_bytes);
		break;
	case MICA_HC_HOSTCALL: {
		struct mica_hc_hostcall h, asked;
		memcpy(&h, mem + gpa, sizeof(h));
		memcpy(&asked, before, sizeof(asked));
		check_in_answer(nr, h.result_len);
		FUZZ_LOG("  host call: failed %u, kind %u, %llu bytes\n", h.failed, h.result_kind,
			 (unsigned long long)h.result_len);
		if (!sb->fns[asked.fn].fn) { /* async, called sync: refused */
			FUZZ_CHECK(h.failed == 1 && h.result_len > 0,
				   "host call: async called sync");
		} else if (answer.answered) {
			FUZZ_CHECK(h.failed == (uint32_t)answer.failed &&
				       h.result_len == answer.len &&
				       (answer.failed || h.result_kind == answer.kind) &&
				       !memcmp(mem + MICA_GPA_IN, answer.bytes, answer.len),
				   "host call: the answer");
		} else {
			FUZZ_CHECK(!h.failed && h.result_len == 0, "host call: undefined");
		}
		break;
	}
	case MICA_HC_MODULE: {
		struct mica_hc_module m;
		memcpy(&m, mem + gpa, sizeof(m));
		check_in_answer(nr, m.result_len);
		FUZZ_LOG("  module: failed %u: %.60s\n", m.failed, (const char *)mem + MICA_GPA_IN);
		FUZZ_CHECK(m.failed || memmem(mem + MICA_GPA_IN, m.result_len, MOD_MARK,
					      sizeof(MOD_MARK) - 1),
			   "module: read something that is not the module");
		break;
	}
	case MICA_HC_ASYNC: {
		struct mica_hc_async a;
		memcpy(&a, mem + gpa, sizeof(a));
		/* the host writes the structure back only to refuse (the guest
		 * zeroes `refused` before it asks) */
		FUZZ_CHECK(a.refused == 1 || !memcmp(&a, before, sizeof(a)), "async: refused %u",
			   a.refused);
		FUZZ_LOG("  async: refused %u\n", a.refused);
		break;
	}
	case MICA_HC_SLEEP: {
		struct mica_hc_sleep s;
		memcpy(&s, mem + gpa, sizeof(s));
		FUZZ_LOG("  sleep: %u completions, %llu bytes, more %u\n", s.count,
			 (unsigned long long)s.len, s.more);
		check_completions(&s);
		break;
	}
	}
	return 0;
}

static void complete(unsigned slot, unsigned how, const uint8_t *p, size_t n)
{
	mica_async_call *c = kept[slot % KEEP];
	if (!c)
		return;
	kept[slot % KEEP] = NULL;
	char msg[65];
	size_t k = n < 64 ? n : 64;
	switch (how % 7) {
	case 0: mica_async_complete(c, (const char *)p, n); break;
	case 1: mica_async_complete_bytes(c, p, n); break;
	case 2:
		memcpy(msg, p, k);
		msg[k] = 0;
		mica_async_fail(c, msg);
		break;
	case 3: mica_async_fail(c, NULL); break;
	case 4: mica_async_complete_bytes(c, NULL, 1); break;
	case 5: mica_async_complete(c, NULL, 5); break;
	case 6: { /* u16 bytes of 'x'; with a third byte 0xff, u16 x 64 bytes, up to 4 MiB
		   * (past 3 MiB it fails): rare, since they cost milliseconds */
		size_t want = (size_t)fuzz_get(p, n, 2);
		if (n >= 3 && p[2] == 0xff)
			want *= 64;
		mica_async_complete(c, big, want < BIG ? want : BIG);
		break;
	}
	}
}

static void finish_kept(void)
{
	for (int i = 0; i < KEEP; i++)
		if (kept[i]) {
			mica_async_complete(kept[i], "null", 4);
			kept[i] = NULL;
		}
}

/* The budget is whole again: a small async call of a new request is
 * neither refused nor kept waiting. */
static void check_budget(void)
{
	mica_error err;
	FUZZ_CHECK(mica_async_begin(sb, &err) == 0, "begin: %s", err.message);
	struct mica_hc_async a = {.fn = 1, .id = 7, .args = MICA_GPA_INLINE, .args_len = 2};
	memcpy(mem + MICA_GPA_INLINE, "[]", 2);
	memcpy(mem + MICA_GPA_MAILBOX, &a, sizeof(a));
	touch(MICA_GPA_MAILBOX, PAGE);
	touch(MICA_GPA_INLINE, PAGE);
	reset_dirty();
	int rc = mica_hc_async(sb, MICA_GPA_MAILBOX, 0, &err);
	FUZZ_CHECK(rc == 0, "the budget probe: %s", err.message);
	memcpy(&a, mem + MICA_GPA_MAILBOX, sizeof(a));
	FUZZ_CHECK(!a.refused, "a small async call refused: the budget leaked");
	finish_kept();
	FUZZ_CHECK(mica_async_begin(sb, &err) == 0, "begin: %s", err.message);
}

FUZZ_TARGET(hypercall)
{
	if (!rt)
		setup();
	struct fuzz_in in = {data, size};
	unsigned flags = (unsigned)fuzz_take(&in, 1);
	huge = (flags & F_HUGE) == F_HUGE;
	set_memory(flags & F_SLOW);
	sb->module_root = flags & F_MODULES ? modules_fd : -1;
	sb->limits.output_bytes = flags & F_SMALL_CONSOLE ? CON_LIMIT : 1u << 20;
	mica_error e, *err = flags & F_NO_ERR ? NULL : &e;
	sb->output = 0;
	console_bytes = 0;
	if (flags & F_DETACH)
		mica_async_detach(sb);
	else
		new_request();

	while (in.left) {
		unsigned tag = (unsigned)fuzz_take(&in, 1) % 4;
		if (tag == 0) { /* WRITE */
			uint64_t gpa = where(&in);
			size_t len = (size_t)fuzz_take(&in, 2), got;
			const uint8_t *p = fuzz_bytes(&in, len, &got);
			if (gpa < MEM) {
				size_t n = got < MEM - gpa ? got : (size_t)(MEM - gpa);
				memcpy(mem + gpa, p, n);
				touch(gpa, n);
			}
		} else if (tag == 1) { /* CALL */
			int nr = (int)(fuzz_take(&in, 1) % 8);
			uint64_t gpa = where(&in);
			unsigned opts = (unsigned)fuzz_take(&in, 1);
			if (call(nr, gpa, opts, &in, err))
				break; /* dead: the host never resumes it */
		} else if (tag == 2) { /* COMPLETE */
			unsigned slot = (unsigned)fuzz_take(&in, 1),
				 how = (unsigned)fuzz_take(&in, 1);
			size_t len = (size_t)fuzz_take(&in, 2), got;
			const uint8_t *p = fuzz_bytes(&in, len, &got);
			complete(slot, how, p, got);
		} else { /* NEWREQ */
			if (atomic_load(&sb->async))
				new_request();
		}
	}

	/* The end of the input: the sandbox as new. */
	finish_kept();
	free(sb->reply.text);
	memset(&sb->reply, 0, sizeof(sb->reply));
	sb->dead = 0;
	sb->output = 0;
	sb->wait_gpa = 0;
	sb->module_root = -1;
	atomic_store(&sb->interrupt, 0);
	check_budget();
	wipe();
	return 0;
}
