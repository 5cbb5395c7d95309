# mica: `make demo` runs an example, `make test` runs every test.
# Both install what they need first (scripts/deps.sh).
#
# Every rule that runs a compiler waits for $(DEPS): on a fresh machine
# deps.sh installs the compilers themselves, and `make -j` must not start
# one before it is there (tests/fresh-clone.sh checks this).

BUILD   ?= build
MAKEFLAGS += -j$(shell nproc)
SAN     ?=
CC      ?= cc
MUSLCC  ?= musl-gcc

QJS     := build/quickjs
GUESTD  := build/guest
DEPS    := $(QJS)/.mica-ready

WARN    := -Wall -Wextra -Werror
HOST_CFLAGS := -std=gnu11 -O2 -g -fPIC $(WARN) -Iinclude -Ihost -D_GNU_SOURCE
HOST_LDLIBS := -lseccomp -lpthread -lrt
ifeq ($(SAN),1)
HOST_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_LDFLAGS += -fsanitize=address,undefined
endif

# QuickJS is built the same way for the guest and for the native peer in
# the benchmarks, so that compute can be compared.
QJS_DEFS   := -D_GNU_SOURCE -DCONFIG_VERSION=\"2021-03-27\" -DCONFIG_BIGNUM
QJS_CFLAGS := -O2 -g -w $(QJS_DEFS)
QJS_SRCS   := quickjs libregexp libunicode cutils libbf

GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -static -fno-pie -isystem $(QJS) -Iinclude
GUEST_OBJS := $(addprefix $(GUESTD)/,boot.o proc.o proc_signal.o proc_reset.o syscall.o console.o arena.o \
		main.o jsalloc.o hostfn.o timers.o modules.o builtins.o bytes.o dispatch.o crypto.o js_sources.o) \
	      $(addprefix $(GUESTD)/qjs-,$(addsuffix .o,$(QJS_SRCS)))

# The host library: the core, and the backends side by side.
HOST_CORE := error sys guestmem image boot runtime sandbox hypercall console fault hostcall async modules lockdown \
	     snapshot snapfile sha256 bytecode pool
HOST_KVM  := vm backend
HOST_PROC := backend zygote filter cgroup
HOST_OBJS := $(addprefix $(BUILD)/host/,$(addsuffix .o,$(HOST_CORE))) \
	     $(addprefix $(BUILD)/host/kvm/,$(addsuffix .o,$(HOST_KVM))) \
	     $(addprefix $(BUILD)/host/proc/,$(addsuffix .o,$(HOST_PROC))) \
	     $(BUILD)/host/guest_image.o $(BUILD)/host/proc/loader_image.o
