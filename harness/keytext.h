/* keytext.h - a load's keys as text of one width ("client:00001234"),
 * built once and then found by index, for katas whose keys are strings. */
#ifndef SDKATA_KEYTEXT_H
#define SDKATA_KEYTEXT_H

#include <stddef.h>
#include <stdint.h>

/* count keys of width bytes each, back to back (no NUL). */
typedef struct keytext {
  char *bytes;
  size_t width;
  uint64_t count;
} keytext_t;

/* Builds count keys into *keys, freeing what it held: key i is prefix
 * followed by i, zero-padded to width bytes in all (i modulo the largest
 * number that fits). Returns 0; -EINVAL when prefix leaves no room for a
 * digit or more than 19; -ENOMEM. */
int keytext_build(keytext_t *keys, const char *prefix, size_t width,
                  uint64_t count);

/* Key i (< count): width bytes, not NUL-terminated. */
static inline const char *keytext_at(const keytext_t *keys, uint64_t i) {
  return keys->bytes + i * keys->width;
}

/* Frees the keys; *keys is then empty. */
void keytext_free(keytext_t *keys);

#endif /* SDKATA_KEYTEXT_H */
