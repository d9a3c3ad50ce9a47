/* impl.h - turns what a user names with impl= into plug-ins: the learner's
 * file, "reference", "naive", a reference's or mutant's name, a .c or .so. */
#ifndef SDKATA_IMPL_H
#define SDKATA_IMPL_H

#include <stddef.h>

#include "kata.h"

#define IMPL_MAX_PLUGINS 32

/* One implementation as the user named it: one plug-in, or a set of them
 * (the references, one per algorithm) that together form it. */
typedef struct impl_set {
  char *name;   /* what to print: "solution", "reference", "token_bucket" */
  char *source; /* the file it came from, for the header line */
  size_t count;
  char *paths[IMPL_MAX_PLUGINS]; /* .so files */
} impl_set_t;

/* Where the build keeps plug-ins of one kind ("reference", "baseline",
 * "mutant") for kata. Writes into buf and returns it. */
const char *impl_plugin_dir(const kata_t *kata, const char *kind, char *buf,
                            size_t size);

/* The kata's folder in the source tree. */
const char *impl_kata_dir(const kata_t *kata, char *buf, size_t size);

/* Resolves spec (NULL means the learner's solution.c) into *set, compiling a
 * .c file when needed. On a compile error the compiler's words are printed
 * to stderr exactly as it wrote them. Returns 0; -EINVAL when the file did
 * not compile; -ENOENT when spec names nothing (a message says what exists).
 */
int impl_resolve(const kata_t *kata, const char *spec, int sanitize,
                 impl_set_t *set);

void impl_free(impl_set_t *set);

/* The name of the file at path without its folder and extension
 * (".../reference/token_bucket.so" -> "token_bucket"), written into buf
 * (cut to size); returns buf. */
const char *impl_stem(const char *path, char *buf, size_t size);

#endif /* SDKATA_IMPL_H */
