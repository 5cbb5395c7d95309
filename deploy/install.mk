# `make install` puts the CLI, the library (shared, with its soname links,
# and static), mica.h, mica.pc, the man pages mica(1) and mica(3) and the
# bash completion under $(DESTDIR)$(PREFIX); `make uninstall` removes those
# files and nothing else. tests/install/install.sh checks both.

PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL     ?= install

# The version is MICA_VERSION, "MAJOR.MINOR.PATCH", in include/mica.h: the
# library is libmica.so.MAJOR.MINOR, its soname libmica.so.MAJOR.
MICA_VERSION := $(shell sed -n 's/^.define MICA_VERSION *"\([0-9.]*\)".*/\1/p' include/mica.h)
MICA_MAJOR   := $(word 1,$(subst ., ,$(MICA_VERSION)))
MICA_MINOR   := $(word 2,$(subst ., ,$(MICA_VERSION)))
$(if $(MICA_MINOR),,$(error no MAJOR.MINOR in MICA_VERSION of include/mica.h))
MICA_SONAME  := libmica.so.$(MICA_MAJOR)
MICA_SOFILE  := libmica.so.$(MICA_MAJOR).$(MICA_MINOR)

# mica(1) and the completion are made from the CLI's table (cli/help.c).
DEPLOYD := $(BUILD)/deploy
GENDOC  := $(BUILD)/tools/mica-gendoc
$(GENDOC): cli/gendoc.c cli/help.c cli/help.h include/mica.h | $(DEPS)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARN) -Iinclude -o $@ cli/gendoc.c cli/help.c
$(DEPLOYD)/mica.1: $(GENDOC)
	@mkdir -p $(@D)
	$(GENDOC) man >$@.tmp && mv $@.tmp $@
$(DEPLOYD)/mica.bash: $(GENDOC)
	@mkdir -p $(@D)
	$(GENDOC) bash >$@.tmp && mv $@.tmp $@
all: $(DEPLOYD)/mica.1 $(DEPLOYD)/mica.bash

# mica.pc names libdir and includedir from ${prefix} where it can, for
# `pkg-config --define-prefix` on a tree that was moved.
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

MICA_INSTALLED := $(BINDIR)/mica $(LIBDIR)/$(MICA_SOFILE) $(LIBDIR)/$(MICA_SONAME) \
		  $(LIBDIR)/libmica.so $(LIBDIR)/libmica.a $(INCLUDEDIR)/mica.h \
		  $(LIBDIR)/pkgconfig/mica.pc $(MANDIR)/man1/mica.1 $(MANDIR)/man3/mica.3 \
		  $(BASHCOMPDIR)/mica

.PHONY: install uninstall
install: $(BUILD)/mica $(BUILD)/libmica.so $(BUILD)/libmica.a $(DEPLOYD)/mica.1 $(DEPLOYD)/mica.bash \
		deploy/mica.pc.in docs/man/mica.3
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(BUILD)/mica $(DESTDIR)$(BINDIR)/mica
	$(INSTALL) -m 755 $(BUILD)/libmica.so $(DESTDIR)$(LIBDIR)/$(MICA_SOFILE)
	ln -sfn $(MICA_SOFILE) $(DESTDIR)$(LIBDIR)/$(MICA_SONAME)
	ln -sfn $(MICA_SOFILE) $(DESTDIR)$(LIBDIR)/libmica.so
	$(INSTALL) -m 644 $(BUILD)/libmica.a $(DESTDIR)$(LIBDIR)/libmica.a
	$(INSTALL) -m 644 include/mica.h $(DESTDIR)$(INCLUDEDIR)/mica.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_dir,$(LIBDIR))|' \
		-e 's|@INCLUDEDIR@|$(call pc_dir,$(INCLUDEDIR))|' -e 's|@VERSION@|$(MICA_VERSION)|' \
		deploy/mica.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/mica.pc
	$(INSTALL) -m 644 $(DEPLOYD)/mica.1 $(DESTDIR)$(MANDIR)/man1/mica.1
	$(INSTALL) -m 644 docs/man/mica.3 $(DESTDIR)$(MANDIR)/man3/mica.3
	$(INSTALL) -m 644 $(DEPLOYD)/mica.bash $(DESTDIR)$(BASHCOMPDIR)/mica
	@# a real install: let the dynamic linker find libmica.so.MAJOR now
	@[ -n "$(DESTDIR)" ] || ldconfig 2>/dev/null || true

uninstall:
	rm -f $(addprefix $(DESTDIR),$(MICA_INSTALLED))
