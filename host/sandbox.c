/* mica_sandbox: one guest and the requests it serves. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "async.h"
#include "hypercall.h"
#include "modules.h"
#include "sandbox.h"

#define MIB (1ull << 20)

void mica_limits_default(mica_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->memory_bytes = 64 * MIB;
	l->stack_bytes = 1 * MIB;
	l->timeout_ms = 10000;
	l->output_bytes = 1 * MIB;
}

int mica_limits_check(const mica_limits *l, mica_error *err)
{
	if (l->memory_bytes < 16 * MIB || l->memory_bytes > 2048 * MIB ||
	    l->memory_bytes % MICA_PAGE_SIZE)
		return mica_err(
		    err, MICA_ERR_INVALID,
		    "guest memory must be 16 MiB to 2048 MiB in whole pages, not %zu bytes",
		    l->memory_bytes);
	if (l->unhandled_rejections < MICA_REJECTIONS_STRICT ||
	    l->unhandled_rejections > MICA_REJECTIONS_NONE)
		return mica_err(
		    err, MICA_ERR_INVALID,
		    "unhandled_rejections must be MICA_REJECTIONS_STRICT, _WARN or _NONE, "
		    "not %d",
		    l->unhandled_rejections);
	if (l->stack_bytes < 64 * 1024 || l->stack_bytes > l->memory_bytes / 4 ||
	    l->stack_bytes % MICA_PAGE_SIZE)
		return mica_err(err, MICA_ERR_INVALID,
				"stack must be 64 KiB to a quarter of guest memory in whole pages, "
				"not %zu bytes",
				l->stack_bytes);
	return 0;
}

char *mica_hostfn_table(const mica_sandbox *sb, uint32_t *len)
{
	size_t n = 0;
	for (size_t i = 0; i < sb->nfns; i++)
		n += strlen(sb->fns[i].module) + strlen(sb->fns[i].name) + 3;
	char *t = malloc(n ? n : 1), *p = t;
	if (!t)
		return NULL;
	for (size_t i = 0; i < sb->nfns; i++) {
		p = stpcpy(p, sb->fns[i].module) + 1;
		p = stpcpy(p, sb->fns[i].name) + 1;
	}
	for (size_t i = 0; i < sb->nfns; i++) /* then the kinds: 1 = async */
		*p++ = sb->fns[i].afn ? 1 : 0;
	*len = (uint32_t)n;
	return t;
}

mica_sandbox *mica_sandbox_alloc(mica_runtime *rt, mica_error *err)
{
	mica_sandbox *sb = calloc(1, sizeof(*sb));
	if (!sb) {
		mica_err(err, MICA_ERR_SYSTEM, "out of memory");
		return NULL;
	}
	sb->rt = rt;
	sb->module_root = -1;
	return sb;
}

int mica_sandbox_dies(mica_sandbox *sb, mica_code code)
{
	sb->dead = code;
	mica_async_forget(sb);
	return code;
}

int mica_sandbox_kill(mica_sandbox *sb, mica_code code, mica_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mica_err_v(err, code, fmt, ap);
	va_end(ap);
	return mica_sandbox_dies(sb, code);
}

int mica_sandbox_refresh(mica_sandbox *sb, mica_error *err)
{
	uint64_t khz, tsc;
	int rc = sb->rt->ops->clock(sb, &khz, &tsc, err);
	return rc ? rc : mica_boot_refresh(&sb->mem, khz, tsc, err);
}

