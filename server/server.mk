# mica serve (server/): linked into the CLI, which dispatches `mica serve`
# to it. Needs libmicrohttpd and libcurl (Debian: libmicrohttpd-dev,
# libcurl4-openssl-dev; scripts/deps.sh).
SERVE_SRCS := server/serve.c server/worker.c server/http.c server/env.c server/log.c \
	      server/listen.c server/metrics.c server/admin.c server/frame.c server/fetch.c
SERVE_HDRS := $(wildcard server/*.h)
# After the Makefile's `CLI_SRCS :=`: the recipes that link the CLI's
# sources expand it when they run, and take these too.
CLI_SRCS += $(SERVE_SRCS)

# Only the programs that link the CLI's sources need the library.
$(BUILD)/mica $(BUILD)/tests/mica-probe: HOST_LDLIBS += -lmicrohttpd -lcurl
$(BUILD)/mica $(BUILD)/tests/mica-probe: $(SERVE_SRCS) $(SERVE_HDRS)

.PHONY: bench-serve
bench-serve: $(BUILD)/mica
	sh bench/serve.sh $(BUILD)/mica
