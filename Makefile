# httpsh — the two commands of the README, plus benchmarks and checks.
#   make run    build (release) and run httpsh on http://127.0.0.1:8080 with the admin shell
#   make test   run the whole test suite
# Both install libedit-dev (the one system library httpsh needs) when it is missing.

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARGS ?=

.PHONY: run test build deps browser proxy bench fuzz soak sanitize

run: deps
	$(SWIFT) build -c release --product httpsh
	./.build/release/httpsh $(ARGS)

test: deps browser proxy
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

build: deps
	$(SWIFT) build -c release --product httpsh

# libedit's headers (Debian: libedit-dev) and pkg-config, installed only when absent; tmux for the tests that
# check what reaches a real terminal.
deps:
	@if [ ! -f /usr/include/histedit.h ] || ! command -v pkg-config >/dev/null || ! command -v tmux >/dev/null; then \
		echo "installing libedit-dev, pkg-config and tmux"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libedit-dev pkg-config tmux >/dev/null; \
	fi
	@# The tests feed --json replies to python3's parser, drive the prompt through tmux and refuse a peer as
	@# nobody (setpriv, from util-linux).
	@if ! command -v python3 >/dev/null || ! command -v tmux >/dev/null || ! command -v setpriv >/dev/null; then \
		echo "installing python3, tmux and util-linux (for the tests)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3 tmux util-linux >/dev/null; \
	fi

# Headless Chromium for the browser tests (CORS, compressed pages), installed only when absent.
browser:
	@if ! command -v chromium >/dev/null; then \
		echo "installing chromium (browser tests)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; \
	fi

# HAProxy for the test that runs three httpsh behind it (rolling restart through the fleet shell), installed only
# when absent.
proxy:
	@if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then \
		echo "installing haproxy (load-balancer test)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq haproxy >/dev/null; \
	fi

bench: build
	./Benchmarks/bench.sh

# The request parser and path resolver under libFuzzer + AddressSanitizer, for FUZZ_SECONDS (default 60).
# The entry point is compiled into the whole library (every file of Sources/HTTPServer, and the CLinux shim), so
# moving or adding a library file never breaks the fuzz build and the entry can use internal types.
FUZZ_SECONDS ?= 60
FUZZ := .build/fuzz

fuzz:
	mkdir -p $(FUZZ)/CLinux Benchmarks/Fuzz/findings
	printf 'module CLinux {\n    header "$(CURDIR)/Sources/CLinux/include/CLinux.h"\n    export *\n}\n' \
		> $(FUZZ)/CLinux/module.modulemap
	clang -O1 -fsanitize=fuzzer-no-link,address -I Sources/CLinux/include -c Sources/CLinux/shim.c -o $(FUZZ)/shim.o
	swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name HTTPServer -package-name httpsh -I $(FUZZ)/CLinux \
		$$(find Sources/HTTPServer -name '*.swift') Benchmarks/Fuzz/FuzzRequest.swift $(FUZZ)/shim.o \
		-o $(FUZZ)/fuzz-request
	cp -n Benchmarks/Fuzz/corpus/* .build/fuzz/ 2>/dev/null; mkdir -p .build/fuzz/corpus && cp Benchmarks/Fuzz/corpus/* .build/fuzz/corpus/
	.build/fuzz/fuzz-request .build/fuzz/corpus -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=Benchmarks/Fuzz/findings/ -print_final_stats=1

# A bounded soak (SOAK_SECONDS, default 300): mixed load, slow clients and live commands; see Benchmarks/soak.py.
soak: build
	python3 Benchmarks/soak.py

# The whole test suite under ThreadSanitizer, then AddressSanitizer (separate build folders). The engine's locks
# are pthread mutexes and its hand-offs of a connection between workers are annotated, so TSan runs with no
# suppressions; ASan only suppresses a Foundation bug and toolchain-owned allocations (Benchmarks/Sanitizers/).
SANITIZERS := $(CURDIR)/Benchmarks/Sanitizers
sanitize: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS=suppressions=$(SANITIZERS)/asan.supp LSAN_OPTIONS=suppressions=$(SANITIZERS)/lsan.supp \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan
