/* main.c - the sdkata command line: parses the harness's options and the
 * kata's own (both tables, options.h) strictly, then runs a command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "loadgen.h"
#include "options.h"
#include "proc.h"
#include "registry.h"

/* The harness's options, in the order of the table below. */
enum {
  OPT_IMPL,
  OPT_STAGE,
  OPT_SEED,
  OPT_JSON,
  OPT_NO_LOAD,
  OPT_THREADS,
  OPT_ROUNDS,
  OPT_SECONDS,
  OPT_KEYS,
  OPT_DIST,
  OPT_RATE,
  OPT_ONLY,
  OPT_BASELINE,
  OPT_PORT,
  OPT_CONNECTIONS,
  OPT_WARMUP,
  OPT_PATH,
  OPT_HEADER,
  OPT_KEY_HEADER,
  OPT_WORKLOAD,
  OPT_SUBJECT,
  OPT_HELP,
  OPT_COUNT
};

static const option_spec_t harness_options[OPT_COUNT] = {
    [OPT_IMPL] = {"impl", OPTION_TEXT, NULL,
                  "solution (default), reference, naive, a reference's or "
                  "mutant's name, or a .c/.so path"},
    [OPT_STAGE] = {"stage", OPTION_COUNT, NULL,
                   "run only stage N (0: every stage)", NULL, 0, 64},
    [OPT_SEED] = {"seed", OPTION_COUNT, NULL,
                  "replay a run (default: a new seed, printed)"},
    [OPT_JSON] = {"json", OPTION_TEXT, NULL, "also write the results here"},
    [OPT_NO_LOAD] = {"no_load", OPTION_FLAG, NULL, "stages only"},
    [OPT_THREADS] = {"threads", OPTION_COUNT, "2", "load: threads", NULL, 1,
                     256},
    [OPT_ROUNDS] = {"rounds", OPTION_COUNT, "3",
                    "load: interleaved rounds (bench: 5)", NULL, 1,
                    LOADGEN_MAX_ROUNDS},
    [OPT_SECONDS] = {"seconds", OPTION_SECONDS, "1",
                     "load: seconds per round (bench: 3)", NULL, 1000000,
                     3600 * 1000000000ULL},
    [OPT_KEYS] = {"keys", OPTION_COUNT, NULL,
                  "load: key count (default: the kata's)", NULL, 1, 1000000000},
    [OPT_DIST] = {"dist", OPTION_TEXT, "zipf",
                  "load: uniform | zipf[:theta] | hotspot[:frac:share]"},
    [OPT_RATE] = {"rate", OPTION_COUNT, "0",
                  "load: open-loop operations per second (0: closed loop)",
                  NULL, 0, 1000000000},
    [OPT_ONLY] = {"only", OPTION_TEXT, NULL, "mutants: just this one"},
    [OPT_BASELINE] = {"baseline", OPTION_FLAG, NULL,
                      "mutants: the naive baseline, against the stage its "
                      "files name (sdkata-expect: stage N)"},
    [OPT_PORT] = {"port", OPTION_COUNT, NULL,
                  "serve: the port (default: the kata's; 0 picks a free "
                  "one); httpload: the server's",
                  NULL, 0, 65535},
    [OPT_CONNECTIONS] = {"connections", OPTION_COUNT, "50",
                         "httpload: keep-alive connections", NULL, 1, 10000},
    [OPT_WARMUP] = {"warmup", OPTION_SECONDS, "1",
                    "httpload: seconds sent but not recorded", NULL, 0,
                    3600 * 1000000000ULL},
    [OPT_PATH] = {"path", OPTION_TEXT, "/", "httpload: the request's path"},
    [OPT_HEADER] = {"header", OPTION_TEXT, NULL,
                    "httpload: a header sent every time ('Name: value')"},
    [OPT_KEY_HEADER] = {"key_header", OPTION_TEXT, NULL,
                        "httpload: a header naming one of --keys keys per "
                        "request"},
    [OPT_WORKLOAD] = {"workload", OPTION_COUNT, NULL,
                      "(internal) load-child: which workload", NULL, 0, 64},
    [OPT_SUBJECT] = {"subject", OPTION_TEXT, NULL,
                     "(internal) load-child: label=path,path (repeatable)"},
    [OPT_HELP] = {"help", OPTION_FLAG, NULL, "this help"},
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: sdkata COMMAND [KATA] [options]\n"
          "commands:\n"
          "  check KATA    run the stages in order, then a short load beside "
          "the reference\n"
          "  bench KATA    the stages, then a longer load of every passing "
          "workload\n"
          "  list [KATA]   the katas, their stages, and how far solution.c "
          "(or --impl) gets\n"
          "  mutants KATA  prove each mutant is rejected by its stage\n"
          "  serve KATA    serve the implementation on 127.0.0.1 over the "
          "kata's protocol\n"
          "                until Ctrl-C (its own options: sdkata help KATA)\n"
          "  httpload      load an HTTP server on 127.0.0.1:PORT and print "
          "req/s and latency\n"
          "  help [KATA]   this, and a kata's own options\n"
          "options (--name VALUE or --name=VALUE; '_' and '-' alike):\n");
  options_print(out, harness_options, OPT_COUNT);
  fprintf(out,
          "exit codes of check and bench:\n"
          "  0  every required stage that ran passed (an optional stage may "
          "be left\n"
          "     not attempted; the load measures and never changes the code)\n"
          "  1  a stage failed\n"
          "  2  nothing was checked: a bad option, an unknown kata, or a "
          "file that\n"
          "     does not compile\n"
          "  3  no stage failed, but a required stage was not attempted "
          "(the last\n"
          "     line says which, and where its rule is)\n");
}

