/* plugin.h - implementations as shared objects, loaded side by side. */
#ifndef SDKATA_PLUGIN_H
#define SDKATA_PLUGIN_H

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

#endif /* SDKATA_PLUGIN_H */
