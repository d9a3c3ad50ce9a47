/* main.c - the sdkata command line: parses options and runs a command. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "proc.h"
#include "registry.h"

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
          "                (HTTP; RESP2 for lru_cache: redis-cli works) "
          "until Ctrl-C\n"
          "  httpload      load an HTTP server on 127.0.0.1:PORT and print "
          "req/s and latency\n"
          "options:\n"
          "  --impl SPEC   solution (default), reference, naive, a "
          "reference's or mutant's name, or a .c/.so path\n"
          "  --stage N     run only stage N\n"
          "  --seed N      replay a run (default: a new seed, printed)\n"
          "  --json FILE   also write the results as JSON\n"
          "  --no-load     stages only\n"
          "  --threads N --rounds N --seconds S --keys N --dist D --rate R\n"
          "                load: threads, interleaved rounds, seconds per "
          "round, key count,\n"
          "                uniform | zipf[:theta] | hotspot[:frac:share], "
          "open-loop ops/s (0: closed)\n"
          "  --only NAME   mutants: just this one\n"
          "  --baseline    mutants: the naive baseline instead, which its "
          "files say\n"
          "                a stage must reject (sdkata-expect: stage N)\n"
          "  --port N      serve: the port (default: the kata's, 8080 for "
          "HTTP,\n"
          "                6380 for RESP; 0 picks a free one)\n"
          "  --algorithm NAME --limit N --window SECONDS      (rate_limiter)\n"
          "  --algorithm redis [--redis HOST:PORT] [--fail-open 0|1]\n"
          "  --max-entries N --max-bytes N --policy lru|own   (lru_cache)\n"
          "                serve: passed on to the kata as name=value "
          "(defaults: its own)\n"
          "  --connections N --warmup S --path /P --header 'Name: value'\n"
          "  --key-header NAME\n"
          "                httpload: keep-alive connections (default 50), "
          "warm-up (default 1 s),\n"
          "                path (default /), a header sent every time, a "
          "header naming one of\n"
          "                --keys keys per request; with --port, --threads, "
          "--seconds, --rate, --json\n"
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

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *command = argv[1];
  if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
      strcmp(command, "help") == 0) {
    usage(stdout);
    return 0;
  }
  command_options_t options = {
      .command = command,
      .threads = 2,
      .rounds = 3,
      .seconds = 1.0,
      .key_count = COMMAND_KEYS_UNSET,
      .distribution = "zipf",
      .workload = -1,
      .sanitize = SDKATA_SANITIZED,
      .port = COMMAND_PORT_UNSET,
      .connections = 50,
      .warmup_seconds = 1.0,
      .path = "/",
  };
  /* serve: the kata's own options, passed on as "name=value" words. */
  char serve_options[512] = "";
  size_t serve_length = 0;
  enum {
    OPT_NO_LOAD = 256,
    OPT_SERVE_OPTION,
    OPT_CONNECTIONS,
    OPT_WARMUP,
    OPT_PATH,
    OPT_HEADER,
    OPT_KEY_HEADER
  };
  static const struct option long_options[] = {
      {"impl", required_argument, NULL, 'i'},
      {"stage", required_argument, NULL, 's'},
      {"seed", required_argument, NULL, 'S'},
      {"json", required_argument, NULL, 'j'},
      {"no-load", no_argument, NULL, OPT_NO_LOAD},
      {"threads", required_argument, NULL, 't'},
      {"rounds", required_argument, NULL, 'r'},
      {"seconds", required_argument, NULL, 'd'},
      {"keys", required_argument, NULL, 'k'},
      {"dist", required_argument, NULL, 'D'},
      {"rate", required_argument, NULL, 'R'},
      {"only", required_argument, NULL, 'o'},
      {"baseline", no_argument, NULL, 'B'},
      {"workload", required_argument, NULL, 'w'},
      {"subject", required_argument, NULL, 'u'},
      {"port", required_argument, NULL, 'p'},
      {"algorithm", required_argument, NULL, OPT_SERVE_OPTION},
      {"limit", required_argument, NULL, OPT_SERVE_OPTION},
      {"window", required_argument, NULL, OPT_SERVE_OPTION},
      {"redis", required_argument, NULL, OPT_SERVE_OPTION},
      {"fail-open", required_argument, NULL, OPT_SERVE_OPTION},
      {"max-entries", required_argument, NULL, OPT_SERVE_OPTION},
      {"max-bytes", required_argument, NULL, OPT_SERVE_OPTION},
      {"policy", required_argument, NULL, OPT_SERVE_OPTION},
      {"connections", required_argument, NULL, OPT_CONNECTIONS},
      {"warmup", required_argument, NULL, OPT_WARMUP},
      {"path", required_argument, NULL, OPT_PATH},
      {"header", required_argument, NULL, OPT_HEADER},
      {"key-header", required_argument, NULL, OPT_KEY_HEADER},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  optind = 2;
  int option, index;
  while ((option = getopt_long(argc, argv, "h", long_options, &index)) != -1) {
    switch (option) {
    case 'i': options.impl = *optarg ? optarg : NULL; break;
    case 's': options.stage = atoi(optarg); break;
    case 'S':
      if (*optarg) {
        options.seed = strtoull(optarg, NULL, 10);
        options.seed_given = 1;
      }
      break;
    case 'j': options.json_path = *optarg ? optarg : NULL; break;
    case OPT_NO_LOAD: options.no_load = 1; break;
    case 't': options.threads = (unsigned)atoi(optarg); break;
    case 'r': options.rounds = (unsigned)atoi(optarg); break;
    case 'd': options.seconds = atof(optarg); break;
    case 'k': options.key_count = strtoull(optarg, NULL, 10); break;
    case 'D': options.distribution = optarg; break;
    case 'R': options.rate = strtoull(optarg, NULL, 10); break;
    case 'o': options.only = optarg; break;
    case 'B': options.baseline = 1; break;
    case 'w': options.workload = atoi(optarg); break;
    case 'u':
      if (options.subject_count < 8)
        options.subjects[options.subject_count++] = optarg;
      break;
    case 'p': {
      char *end;
      long port = strtol(optarg, &end, 10);
      options.port =
          *optarg && !*end && port >= 0 && port <= 65535 ? (int)port : -1;
      break;
    }
    case OPT_SERVE_OPTION:
      if (serve_length < sizeof serve_options)
        serve_length += (size_t)snprintf(serve_options + serve_length,
                                         sizeof serve_options - serve_length,
                                         "%s%s=%s", serve_length ? " " : "",
                                         long_options[index].name, optarg);
      options.serve_options = serve_options;
      break;
    case OPT_CONNECTIONS: options.connections = (unsigned)atoi(optarg); break;
    case OPT_WARMUP: options.warmup_seconds = atof(optarg); break;
    case OPT_PATH: options.path = optarg; break;
    case OPT_HEADER: options.header = *optarg ? optarg : NULL; break;
    case OPT_KEY_HEADER: options.key_header = *optarg ? optarg : NULL; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (!options.seed_given)
    options.seed = strcmp(command, "mutants") == 0 ? 1 : fresh_seed();
  if (strcmp(command, "httpload") == 0) {
    if (options.key_count == COMMAND_KEYS_UNSET)
      options.key_count = COMMAND_DEFAULT_KEYS;
    return command_httpload(&options);
  }
  if (strcmp(command, "list") == 0 && optind >= argc) {
    proc_forward_interrupts();
    if (options.impl != NULL) {
      fprintf(stderr, "sdkata list: --impl needs a kata: sdkata list KATA "
                      "--impl SPEC\n");
      return 2;
    }
    return command_list(&options);
  }
  if (optind >= argc) {
    fprintf(stderr, "sdkata %s: which kata? (sdkata list shows them)\n",
            command);
    return 2;
  }
  options.kata = find_kata(argv[optind]);
  if (options.kata == NULL) {
    fprintf(stderr, "sdkata: no kata named \"%s\" (sdkata list shows them)\n",
            argv[optind]);
    return 2;
  }
  if (options.key_count == COMMAND_KEYS_UNSET)
    options.key_count =
        strcmp(command, "check") == 0 && options.kata->check_keys != 0
            ? options.kata->check_keys
            : COMMAND_DEFAULT_KEYS;
  if (options.threads == 0 || options.rounds == 0 || options.seconds <= 0 ||
      options.key_count == 0) {
    fprintf(stderr, "sdkata: threads, rounds, seconds and keys must be > 0\n");
    return 2;
  }
  /* A Ctrl-C during a stage or a load ends its processes too. */
  if (strcmp(command, "serve") != 0)
    proc_forward_interrupts();
  if (strcmp(command, "list") == 0)
    return command_list(&options);
  if (strcmp(command, "check") == 0)
    return command_check(&options);
  if (strcmp(command, "bench") == 0) {
    if (options.rounds == 3 && options.seconds == 1.0) {
      options.rounds = 5;
      options.seconds = 3.0;
    }
    return command_bench(&options);
  }
  if (strcmp(command, "mutants") == 0)
    return command_mutants(&options);
  if (strcmp(command, "serve") == 0)
    return command_serve(&options);
  if (strcmp(command, "load-child") == 0)
    return command_load_child(&options);
  usage(stderr);
  return 2;
}
