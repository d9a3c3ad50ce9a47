/* options.c - command-line options as a table (the harness's and each
 * kata's): parsed strictly, checked against their ranges, refused with the
 * valid names and the closest one, and handed on typed. */
#include "options.h"

#include <errno.h>
#include <string.h>

#define NS_PER_SECOND 1000000000ULL

/* name [0, name_len) equals spec_name, '-' read as '_'. */
static int same_name(const char *spec_name, const char *name, size_t name_len) {
  if (strlen(spec_name) != name_len)
    return 0;
  for (size_t i = 0; i < name_len; i++)
    if ((name[i] == '-' ? '_' : name[i]) != spec_name[i])
      return 0;
  return 1;
}

const option_spec_t *options_find(const option_spec_t *specs, size_t count,
                                  const char *name, size_t name_len) {
  for (size_t i = 0; i < count; i++)
    if (same_name(specs[i].name, name, name_len))
      return &specs[i];
  return NULL;
}

/* Edits (insert, delete, substitute, swap of neighbours) from a to b, '-'
 * read as '_'; long names count as far apart. */
static size_t edit_distance(const char *a, size_t a_len, const char *b,
                            size_t b_len) {
  enum { LONGEST = 64 };
  if (a_len >= LONGEST || b_len >= LONGEST)
    return LONGEST;
  size_t rows[3][LONGEST + 1];
  for (size_t j = 0; j <= b_len; j++)
    rows[0][j] = j;
  for (size_t i = 1; i <= a_len; i++) {
    size_t *row = rows[i % 3], *above = rows[(i - 1) % 3],
           *two_up = rows[(i + 1) % 3];
    row[0] = i;
    char x = a[i - 1] == '-' ? '_' : a[i - 1];
    for (size_t j = 1; j <= b_len; j++) {
      char y = b[j - 1] == '-' ? '_' : b[j - 1];
      size_t best = above[j - 1] + (x != y);
      if (above[j] + 1 < best)
        best = above[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      if (i > 1 && j > 1 && x == b[j - 2] && a[i - 2] == y &&
          two_up[j - 2] + 1 < best)
        best = two_up[j - 2] + 1;
      row[j] = best;
    }
  }
  return rows[a_len % 3][b_len];
}

const option_spec_t *options_closest(const option_spec_t *specs, size_t count,
                                     const char *name, size_t name_len) {
  const option_spec_t *best = NULL;
  size_t best_distance = (size_t)-1;
  for (size_t i = 0; i < count; i++) {
    size_t distance =
        edit_distance(name, name_len, specs[i].name, strlen(specs[i].name));
    if (distance < best_distance) {
      best = &specs[i];
      best_distance = distance;
    }
  }
  return best != NULL && best_distance * 3 <= name_len ? best : NULL;
}

/* The command line's spelling of a name: "max_entries" -> "max-entries". */
static void dashed(const char *name, char *buf, size_t size) {
  size_t i = 0;
  for (; name[i] != '\0' && i + 1 < size; i++)
    buf[i] = name[i] == '_' ? '-' : name[i];
  buf[i] = '\0';
}

/* Decimal digits, the whole of text, into *value. Returns 0 or -EINVAL
 * (empty, a sign, a space, anything else, or past 64 bits). */
static int parse_whole(const char *text, const char *end, uint64_t *value) {
  if (text == end)
    return -EINVAL;
  uint64_t n = 0;
  for (; text < end; text++) {
    if (*text < '0' || *text > '9')
      return -EINVAL;
    uint64_t digit = (uint64_t)(*text - '0');
    if (n > (UINT64_MAX - digit) / 10)
      return -EINVAL;
    n = n * 10 + digit;
  }
  *value = n;
  return 0;
}

/* "SECONDS[.FRACTION]", at most 9 fraction digits, into ns exactly. */
static int parse_seconds(const char *text, uint64_t *ns) {
  const char *end = text + strlen(text);
  const char *dot = strchr(text, '.');
  const char *whole_end = dot ? dot : end;
  uint64_t seconds = 0, fraction = 0, scale = NS_PER_SECOND;
  if (dot == text && dot + 1 == end)
    return -EINVAL;
  if ((whole_end > text || dot == NULL) &&
      parse_whole(text, whole_end, &seconds) != 0)
    return -EINVAL;
  if (dot != NULL) {
    const char *digit = dot + 1;
    if (digit == end || end - digit > 9)
      return -EINVAL;
    for (; digit < end; digit++) {
      if (*digit < '0' || *digit > '9')
        return -EINVAL;
      scale /= 10;
      fraction += (uint64_t)(*digit - '0') * scale;
    }
  }
  if (seconds > (UINT64_MAX - fraction) / NS_PER_SECOND)
    return -EINVAL;
  *ns = seconds * NS_PER_SECOND + fraction;
  return 0;
}

/* "HOST:PORT" into value. */
static int parse_address(const char *text, option_value_t *value) {
  const char *colon = strrchr(text, ':');
  uint64_t port;
  if (colon == NULL || colon == text ||
      (size_t)(colon - text) >= sizeof value->host ||
      parse_whole(colon + 1, colon + 1 + strlen(colon + 1), &port) != 0 ||
      port == 0 || port > 65535)
    return -EINVAL;
  snprintf(value->host, sizeof value->host, "%.*s", (int)(colon - text), text);
  value->port = (int)port;
  return 0;
}

/* What a spec wants, for messages: "a whole number from 1 to 64". */
static void wanted(const option_spec_t *spec, char *buf, size_t size) {
  switch (spec->kind) {
  case OPTION_TEXT: snprintf(buf, size, "some text"); break;
  case OPTION_COUNT:
    if (spec->max != 0)
      snprintf(buf, size, "a whole number from %llu to %llu",
               (unsigned long long)spec->min, (unsigned long long)spec->max);
    else
      snprintf(buf, size, "a whole number of at least %llu",
               (unsigned long long)spec->min);
    break;
  case OPTION_SECONDS:
    snprintf(buf, size, "seconds%s (\"2\", \"0.5\", at most 9 decimals)",
             spec->min > 0 ? " above 0" : "");
    break;
  case OPTION_CHOICE: {
    int length = snprintf(buf, size, "one of ");
    for (size_t i = 0; spec->choices[i] != NULL && length < (int)size; i++)
      length += snprintf(buf + length, size - (size_t)length, "%s%s",
                         i > 0 ? "|" : "", spec->choices[i]);
    break;
  }
  case OPTION_FLAG: snprintf(buf, size, "0 or 1 (or no value, for 1)"); break;
  case OPTION_ADDRESS: snprintf(buf, size, "HOST:PORT"); break;
  }
}

/* Parses text into value; 0 or -EINVAL. */
static int parse_value(const option_spec_t *spec, const char *text,
                       option_value_t *value) {
  const char *end = text + strlen(text);
  switch (spec->kind) {
  case OPTION_TEXT: return 0;
  case OPTION_COUNT:
    if (parse_whole(text, end, &value->number) != 0 ||
        value->number < spec->min ||
        (spec->max != 0 && value->number > spec->max))
      return -EINVAL;
    return 0;
  case OPTION_SECONDS:
    if (parse_seconds(text, &value->number) != 0 || value->number < spec->min ||
        (spec->max != 0 && value->number > spec->max))
      return -EINVAL;
    return 0;
  case OPTION_CHOICE:
    for (size_t i = 0; spec->choices[i] != NULL; i++)
      if (strcmp(text, spec->choices[i]) == 0) {
        value->number = i;
        return 0;
      }
    return -EINVAL;
  case OPTION_FLAG:
    if (strcmp(text, "0") != 0 && strcmp(text, "1") != 0)
      return -EINVAL;
    value->number = text[0] == '1';
    return 0;
  case OPTION_ADDRESS: return parse_address(text, value);
  }
  return -EINVAL;
}

int options_parse(const option_spec_t *spec, const char *text,
                  option_value_t *value, char *why, size_t why_size) {
  option_value_t parsed = {.set = 1, .given = 1, .text = text};
  if (parse_value(spec, text, &parsed) != 0) {
    char name[64], want[256];
    dashed(spec->name, name, sizeof name);
    wanted(spec, want, sizeof want);
    snprintf(why, why_size, "--%s wants %s; got \"%s\"", name, want, text);
    return -EINVAL;
  }
  *value = parsed;
  return 0;
}

int options_apply_fallbacks(const option_spec_t *specs, size_t count,
                            option_value_t *values, char *why,
                            size_t why_size) {
  for (size_t i = 0; i < count; i++) {
    if (values[i].set || specs[i].fallback == NULL)
      continue;
    if (options_parse(&specs[i], specs[i].fallback, &values[i], why,
                      why_size) != 0)
      return -EINVAL;
    values[i].given = 0;
  }
  return 0;
}

void options_print(FILE *out, const option_spec_t *specs, size_t count) {
  for (size_t i = 0; i < count; i++) {
    char name[64], left[96];
    dashed(specs[i].name, name, sizeof name);
    const char *metavar = specs[i].kind == OPTION_FLAG      ? ""
                          : specs[i].kind == OPTION_COUNT   ? " N"
                          : specs[i].kind == OPTION_SECONDS ? " SECONDS"
                          : specs[i].kind == OPTION_ADDRESS ? " HOST:PORT"
                          : specs[i].kind == OPTION_CHOICE  ? " NAME"
                                                            : " TEXT";
    snprintf(left, sizeof left, "--%s%s", name, metavar);
    fprintf(out, "  %-24s %s", left, specs[i].help);
    if (specs[i].kind == OPTION_CHOICE) {
      char want[256];
      wanted(&specs[i], want, sizeof want);
      fprintf(out, ": %s", want + strlen("one of "));
    }
    if (specs[i].fallback != NULL)
      fprintf(out, " (default %s)", specs[i].fallback);
    fputc('\n', out);
  }
}

void options_names(const option_spec_t *specs, size_t count, char *buf,
                   size_t size) {
  size_t length = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < count && length < size; i++) {
    char name[64];
    dashed(specs[i].name, name, sizeof name);
    length += (size_t)snprintf(buf + length, size - length, "%s--%s",
                               i > 0 ? ", " : "", name);
  }
}
