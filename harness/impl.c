/* impl.c - turns what a user names with impl= into plug-ins: the learner's
 * file, "reference", "naive", a reference's or mutant's name, a .c or .so. */
#include "impl.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"

const char *impl_plugin_dir(const kata_t *kata, const char *kind, char *buf,
                            size_t size) {
  snprintf(buf, size, "%s/plugins/%s/%s", SDKATA_BUILD_DIR, kata->name, kind);
  return buf;
}

const char *impl_kata_dir(const kata_t *kata, char *buf, size_t size) {
  snprintf(buf, size, "%s/katas/%s", SDKATA_SOURCE_DIR, kata->name);
  return buf;
}

static int ends_with(const char *text, const char *suffix) {
  size_t length = strlen(text), suffix_length = strlen(suffix);
  return length >= suffix_length &&
         strcmp(text + length - suffix_length, suffix) == 0;
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds every .so in dir to set, in name order. Returns how many. */
static size_t add_dir(impl_set_t *set, const char *dir) {
  DIR *listing = opendir(dir);
  if (listing == NULL)
    return 0;
  size_t first = set->count;
  struct dirent *entry;
  while ((entry = readdir(listing)) != NULL && set->count < IMPL_MAX_PLUGINS) {
    if (!ends_with(entry->d_name, ".so"))
      continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    set->paths[set->count++] = strdup(path);
  }
  closedir(listing);
  qsort(set->paths + first, set->count - first, sizeof *set->paths,
        compare_strings);
  return set->count - first;
}

static int add_file_if_exists(impl_set_t *set, const char *path) {
  if (access(path, R_OK) != 0)
    return 0;
  set->paths[set->count++] = strdup(path);
  return 1;
}

/* "dir/name.c" -> "name". */
const char *impl_stem(const char *path, char *buf, size_t size) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  int length = (int)(dot ? (size_t)(dot - base) : strlen(base));
  snprintf(buf, size, "%.*s", length, base);
  return buf;
}

static int compile_into(const kata_t *kata, const char *source, int sanitize,
                        impl_set_t *set) {
  char kata_dir[PATH_MAX], out_dir[PATH_MAX], out_path[PATH_MAX + 64];
  impl_kata_dir(kata, kata_dir, sizeof kata_dir);
  snprintf(out_dir, sizeof out_dir, "%s/learner/%s", SDKATA_BUILD_DIR,
           kata->name);
  int rc = build_make_dirs(out_dir);
  if (rc != 0)
    return rc;
  snprintf(out_path, sizeof out_path, "%s/%s.so", out_dir, set->name);
  char *compiler_output = NULL;
  rc = build_plugin(kata_dir, kata->header, kata->libraries, source, out_path,
                    sanitize, &compiler_output);
  if (compiler_output != NULL) {
    fputs(compiler_output, stderr);
    free(compiler_output);
  }
  if (rc == -EINVAL)
    fprintf(stderr,
            "\n%s does not compile: fix the errors above (nothing "
            "else was run).\n",
            source);
  else if (rc != 0)
    fprintf(stderr, "could not run the compiler %s: %s\n", SDKATA_CC,
            strerror(-rc));
  else
    set->paths[set->count++] = strdup(out_path);
  return rc;
}

static int resolve(const kata_t *kata, const char *spec, int sanitize,
                   impl_set_t *set) {
  char kata_dir[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 64];
  impl_kata_dir(kata, kata_dir, sizeof kata_dir);
  if (spec == NULL || strcmp(spec, "solution") == 0) {
    snprintf(path, sizeof path, "%s/solution.c", kata_dir);
    set->name = strdup("solution");
    set->source = strdup(path);
    return compile_into(kata, path, sanitize, set);
  }
  if (ends_with(spec, ".c") || ends_with(spec, ".so")) {
    char *absolute = realpath(spec, NULL);
    if (absolute == NULL) {
      fprintf(stderr, "impl=%s: no such file\n", spec);
      return -ENOENT;
    }
    char stem[NAME_MAX + 1];
    set->name = strdup(impl_stem(absolute, stem, sizeof stem));
    set->source = absolute;
    if (ends_with(spec, ".so")) {
      set->paths[set->count++] = strdup(absolute);
      return 0;
    }
    return compile_into(kata, absolute, sanitize, set);
  }
  set->name = strdup(spec);
  if (strcmp(spec, "reference") == 0) {
    set->source = strdup(impl_plugin_dir(kata, "reference", dir, sizeof dir));
    if (add_dir(set, dir) > 0)
      return 0;
  } else if (strcmp(spec, "naive") == 0 || strcmp(spec, "baseline") == 0) {
    set->source = strdup(impl_plugin_dir(kata, "baseline", dir, sizeof dir));
    if (add_dir(set, dir) > 0)
      return 0;
  } else {
    const char *kinds[] = {"reference", "baseline", "mutant"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
      snprintf(path, sizeof path, "%s/%s.so",
               impl_plugin_dir(kata, kinds[i], dir, sizeof dir), spec);
      if (add_file_if_exists(set, path)) {
        set->source = strdup(path);
        return 0;
      }
    }
  }
  fprintf(stderr,
          "impl=%s names nothing in %s: use solution (the default), "
          "reference, naive, the name of a file in %s/reference/ or "
          "tests/mutants/, or a path to a .c file\n",
          spec, kata->name, kata_dir);
  return -ENOENT;
}

int impl_resolve(const kata_t *kata, const char *spec, int sanitize,
                 impl_set_t *set) {
  memset(set, 0, sizeof *set);
  int rc = resolve(kata, spec, sanitize, set);
  if (rc != 0)
    impl_free(set);
  return rc;
}

void impl_free(impl_set_t *set) {
  for (size_t i = 0; i < set->count; i++)
    free(set->paths[i]);
  free(set->name);
  free(set->source);
  memset(set, 0, sizeof *set);
}
