/* build.h - compiles a learner's .c file into a plug-in, showing the
 * compiler's own words when it fails. */
#ifndef SDKATA_BUILD_H
#define SDKATA_BUILD_H

#include <stddef.h>

/* Compiles source (a .c implementing the kata's header in kata_dir) into
 * out_path (a .so), unless out_path is newer than source and the header.
 * libraries: linker flags ("-lhiredis"), NULL-terminated, or NULL.
 * sanitize adds AddressSanitizer and UndefinedBehaviorSanitizer.
 * The compiler's output (warnings or errors) is stored in *compiler_output
 * (heap string, caller frees; NULL when there was none).
 * Returns 0 when the plug-in is ready, -EINVAL when the compiler rejected
 * the file, or another negative error when the compiler could not run. */
int build_plugin(const char *kata_dir, const char *header,
                 const char *const *libraries, const char *source,
                 const char *out_path, int sanitize, char **compiler_output);

/* Makes every missing directory of path (like mkdir -p). Returns 0 or a
 * negative errno. */
int build_make_dirs(const char *path);

#endif /* SDKATA_BUILD_H */
