# Hearth — the build.
#
#   make deps     Debian packages + static mbedTLS 3.6 and libcurl 8 (cached)
#   make          the agent `hearth` (and everything it needs) for the host
#   make test     every test: unit (plain and ASan+UBSan), end-to-end, wire
#   make demo     a device database with sample households, and its worklist
#   make bench    the benchmarks under tests/bench/
#
# CC, CFLAGS, LDFLAGS and PROTOC_C may be overridden. Our own code always builds
# with -Wall -Wextra -Werror. Generated files live under build/, never in git.

TARGET   ?= host
VARIANT  ?= release
CC       ?= cc
PROTOC_C ?= protoc-c
CFLAGS   ?= -O2 -g
LDFLAGS  ?=

ifeq ($(VARIANT),asan)
BUILD    := build/$(TARGET)-asan
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD    := build/$(TARGET)
SANITIZE :=
endif

DEPS     := build/deps/$(TARGET)
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
SYS_LIBS  := -lsqlite3 -lprotobuf-c -lpthread -lm

PLATFORM_SRC := platform/err.c platform/platform.c
MODEL_SRC    := model/record.c model/diag.c model/validate.c model/rulebook.c \
                model/tier.c model/hlc.c model/buf.c model/json.c model/exchange.c model/kv.c
SYNC_SRC     := sync/codec.c sync/pki.c sync/cli.c sync/records.c sync/client.c sync/export.c
AGENT_SRC    := agent/store.c agent/cmd_household.c agent/cmd_visit.c \
                agent/cmd_data.c agent/cmd_sync.c agent/version.c
COLLECTOR_SRC := collector/cstore.c collector/merge.c collector/server.c collector/api.c
COLLECTOR_OBJ := $(COLLECTOR_SRC:%.c=$(OBJ)/%.o)
CORE_OBJ := $(PLATFORM_SRC:%.c=$(OBJ)/%.o) $(MODEL_SRC:%.c=$(OBJ)/%.o) \
            $(SYNC_SRC:%.c=$(OBJ)/%.o) $(OBJ)/gen/hearth.pb-c.o \
            $(OBJ)/gen/default_rulebook.o
AGENT_OBJ := $(AGENT_SRC:%.c=$(OBJ)/%.o)

UNIT_TESTS := validate tier rulebook hlc json exchange store pki
UNIT_BINS  := $(UNIT_TESTS:%=$(BIN)/test_%)

.PHONY: all deps test unit demo bench clean distclean
# Test objects are not intermediates: keep them between runs.
.SECONDARY:
all: $(BIN)/hearth $(BIN)/hearthd

deps: $(DEPS)/.ready
$(DEPS)/.ready: cross/deps.sh
	./cross/deps.sh --target $(TARGET)

# ---- generated sources ----------------------------------------------------------
$(GEN)/proto/hearth.pb-c.c $(GEN)/proto/hearth.pb-c.h: proto/hearth.proto
	@mkdir -p $(GEN)
	$(PROTOC_C) --proto_path=. --c_out=$(GEN) proto/hearth.proto

$(GEN)/hearth.desc: proto/hearth.proto
	@mkdir -p $(GEN)
	$(PROTOC_C) --proto_path=. --descriptor_set_out=$@ proto/hearth.proto

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
$(BIN)/hearth: $(OBJ)/agent/main.o $(AGENT_OBJ) $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -o $@

$(BIN)/hearthd: $(OBJ)/collector/main.o $(COLLECTOR_OBJ) $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -lmicrohttpd -lgnutls -o $@

$(BIN)/test_%: $(OBJ)/tests/unit/test_%.o $(OBJ)/agent/store.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -lcmocka -o $@

$(BIN)/encode_sample: $(OBJ)/tests/wire/encode_sample.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -o $@

$(BIN)/bench_visits: $(OBJ)/tests/bench/bench_visits.o $(OBJ)/agent/store.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -o $@

$(BIN)/bench_ingest: $(OBJ)/tests/bench/bench_ingest.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) $^ $(DEPS_LIBS) $(SYS_LIBS) -o $@

$(BIN)/peak_rss: tests/bench/peak_rss.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra -Werror $< -o $@

unit: $(UNIT_BINS)

# ---- the two commands ------------------------------------------------------------
test: deps
	$(MAKE) --no-print-directory VARIANT=release all unit $(BIN)/encode_sample $(GEN)/hearth.desc
	$(MAKE) --no-print-directory VARIANT=asan all unit
	./tests/run.sh --build build/$(TARGET) --asan-build build/$(TARGET)-asan

demo: deps
	$(MAKE) --no-print-directory VARIANT=release all
	./tests/demo.sh build/$(TARGET)/bin

bench: deps
	$(MAKE) --no-print-directory VARIANT=release all $(BIN)/bench_visits $(BIN)/bench_ingest $(BIN)/peak_rss
	./tests/bench/run.sh build/$(TARGET)

clean:
	rm -rf build/$(TARGET) build/$(TARGET)-asan

distclean:
	rm -rf build