/* A kata's own options, for sdkata help KATA. */
static void kata_usage(FILE *out, const kata_t *kata) {
  fprintf(out, "%s - %s\n", kata->name, kata->title);
  if (kata->option_count == 0) {
    fprintf(out, "  (no options of its own)\n");
    return;
  }
  fprintf(out,
          "its options (sdkata serve %s --name VALUE; make kata=%s "
          "serve name=VALUE):\n",
          kata->name, kata->name);
  options_print(out, kata->options, kata->option_count);
}

static const kata_t *find_kata(const char *name) {
  for (size_t i = 0; registry_katas[i] != NULL; i++)
    if (strcmp(registry_katas[i]->name, name) == 0)
      return registry_katas[i];
  return NULL;
}

/* A seed for runs the user did not seed: different each run, so repeated
 * checks explore more sequences, and always printed for replay. */
static uint64_t fresh_seed(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return ((uint64_t)now.tv_nsec ^ (uint64_t)now.tv_sec * 2654435761u) %
             1000000 +
         1;
}

/* Says an option is not one of ours or the kata's, and which are. */
static void refuse_unknown(const char *name, size_t name_len,
                           const kata_t *kata) {
  const option_spec_t *closest =
      options_closest(harness_options, OPT_COUNT, name, name_len);
  const option_spec_t *kata_closest =
      kata ? options_closest(kata->options, kata->option_count, name, name_len)
           : NULL;
  if (kata_closest != NULL)
    closest = kata_closest;
  fprintf(stderr, "sdkata: there is no option --%.*s", (int)name_len, name);
  if (closest != NULL) {
    char names[128];
    options_names(closest, 1, names, sizeof names);
    fprintf(stderr, "; did you mean %s?", names);
  }
  fprintf(stderr, "\n");
  if (kata != NULL && kata->option_count > 0) {
    char names[1024];
    options_names(kata->options, kata->option_count, names, sizeof names);
    fprintf(stderr, "  %s's own: %s\n", kata->name, names);
  }
  fprintf(stderr, "  sdkata help%s%s lists every option\n", kata ? " " : "",
          kata ? kata->name : "");
}

