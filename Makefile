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

# A kata's bench folder (katas/KATA/bench/) brings what its bench runs:
# without mode=, sdkata's longer load, then its microbenchmarks
# (build/.../katas/KATA/microbench) and its bench_*.sh scripts; with
# mode=M, its M_*.sh scripts instead (M_compare.sh, M_sweep.sh ...), each
# with SDKATA, BUILD, SEED set and impl= as its argument when given. The
# comparison scripts run interleaved rounds and print median ratios with
# their spread (bench/README.md).
KATA_BENCH := katas/$(kata)/bench
BENCH_ENV := SDKATA=$(SDKATA) BUILD=$(BUILD) SEED=$(seed)
bench: build
	@test -n "$(kata)" || { echo "make bench: which kata? make kata=NAME bench"; exit 2; }
ifneq ($(mode),)
	@scripts=$$(ls $(KATA_BENCH)/$(mode)_*.sh 2>/dev/null); \
	if [ -z "$$scripts" ]; then \
	  modes=$$(ls $(KATA_BENCH)/*_*.sh 2>/dev/null | sed 's|.*/||; s|_.*||' \
	    | grep -v '^bench$$' | sort -u | tr '\n' ' '); \
	  echo "make bench: kata=$(kata) has no mode=$(mode) (its modes: $${modes:-none})"; \
	  exit 2; fi; \
	for script in $$scripts; do $(BENCH_ENV) $$script $(impl) || exit $$?; done
else
	@# The references' figures follow even when the learner's file has
	@# nothing to measure yet (its verdict is printed above them).
	@$(SDKATA) bench $(kata) $(ARGS) || true
	@if [ -x $(BUILD)/katas/$(kata)/microbench ]; then \
	  echo "microbenchmarks (google-benchmark):"; \
	  $(BUILD)/katas/$(kata)/microbench --benchmark_min_time=0.2; fi
	@for script in $$(ls $(KATA_BENCH)/bench_*.sh 2>/dev/null); do \
	  $(BENCH_ENV) $$script || exit $$?; done
endif

serve: build
	@$(SDKATA) serve $(kata) $(ARGS)

# A kata's served end-to-end tests that check a learner's file (those named
# a_learners_file..., in katas/KATA/tests/served/), over real sockets,
# against solution.c or impl=.
SERVED := $(BUILD)/katas/$(kata)/served
serve-check: build
	@test -x $(SERVED) && $(SERVED) --list 2>/dev/null | grep -q a_learners_file \
	  || { echo "serve-check: kata=$(kata) has no served checks of a learner's file (katas/$(kata)/tests/served/)"; exit 2; }
	@SDKATA_SERVE_IMPL=$(if $(impl),$(if $(filter %.c,$(impl)),$(abspath \
	  $(impl)),$(impl)),$(abspath katas/$(kata)/solution.c)) \
	  $(SERVED) --filter '*/a_learners_file*'

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
