# httpsh — the two commands of the README, plus benchmarks and checks.
#   make run    build (release) and run httpsh on http://127.0.0.1:8080 with the admin shell
#   make test   run the whole test suite
# Both install libedit-dev (the one system library httpsh needs) when it is missing.

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARGS ?=

.PHONY: run test build deps bench

run: deps
	$(SWIFT) build -c release --product httpsh
	./.build/release/httpsh $(ARGS)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

build: deps
	$(SWIFT) build -c release --product httpsh

# libedit's headers (Debian: libedit-dev) and pkg-config, installed only when absent.
deps:
	@if [ ! -f /usr/include/histedit.h ] || ! command -v pkg-config >/dev/null; then \
		echo "installing libedit-dev and pkg-config"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libedit-dev pkg-config >/dev/null; \
	fi

bench: build
	./Benchmarks/bench.sh
