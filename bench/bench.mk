# `make bench` builds and runs bench/bench.c: each backend's costs against
# their floors (bare KVM VM and exit; eventfd round trip and fork between
# processes; native QuickJS), all measured in the same run.
#
# Always the plain -O2 build in build/, whatever BUILD or SAN say: a
# sanitized benchmark would measure the sanitizer.

BENCHD := build/bench

bench:
	$(MAKE) --no-print-directory BUILD=build SAN= $(BENCHD)/bench
	$(BENCHD)/bench

# The exit-loop guest: bench/guests/exitloop.S plus the real guest/boot.S
# for its image header and CPL0 stubs, linked like the real guest.
$(BENCHD)/exitloop.elf: bench/guests/exitloop.S guest/boot.S include/mica_abi.h | $(DEPS)
	@mkdir -p $(@D)
	$(CC) -nostdlib -static -no-pie -Wl,-z,max-page-size=4096 -Wl,-z,separate-code \
		-Wl,-z,noexecstack -Wl,--build-id=none -o $@ bench/guests/exitloop.S guest/boot.S

# The native QuickJS objects go first in the link: the interpreter's speed
# moves by up to ~10% with its code alignment, and this way editing
# bench.c or libmica does not move it.
BENCH_SRCS := bench/bench.c bench/stats.c bench/floors.c bench/native.c bench/memory.c
$(BENCHD)/bench: $(BENCH_SRCS) $(wildcard bench/*.h) $(BENCHD)/exitloop.elf $(HOST_HDRS) \
		 build/libmica.a $(NATIVE_QJS_OBJS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ihost/kvm -Ibench -isystem $(QJS) -DBENCH_EXITLOOP_ELF='"$(BENCHD)/exitloop.elf"' \
		-o $@ $(NATIVE_QJS_OBJS) $(BENCH_SRCS) build/libmica.a $(HOST_LDLIBS) -lm
