/* build.c - compiles a learner's .c file into a plug-in, showing the
 * compiler's own words when it fails. */
#include "build.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

/* The flags every implementation is built with; the same as CMake's for
 * references, so that the learner is measured on equal terms. */
#define BUILD_FLAGS                                                            \
  "-std=c11", "-D_GNU_SOURCE", "-O2", "-g", "-fPIC", "-shared", "-Wall",       \
      "-Wextra"
#define BUILD_SANITIZE_FLAGS                                                   \
  "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",           \
      "-fno-omit-frame-pointer"

int build_make_dirs(const char *path) {
  char partial[PATH_MAX];
  if (snprintf(partial, sizeof partial, "%s", path) >= (int)sizeof partial)
    return -ENAMETOOLONG;
  for (char *slash = partial + 1; *slash != '\0'; slash++) {
    if (*slash != '/')
      continue;
    *slash = '\0';
    if (mkdir(partial, 0755) != 0 && errno != EEXIST)
      return -errno;
    *slash = '/';
  }
  if (mkdir(partial, 0755) != 0 && errno != EEXIST)
    return -errno;
  return 0;
}

/* 1 when out_path exists and is newer than every input. */
static int is_up_to_date(const char *out_path, const char *const inputs[],
                         size_t input_count) {
  struct stat out;
  if (stat(out_path, &out) != 0)
    return 0;
  for (size_t i = 0; i < input_count; i++) {
    struct stat in;
    if (stat(inputs[i], &in) != 0)
      return 0;
    if (in.st_mtim.tv_sec > out.st_mtim.tv_sec ||
        (in.st_mtim.tv_sec == out.st_mtim.tv_sec &&
         in.st_mtim.tv_nsec >= out.st_mtim.tv_nsec))
      return 0;
  }
  return 1;
}

/* The most linker flags a kata may ask for. */
#define BUILD_MAX_LIBRARIES 8

int build_plugin(const char *kata_dir, const char *header,
                 const char *const *libraries, const char *source,
                 const char *out_path, int sanitize, char **compiler_output) {
  *compiler_output = NULL;
  char header_path[PATH_MAX];
  snprintf(header_path, sizeof header_path, "%s/%s", kata_dir, header);
  const char *inputs[] = {source, header_path};
  if (is_up_to_date(out_path, inputs, 2))
    return 0;

  char include_flag[PATH_MAX + 2];
  snprintf(include_flag, sizeof include_flag, "-I%s", kata_dir);
  /* Two sdkata runs may build the same file at once (parallel tests, an
   * editor's check beside a watch): each writes its own temporary files,
   * and rename() makes the finished plug-in appear whole. */
  char temp_path[PATH_MAX + 32];
  snprintf(temp_path, sizeof temp_path, "%s.%ld.tmp", out_path, (long)getpid());
  char log_path[PATH_MAX + 32];
  snprintf(log_path, sizeof log_path, "%s.%ld.log", out_path, (long)getpid());
  char *plain[] = {SDKATA_CC,      BUILD_FLAGS, include_flag,
                   (char *)source, "-o",        temp_path};
  char *sanitizers[] = {BUILD_SANITIZE_FLAGS};
  char
      *argv[sizeof plain / sizeof plain[0] +
            sizeof sanitizers / sizeof sanitizers[0] + BUILD_MAX_LIBRARIES + 2];
  size_t argc = 0;
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    argv[argc++] = plain[i];
  for (size_t i = 0; sanitize && i < sizeof sanitizers / sizeof sanitizers[0];
       i++)
    argv[argc++] = sanitizers[i];
  for (size_t i = 0; libraries != NULL && libraries[i] != NULL; i++) {
    if (i == BUILD_MAX_LIBRARIES)
      return -E2BIG;
    argv[argc++] = (char *)libraries[i];
  }
  argv[argc++] = "-lpthread";
  argv[argc] = NULL;
  proc_result_t result;
  int rc = proc_run(argv, NULL, log_path, 120000, &result);
  if (rc != 0)
    return rc;
  char *output = proc_read_file(log_path);
  remove(log_path);
  if (output != NULL && output[0] == '\0') {
    free(output);
    output = NULL;
  }
  *compiler_output = output;
  if (result.timed_out || result.term_signal != 0 || result.exit_status != 0) {
    remove(temp_path);
    return -EINVAL;
  }
  if (rename(temp_path, out_path) != 0)
    return -errno;
  return 0;
}
