/* options.h - command-line options as a table (the harness's and each
 * kata's): parsed strictly, checked against their ranges, refused with the
 * valid names and the closest one, and handed on typed. */
#ifndef SDKATA_OPTIONS_H
#define SDKATA_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum option_kind {
  OPTION_TEXT,    /* any text */
  OPTION_COUNT,   /* a whole number, decimal, within [min, max] */
  OPTION_SECONDS, /* "2", "0.5", "0.000001": exact ns, no floating point */
  OPTION_CHOICE,  /* one of choices; the value is its index */
  OPTION_FLAG,    /* "--name" alone is 1; "--name=0" or "=1" say which */
  OPTION_ADDRESS, /* "HOST:PORT" */
} option_kind_t;

/* One option. Its name is written with '_' ("max_entries"); the command
 * line takes it with '-' or '_' ("--max-entries 10", "--max_entries=10"),
 * make as name=value ("max_entries=10"). */
typedef struct option_spec {
  const char *name;
  option_kind_t kind;
  const char *fallback;       /* the default, as a user would type it; NULL:
                                 none (the option is then unset) */
  const char *help;           /* one line, without the name */
  const char *const *choices; /* OPTION_CHOICE: NULL-terminated */
  uint64_t min, max;          /* OPTION_COUNT, OPTION_SECONDS (ns): the range;
                                 max 0: no upper bound */
} option_spec_t;

/* An option's value once parsed. */
typedef struct option_value {
  int set;          /* given, or its fallback applied */
  int given;        /* the user typed it */
  const char *text; /* as typed (or the fallback); borrowed */
  uint64_t number;  /* COUNT; SECONDS in ns; FLAG 0 or 1; CHOICE index */
  char host[256];   /* ADDRESS */
  int port;         /* ADDRESS */
} option_value_t;

/* The spec named name ('-' read as '_'), or NULL. */
const option_spec_t *options_find(const option_spec_t *specs, size_t count,
                                  const char *name, size_t name_len);

/* The spec whose name is nearest to name (fewest edits), for "did you
 * mean"; NULL when none is near (more than a third of the name differs). */
const option_spec_t *options_closest(const option_spec_t *specs, size_t count,
                                     const char *name, size_t name_len);

/* Parses text as spec says into *value (marking it given). Returns 0, or
 * -EINVAL with a sentence in why ("--threads wants a whole number from 1
 * to 1024; got \"-1\""). */
int options_parse(const option_spec_t *spec, const char *text,
                  option_value_t *value, char *why, size_t why_size);

/* Applies each unset spec's fallback into values (count of each). Returns
 * 0, or -EINVAL when a fallback itself does not parse (a kata's mistake,
 * said in why). */
int options_apply_fallbacks(const option_spec_t *specs, size_t count,
                            option_value_t *values, char *why, size_t why_size);

/* Prints one line per spec: "  --max-entries N   at most N entries
 * (default: 0)". */
void options_print(FILE *out, const option_spec_t *specs, size_t count);

/* Lists the names as the command line takes them ("--limit, --window"),
 * into buf. */
void options_names(const option_spec_t *specs, size_t count, char *buf,
                   size_t size);

#endif /* SDKATA_OPTIONS_H */
