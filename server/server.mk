# mica serve (server/): linked into the CLI, which dispatches `mica serve`
# to it. Needs libuv, llhttp and libcurl (Debian: libuv1-dev, node-llhttp,
# libcurl4-openssl-dev; scripts/deps.sh). Debian has no llhttp library:
# node-llhttp ships its C source, compiled here into the build folder.
SERVE_SRCS := server/serve.c server/worker.c server/http.c server/wire.c server/stream.c server/env.c \
	      server/log.c server/listen.c server/metrics.c server/admin.c server/frame.c \
	      server/fetch.c
SERVE_HDRS := $(wildcard server/*.h)
LLHTTP_DIR := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp
LLHTTP_OBJS := $(addprefix $(BUILD)/llhttp/,llhttp.o api.o http.o)
# After the Makefile's `CLI_SRCS :=`: the recipes that link the CLI's
# sources expand it when they run, and take these too.
CLI_SRCS += $(SERVE_SRCS) $(LLHTTP_OBJS)

# Third-party code: its own warnings are not ours to fix. Strict mode: the
# CRLF after chunk data is checked, and header names and targets are
# tokens and visible characters, as RFC 9112 has them.
$(BUILD)/llhttp/%.o: $(LLHTTP_DIR)/%.c server/server.mk $(DEPS)
	@mkdir -p $(@D)
	$(CC) -O2 -g -fPIC -w -DLLHTTP_STRICT_MODE=1 \
		$(filter -fsanitize% -fno-sanitize% -fno-omit%,$(HOST_CFLAGS)) \
		-I$(LLHTTP_INC) -c -o $@ $<
# The sources come with scripts/deps.sh; the rule only orders that first.
# Secondary: make must never delete them as intermediates (they are Debian's).
LLHTTP_SRCS := $(LLHTTP_OBJS:$(BUILD)/llhttp/%.o=$(LLHTTP_DIR)/%.c)
.SECONDARY: $(LLHTTP_SRCS)
$(LLHTTP_SRCS): | $(DEPS)
	@:

# Only the programs that link the CLI's sources need the libraries.
$(BUILD)/mica $(BUILD)/tests/mica-probe: HOST_LDLIBS += -luv -lcurl
$(BUILD)/mica $(BUILD)/tests/mica-probe: HOST_CFLAGS += -isystem $(LLHTTP_INC)
$(BUILD)/mica $(BUILD)/tests/mica-probe: $(SERVE_SRCS) $(SERVE_HDRS) $(LLHTTP_OBJS)

.PHONY: bench-serve
bench-serve: $(BUILD)/mica
	sh bench/serve.sh $(BUILD)/mica
