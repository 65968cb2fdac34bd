# x86pc build. `make` builds ./x86pc (optimised); MODE=debug or MODE=san (ASan+UBSan) build the
# other flavours into o/$(MODE)/. `make run` and `make test` first install any missing Debian
# packages (as root with apt-get; otherwise they print the one command to run).

MODE ?= opt
O ?= o/$(MODE)
CC ?= gcc

DEBIAN_PKGS := gcc make pkg-config nasm seabios zlib1g-dev libsdl2-dev libslirp-dev \
               libcapstone-dev binutils gdb cpio dosfstools mtools syslinux syslinux-common \
               isolinux xorriso fdisk xvfb xdotool x11-utils imagemagick

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wno-missing-field-initializers
BASE_CFLAGS := -std=gnu11 $(WARN) -I. -MMD -MP -fno-strict-aliasing
ifeq ($(MODE),opt)
  MODE_CFLAGS := -O2 -g
else ifeq ($(MODE),debug)
  MODE_CFLAGS := -O0 -g3
else ifeq ($(MODE),san)
  MODE_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
                 -fno-sanitize-recover=undefined
  MODE_LDFLAGS := -fsanitize=address,undefined
else
  $(error MODE must be opt, debug or san)
endif

# SDL2 and libslirp are optional: without them the build still runs headless.
SDL_CFLAGS := $(shell pkg-config --cflags sdl2 2>/dev/null)
SDL_LIBS := $(shell pkg-config --libs sdl2 2>/dev/null)
ifneq ($(SDL_LIBS),)
  FE_DEFS += -DHAVE_SDL2=1
endif
SLIRP_CFLAGS := $(shell pkg-config --cflags slirp 2>/dev/null)
SLIRP_LIBS := $(shell pkg-config --libs slirp 2>/dev/null)
ifneq ($(SLIRP_LIBS),)
  FE_DEFS += -DHAVE_SLIRP=1
endif

CFLAGS := $(BASE_CFLAGS) $(MODE_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS := -lz -lm

CORE_DIRS := cpu decoder mmu chipset devices bios snapshots
CORE_SRCS := $(sort $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c)))
FE_SRCS := $(sort $(wildcard frontend/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(O)/%.o)
FE_OBJS := $(FE_SRCS:%.c=$(O)/%.o)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(O)/%.o)
CORE_LIB := $(O)/libx86core.a
# whole-archive: handlers are reached only through weak references (cpu/exec.c)
WHOLE_CORE := -Wl,--whole-archive $(CORE_LIB) -Wl,--no-whole-archive

GUEST_SRCS := $(sort $(wildcard tests/guest/*.asm))
GUEST_BINS := $(GUEST_SRCS:tests/guest/%.asm=o/guest/%.bin)

ROMS := roms/bios.bin roms/vgabios-stdvga.bin

.PHONY: all run test test-unit test-cpu test-guest test-decoder test-diff test-san bench deps \
        clean format
all: x86pc $(ROMS)

ifeq ($(MODE),opt)
x86pc: $(O)/x86pc
	cp $< $@
else
x86pc: $(O)/x86pc
endif

$(O)/x86pc: $(FE_OBJS) $(CORE_LIB)
	$(CC) $(MODE_LDFLAGS) -o $@ $(FE_OBJS) $(WHOLE_CORE) $(SDL_LIBS) $(SLIRP_LIBS) $(LDLIBS)

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/frontend/%.o: frontend/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(FE_DEFS) $(SDL_CFLAGS) $(SLIRP_CFLAGS) -c -o $@ $<

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# ---- ROMs: from Debian's seabios package, never committed ----
roms/bios.bin: /usr/share/seabios/bios-256k.bin
	@mkdir -p roms
	cp $< $@
roms/vgabios-stdvga.bin: /usr/share/seabios/vgabios-stdvga.bin
	@mkdir -p roms
	cp $< $@
/usr/share/seabios/%.bin:
	@echo "missing $@: run 'make deps' (Debian package seabios)" >&2; exit 1

# ---- dependencies ----
deps:
	@missing=""; for p in $(DEBIAN_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing Debian packages; run: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

# ---- guest test programs ----
o/guest/%.bin: tests/guest/%.asm $(wildcard tests/guest/*.inc)
	@mkdir -p $(@D)
	nasm -f bin -I tests/guest/ -o $@ $<

# ---- tests ----
$(O)/unit_tests: $(UNIT_OBJS) $(CORE_LIB)
	$(CC) $(MODE_LDFLAGS) -o $@ $(UNIT_OBJS) $(WHOLE_CORE) $(LDLIBS)

$(O)/tests/%: tests/%.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(MODE_LDFLAGS) -o $@ $< $(WHOLE_CORE) $(LDLIBS) $(TEST_LIBS_$*)

TEST_LIBS_decoder_check := -lcapstone

test-unit: $(O)/unit_tests
	$(O)/unit_tests

# The default guest: Debian's i686 kernel and busybox on a disk image, booted through SeaBIOS
# and SYSLINUX (built from Debian packages by tests/linux/build-guest.sh, cached in tests/cache).
run: deps
	$(MAKE) all
	bash tests/linux/build-guest.sh
	./x86pc -m 256 -hda tests/cache/guest/disk.img -snapshot $(RUN_ARGS)

test: deps
	$(MAKE) all
	bash tests/run_all.sh

bench: deps
	$(MAKE) all
	bash tests/bench.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf o x86pc roms/*.bin

-include $(CORE_OBJS:.o=.d) $(FE_OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