mica_sandbox *mica_sandbox_new(mica_runtime *rt, const mica_limits *limits, mica_error *err)
{
	char *table = NULL;
	mica_sandbox *sb = mica_sandbox_alloc(rt, err);
	if (!sb)
		return NULL;
	if (limits)
		sb->limits = *limits;
	else
		mica_limits_default(&sb->limits);
	if (mica_limits_check(&sb->limits, err))
		goto fail;
	if (mica_hostfns_copy(&sb->fns, &sb->nfns, rt->fns, rt->nfns, err))
		goto fail;
	struct mica_boot_params bp = {
	    .mem_size = sb->limits.memory_bytes,
	    .stack_size = sb->limits.stack_bytes,
	    .js_heap_limit = sb->limits.heap_bytes,
	    .output_limit = sb->limits.output_bytes,
	    .hostfn_count = (uint32_t)sb->nfns,
	    .flags = (sb->limits.deterministic ? MICA_BOOT_DETERMINISTIC : 0) |
		     (rt->backend == MICA_BACKEND_PROCESS ? MICA_BOOT_PROCESS : 0),
	};
	table = mica_hostfn_table(sb, &bp.hostfn_table_len);
	if (!table || bp.hostfn_table_len >= MICA_IN_SIZE) {
		mica_err(err, MICA_ERR_SYSTEM, "cannot build the host function table");
		goto fail;
	}
	bp.hostfn_table = table;
	if (mica_layout_compute(&sb->layout, &rt->image, &bp, err))
		goto fail;
	if (rt->ops->create(sb, -1, 0, err))
		goto fail;
	/* A new guest's memory is reachable in place on every backend. */
	uint8_t *mem = mica_mem_direct(&sb->mem, 0, sb->limits.memory_bytes);
	struct mica_cpu cpu;
	if (!mem) {
		mica_err(err, MICA_ERR_SYSTEM,
			 "the backend gave no writable view of a new guest's memory");
		goto fail;
	}
	if (mica_boot_image(mem, &sb->layout, &rt->image, &bp, &cpu, err) ||
	    mica_sandbox_refresh(sb, err) || rt->ops->start(sb, &cpu, err))
		goto fail;
	free(table);
	table = NULL;
	/* Boot: run until the guest's first WAIT says QuickJS is ready. */
	int rc = mica_hypercall_serve(sb, err);
	if (rc == MICA_OK && sb->reply.status != MICA_GS_READY)
		rc = mica_err(err, MICA_ERR_FAULT, "guest did not become ready (status %u)",
			      sb->reply.status);
	free(sb->reply.text);
	sb->reply.text = NULL;
	if (rc)
		goto fail;
	return sb;
fail:
	free(table);
	mica_sandbox_free(sb);
	return NULL;
}

void mica_sandbox_free(mica_sandbox *sb)
{
	if (!sb)
		return;
	mica_async_detach(sb); /* late completions become no-ops */
	if (sb->bk)
		sb->rt->ops->destroy(sb);
	mica_snapshot_free(sb->snap);
	if (sb->module_root_owned)
		close(sb->module_root);
	free(sb->reply.text);
	free(sb->fns);
	free(sb);
}

void mica_sandbox_forget_tenant(mica_sandbox *sb)
{
	if (sb->module_root_owned)
		close(sb->module_root);
	sb->module_root = -1;
	sb->module_root_owned = 0;
	sb->console = NULL;
	sb->console_data = NULL;
}

void mica_sandbox_set_console(mica_sandbox *sb, mica_console_fn fn, void *userdata)
{
	sb->console = fn;
	sb->console_data = userdata;
}

int mica_sandbox_set_modules(mica_sandbox *sb, const char *dir, mica_error *err)
{
	int fd = -1;
	if (dir && mica_modules_open(dir, &fd, err))
		return err ? err->code : MICA_ERR_INVALID;
	if (sb->module_root_owned)
		close(sb->module_root);
	sb->module_root = fd;
	sb->module_root_owned = fd >= 0;
	return MICA_OK;
}

int mica_sandbox_set_modules_fd(mica_sandbox *sb, int dirfd, mica_error *err)
{
	struct stat st;
	if (dirfd >= 0 && (fstat(dirfd, &st) < 0 || !S_ISDIR(st.st_mode)))
		return mica_err(err, MICA_ERR_INVALID,
				"module root: descriptor %d is not a directory", dirfd);
	if (sb->module_root_owned)
		close(sb->module_root);
	sb->module_root = dirfd;
	sb->module_root_owned = 0;
	return MICA_OK;
}

void mica_sandbox_set_timeout(mica_sandbox *sb, uint32_t timeout_ms)
{
	sb->limits.timeout_ms = timeout_ms;
}

int mica_sandbox_set_unhandled_rejections(mica_sandbox *sb, int mode)
{
	if (mode < MICA_REJECTIONS_STRICT || mode > MICA_REJECTIONS_NONE)
		return MICA_ERR_INVALID;
	sb->limits.unhandled_rejections = mode;
	return MICA_OK;
}

