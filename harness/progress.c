/* progress.c - a one-line progress bar on stderr, for runs over a second. */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "clock.h"

#define PROGRESS_WIDTH 30
#define PROGRESS_DELAY_NS 1000000000ULL

void progress_start(progress_t *progress) {
  progress->enabled = isatty(STDERR_FILENO);
  progress->shown = 0;
  progress->started_ns = clock_monotonic_ns();
}

void progress_update(double fraction, const char *what, void *context) {
  progress_t *progress = context;
  if (!progress->enabled ||
      clock_monotonic_ns() - progress->started_ns < PROGRESS_DELAY_NS)
    return;
  if (fraction < 0)
    fraction = 0;
  if (fraction > 1)
    fraction = 1;
  int filled = (int)(fraction * PROGRESS_WIDTH + 0.5);
  fputs("\r\033[K  [", stderr);
  for (int i = 0; i < PROGRESS_WIDTH; i++)
    fputc(i < filled ? '#' : '.', stderr);
  fprintf(stderr, "] %3d%%  %s", (int)(fraction * 100 + 0.5), what);
  fflush(stderr);
  progress->shown = 1;
}

void progress_finish(progress_t *progress) {
  if (progress->shown)
    fputs("\r\033[K", stderr);
  fflush(stderr);
  progress->shown = 0;
}
