/* plugin.c - implementations as shared objects, loaded side by side. */
#include "plugin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int plugin_open(plugin_t *plugin, const char *path, const char *label,
                const char **why) {
  memset(plugin, 0, sizeof *plugin);
  *why = NULL;
  if (uv_dlopen(path, &plugin->lib) != 0) {
    *why = uv_dlerror(&plugin->lib);
    return -ENOEXEC;
  }
  plugin->path = strdup(path);
  plugin->label = strdup(label);
  if (plugin->path == NULL || plugin->label == NULL) {
    plugin_close(plugin);
    return -ENOMEM;
  }
  return 0;
}

void plugin_close(plugin_t *plugin) {
  uv_dlclose(&plugin->lib);
  free(plugin->path);
  free(plugin->label);
  memset(plugin, 0, sizeof *plugin);
}

void *plugin_symbol(const plugin_t *plugin, const char *name) {
  void *address = NULL;
  /* uv_dlsym takes a non-const handle but does not change it. */
  if (uv_dlsym((uv_lib_t *)&plugin->lib, name, &address) != 0)
    return NULL;
  return address;
}

int plugin_bind(const plugin_t *plugin, const plugin_binding_t *bindings,
                size_t count, void *table, const char **missing) {
  for (size_t i = 0; i < count; i++) {
    void *address = plugin_symbol(plugin, bindings[i].symbol);
    if (address == NULL) {
      *missing = bindings[i].symbol;
      return -ENOENT;
    }
    /* POSIX: a function's address from dlsym fits a data pointer. */
    memcpy((char *)table + bindings[i].offset, &address, sizeof address);
  }
  return 0;
}
