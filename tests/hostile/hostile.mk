# Hostile guest images for build/tests/test_hostile: tiny static programs
# that break the host <-> guest ABI on purpose. Guest code is never
# sanitized, so they always go to build/hostile whatever $(BUILD) is.
#
#   cases.S  one image per case (-DCASE_<name>), with the real guest/boot.S
#            and the process backend's stubs (guest/proc*.[cS]): they run on
#            both backends, hypercalls through transport.S
#   cpl0.S   its own image header and stubs, to misbehave at CPL0 (KVM only)
#   proto.c  follows the protocol, then misbehaves on request (both backends)

HOSTILED := build/hostile

HOSTILE_CASES := \
	wait_struct_oob wait_result_wild wait_result_huge wait_result_wrap \
	wait_result_cap wait_not_ready \
	console_struct_oob console_data_wild console_len_huge console_stream_bad \
	console_flood console_forever \
	hostcall_struct_oob hostcall_fn_range hostcall_args_wild hostcall_args_in \
	exit_msg exit_msg_wild exit_struct_oob \
	port_unknown port_in port_outb port_rep_outsb port_rep_outsl fault_port_spoof \
	write_text exec_stack exec_heap read_null read_boot_page read_page_tables \
	write_boot_info stack_overflow stack_noncanonical load_noncanonical \
	syscall_bad_rsp \
	hlt cli_hlt spin ud2 div0 int3 int80 wrmsr iret_to_cpl0
HOSTILE_CPL0_CASES := triple_fault cpl0_spin cpl0_hlt cpl0_mmio

HOSTILE_CASE_ELFS := $(patsubst %,$(HOSTILED)/%.elf,$(HOSTILE_CASES))
HOSTILE_CPL0_ELFS := $(patsubst %,$(HOSTILED)/%.elf,$(HOSTILE_CPL0_CASES))
HOSTILE_IMAGES := $(HOSTILE_CASE_ELFS) $(HOSTILE_CPL0_ELFS) $(HOSTILED)/proto.elf

HOSTILE_ASFLAGS := -Iinclude -Itests/hostile
HOSTILE_CFLAGS := -std=gnu11 -O2 $(WARN) -ffreestanding -fno-pie -fno-stack-protector \
		  -fno-asynchronous-unwind-tables -fcf-protection=none $(HOSTILE_ASFLAGS)
HOSTILE_LD := ld -static -nostdlib -z max-page-size=4096 -z separate-code -z noexecstack \
	      -Ttext-segment=0x400000 -e _start
HOSTILE_DEPS := tests/hostile/hostile.h include/mica_abi.h tests/hostile/hostile.mk

$(HOSTILED)/boot.o: guest/boot.S include/mica_abi.h | $(DEPS)
	@mkdir -p $(@D)
	$(CC) -c $< -o $@
# The process backend's stubs, as the real guest has them.
HOSTILE_PROC := $(addprefix $(HOSTILED)/,proc.o proc_signal.o proc_reset.o transport.o)
$(HOSTILED)/proc.o: guest/proc.S include/mica_abi.h | $(DEPS)
	@mkdir -p $(@D)
	$(CC) -c $< -o $@
$(HOSTILED)/proc_%.o: guest/proc_%.c guest/guest.h include/mica_abi.h | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(HOSTILE_CFLAGS) -c $< -o $@
$(HOSTILED)/transport.o: tests/hostile/transport.S $(HOSTILE_DEPS) | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(HOSTILE_ASFLAGS) -c $< -o $@
$(HOSTILED)/case-%.o: tests/hostile/cases.S $(HOSTILE_DEPS) | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(HOSTILE_ASFLAGS) -DCASE_$* -c $< -o $@
$(HOSTILED)/cpl0-%.o: tests/hostile/cpl0.S $(HOSTILE_DEPS) | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(HOSTILE_ASFLAGS) -DCASE_$* -c $< -o $@
# proto.c keeps SSE values live across its WAIT: test_snapshot checks through
# it that snapshots keep XMM state (KVM_GET_FPU lost it on kvm_pvm; XSAVE does not).
$(HOSTILED)/proto.o: tests/hostile/proto.c $(HOSTILE_DEPS) | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(HOSTILE_CFLAGS) -c $< -o $@

$(HOSTILE_CASE_ELFS): $(HOSTILED)/%.elf: $(HOSTILED)/case-%.o $(HOSTILED)/boot.o $(HOSTILE_PROC)
	$(HOSTILE_LD) -o $@ $^
$(HOSTILE_CPL0_ELFS): $(HOSTILED)/%.elf: $(HOSTILED)/cpl0-%.o
	$(HOSTILE_LD) -o $@ $^
$(HOSTILED)/proto.elf: $(HOSTILED)/proto.o $(HOSTILED)/boot.o $(HOSTILE_PROC)
	$(HOSTILE_LD) -o $@ $^

.PRECIOUS: $(HOSTILED)/case-%.o $(HOSTILED)/cpl0-%.o

# `make build/tests/test_hostile` builds what it runs.
$(TESTD)/test_hostile: tests/hostile/hostile.h | $(HOSTILE_IMAGES)
