/* Synchronous host functions: MICA_HC_HOSTCALL and the mica_hostcall API. */
#include <stdlib.h>
#include <string.h>

#include "hostcall.h"
#include "hypercall.h"

const char *mica_hostcall_args(const mica_hostcall *call, size_t *len)
{
	if (len)
		*len = call->args_len;
	return call->args;
}

int mica_hostcall_is_bytes(const mica_hostcall *call)
{
	return call->args_kind == MICA_KIND_BYTES;
}

static int answer(mica_hostcall *call, const void *s, size_t len, int failed, uint32_t kind)
{
	if (len >= MICA_IN_SIZE)
		return MICA_ERR_INVALID;
	if (call->mem) { /* into the guest's request buffer, NUL-terminated */
		static const char nul = 0;
		if ((len && mica_mem_write(call->mem, MICA_GPA_IN, s, len)) ||
		    mica_mem_write(call->mem, MICA_GPA_IN + len, &nul, 1))
			return MICA_ERR_SYSTEM;
	} else {
		char *copy = malloc(len ? len : 1);
		if (!copy)
			return MICA_ERR_SYSTEM;
		if (len)
			memcpy(copy, s, len);
		free(call->result);
		call->result = copy;
	}
	call->result_len = len;
	call->result_kind = kind;
	call->failed = failed;
	call->answered = 1;
	return MICA_OK;
}

int mica_hostcall_return(mica_hostcall *call, const char *json, size_t len)
{
	return answer(call, json, json ? len : 0, 0, MICA_KIND_JSON);
}

int mica_hostcall_return_bytes(mica_hostcall *call, const void *data, size_t len)
{
	if (!data && len)
		return MICA_ERR_INVALID;
	return answer(call, data, len, 0, MICA_KIND_BYTES);
}

int mica_hostcall_fail(mica_hostcall *call, const char *message)
{
	if (!message)
		message = "host function failed";
	return answer(call, message, strlen(message), 1, MICA_KIND_JSON);
}

static int overlaps_in(uint64_t gpa, uint64_t len)
{
	return len && gpa < MICA_GPA_IN + MICA_IN_SIZE && MICA_GPA_IN < gpa + len;
}

int mica_hc_hostcall(mica_sandbox *sb, uint64_t gpa, int64_t deadline, mica_error *err)
{
	(void)deadline;
	struct mica_hc_hostcall req;
	if (!mica_guest_writable(sb, gpa, sizeof(req)) ||
	    mica_mem_read(&sb->mem, gpa, &req, sizeof(req)))
		return mica_abi_violation(sb, err, "host call structure", gpa);
	if (req.fn >= sb->nfns || !mica_mem_check(&sb->mem, req.args, req.args_len))
		return mica_sandbox_kill(
		    sb, MICA_ERR_FAULT, err,
		    "guest ABI violation: host call %u with %llu argument bytes at 0x%llx", req.fn,
		    (unsigned long long)req.args_len, (unsigned long long)req.args);
	if (req.args_kind > MICA_KIND_BYTES)
		return mica_sandbox_kill(sb, MICA_ERR_FAULT, err,
					 "guest ABI violation: host call %u with argument kind %u",
					 req.fn, req.args_kind);
	/* The answer is written to MICA_GPA_IN while the callback may still
	 * read the arguments in place. */
	if (overlaps_in(req.args, req.args_len))
		return mica_sandbox_kill(
		    sb, MICA_ERR_FAULT, err,
		    "guest ABI violation: host call %u arguments at 0x%llx overlap the request "
		    "buffer",
		    req.fn, (unsigned long long)req.args);
	void *copy;
	const char *args = mica_mem_view(&sb->mem, req.args, req.args_len, &copy);
	if (!args)
		return mica_sandbox_kill(sb, MICA_ERR_SYSTEM, err,
					 "cannot read %llu bytes of host call arguments",
					 (unsigned long long)req.args_len);
	mica_hostcall call = {
	    .args = args, .args_len = req.args_len, .args_kind = req.args_kind, .mem = &sb->mem};
	const struct mica_hostfn *f = &sb->fns[req.fn];
	if (f->fn)
		f->fn(&call, f->userdata);
	else /* registered async: only a guest of a mismatched snapshot asks */
		mica_hostcall_fail(&call, "this host function is async: the runtime registered it "
					  "with mica_runtime_register_async");
	free(copy);
	if (!call.answered) /* undefined */
		mica_hostcall_return(&call, "", 0);
	req.failed = (uint32_t)call.failed;
	req.result_len = call.result_len;
	req.result_kind = call.failed ? MICA_KIND_JSON : call.result_kind;
	if (mica_mem_write(&sb->mem, gpa, &req, sizeof(req)))
		return mica_abi_violation(sb, err, "host call structure", gpa);
	return 0;
}
