# Makefile - the front a candidate types. It installs what is missing,
# configures and builds with CMake (incrementally), then runs sdkata.
#   make kata=KATA check   [impl= stage= seed= json=FILE sanitize=1]
#        load: [threads= rounds= seconds= keys= dist= rate=]
#   make kata=KATA bench   the longer comparison + microbenchmarks [mode=]
#   make kata=KATA serve   over the kata's protocol on 127.0.0.1 [impl=
#        port= and the kata's own options: make kata=KATA help]
#   make kata=KATA serve-check  the served kata's tests, over real sockets
#   make kata=KATA help    the kata's own options
#   make test-repeat n=20  the whole suite n times beside a CPU hog
#   make list | test | deps | clean | format | format-check
#
# Every name=value typed after make, but those the Makefile itself reads
# (kata, sanitize, mode, n), reaches sdkata as --name=value: the harness's
# options and the kata's alike, each checked by sdkata, so a kata's options
# need no line here.

MAKE_ONLY := kata sanitize mode n
PASSED := $(filter-out $(addsuffix =%,$(MAKE_ONLY)),$(MAKEOVERRIDES))
ARGS := $(addprefix --,$(PASSED))
n ?= 20

ifeq ($(sanitize),1)
BUILD := build/sanitize
CMAKE_FLAGS := -DSDKATA_SANITIZE=ON
else
BUILD := build/default
CMAKE_FLAGS :=
endif

SDKATA := $(BUILD)/sdkata
FORMATTED := $(shell git ls-files '*.c' '*.h' '*.cc' 2>/dev/null)

.PHONY: all deps build check help bench list mutants serve serve-check test \
        test-sanitize test-repeat \
        clean format format-check

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	@scripts/deps.sh
	@mkdir -p $(BUILD)
	@echo "configuring $(BUILD) ..."
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) > $(BUILD)/configure.log 2>&1 \
	  || { cat $(BUILD)/configure.log; exit 1; }

# Quiet unless something breaks: a candidate wants the verdict, not make's
# chatter. The first build takes about a minute.
build: $(BUILD)/CMakeCache.txt
	@scripts/deps.sh
	@cmake --build $(BUILD) -j2 > $(BUILD)/build.log 2>&1 \
	  || { cat $(BUILD)/build.log; echo "build failed (log: $(BUILD)/build.log)"; exit 1; }
	@ln -sf $(BUILD)/compile_commands.json compile_commands.json

check: build
	@$(SDKATA) check $(kata) $(ARGS)

help: build
	@$(SDKATA) help $(kata)

# mode=http: the kata's HTTP gateway against nginx, and httpload against
# wrk, instead (bench/http_compare.sh; about 60 s), then p99 against load
# for impl= and the reference (bench/http_sweep.sh; about 60 s).
# mode=redis: stage 7's reference against redis-benchmark running the same
# script (bench/redis_compare.sh; about 90 s). mode=resp: the LRU cache
# served over RESP against redis-server, under redis-benchmark
# (bench/resp_compare.sh; about 100 s, 2 minutes on a busy machine). Each
# comparison runs interleaved rounds and prints median ratios with their
# spread (bench/README.md). kata=lru_cache adds the hit-ratio table of
# bench/hit_ratio.c (about 30 s).
bench: build
ifeq ($(mode),redis)
	@BUILD=$(BUILD) bench/redis_compare.sh
else ifeq ($(mode),resp)
	@SDKATA=$(SDKATA) bench/resp_compare.sh $(if $(impl),$(impl),reference)
else ifeq ($(mode),http)
	@SDKATA=$(SDKATA) bench/http_compare.sh
	@SDKATA=$(SDKATA) bench/http_sweep.sh $(if $(impl),$(impl),solution)
else
	@# The references' figures follow even when the learner's file has
	@# nothing to measure yet (its verdict is printed above them).
	@$(SDKATA) bench $(kata) $(ARGS) || true
	@if [ -x $(BUILD)/bench/microbench ]; then \
	  echo "microbenchmarks (google-benchmark):"; \
	  $(BUILD)/bench/microbench --benchmark_min_time=0.2 \
	    --benchmark_filter=$(if $(filter lru_cache,$(kata)),,-)lru_cache; fi
ifeq ($(kata),lru_cache)
	@# The hit-ratio table, with the learner's file when it compiles (the
	@# check only builds it; the stub answers "not attempted").
	@rm -f $(BUILD)/learner/lru_cache/solution.so
	@$(SDKATA) check lru_cache --no-load --stage 1 > /dev/null 2>&1 || true
	@so=$(BUILD)/learner/lru_cache/solution.so; $(BUILD)/bench/hit_ratio \
	  $(if $(seed),--seed $(seed)) $$([ -f $$so ] && echo --plugin $$so)
endif
endif

serve: build
	@$(SDKATA) serve $(kata) $(ARGS)

# The gateway's end-to-end tests against the learner's file: status codes,
# RateLimit fields, bad requests, pipelining, concurrent clients.
serve-check: build
	@test "$(kata)" = rate_limiter \
	  || { echo "serve-check: only kata=rate_limiter has a served check"; exit 2; }
	@SDKATA_SERVE_IMPL=$(if $(impl),$(if $(filter %.c,$(impl)),$(abspath \
	  $(impl)),$(impl)),$(abspath katas/$(kata)/solution.c)) \
	  $(BUILD)/tests/e2e_tests --filter 'serve/a_learners_file*'

list: build
	@$(SDKATA) list $(kata) $(ARGS)

mutants: build
	@$(SDKATA) mutants $(kata) $(ARGS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j2

# The whole suite n times on one build with a CPU-heavy process beside it:
# a flaky test shows itself, named, with its run's log kept.
test-repeat: build
	@scripts/test-repeat.sh $(BUILD) $(n)

# The harness's own tests and every reference under AddressSanitizer and
# UndefinedBehaviorSanitizer (CI runs it).
test-sanitize:
	@$(MAKE) --no-print-directory sanitize=1 build
	@cd build/sanitize && ctest --output-on-failure -j2 -L sanitize

format:
	@clang-format -i --style=file $(FORMATTED)

format-check:
	@clang-format --dry-run --Werror --style=file $(FORMATTED) \
	  && echo "format: every file matches .clang-format"

clean:
	rm -rf build compile_commands.json
