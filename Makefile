# Thin wrapper around CMake presets: deps, build, demo, check.
#   make demo               install what is missing, build, run the demo
#   make check              install what is missing, build, run every test
#   make check PRESET=asan  the same under ASan + UBSan
MAKEFLAGS += --no-print-directory
PRESET ?= dev
BUILD := build/$(PRESET)
JOBS ?= 2

.PHONY: all deps configure build demo check format clean

all: build

deps:
	@./.ci/deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j$(JOBS)

demo: configure
	@cmake --build --preset $(PRESET) -j$(JOBS) --target corral
	@./tests/demo.sh $(BUILD)/runtime/corral

check: build
	@ctest --preset $(PRESET) -j$(JOBS)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build
