# Hearth — the build.
#
#   make deps     Debian packages + static mbedTLS 3.6 and libcurl 8 (cached)
#   make          the agent `hearth` and the collector `hearthd` for the host
#   make test     every test: unit (plain and ASan+UBSan), end-to-end, wire, the
#                 fuzzing corpus replayed, and the ARM agents (armhf, arm64)
#                 under qemu-user
#   make demo     a collector, two enrolled devices, visits, a sync, the tiers
#   make bench    the benchmarks under tests/bench/
#   make fuzz     the libFuzzer targets under tests/fuzz/, FUZZ_SECONDS each
#   make cross TARGET=armhf|arm64
#                 a static, stripped `hearth` for that board, with its size and
#                 what each library contributes
#
# CC, CFLAGS, LDFLAGS and PROTOC_C may be overridden. Our own code always builds
# with -Wall -Wextra -Werror. Generated files live under build/ (BUILD_ROOT),
# never in git.

TARGET   ?= host
VARIANT  ?= release
BUILD_ROOT ?= build
PROTOC_C ?= protoc-c
FUZZ_CC  ?= clang-14
LDFLAGS  ?=
CROSS_TARGETS := armhf arm64

# The boards are described once, in cross/targets.sh.
TRIPLET := $(shell . cross/targets.sh && hh_target $(TARGET) && echo "$$HH_TRIPLET")
ifeq ($(TARGET),host)
CC       ?= cc
CFLAGS   ?= -O2 -g
else
ifeq ($(filter $(TARGET),$(CROSS_TARGETS)),)
$(error unknown TARGET '$(TARGET)' (known: host $(CROSS_TARGETS)))
endif
# A board: the cross compiler, small code, one section per function so the
# linker drops what is never called; 64-bit time_t and offsets on 32-bit boards.
CC       := $(TRIPLET)-gcc
STRIP    := $(TRIPLET)-strip
CFLAGS   ?= -Os -g -ffunction-sections -fdata-sections
CFLAGS   += -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64
endif

ifeq ($(VARIANT),asan)
BUILD    := $(BUILD_ROOT)/$(TARGET)-asan
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else ifeq ($(VARIANT),fuzz)
# The fuzzing targets (tests/fuzz/): clang's libFuzzer, ASan and UBSan, every
# object instrumented for coverage, the protobuf-c runtime included (compiled
# from Debian's source, so coverage reaches the decoder).
BUILD    := $(BUILD_ROOT)/$(TARGET)-fuzz
CC       := $(FUZZ_CC)
SANITIZE := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all -I$(BUILD_ROOT)/deps/$(TARGET)/protobuf-c-src
else
BUILD    := $(BUILD_ROOT)/$(TARGET)
SANITIZE :=
endif

DEPS     := $(BUILD_ROOT)/deps/$(TARGET)
GEN      := $(BUILD)/gen
OBJ      := $(BUILD)/obj
BIN      := $(BUILD)/bin

HH_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wno-missing-field-initializers -D_DEFAULT_SOURCE \
             -I. -I$(GEN) -I$(DEPS)/include $(SANITIZE)
# Generated protobuf-c code is not ours: warnings yes, -Werror no.
GEN_CFLAGS := -std=c11 -Wall -I. -I$(GEN) $(SANITIZE)

DEPS_LIBS := $(DEPS)/lib/libcurl.a $(DEPS)/lib/libmbedtls.a \
             $(DEPS)/lib/libmbedx509.a $(DEPS)/lib/libmbedcrypto.a
ifeq ($(TARGET),host)
SYS_LIBS  := -lsqlite3 -lprotobuf-c -lz -lpthread -lm
CMOCKA    := -lcmocka
else
# A board links everything in: SQLite, zlib and protobuf-c built by cross/deps.sh too.
DEPS_LIBS += $(DEPS)/lib/libsqlite3.a $(DEPS)/lib/libz.a $(DEPS)/lib/libprotobuf-c.a
SYS_LIBS  := -static -Wl,--gc-sections -lpthread -lm
CMOCKA    := $(DEPS)/lib/libcmocka.a
endif

PLATFORM_SRC := platform/err.c platform/platform.c platform/vfs.c
MODEL_SRC    := model/record.c model/diag.c model/validate.c model/rulebook.c \
                model/tier.c model/hlc.c model/buf.c model/json.c model/exchange.c model/kv.c \
                model/review.c
