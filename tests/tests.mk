# Tests. `make test` first builds a fresh copy of the project where the
# compilers arrive late (tests/fresh-clone.sh), then runs every suite on the
# plain build, then again on an ASan+UBSan build (build/asan), and last,
# where KVM cannot be used here, the plain build's KVM suites in QEMU
# (tests/kvm-qemu/kvm-qemu.mk). tests/run.sh sums the suites' counts.

TESTD := $(BUILD)/tests

TEST_PROGS := $(TESTD)/test_console_js $(TESTD)/test_web_js $(TESTD)/test_fetch_js $(TESTD)/test_events_js \
	      $(TESTD)/test_streams_js $(TESTD)/test_arena $(TESTD)/test_modules $(TESTD)/test_api $(TESTD)/test_conformance \
	      $(TESTD)/test_parity $(TESTD)/test_hostile $(TESTD)/test_snapshot $(TESTD)/test_pool \
	      $(TESTD)/test_snapfile $(TESTD)/test_bytecode $(TESTD)/test_async $(TESTD)/test_crypto $(TESTD)/test_binary \
	      $(TESTD)/test_backend $(TESTD)/test_proc $(TESTD)/test_lockdown $(TESTD)/mica-probe $(TESTD)/fuzz_replay \
	      $(TESTD)/install $(TESTD)/test_python

include tests/hostile/hostile.mk

# console.js unit tests run in native QuickJS with its std module.
$(TESTD)/test_console_js: tests/unit/test_console_js.c $(NATIVE_QJS_OBJS) $(NATIVED)/quickjs-libc.o
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -isystem $(QJS) -o $@ $^ -lm -ldl $(HOST_LDLIBS)

# web.js's unit tests, and fetch.js's (after web.js, as the guest has them;
# test_events and test_streams also run under node 20:
# tests/js_unit/check-node.sh), in native QuickJS with the guest's natives
# for web.js (guest/bytes.c).
$(TESTD)/test_web_js $(TESTD)/test_fetch_js $(TESTD)/test_events_js $(TESTD)/test_streams_js: \
		$(TESTD)/test_%_js: tests/unit/test_console_js.c guest/bytes.c guest/runtime.h \
		$(NATIVE_QJS_OBJS) $(NATIVED)/quickjs-libc.o $(GUESTD)/web.full.js $(GUESTD)/fetch.full.js
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -isystem $(QJS) -DMICA_NATIVES -DTEST_JS='"tests/js_unit/test_$*.js"' \
		-DGLUE_JS='"$(GUESTD)/web.full.js"' -o $@ $(filter-out %.js %.h,$^) -lm -ldl $(HOST_LDLIBS)

# Module files: host/modules.c's internals, both resolution paths.
$(TESTD)/test_modules: tests/unit/test_modules.c tests/harness.h host/modules.h $(BUILD)/libmica.a
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -Itests -Ihost -o $@ $< $(BUILD)/libmica.a $(HOST_LDLIBS)

# The CLI with a test hook: after its lockdown it tries what a process that
# took it over would (MICA_LOCKDOWN_PROBE=1): tests/cli/cli.sh.
$(TESTD)/mica-probe: $(CLI_SRCS) cli/events.h cli/writer.h cli/help.h cli/slurp.h include/mica.h $(BUILD)/libmica.a
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -DMICA_LOCKDOWN_PROBE -o $@ $(CLI_SRCS) $(BUILD)/libmica.a \
		$(HOST_LDLIBS)

# `make install` checked (tests/install/install.sh): a script, which
# tests/run.sh finds as $(TESTD)/install, a launcher naming this build.
$(TESTD)/install: tests/install/install.sh
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec sh tests/install/install.sh %s\n' '$(BUILD)' >$@
	chmod +x $@

$(TESTD)/test_arena: tests/unit/test_arena.c guest/arena.c guest/arena.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -Iguest -o $@ tests/unit/test_arena.c guest/arena.c

$(TESTD)/test_%: tests/api/test_%.c tests/harness.h tests/support.h include/mica.h include/mica_abi.h $(BUILD)/libmica.a
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -Itests -o $@ $< $(BUILD)/libmica.a $(HOST_LDLIBS)

$(TESTD)/test_parity: tests/api/test_parity.c tests/harness.h $(BUILD)/libmica.a $(NATIVE_QJS_OBJS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -Itests -isystem $(QJS) -o $@ $< $(BUILD)/libmica.a \
		$(NATIVE_QJS_OBJS) $(HOST_LDLIBS) -lm

.PHONY: test-suites test-fresh test-native test-native-then-late test-kvm-qemu-early-logged \
	test-kvm-qemu-late-logged
# The plain and ASan suites run one after the other, and beside them (the
# emulator takes one CPU) the KVM suites in QEMU where there is no /dev/kvm;
# QEMU_LATE of tests/suites.sh in a second emulator once the native suites
# are done. Each emulator's output is printed when it is done.
test: deps
	tests/fresh-clone.sh
	$(MAKE) $(KVM_QEMU_NEEDS)
	$(MAKE) test-native-then-late test-kvm-qemu-early-logged

test-native:
	$(MAKE) test-suites
	$(MAKE) BUILD=build/asan SAN=1 test-suites

# The late emulator runs even when a native suite failed: all is reported.
test-native-then-late:
	@$(MAKE) test-native; rc=$$?; $(MAKE) --no-print-directory test-kvm-qemu-late-logged && exit $$rc

test-kvm-qemu-early-logged test-kvm-qemu-late-logged: test-kvm-qemu-%-logged:
	@$(MAKE) --no-print-directory test-kvm-qemu-if-needed KVM_QEMU_PART=$* \
		>$(BUILD)/kvm-qemu-$*.log 2>&1; rc=$$?; \
	echo "== the KVM suites in QEMU, $* part ($(BUILD)/kvm-qemu-$*.log):"; \
	cat $(BUILD)/kvm-qemu-$*.log; exit $$rc

test-plain: deps
	$(MAKE) test-suites

test-fresh:
	tests/fresh-clone.sh

test-asan: deps
	$(MAKE) BUILD=build/asan SAN=1 test-suites

test-suites: all $(TEST_PROGS) $(HOSTILE_IMAGES) $(BUILD)/examples/plugin-host
	tests/run.sh $(BUILD)