void mica_sandbox_interrupt(mica_sandbox *sb)
{
	atomic_store(&sb->interrupt, 1);
	mica_async_wake(sb); /* a guest sleeping in MICA_HC_SLEEP */
	sb->rt->ops->kick(sb);
}

/* ---- MICA_HC_WAIT -------------------------------------------------------- */

int mica_hc_wait(mica_sandbox *sb, uint64_t gpa, int64_t deadline, mica_error *err)
{
	(void)deadline;
	struct mica_hc_wait w;
	if (!mica_guest_writable(sb, gpa, sizeof(w)) || mica_mem_read(&sb->mem, gpa, &w, sizeof(w)))
		return mica_abi_violation(sb, err, "wait structure", gpa);
	if (w.result_len >= MICA_RESULT_MAX || !mica_mem_check(&sb->mem, w.result, w.result_len))
		return mica_sandbox_kill(
		    sb, MICA_ERR_FAULT, err, "guest ABI violation: result of %llu bytes at 0x%llx",
		    (unsigned long long)w.result_len, (unsigned long long)w.result);
	if (w.kind > MICA_KIND_BYTES)
		return mica_sandbox_kill(sb, MICA_ERR_FAULT, err,
					 "guest ABI violation: result kind %u", w.kind);
	struct mica_reply *r = &sb->reply;
	r->text = malloc(w.result_len + 1);
	if (!r->text)
		return mica_sandbox_kill(sb, MICA_ERR_SYSTEM, err,
					 "out of memory copying a %llu-byte result",
					 (unsigned long long)w.result_len);
	if (mica_mem_read(&sb->mem, w.result, r->text, w.result_len)) {
		free(r->text);
		r->text = NULL;
		return mica_sandbox_kill(
		    sb, MICA_ERR_FAULT, err, "guest ABI violation: result of %llu bytes at 0x%llx",
		    (unsigned long long)w.result_len, (unsigned long long)w.result);
	}
	r->text[w.result_len] = 0;
	r->len = w.result_len;
	r->status = w.status;
	r->kind = w.kind;
	sb->wait_gpa = gpa;
	return MICA_HC_DONE;
}

/* Puts one request where the parked guest reads it: small ones in the
 * inline area (in place on every backend), others in the request buffer. */
static int put_request(mica_sandbox *sb, uint32_t op, uint32_t flags, const char *name, size_t nlen,
		       const char *data, size_t len, mica_error *err)
{
	struct mica_hc_wait w;
	memset(&w, 0, sizeof(w));
	w.op = op;
	w.flags = flags;
	w.name_len = nlen;
	w.data_len = len;
	w.request = nlen + len + 2 <= MICA_INLINE_SIZE ? MICA_GPA_INLINE : MICA_GPA_IN;
	/* name, NUL, data, NUL: one write where the host reaches in place */
	size_t total = nlen + len + 2;
	uint8_t *p = mica_mem_direct(&sb->mem, w.request, total), *buf = NULL;
	if (!p && !(p = buf = malloc(total)))
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	memcpy(p, name, nlen + 1);
	if (len)
		memcpy(p + nlen + 1, data, len);
	p[nlen + 1 + len] = 0;
	int bad = buf && mica_mem_write(&sb->mem, w.request, buf, total);
	free(buf);
	if (bad || mica_mem_write(&sb->mem, sb->wait_gpa, &w, sizeof(w)))
		return mica_err(err, MICA_ERR_FAULT, "guest is not waiting for a request");
	sb->keep_inline = w.request == MICA_GPA_INLINE ? total : 0;
	sb->keep_in = w.request == MICA_GPA_IN ? total : 0;
	return 0;
}

/* Sends one request to the parked guest and runs it to its next WAIT.
 * flags: MICA_REQ_*. *is_bytes (may be NULL) says whether a call's result
 * is raw bytes. */