SYNC_SRC     := sync/codec.c sync/pki.c sync/cli.c sync/records.c sync/client.c sync/export.c sync/i18n.c sync/present.c \
                sync/wire.c
AGENT_SRC    := agent/store.c agent/cmd_household.c agent/cmd_visit.c agent/form.c \
                agent/cmd_worklist.c \
                agent/cmd_data.c agent/cmd_sync.c agent/answer.c agent/keys.c agent/cmd_keys.c agent/version.c
COLLECTOR_SRC := collector/cstore.c collector/merge.c collector/server.c collector/api.c \
                 collector/limiter.c collector/service.c collector/rstore.c collector/review.c collector/queues.c \
                 collector/cmd_review.c collector/html.c collector/console.c \
                 collector/report.c collector/cmd_report.c collector/metrics.c
COLLECTOR_OBJ := $(COLLECTOR_SRC:%.c=$(OBJ)/%.o)
CORE_OBJ := $(PLATFORM_SRC:%.c=$(OBJ)/%.o) $(MODEL_SRC:%.c=$(OBJ)/%.o) \
            $(SYNC_SRC:%.c=$(OBJ)/%.o) $(OBJ)/gen/hearth.pb-c.o \
            $(OBJ)/gen/default_rulebook.o
AGENT_OBJ := $(AGENT_SRC:%.c=$(OBJ)/%.o)

FUZZ_TARGETS := change sync_request sync_response import rulebook enrol http
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(BIN)/fuzz_%)
# What a target links: every library object (not the programs' commands), the
# protobuf-c runtime, and the collector's libraries.
FUZZ_OBJ := $(OBJ)/tests/fuzz/fuzz.o $(OBJ)/agent/store.o $(OBJ)/agent/answer.o \
            $(filter-out $(OBJ)/collector/cmd_%.o,$(COLLECTOR_OBJ)) $(CORE_OBJ) $(OBJ)/deps/protobuf-c.o

UNIT_TESTS := validate tier rulebook hlc json exchange store pki wire review html seal
UNIT_BINS  := $(UNIT_TESTS:%=$(BIN)/test_%)

.PHONY: all deps test unit demo bench cross cross-all clean distclean install fuzz fuzz-build fuzz-bins
# Test objects are not intermediates: keep them between runs.
.SECONDARY:
# The agent's Chinese messages, found at run time beside bin/ (sync/i18n.c).
MO := $(BUILD)/share/locale/zh_CN/LC_MESSAGES/hearth.mo

ifeq ($(TARGET),host)
all: $(BIN)/hearth $(BIN)/hearthd $(MO)
else
all: $(BIN)/hearth $(MO)    # hearthd stays on the host
endif

# deps always runs the script: it takes a second when everything is in place, and
# reinstalls a Debian package that went missing under a cached build/deps.
deps:
	./cross/deps.sh --target $(TARGET) --build-dir $(BUILD_ROOT)
$(DEPS)/.ready: cross/deps.sh cross/fetch-source.sh cross/mbedtls.sh cross/targets.sh
	./cross/deps.sh --target $(TARGET) --build-dir $(BUILD_ROOT)

# ---- generated sources ----------------------------------------------------------
$(GEN)/proto/hearth.pb-c.c $(GEN)/proto/hearth.pb-c.h: proto/hearth.proto
	@mkdir -p $(GEN)
	$(PROTOC_C) --proto_path=. --c_out=$(GEN) proto/hearth.proto

$(GEN)/hearth.desc: proto/hearth.proto
	@mkdir -p $(GEN)
	$(PROTOC_C) --proto_path=. --descriptor_set_out=$@ proto/hearth.proto

$(MO): agent/po/zh_CN.po $(DEPS)/.ready
	@mkdir -p $(@D)
	msgfmt --check -o $@ $<

# The shipped rulebook, compiled in as one C string.
$(GEN)/default_rulebook.c: model/default.rulebook
	@mkdir -p $(GEN)
	{ echo '/* generated from model/default.rulebook */'; \
	  echo 'const char hh_default_rulebook_text[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

# ---- objects ------------------------------------------------------------------
$(OBJ)/gen/hearth.pb-c.o: $(GEN)/proto/hearth.pb-c.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GEN_CFLAGS) -c $< -o $@

