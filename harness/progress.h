/* progress.h - a one-line progress bar on stderr, for runs over a second. */
#ifndef SDKATA_PROGRESS_H
#define SDKATA_PROGRESS_H

#include <stdint.h>

typedef struct progress {
  int enabled; /* stderr is a terminal */
  int shown;   /* something is on the line and must be cleared */
  uint64_t started_ns;
} progress_t;

/* Starts timing; the bar appears only once a second has passed, and only
 * when stderr is a terminal. */
void progress_start(progress_t *progress);

/* Redraws the bar at fraction (0..1) with a short description. Matches
 * loadgen_config_t's progress callback (context is the progress_t). */
void progress_update(double fraction, const char *what, void *context);

/* Clears the bar's line, if it was drawn. */
void progress_finish(progress_t *progress);

#endif /* SDKATA_PROGRESS_H */
