/* clock.h - a cheap monotonic nanosecond clock for timing operations. */
#ifndef SDKATA_CLOCK_H
#define SDKATA_CLOCK_H

#include <stdint.h>

/* Calibrates the fast clock against CLOCK_MONOTONIC (about 20 ms, once per
 * process; later calls return at once). Call before clock_now_ns from
 * several threads. */
void clock_calibrate(void);

/* Nanoseconds since an arbitrary start; monotonic, about 10 ns to read
 * (the TSC on x86-64 when it is invariant, CLOCK_MONOTONIC elsewhere). */
uint64_t clock_now_ns(void);

/* CLOCK_MONOTONIC in ns, for coarse timing. */
uint64_t clock_monotonic_ns(void);

#endif /* SDKATA_CLOCK_H */