HOST_HDRS := $(wildcard host/*.h host/kvm/*.h host/proc/*.h) include/mica.h include/mica_abi.h

.PHONY: all deps demo examples test test-plain test-asan bench clean format valgrind
all: $(BUILD)/mica $(BUILD)/libmica.a $(BUILD)/libmica.so

deps: $(DEPS)
$(DEPS): scripts/deps.sh $(wildcard patches/*.patch)
	scripts/deps.sh build

# The QuickJS sources appear when deps.sh has run.
$(addprefix $(QJS)/,$(addsuffix .c,$(QJS_SRCS)) quickjs.h): $(DEPS)
	@:

# ---- guest image ----
$(GUESTD)/qjs-%.o: $(QJS)/%.c $(DEPS)
	@mkdir -p $(@D)
	$(MUSLCC) $(QJS_CFLAGS) -c $< -o $@
$(GUESTD)/arena.o: guest/arena.c guest/arena.h | $(DEPS)
	@mkdir -p $(@D)
	$(MUSLCC) $(GUEST_CFLAGS) -DMICA_ARENA_REPLACE_MALLOC -c $< -o $@
# The reset runs with the guest's thread pointer in the guest's hands.
$(GUESTD)/proc_reset.o: guest/proc_reset.c include/mica_abi.h | $(DEPS)
	@mkdir -p $(@D)
	$(MUSLCC) $(GUEST_CFLAGS) -fno-stack-protector -ffreestanding -c $< -o $@
$(GUESTD)/%.o: guest/%.c guest/guest.h guest/runtime.h guest/arena.h include/mica_abi.h $(DEPS)
	@mkdir -p $(@D)
	$(MUSLCC) $(GUEST_CFLAGS) -c $< -o $@
$(GUESTD)/%.o: guest/%.S include/mica_abi.h | $(DEPS)
	@mkdir -p $(@D)
	$(MUSLCC) -c $< -o $@
$(GUESTD)/js_sources.o: guest/js_sources.S $(GUESTD)/lang.jsbc $(GUESTD)/console.jsbc $(GUESTD)/web.jsbc \
		$(GUESTD)/crypto.jsbc $(GUESTD)/fetch.jsbc
	$(MUSLCC) -c -DMICA_LANG_JSBC='"$(GUESTD)/lang.jsbc"' -DMICA_CONSOLE_JSBC='"$(GUESTD)/console.jsbc"' \
		-DMICA_WEB_JSBC='"$(GUESTD)/web.jsbc"' \
		-DMICA_CRYPTO_JSBC='"$(GUESTD)/crypto.jsbc"' -DMICA_FETCH_JSBC='"$(GUESTD)/fetch.jsbc"' $< -o $@
# web.js and crypto.js share guest/js/prelude.js: it goes in place of their
# `// @prelude` line (inside their function: nothing of it is global).
$(GUESTD)/%.full.js: guest/js/%.js guest/js/prelude.js
	@mkdir -p $(@D)
	awk '/^  \/\/ @prelude$$/ { while ((getline l < "guest/js/prelude.js") > 0) print l; next } { print }' $< >$@
.PRECIOUS: $(GUESTD)/%.full.js
$(GUESTD)/%.jsbc: $(GUESTD)/%.full.js build/tools/mica-jsc
	build/tools/mica-jsc $< $@ '<mica:$*>'

# QuickJS built natively with the guest's flags: the bytecode compiler, and
# the peer for parity tests and benchmarks (never sanitized: third-party).
NATIVED := build/native-qjs
NATIVE_QJS_OBJS := $(addprefix $(NATIVED)/,$(addsuffix .o,$(QJS_SRCS)))
$(NATIVED)/%.o: $(QJS)/%.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(QJS_CFLAGS) -c $< -o $@
build/tools/mica-jsc: guest/tools/jsc.c $(NATIVE_QJS_OBJS)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARN) -isystem $(QJS) -o $@ $^ -lm -lpthread
$(GUESTD)/mica-guest.elf: $(GUEST_OBJS)
	$(MUSLCC) -static -no-pie -Wl,-z,max-page-size=4096 -Wl,-z,separate-code \
		-Wl,-z,noexecstack -o $(GUESTD)/mica-guest.debug.elf $^ -lm
	strip --strip-debug -o $@ $(GUESTD)/mica-guest.debug.elf

# ---- the process backend's loader: freestanding, never sanitized, linked
# far above any guest memory ----
LOADER := build/loader/mica-loader
$(LOADER): host/proc/loader.c host/proc/proc.h include/mica_abi.h | $(DEPS)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARN) -Iinclude -Ihost/proc -ffreestanding -fno-stack-protector -fPIE \
		-fcf-protection=none -fno-asynchronous-unwind-tables -nostdlib -static -no-pie \
		-Wl,-Ttext-segment=0x200000000000 -Wl,-z,noexecstack -Wl,--build-id=none -o $@ $<

# ---- host library ----
$(BUILD)/host/%.o: host/%.c $(HOST_HDRS) | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@
$(BUILD)/host/guest_image.o: host/guest_image.S $(GUESTD)/mica-guest.elf
	@mkdir -p $(@D)
	$(CC) -c -DMICA_GUEST_ELF='"$(GUESTD)/mica-guest.elf"' $< -o $@
$(BUILD)/host/proc/loader_image.o: host/proc/loader_image.S $(LOADER)
	@mkdir -p $(@D)
	$(CC) -c -DMICA_LOADER_ELF='"$(LOADER)"' $< -o $@
$(BUILD)/libmica.a: $(HOST_OBJS)
	rm -f $@
	ar rcs $@ $^
# Exports mica.h's functions only; soname and version: deploy/install.mk.
$(BUILD)/libmica.so: $(HOST_OBJS) deploy/libmica.map
	$(CC) -shared $(HOST_LDFLAGS) -Wl,-soname,$(MICA_SONAME) -Wl,--version-script=deploy/libmica.map \
		-Wl,-z,defs -Wl,-z,noexecstack -o $@ $(HOST_OBJS) $(HOST_LDLIBS)

# ---- CLI ----
CLI_SRCS := cli/mica.c cli/events.c cli/writer.c cli/help.c cli/slurp.c cli/entry.c
$(BUILD)/mica: $(CLI_SRCS) cli/events.h cli/writer.h cli/help.h cli/slurp.h cli/entry.h include/mica.h $(BUILD)/libmica.a
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $(CLI_SRCS) $(BUILD)/libmica.a $(HOST_LDLIBS)

# ---- examples ----
examples: $(BUILD)/examples/plugin-host
$(BUILD)/examples/plugin-host: examples/plugin/host.c include/mica.h $(BUILD)/libmica.a
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $< $(BUILD)/libmica.a $(HOST_LDLIBS)

demo: $(BUILD)/mica
	$(BUILD)/mica run -v examples/hello.js
	$(BUILD)/mica run examples/handler.js --handler greet --event '{"name":"mica"}'

# The host code under valgrind (memcheck): a few runs through the CLI.
valgrind: $(BUILD)/mica
	@command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
	valgrind -q --leak-check=full --error-exitcode=9 $(BUILD)/mica run examples/handler.js \
		--handler greet --event '{"name":"valgrind"}' --no-lockdown
	valgrind -q --leak-check=full --error-exitcode=9 $(BUILD)/mica eval 'let a = []; for (;;) a.push([1])' \
		--memory 16 --no-lockdown; test $$? = 4
	valgrind -q --leak-check=full --error-exitcode=9 $(BUILD)/mica eval 'while (1) {}' --timeout 200 \
		--no-lockdown; \
		test $$? = 3

include deploy/install.mk
include server/server.mk
include tests/tests.mk
include fuzz/fuzz.mk
include tests/kvm-qemu/kvm-qemu.mk
include bench/bench.mk
include python/python.mk

clean:
	rm -rf build

format:
	clang-format -i include/*.h host/*.[ch] host/kvm/*.[ch] host/proc/*.[ch] guest/*.[ch] guest/tools/*.c cli/*.c \
		tests/*.h tests/api/*.c tests/unit/*.c tests/hostile/*.c bench/*.[ch] examples/plugin/*.c cli/*.h \
		server/*.[ch] python/*.[ch] fuzz/*.[ch]
