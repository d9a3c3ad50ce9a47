/* loop_thread.h - a libuv loop run on a thread of its own, for the unit
 * tests' servers: started once the server is on it, and closed with a check
 * that the server left no handle open. */
#ifndef SDKATA_LOOP_THREAD_H
#define SDKATA_LOOP_THREAD_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <uv.h>

/* Tests keep theirs static: a failed assertion leaves the test while the
 * loop's thread still runs. */
typedef struct loop_thread {
  uv_loop_t loop;
  pthread_t thread;
} loop_thread_t;

static inline void *loop_thread_main(void *arg) {
  loop_thread_t *t = arg;
  uv_run(&t->loop, UV_RUN_DEFAULT);
  return NULL;
}

/* Prepares the loop; put the server on it, then loop_thread_start. */
static inline void loop_thread_init(loop_thread_t *t) {
  cr_assert_eq(uv_loop_init(&t->loop), 0, "uv_loop_init failed");
}

static inline void loop_thread_start(loop_thread_t *t) {
  cr_assert_eq(pthread_create(&t->thread, NULL, loop_thread_main, t), 0,
               "pthread_create failed");
}

/* Waits for the thread: uv_run must return once the server stopped. */
static inline void loop_thread_join(loop_thread_t *t) {
  pthread_join(t->thread, NULL);
}

/* Closes the loop after the server was destroyed. */
static inline void loop_thread_close(loop_thread_t *t) {
  cr_assert_eq(uv_loop_close(&t->loop), 0,
               "the loop still had handles open after the server stopped");
}

#endif /* SDKATA_LOOP_THREAD_H */
