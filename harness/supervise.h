/* supervise.h - runs a server in a child process and outlives it: when the
 * code it serves crashes or hangs, the supervisor says so in words, naming
 * the request being answered, and starts the server again. */
#ifndef SDKATA_SUPERVISE_H
#define SDKATA_SUPERVISE_H

#include <stdint.h>

/* The longest a request may take before the server counts as hung. */
#define SUPERVISE_HANG_MS 10000

/* Runs serve(arg) in a child process until it returns, and returns what it
 * returned (its exit status). SIGINT and SIGTERM sent to this process are
 * passed on to the child, which is expected to stop cleanly. When the
 * child dies of a signal, exits in the middle of a request, or spends more than
 * SUPERVISE_HANG_MS on one request, a sentence on stderr names the signal (or
 * the hang), what (e.g. "impl solution") and the request, and a new child is
 * started, with *port set to the port the last one bound (so clients can
 * reconnect). Gives up, returning 1, after 5 such ends within 10 s. */
int supervise_run(int (*serve)(void *arg), void *arg, const char *what,
                  int *port);

/* In the child: the port it listens on, for restarts to reuse. */
void supervise_listening(int port);

/* In the child: the request being answered now ("GET /?key=a"), for the
 * supervisor's words and hang clock; printf-like, cut at 200 bytes. */
void supervise_begin(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

/* In the child: the request was answered. */
void supervise_end(void);

#endif /* SDKATA_SUPERVISE_H */
