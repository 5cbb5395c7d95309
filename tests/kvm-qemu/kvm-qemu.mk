# The KVM backend's suites inside QEMU's emulator, for machines without
# /dev/kvm (scripts/kvm-qemu-run.sh; it fetches what it needs with
# scripts/kvm-qemu-deps.sh). Knobs: KVM_QEMU_TIMEOUT, KVM_QEMU_CMD_TIMEOUT,
# KVM_QEMU_STALL, KVM_QEMU_MEM (see scripts/kvm-qemu-run.sh --help).
#
# `make test-kvm-qemu`: run them (the runner exits 77, "skipped: WHY", when
# the emulator hangs twice or gets no /dev/kvm).
# `make test-kvm-qemu-if-needed` (part of `make test`): run them only where
# the KVM backend cannot be used here; count the runner's skip as a skip.
# KVM_QEMU_PART=early|late runs part of them (scripts/kvm-qemu-run.sh --part).
# MICA_KVM_QEMU=no turns it off (it takes ~14 minutes of one CPU).
.PHONY: test-kvm-qemu test-kvm-qemu-if-needed kvm-qemu-suites
KVM_QEMU_NEEDS := all $(TEST_PROGS) $(HOSTILE_IMAGES) $(BUILD)/examples/plugin-host

test-kvm-qemu: deps
	$(MAKE) kvm-qemu-suites

kvm-qemu-suites: $(KVM_QEMU_NEEDS)
	scripts/kvm-qemu-run.sh --suites $(BUILD)

test-kvm-qemu-if-needed: deps
	$(MAKE) $(KVM_QEMU_NEEDS)
	@if [ "$${MICA_KVM_QEMU:-}" = no ]; then \
		echo "kvm-qemu: skipped: MICA_KVM_QEMU=no"; \
	elif MICA_BACKEND=kvm $(BUILD)/mica eval 1 >/dev/null 2>&1; then \
		echo "kvm-qemu: not needed: the KVM backend works here, and its suites ran"; \
	else \
		echo "kvm-qemu: the KVM backend cannot be used here ($$(MICA_BACKEND=kvm $(BUILD)/mica eval 1 2>&1 >/dev/null)):"; \
		echo "kvm-qemu: running its suites in QEMU's emulator"; \
		scripts/kvm-qemu-run.sh --part $(or $(KVM_QEMU_PART),all) --suites $(BUILD); rc=$$?; \
		if [ $$rc = 77 ]; then echo "kvm-qemu: counted as skipped"; else exit $$rc; fi; \
	fi