$(OBJ)/gen/default_rulebook.o: $(GEN)/default_rulebook.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GEN_CFLAGS) -c $< -o $@

$(OBJ)/%.o: %.c $(GEN)/proto/hearth.pb-c.h $(DEPS)/.ready
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HH_CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# ---- programs -----------------------------------------------------------------
ifeq ($(TARGET),host)
$(BIN)/hearth: $(OBJ)/agent/main.o $(AGENT_OBJ) $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -o $@
else
# On a board: linked with a map (for the size report), then stripped.
$(BIN)/hearth: $(OBJ)/agent/main.o $(AGENT_OBJ) $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-Map=$(BIN)/hearth.map $^ $(DEPS_LIBS) $(SYS_LIBS) -o $(BIN)/hearth.debug
	$(STRIP) -o $@ $(BIN)/hearth.debug
endif

$(BIN)/hearthd: $(OBJ)/collector/main.o $(COLLECTOR_OBJ) $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -lmicrohttpd -lgnutls -largon2 -lxlsxwriter -o $@

# The console's HTML writer is the collector's, tested on its own; so is the
# device's data key.
$(BIN)/test_html: $(OBJ)/collector/html.o
$(BIN)/test_seal: $(OBJ)/agent/keys.o

$(BIN)/test_%: $(OBJ)/tests/unit/test_%.o $(OBJ)/agent/store.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(CMOCKA) $(SYS_LIBS) -o $@

$(BIN)/encode_sample: $(OBJ)/tests/wire/encode_sample.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -o $@

$(BIN)/bench_visits: $(OBJ)/tests/bench/bench_visits.o $(OBJ)/agent/store.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -o $@

$(BIN)/bench_ingest: $(OBJ)/tests/bench/bench_ingest.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -o $@

$(BIN)/bench_floor: $(OBJ)/tests/bench/bench_floor.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -o $@

# The fuzzing targets (VARIANT=fuzz): libFuzzer's main. Fuzzing found two
# undefined behaviours in the protobuf-c 1.4.1 runtime, both harmless with
# these compilers: a tag's bytes shifted as int (parse_tag_and_wiretype: 127 <<
# 25 overflows) and an offset added to a NULL array (parse_packed_repeated_member
# on an empty packed field). Those two checks are off for this one file, which
# is not ours; the inputs that found them stay in tests/fuzz/crashes/.
$(OBJ)/deps/protobuf-c.o: $(DEPS)/.ready
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GEN_CFLAGS) -fno-sanitize=shift-base,pointer-overflow -w \
	  -c $(DEPS)/protobuf-c-src/protobuf-c/protobuf-c.c -o $@

$(BIN)/fuzz_%: $(OBJ)/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -fsanitize=fuzzer $(LDFLAGS) $^ $(DEPS_LIBS) \
	  $(filter-out -lprotobuf-c,$(SYS_LIBS)) -lmicrohttpd -lgnutls -largon2 -lxlsxwriter -o $@

# Power cuts under SQLite (tests/crash/): the device's store and the collector's.
$(BIN)/powercut: $(OBJ)/tests/crash/test_powercut.o $(OBJ)/tests/crash/crashvfs.o $(OBJ)/agent/store.o \
                 $(filter-out $(OBJ)/collector/cmd_%.o,$(COLLECTOR_OBJ)) $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) \
	  -lmicrohttpd -lgnutls -largon2 -lxlsxwriter -o $@

$(BIN)/peak_rss: tests/bench/peak_rss.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra -Werror $< -o $@

unit: $(UNIT_BINS)

# ---- the two commands ------------------------------------------------------------
test: deps
	$(MAKE) --no-print-directory VARIANT=release all unit $(BIN)/encode_sample $(BIN)/powercut $(GEN)/hearth.desc
	$(MAKE) --no-print-directory VARIANT=asan all unit
	$(MAKE) --no-print-directory VARIANT=fuzz fuzz-bins
	$(MAKE) --no-print-directory cross-all
	./tests/run.sh --build $(BUILD_ROOT)/$(TARGET) --asan-build $(BUILD_ROOT)/$(TARGET)-asan \
	  --fuzz-build $(BUILD_ROOT)/$(TARGET)-fuzz $(CROSS_TARGETS:%=--cross $(BUILD_ROOT)/%)

