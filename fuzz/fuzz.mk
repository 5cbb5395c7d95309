# Fuzzing (fuzz/README.md). Two builds of the same targets, fuzz/fuzz_*.c:
#
#   make fuzz        libFuzzer + ASan + UBSan, with clang (installed by
#                    scripts/fuzz-deps.sh), in build/fuzz: runs each target
#                    for FUZZ_SECONDS (default 60), one at a time, new corpus
#                    entries in build/fuzz/corpus/TARGET (the checked-in
#                    fuzz/corpus is only read), crashes in
#                    build/fuzz/crashes/TARGET; fails if any target crashes.
#                    FUZZ_TARGETS="hypercall json" runs some; FUZZ_FLAGS adds
#                    libFuzzer flags.
#   make test        $(BUILD)/tests/fuzz_replay, built like the other test
#                    programs (plain, then ASan+UBSan): every target over
#                    every file of its corpus (fuzz/replay.c).
#
# The host library is compiled again with clang, sanitized and with
# libFuzzer's coverage; QuickJS (third party) gets the coverage and ASan,
# not UBSan.

FUZZD         := build/fuzz
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_ALL      := snapfile bytecode image hypercall modules events json
FUZZ_TARGETS  ?= $(FUZZ_ALL)
FUZZ_FLAGS    ?=
FUZZ_READY    := $(FUZZD)/.deps-ready

FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# clang warns where gcc does not: a GNU extension (host/kvm/vm.c's KVM
# structures) and libseccomp's SCMP_A* macros, which leave a field out.
FUZZ_CFLAGS   := -std=gnu11 -O1 -g $(WARN) -Wno-gnu-variable-sized-type-not-at-end \
		 -Wno-missing-field-initializers -Iinclude -Ihost -Icli -Ifuzz -D_GNU_SOURCE $(FUZZ_SAN)
FUZZ_QJS_FLAGS := -O2 -g -w $(QJS_DEFS) -fsanitize=address -fno-omit-frame-pointer \
		  -fsanitize=fuzzer-no-link

FUZZ_HOST_OBJS := $(addprefix $(FUZZD)/host/,$(addsuffix .o,$(HOST_CORE))) \
		  $(addprefix $(FUZZD)/host/kvm/,$(addsuffix .o,$(HOST_KVM))) \
		  $(addprefix $(FUZZD)/host/proc/,$(addsuffix .o,$(HOST_PROC))) \
		  $(FUZZD)/host/guest_image.o $(FUZZD)/host/proc/loader_image.o
FUZZ_QJS_OBJS  := $(addprefix $(FUZZD)/qjs/,$(addsuffix .o,$(QJS_SRCS)))
FUZZ_BINS      := $(addprefix $(FUZZD)/fuzz_,$(FUZZ_ALL))
FUZZ_SRCS      := $(addprefix fuzz/fuzz_,$(addsuffix .c,$(FUZZ_ALL)))

.PHONY: fuzz fuzz-build
fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BINS)

$(FUZZ_READY): scripts/fuzz-deps.sh
	scripts/fuzz-deps.sh
	@mkdir -p $(@D)
	@touch $@

$(FUZZD)/host/%.o: host/%.c $(HOST_HDRS) | $(DEPS) $(FUZZ_READY)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZD)/host/guest_image.o: host/guest_image.S $(GUESTD)/mica-guest.elf | $(FUZZ_READY)
	@mkdir -p $(@D)
	$(FUZZ_CC) -c -DMICA_GUEST_ELF='"$(GUESTD)/mica-guest.elf"' $< -o $@
$(FUZZD)/host/proc/loader_image.o: host/proc/loader_image.S $(LOADER) | $(FUZZ_READY)
	@mkdir -p $(@D)
	$(FUZZ_CC) -c -DMICA_LOADER_ELF='"$(LOADER)"' $< -o $@
$(FUZZD)/libmica.a: $(FUZZ_HOST_OBJS)
	rm -f $@
	ar rcs $@ $^

$(FUZZD)/qjs/%.o: $(QJS)/%.c $(DEPS) | $(FUZZ_READY)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_QJS_FLAGS) -c $< -o $@

FUZZ_LINK := $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer
$(FUZZD)/fuzz_events: fuzz/fuzz_events.c fuzz/fuzz.h cli/events.c cli/events.h | $(FUZZ_READY)
	$(FUZZ_LINK) -o $@ fuzz/fuzz_events.c cli/events.c
$(FUZZD)/fuzz_json: fuzz/fuzz_json.c fuzz/fuzz.h $(FUZZ_QJS_OBJS) | $(FUZZ_READY)
	$(FUZZ_LINK) -isystem $(QJS) -o $@ $< $(FUZZ_QJS_OBJS) -lm -lpthread
$(FUZZD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(HOST_HDRS) $(FUZZD)/libmica.a | $(FUZZ_READY)
	$(FUZZ_LINK) -o $@ $< $(FUZZD)/libmica.a $(HOST_LDLIBS)

# The replay: every target, with the project's compiler, as a test suite
# (tests/suites.sh: fuzz_replay).
$(TESTD)/fuzz_replay: fuzz/replay.c fuzz/fuzz.h $(FUZZ_SRCS) cli/events.c cli/events.h \
		      $(BUILD)/libmica.a $(NATIVE_QJS_OBJS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -DFUZZ_REPLAY -Ifuzz -Icli -isystem $(QJS) -o $@ \
		fuzz/replay.c $(FUZZ_SRCS) cli/events.c $(BUILD)/libmica.a $(NATIVE_QJS_OBJS) -lm \
		$(HOST_LDLIBS)

# Seeds for the checked-in corpus (fuzz/make-corpus.sh).
$(FUZZD)/seedgen: fuzz/seedgen.c fuzz/fuzz.h $(BUILD)/libmica.a
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ifuzz -o $@ $< $(BUILD)/libmica.a $(HOST_LDLIBS)
