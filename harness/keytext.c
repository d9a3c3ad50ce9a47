/* keytext.c - a load's keys as text of one width, built once. */
#include "keytext.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int keytext_build(keytext_t *keys, const char *prefix, size_t width,
                  uint64_t count) {
  keytext_free(keys);
  size_t prefix_len = strlen(prefix);
  if (width <= prefix_len || width - prefix_len > 19)
    return -EINVAL;
  int digits = (int)(width - prefix_len);
  uint64_t modulus = 1;
  for (int d = 0; d < digits; d++)
    modulus *= 10;
  keys->bytes = malloc(count * width + 1); /* + the last snprintf's NUL */
  if (keys->bytes == NULL)
    return -ENOMEM;
  for (uint64_t i = 0; i < count; i++)
    snprintf(keys->bytes + i * width, width + 1, "%s%0*llu", prefix, digits,
             (unsigned long long)(i % modulus));
  keys->width = width;
  keys->count = count;
  return 0;
}

void keytext_free(keytext_t *keys) {
  free(keys->bytes);
  *keys = (keytext_t){NULL, 0, 0};
}
