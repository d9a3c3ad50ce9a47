/* stagekit.h - what a kata's Criterion stage suites share: the plug-in under
 * test, the seed, crash notes and jemalloc leak accounting. */
#ifndef SDKATA_STAGEKIT_H
#define SDKATA_STAGEKIT_H

#include <stddef.h>
#include <stdint.h>

#include "memstat.h"
#include "plugin.h"
#include "rng.h"

/* The plug-in named by $SDKATA_PLUGIN, loaded on first use in this test
 * process. Aborts the test with a plain message when it cannot load. */
const plugin_t *stagekit_plugin(void);

/* Fails the test, naming the function and the plug-in's file, when rc (a
 * contract's bind of stagekit_plugin(), as lc_api_bind) says the plug-in
 * lacks missing; does nothing when rc is 0. */
void stagekit_bound(int rc, const char *missing);

/* The run's seed: $SDKATA_SEED, or 1 when unset. Tests derive every random
 * choice from it so that a failure replays exactly. */
uint64_t stagekit_seed(void);

/* The command that replays this stage exactly as it runs now, with the
 * seed and the implementation the run was given ("make kata=KATA
 * check stage=4 seed=42 impl=NAME"): $SDKATA_REPLAY, set by the harness,
 * or "seed=N" when the runner was started by hand. */
const char *stagekit_replay(void);

/* Installs handlers that, when the code under test crashes, note the signal,
 * the current step and the address space in use in
 * $SDKATA_NOTES/<suite>.<test>.crash before the process dies, and caps the
 * address space so runaway memory ends the test. Call it at the start of every
 * test (the kata's fixture does). */
void stagekit_guard(void);

/* Describes what the test is doing now ("rl_check(key=\"k1\", t=5ns), the
 * 12th call"), so that a crash or hang can be explained. Cheap: formats
 * into a static buffer; do not call it per operation in a hot loop. */
void stagekit_step(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

/* Reports a measured fact for people ("fixed window: 61 bytes per active
 * key"): the harness prints it under the stage's line. One line per call. */
void stagekit_fact(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

/* A return code for messages: "-22 (-EINVAL)", with not_implemented
 * naming -ENOSYS (the kata's "RL_ENOTIMPL"), other codes in strerror's
 * words. Returns one of a ring of static buffers, so that a message can
 * hold several; not thread-safe. */
const char *stagekit_rc_text(int rc, const char *not_implemented);

/* Bytes as a message shows them: quoted, \xNN for bytes that are not
 * printable, at most 40 bytes then "..." and the length; "(NULL, length 0)"
 * and "(empty)" said. A ring of static buffers, as stagekit_rc_text. */
const char *stagekit_bytes_text(const void *bytes, size_t len);

/* How a child process of stagekit_fork ended. */
typedef struct stagekit_exit {
  int finished;    /* fn returned */
  int signal;      /* the signal that killed it (SIGALRM: out of time), or 0 */
  int exit_status; /* when it exited on its own, before fn returned */
} stagekit_exit_t;

/* Runs fn(arg) in a forked child of this test process, so that a crash, an
 * exit() or a hang in the code under test ends the child and the test
 * lives on to say more (a shrinking test replays candidates this way). In
 * the child the fatal signals have their default action (no crash note is
 * written), stderr goes to /dev/null (a sanitizer's report of a child
 * would hide the test's own), the child dies with the test, and after
 * seconds (0: no limit) it is ended by SIGALRM. What fn computes stays in
 * the child: pass results back through stagekit_shared memory. Returns 0
 * with *how filled, or a negative errno when fork fails. */
int stagekit_fork(void (*fn)(void *arg), void *arg, unsigned seconds,
                  stagekit_exit_t *how);

/* size bytes of zeroed memory shared with the children stagekit_fork makes,
 * kept until the test process ends. NULL when mmap fails. */
void *stagekit_shared(size_t size);

/* "SIGSEGV": a fatal signal's name for messages; "signal N" for others.
 * Static ring buffer for the latter, as stagekit_rc_text. */
const char *stagekit_signal_name(int signal_number);

#endif /* SDKATA_STAGEKIT_H */
