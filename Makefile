# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# fluxguard: one Makefile for the XDP object, its skeleton, the CLI, the
# tests and the benchmarks. Quiet by default; V=1 shows every command.

BUILD    ?= build
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
ARCH_INC := -I/usr/include/$(shell uname -m)-linux-gnu

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_CFLAGS := -g -O2 -target bpf -Wall -Wextra -Werror -Wno-unused-parameter \
	      -Iinclude $(ARCH_INC)
CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 \
	      -Iinclude -Iuser -I$(BUILD) -D_GNU_SOURCE $(EXTRA_CFLAGS)
LDLIBS     := -lbpf -lelf -lz -lpcap -lpsl -ljansson -lmaxminddb -lm
LDFLAGS    += $(EXTRA_LDFLAGS)

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
# Every user/*.c but the CLI entry point goes into one library that the
# CLI, the tests and the benchmarks link.
USER_SRCS  := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB        := $(BUILD)/libfluxguard.a
TEST_SRCS  := $(wildcard tests/unit/test_*.c)
TEST_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
# libFuzzer harnesses are built by clang from the library's sources, not
# from the gcc library, so that every parser is instrumented. -O1, the
# level libFuzzer suggests, builds them a fifth faster than -O2.
FUZZ_FLAGS := -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=all -fno-omit-frame-pointer
HDRS       := $(wildcard include/*.h user/*.h)

.DELETE_ON_ERROR:
.PHONY: all deps demo test check bench fuzz vmlinux install clean

all: $(BUILD)/fluxguard $(BPF_OBJS) $(TEST_BINS) $(BENCH_BINS)

deps:
	$(Q)scripts/deps.sh

$(BUILD) $(BUILD)/user $(BUILD)/tests $(BUILD)/bench $(BUILD)/fuzz:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) include/fluxguard.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(BUILD)/user/%.o: user/%.c $(HDRS) $(SKELS) | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fluxguard: user/main.c $(LIB) $(HDRS) $(SKELS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(HDRS) $(SKELS) $(wildcard tests/unit/*.h) | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

$(BUILD)/bench/%: bench/%.c $(LIB) $(HDRS) $(SKELS) | $(BUILD)/bench
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDFLAGS) $(LDLIBS) -lpthread -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(USER_SRCS) $(HDRS) $(SKELS) \
		 $(wildcard tests/fuzz/*.h tests/unit/*.h) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(CFLAGS) $(FUZZ_FLAGS) -Itests/unit $< $(USER_SRCS) $(LDLIBS) -o $@

# Kernel types, only for programs that need CO-RE; packet parsing uses
# UAPI headers alone.
vmlinux: vmlinux/vmlinux.h
vmlinux/vmlinux.h: /sys/kernel/btf/vmlinux
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $< format c > $@

# The first of the two commands: a self-contained demo in a namespace lab.
demo: deps all
	$(Q)tests/lab/demo.sh

# The second: every test, ending with "N passed, N failed".
test: deps all
	$(Q)tests/run-all.sh

check: all
	$(Q)tests/run-all.sh

bench: deps all
	$(Q)bench/run.sh

# Seconds per harness; the test run gives each a minute.
FUZZ_SECONDS ?= 600
fuzz: deps
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS)

PREFIX ?= /usr/local
# Configuration is installed only where none exists yet.
install: $(BUILD)/fluxguard
	$(Q)install -D -m 0755 $(BUILD)/fluxguard $(DESTDIR)$(PREFIX)/sbin/fluxguard
	$(Q)install -d $(DESTDIR)/etc/fluxguard
	$(Q)for f in fluxguard.conf allowlist.conf; do \
		[ -e $(DESTDIR)/etc/fluxguard/$$f ] || \
		install -m 0644 etc/$$f $(DESTDIR)/etc/fluxguard/$$f; done
	$(Q)install -D -m 0644 etc/fluxguard.service \
		$(DESTDIR)/etc/systemd/system/fluxguard.service

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)
