/* registry.h - every kata the sdkata binary knows, generated at build. */
#ifndef SDKATA_REGISTRY_H
#define SDKATA_REGISTRY_H

#include "kata.h"

/* NULL-terminated, in folder order. */
extern const kata_t *const registry_katas[];

#endif /* SDKATA_REGISTRY_H */