static int request(mica_sandbox *sb, uint32_t op, uint32_t flags, const char *name,
		   const char *data, size_t len, char **result, size_t *result_len, int *is_bytes,
		   mica_error *err)
{
	if (result)
		*result = NULL;
	if (result_len)
		*result_len = 0;
	if (is_bytes)
		*is_bytes = 0;
	if (atomic_load(&sb->runner))
		return mica_err(
		    err, MICA_ERR_INVALID,
		    "sandbox busy: a host function may not call back into its own sandbox");
	if (sb->dead)
		return mica_err(err, sb->dead,
				"sandbox unusable: an earlier operation ended with: %s",
				mica_code_name(sb->dead));
	sb->result_bytes = 0;
	/* NULL data: only empty bytes */
	if (!name || (!data && (len || !(flags & MICA_REQ_BYTES))))
		return mica_err(err, MICA_ERR_INVALID, "name and data must not be NULL");
	if (!data)
		data = "";
	size_t nlen = strlen(name);
	if (len > MICA_IN_SIZE - 2 || nlen > MICA_IN_SIZE - 2 - len)
		return mica_err(err, MICA_ERR_INVALID,
				"request too large: %zu bytes (the limit is %llu)", nlen + len,
				(unsigned long long)MICA_IN_SIZE - 2);
	static const uint32_t rejections[] = {0, MICA_REQ_REJECTIONS_WARN,
					      MICA_REQ_REJECTIONS_NONE};
	flags |= rejections[sb->limits.unhandled_rejections];
	int rc = put_request(sb, op, flags, name, nlen, data, len, err);
	if (rc)
		return rc;

	rc = mica_hypercall_serve(sb, err);
	if (rc)
		return rc;
	struct mica_reply res = sb->reply;
	memset(&sb->reply, 0, sizeof(sb->reply));
	if (res.status == MICA_GS_OK && res.kind == MICA_KIND_BYTES && op != MICA_OP_CALL)
		res.status = UINT32_MAX; /* bytes only answer calls */
	switch (res.status) {
	case MICA_GS_OK:
		sb->result_bytes = res.kind == MICA_KIND_BYTES;
		if (is_bytes)
			*is_bytes = sb->result_bytes;
		if (result)
			*result = res.text;
		else
			free(res.text);
		if (result_len)
			*result_len = res.len;
		return MICA_OK;
	case MICA_GS_EXCEPTION: rc = mica_err(err, MICA_ERR_JS, "%s", res.text); break;
	case MICA_GS_SYNTAX:
	case MICA_GS_BAD_INPUT: rc = mica_err(err, MICA_ERR_INVALID, "%s", res.text); break;
	case MICA_GS_OOM:
		rc = mica_err(err, MICA_ERR_MEMORY, "memory limit exceeded: %s", res.text);
		break;
	default:
		if (res.status == UINT32_MAX)
			rc = mica_sandbox_kill(
			    sb, MICA_ERR_FAULT, err,
			    "guest broke the protocol: bytes for a request that is not a call");
		else
			rc = mica_sandbox_kill(sb, MICA_ERR_FAULT, err,
					       "guest broke the protocol: status %u", res.status);
	}
	free(res.text);
	return rc;
}

int mica_sandbox_request(mica_sandbox *sb, uint32_t op, const char *name, const void *data,
			 size_t len, char **result, size_t *result_len, mica_error *err)
{
	return request(sb, op, 0, name, (const char *)data, len, result, result_len, NULL, err);
}

int mica_sandbox_load(mica_sandbox *sb, const char *name, const char *source, size_t len,
		      mica_error *err)
{
	return request(sb, MICA_OP_LOAD, 0, name, source, len, NULL, NULL, NULL, err);
}

int mica_sandbox_call(mica_sandbox *sb, const char *handler, const char *event_json, size_t len,
		      char **result, size_t *result_len, mica_error *err)
{
	return request(sb, MICA_OP_CALL, 0, handler, event_json, len, result, result_len, NULL,
		       err);
}

int mica_sandbox_call_bytes(mica_sandbox *sb, const char *handler, const void *data, size_t len,
			    void **result, size_t *result_len, int *is_bytes, mica_error *err)
{
	char *res = NULL;
	int rc = request(sb, MICA_OP_CALL, MICA_REQ_BYTES, handler, (const char *)data, len,
			 result ? &res : NULL, result_len, is_bytes, err);
	if (result)
		*result = res;
	return rc;
}

int mica_sandbox_result_is_bytes(const mica_sandbox *sb)
{
	return sb->result_bytes;
}

int mica_sandbox_eval(mica_sandbox *sb, const char *name, const char *code, size_t len,
		      char **result, size_t *result_len, mica_error *err)
{
	return request(sb, MICA_OP_EVAL, 0, name, code, len, result, result_len, NULL, err);
}