/* Everything parsed from argv. */
typedef struct parsed {
  const kata_t *kata;
  option_value_t values[OPT_COUNT];
  option_value_t *kata_values; /* kata->option_count of them */
  const char *subjects[8];
  int subject_count;
} parsed_t;

/* Parses argv[2..]: the kata (the first word after the command), then
 * options of the harness or the kata. Returns 0, or 2 having said why. */
static int parse_arguments(int argc, char **argv, parsed_t *parsed) {
  int first = 2;
  if (argc > 2 && argv[2][0] != '-') {
    parsed->kata = find_kata(argv[2]);
    if (parsed->kata == NULL) {
      fprintf(stderr, "sdkata: no kata named \"%s\" (sdkata list shows them)\n",
              argv[2]);
      return 2;
    }
    first = 3;
    parsed->kata_values =
        calloc(parsed->kata->option_count + 1, sizeof *parsed->kata_values);
    if (parsed->kata_values == NULL)
      return 2;
  }
  const kata_t *kata = parsed->kata;
  for (int i = first; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-h") == 0)
      arg = "--help";
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(stderr,
              "sdkata: unexpected \"%s\": options are --name VALUE, and the "
              "kata comes right after the command\n",
              arg);
      return 2;
    }
    const char *name = arg + 2;
    const char *equals = strchr(name, '=');
    size_t name_len = equals ? (size_t)(equals - name) : strlen(name);
    option_value_t *value = NULL;
    const option_spec_t *spec =
        options_find(harness_options, OPT_COUNT, name, name_len);
    if (spec != NULL) {
      value = &parsed->values[spec - harness_options];
    } else if (kata != NULL &&
               (spec = options_find(kata->options, kata->option_count, name,
                                    name_len)) != NULL) {
      value = &parsed->kata_values[spec - kata->options];
    } else {
      refuse_unknown(name, name_len, kata);
      return 2;
    }
    const char *text = equals ? equals + 1 : NULL;
    if (text == NULL && spec->kind == OPTION_FLAG)
      text = "1";
    if (text == NULL) {
      if (i + 1 >= argc) {
        fprintf(stderr, "sdkata: --%.*s wants a value\n", (int)name_len, name);
        return 2;
      }
      text = argv[++i];
    }
    if (text[0] == '\0')
      continue; /* make's "seed=" : as if not given */
    if (value == &parsed->values[OPT_SUBJECT]) {
      if (parsed->subject_count == 8) {
        fprintf(stderr, "sdkata: at most 8 --subject\n");
        return 2;
      }
      parsed->subjects[parsed->subject_count++] = text;
      continue;
    }
    char why[512];
    if (options_parse(spec, text, value, why, sizeof why) != 0) {
      fprintf(stderr, "sdkata: %s\n", why);
      return 2;
    }
  }
  char why[512];
  if (options_apply_fallbacks(harness_options, OPT_COUNT, parsed->values, why,
                              sizeof why) != 0 ||
      (kata != NULL &&
       options_apply_fallbacks(kata->options, kata->option_count,
                               parsed->kata_values, why, sizeof why) != 0)) {
    fprintf(stderr, "sdkata: a default is wrong: %s\n", why);
    return 2;
  }
  return 0;
}

