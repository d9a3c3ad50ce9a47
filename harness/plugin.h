/* plugin.h - implementations as shared objects, loaded side by side. */
#ifndef SDKATA_PLUGIN_H
#define SDKATA_PLUGIN_H

#include <stddef.h>
#include <uv.h>

/* One loaded implementation. Its symbols are resolved through its own
 * handle (RTLD_LOCAL), so any number of plug-ins that export the same names
 * can live in one process. */
typedef struct plugin {
  uv_lib_t lib;
  char *path;  /* the .so this came from, owned */
  char *label; /* short name for tables: "solution", "token_bucket" */
} plugin_t;

/* Loads the shared object at path under label. Returns 0, or -ENOENT /
 * -ENOEXEC with the loader's words in *why (static storage) on failure. */
int plugin_open(plugin_t *plugin, const char *path, const char *label,
                const char **why);

/* Unloads and frees what plugin_open made. */
void plugin_close(plugin_t *plugin);

/* Resolves name; returns the address, or NULL when the plug-in lacks it. */
void *plugin_symbol(const plugin_t *plugin, const char *name);

/* One function of a kata's contract: its symbol, and where its pointer goes
 * in the kata's table of function pointers. The table's fields are typed
 * from the contract's header (__typeof__(lc_get) *get), so the compiler
 * checks every call made through them. */
typedef struct plugin_binding {
  const char *symbol;
  size_t offset;
} plugin_binding_t;

/* A binding of field of table type to symbol. */
#define PLUGIN_BINDING(type, field, symbol)                                    \
  { symbol, offsetof(type, field) }

/* Fills count function pointers of table from plugin, as bindings say.
 * Returns 0, or -ENOENT with *missing naming the first symbol the plug-in
 * lacks (the table is then partly filled; do not use it). */
int plugin_bind(const plugin_t *plugin, const plugin_binding_t *bindings,
                size_t count, void *table, const char **missing);

#endif /* SDKATA_PLUGIN_H */