# ---- fuzzing: make fuzz [FUZZ_SECONDS=60] [FUZZ_ONLY="import http"] [FUZZ_MERGE=1]
# Each target runs for FUZZ_SECONDS from the committed corpus (tests/fuzz/
# corpus/NAME), growing a working copy under build/host-fuzz/corpus/; a crash
# is written to tests/fuzz/crashes/NAME/, where `make test` replays it for
# ever. FUZZ_MERGE=1 merges what covers new code into the committed corpus.
FUZZ_SECONDS ?= 60
FUZZ_ONLY    ?= $(FUZZ_TARGETS)
FUZZ_MERGE   ?= 0
fuzz-build: deps
	$(MAKE) --no-print-directory VARIANT=fuzz fuzz-bins
fuzz-bins: $(FUZZ_BINS) $(MO)

fuzz: fuzz-build
	./tests/fuzz/run.sh --build $(BUILD_ROOT)/$(TARGET)-fuzz --seconds $(FUZZ_SECONDS) \
	  $(if $(filter 1,$(FUZZ_MERGE)),--merge) $(FUZZ_ONLY)

# ---- boards ----------------------------------------------------------------------
ifeq ($(TARGET),host)
cross:
	@echo "make cross: name the board, e.g. make cross TARGET=armhf (known: $(CROSS_TARGETS))" >&2; exit 2
cross-all:
	@for t in $(CROSS_TARGETS); do $(MAKE) --no-print-directory cross TARGET=$$t || exit 1; done
else
cross: deps
	$(MAKE) --no-print-directory TARGET=$(TARGET) all unit
	./cross/size-report.sh $(TARGET) $(BIN)/hearth $(BIN)/hearth.map
endif

demo: deps
	$(MAKE) --no-print-directory VARIANT=release all
	./tests/demo.sh $(BUILD_ROOT)/$(TARGET)/bin

bench: deps
	$(MAKE) --no-print-directory VARIANT=release all $(BIN)/bench_visits $(BIN)/bench_ingest $(BIN)/bench_floor $(BIN)/peak_rss
	./tests/bench/run.sh $(BUILD_ROOT)/$(TARGET)

# ---- the county's server: make install [PREFIX=/usr/local] [DESTDIR=] ------------
# The programs, the Chinese messages, the man pages and the systemd unit. On
# the machine itself (no DESTDIR) also the service's user and its directory
# (0700), and a collector in it when there is none; then
# `systemctl enable --now hearthd`.
PREFIX   ?= /usr/local
UNITDIR  ?= /lib/systemd/system
STATEDIR := /var/lib/hearthd

install: deps
	$(MAKE) --no-print-directory VARIANT=release all
	install -d -m 0755 $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/locale/zh_CN/LC_MESSAGES $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BIN)/hearth $(BIN)/hearthd $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(MO) $(DESTDIR)$(PREFIX)/share/locale/zh_CN/LC_MESSAGES/hearth.mo
	install -m 0644 agent/hearth.1 collector/dist/hearthd.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	sed 's|@BINDIR@|$(PREFIX)/bin|g' collector/dist/hearthd.service >$(DESTDIR)$(UNITDIR)/hearthd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/hearthd.service
	@if [ -z "$(DESTDIR)" ]; then \
	  id hearthd >/dev/null 2>&1 || useradd --system --home-dir $(STATEDIR) --no-create-home \
	    --shell /usr/sbin/nologin hearthd || exit 1; \
	  install -d -m 0700 -o hearthd -g hearthd $(STATEDIR) || exit 1; \
	  [ -f $(STATEDIR)/collector.db ] || runuser -u hearthd -- $(PREFIX)/bin/hearthd --dir $(STATEDIR) init || exit 1; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	  echo "installed: set listen and url in $(STATEDIR)/hearthd.conf, then: systemctl enable --now hearthd"; \
	fi

clean:
	rm -rf $(BUILD_ROOT)/$(TARGET) $(BUILD_ROOT)/$(TARGET)-asan

distclean:
	rm -rf $(BUILD_ROOT)