/* The parsed values into the options the commands read. */
static void fill_options(const parsed_t *parsed, const char *command,
                         command_options_t *options) {
  const option_value_t *v = parsed->values;
  *options = (command_options_t){
      .command = command,
      .kata = parsed->kata,
      .impl = v[OPT_IMPL].set ? v[OPT_IMPL].text : NULL,
      .stage = (int)v[OPT_STAGE].number,
      .seed = v[OPT_SEED].number,
      .seed_given = v[OPT_SEED].set,
      .sanitize = SDKATA_SANITIZED,
      .json_path = v[OPT_JSON].set ? v[OPT_JSON].text : NULL,
      .no_load = (int)v[OPT_NO_LOAD].number,
      .threads = (unsigned)v[OPT_THREADS].number,
      .rounds = (unsigned)v[OPT_ROUNDS].number,
      .seconds = (double)v[OPT_SECONDS].number / 1e9,
      .rate = v[OPT_RATE].number,
      .key_count = v[OPT_KEYS].set ? v[OPT_KEYS].number : COMMAND_KEYS_UNSET,
      .distribution = v[OPT_DIST].text,
      .only = v[OPT_ONLY].set ? v[OPT_ONLY].text : NULL,
      .baseline = (int)v[OPT_BASELINE].number,
      .workload = v[OPT_WORKLOAD].set ? (int)v[OPT_WORKLOAD].number : -1,
      .subject_count = parsed->subject_count,
      .port = v[OPT_PORT].set ? (int)v[OPT_PORT].number : COMMAND_PORT_UNSET,
      .kata_values = parsed->kata_values,
      .connections = (unsigned)v[OPT_CONNECTIONS].number,
      .warmup_seconds = (double)v[OPT_WARMUP].number / 1e9,
      .path = v[OPT_PATH].text,
      .header = v[OPT_HEADER].set ? v[OPT_HEADER].text : NULL,
      .key_header = v[OPT_KEY_HEADER].set ? v[OPT_KEY_HEADER].text : NULL,
  };
  for (int i = 0; i < parsed->subject_count; i++)
    options->subjects[i] = parsed->subjects[i];
}

/* Runs command with options; the kata is already checked when needed. */
static int run_command(const char *command, command_options_t *options,
                       const parsed_t *parsed) {
  /* A Ctrl-C during a stage or a load ends its processes too. */
  if (strcmp(command, "serve") != 0)
    proc_forward_interrupts();
  if (strcmp(command, "list") == 0)
    return command_list(options);
  if (strcmp(command, "httpload") == 0) {
    if (options->key_count == COMMAND_KEYS_UNSET)
      options->key_count = COMMAND_DEFAULT_KEYS;
    return command_httpload(options);
  }
  if (options->kata == NULL) {
    fprintf(stderr,
            "sdkata %s: which kata? (sdkata list shows them; with make: make "
            "kata=NAME %s)\n",
            command, command);
    return 2;
  }
  if (options->key_count == COMMAND_KEYS_UNSET)
    options->key_count =
        strcmp(command, "check") == 0 && options->kata->check_keys != 0
            ? options->kata->check_keys
            : COMMAND_DEFAULT_KEYS;
  if (strcmp(command, "check") == 0)
    return command_check(options);
  if (strcmp(command, "bench") == 0) {
    /* bench measures longer unless told otherwise. */
    if (!parsed->values[OPT_ROUNDS].given)
      options->rounds = 5;
    if (!parsed->values[OPT_SECONDS].given)
      options->seconds = 3.0;
    return command_bench(options);
  }
  if (strcmp(command, "mutants") == 0)
    return command_mutants(options);
  if (strcmp(command, "serve") == 0)
    return command_serve(options);
  if (strcmp(command, "load-child") == 0)
    return command_load_child(options);
  fprintf(stderr, "sdkata: no command \"%s\"\n", command);
  usage(stderr);
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *command = argv[1];
  if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0)
    command = "help";
  parsed_t parsed = {0};
  int status = parse_arguments(argc, argv, &parsed);
  if (status == 0 &&
      (strcmp(command, "help") == 0 || parsed.values[OPT_HELP].number)) {
    if (parsed.kata != NULL)
      kata_usage(stdout, parsed.kata);
    else
      usage(stdout);
  } else if (status == 0) {
    command_options_t options;
    fill_options(&parsed, command, &options);
    if (!options.seed_given)
      options.seed = strcmp(command, "mutants") == 0 ? 1 : fresh_seed();
    if (strcmp(command, "list") == 0 && options.impl != NULL &&
        options.kata == NULL) {
      fprintf(stderr, "sdkata list: --impl needs a kata: sdkata list KATA "
                      "--impl SPEC\n");
      status = 2;
    } else {
      status = run_command(command, &options, &parsed);
    }
  }
  free(parsed.kata_values);
  return status;
}
