# The Python binding (python/README.md): the extension module `mica`, C
# against Python's stable ABI (one mica.abi3.so for every CPython >= 3.11),
# built with Debian's python3 and python3-dev (scripts/deps.sh), compiled
# directly so that BUILD and SAN apply as to everything else.
#
# libmica.a goes inside the module (it is -fPIC): nothing to find at run
# time, no soname to match, and its symbols stay hidden (--exclude-libs),
# so the module cannot clash with a libmica.so another module loaded.
#
#   make python                         the module, $(BUILD)/python/mica.abi3.so
#   make python-test                    its pytest suite, on MICA_BACKEND
#   make bench-python                   Python-to-guest call overhead beside C's
#   make python-install / python-uninstall   into $(DESTDIR)$(PYTHON_DIR)

PYTHON	   ?= /usr/bin/python3
PYD	   := $(BUILD)/python
PY_MOD	   := $(PYD)/mica.abi3.so
PY_SRCS	   := module run hostfn runtime sandbox snapshot
PY_OBJS	   := $(addprefix $(PYD)/,$(addsuffix .o,$(PY_SRCS)))
PY_INCLUDE  = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("include"))')

$(PYD)/%.o: python/%.c python/pymica.h include/mica.h | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -fvisibility=hidden -isystem $(PY_INCLUDE) -c $< -o $@

$(PY_MOD): $(PY_OBJS) $(BUILD)/libmica.a
	$(CC) -shared $(HOST_LDFLAGS) -Wl,--exclude-libs,ALL -o $@ $(PY_OBJS) $(BUILD)/libmica.a \
		$(HOST_LDLIBS)

# The suite as tests/run.sh finds suites: $(BUILD)/tests/test_python. It
# needs a hostile guest image for GuestFault.
$(BUILD)/tests/test_python: python/run-tests.sh $(PY_MOD) $(HOSTILED)/ud2.elf
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec sh %s/python/run-tests.sh %s "$$@"\n' "$(CURDIR)" "$(abspath $(BUILD))" >$@
	chmod +x $@

.PHONY: python python-test python-install python-uninstall bench-python
python: $(PY_MOD)

python-test: $(BUILD)/tests/test_python
	$(BUILD)/tests/test_python

# Where Debian's python3 looks for modules with PREFIX=/usr; for
# PREFIX=/usr/local it looks in lib/python3.X/dist-packages instead: give
# PYTHON_DIR=/usr/local/lib/python3.11/dist-packages (or use PYTHONPATH).
PREFIX	   ?= /usr/local
PYTHON_DIR ?= $(PREFIX)/lib/python3/dist-packages

python-install: $(PY_MOD)
	install -d $(DESTDIR)$(PYTHON_DIR)
	install -m 644 $(PY_MOD) $(DESTDIR)$(PYTHON_DIR)/mica.abi3.so

python-uninstall:
	rm -f $(DESTDIR)$(PYTHON_DIR)/mica.abi3.so

# make install and uninstall (deploy/install.mk) take the module along.
install: python-install
uninstall: python-uninstall

# The plain -O2 build whatever BUILD or SAN say, as `make bench`.
bench-python:
	$(MAKE) --no-print-directory BUILD=build SAN= build/python/mica.abi3.so build/bench/python_call_c
	PYTHONPATH=build/python $(PYTHON) python/bench.py build/bench/python_call_c

build/bench/python_call_c: python/bench_call.c include/mica.h build/libmica.a
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $< build/libmica.a $(HOST_LDLIBS)
