/* commands.c - what each sdkata command does: check, bench, list, mutants,
 * and the load child that runs implementations where a crash is contained. */
#include "commands.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "impl.h"
#include "loadgen.h"
#include "outcome.h"
#include "proc.h"
#include "progress.h"
#include "report.h"
#include "stages.h"

#define MAX_STAGES 32
#define MAX_SUBJECTS 8
/* A load child that runs this much longer than planned is stuck. */
#define LOAD_GRACE_MS 60000

/* The outcome of running a kata's stages against one implementation. */
typedef struct stage_run {
  stage_result_t results[MAX_STAGES];
  int first_failed; /* stage index, or -1 */
  int passed;
} stage_run_t;

static void stage_runner_path(const kata_t *kata, char *buf, size_t size) {
  snprintf(buf, size, "%s/katas/%s/stages", SDKATA_BUILD_DIR, kata->name);
}

/* The command that replays one stage exactly as it ran. */
static void replay_command(const command_options_t *options, int stage,
                           char *buf, size_t size) {
  int length =
      snprintf(buf, size, "make kata=%s check stage=%d seed=%llu",
               options->kata->name, stage, (unsigned long long)options->seed);
  if (options->impl != NULL && length < (int)size)
    length += snprintf(buf + length, size - (size_t)length, " impl=%s",
                       options->impl);
  if (options->sanitize && length < (int)size)
    snprintf(buf + length, size - (size_t)length, " sanitize=1");
}

/* Runs one stage against every plug-in of set and merges the verdicts;
 * replay is the command that replays it, for the suites' messages. */
static void run_stage_on_set(const command_options_t *options,
                             const impl_set_t *set, const kata_stage_t *stage,
                             const char *replay, stage_result_t *merged) {
  char runner[PATH_MAX], work_dir[PATH_MAX];
  stage_runner_path(options->kata, runner, sizeof runner);
  memset(merged, 0, sizeof *merged);
  merged->status = STAGE_NOT_ATTEMPTED;
  stage_result_t failed; /* a contest's failures, kept aside */
  memset(&failed, 0, sizeof failed);
  failed.status = STAGE_NOT_ATTEMPTED;
  for (size_t i = 0; i < set->count; i++) {
    /* The pid keeps two sdkata runs of one implementation apart. */
    snprintf(work_dir, sizeof work_dir, "%s/runs/%s/%s-%ld-%zu",
             SDKATA_BUILD_DIR, options->kata->name, set->name, (long)getpid(),
             i);
    /* In a set, each plug-in's facts say whose they are. */
    char label[NAME_MAX + 1];
    stage_run_options_t run_options = {
        runner,
        work_dir,
        options->seed,
        options->sanitize,
        set->count > 1 ? impl_stem(set->paths[i], label, sizeof label) : NULL,
        replay};
    stage_result_t result;
    stages_run(&run_options, stage, set->paths[i], &result);
    if (stage->one_of_set_suffices && result.status == STAGE_FAILED)
      stage_result_merge(&failed, &result);
    else
      stage_result_merge(merged, &result);
    rmdir(work_dir); /* kept, with its log, when the runner failed */
  }
  if (merged->status != STAGE_PASSED)
    stage_result_merge(merged, &failed);
  else
    stage_result_free(&failed);
}

/* Runs the stages in order (or only options->stage), printing each line
 * when out is not NULL; the first failure stops the run. */
static void run_stages(const command_options_t *options, const impl_set_t *set,
                       FILE *out, stage_run_t *run) {
  const kata_t *kata = options->kata;
  int colors = out ? report_use_colors(out) : 0;
  memset(run, 0, sizeof *run);
  run->first_failed = -1;
  for (size_t i = 0; i < kata->stage_count && i < MAX_STAGES; i++) {
    const kata_stage_t *stage = &kata->stages[i];
    stage_result_t *result = &run->results[i];
    if (options->stage != 0 && options->stage != stage->number) {
      result->status = STAGE_NOT_RUN;
      continue;
    }
    char replay[512];
    replay_command(options, stage->number, replay, sizeof replay);
    if (run->first_failed >= 0) {
      result->status = STAGE_NOT_RUN;
    } else {
      /* A stage can take seconds (a hang takes its timeout): say which one
       * runs, on the terminal only, and clear it when its verdict prints. */
      int show_running = out != NULL && isatty(STDERR_FILENO);
      if (show_running)
        fprintf(stderr, "  stage %d  %s ... running", stage->number,
                stage->title);
      run_stage_on_set(options, set, stage, replay, result);
      if (show_running)
        fputs("\r\033[K", stderr);
      if (result->status == STAGE_FAILED)
        run->first_failed = (int)i;
      if (result->status == STAGE_PASSED)
        run->passed++;
    }
    if (out != NULL) {
      report_stage(out, colors, stage, result, replay);
      fflush(out);
    }
  }
}

static void free_stage_run(const kata_t *kata, stage_run_t *run) {
  for (size_t i = 0; i < kata->stage_count && i < MAX_STAGES; i++)
    stage_result_free(&run->results[i]);
}

/* Appends "label=path,path" for set to subjects. */
static char *subject_argument(const char *label, const impl_set_t *set) {
  size_t length = strlen(label) + 2;
  for (size_t i = 0; i < set->count; i++)
    length += strlen(set->paths[i]) + 1;
  char *text = malloc(length);
  if (text == NULL)
    return NULL;
  strcpy(text, label);
  strcat(text, "=");
  for (size_t i = 0; i < set->count; i++) {
    if (i > 0)
      strcat(text, ",");
    strcat(text, set->paths[i]);
  }
  return text;
}

/* Runs the load for workload in a child process (a crash under load is the
 * child's, not ours) and prints its table, or says why it could not. */
static void run_load(const command_options_t *options, const impl_set_t *mine,
                     size_t workload_index, cJSON *json_loads) {
  const kata_t *kata = options->kata;
  impl_set_t reference, naive;
  int is_reference = strcmp(mine->name, "reference") == 0;
  if (impl_resolve(kata, "reference", 0, &reference) != 0)
    return;
  if (impl_resolve(kata, "naive", 0, &naive) != 0) {
    impl_free(&reference);
    return;
  }
  char json_path[PATH_MAX + 32];
  snprintf(json_path, sizeof json_path, "%s/runs/%s/load-%ld.json",
           SDKATA_BUILD_DIR, kata->name, (long)getpid());
  char workload[16], threads[16], rounds[16], seconds[32], rate[32], keys[32],
      seed[32];
  snprintf(workload, sizeof workload, "%zu", workload_index);
  snprintf(threads, sizeof threads, "%u", options->threads);
  snprintf(rounds, sizeof rounds, "%u", options->rounds);
  snprintf(seconds, sizeof seconds, "%g", options->seconds);
  snprintf(rate, sizeof rate, "%llu", (unsigned long long)options->rate);
  snprintf(keys, sizeof keys, "%llu", (unsigned long long)options->key_count);
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)options->seed);
  char *subjects[3];
  int subject_count = 0;
  if (!is_reference)
    subjects[subject_count++] = subject_argument(mine->name, mine);
  subjects[subject_count++] = subject_argument("reference", &reference);
  subjects[subject_count++] = subject_argument("naive", &naive);
  char *argv[40] = {"/proc/self/exe",
                    "load-child",
                    (char *)kata->name,
                    "--workload",
                    workload,
                    "--threads",
                    threads,
                    "--rounds",
                    rounds,
                    "--seconds",
                    seconds,
                    "--rate",
                    rate,
                    "--keys",
                    keys,
                    "--dist",
                    (char *)options->distribution,
                    "--seed",
                    seed,
                    "--json",
                    json_path};
  int argc = 21;
  for (int i = 0; i < subject_count; i++) {
    argv[argc++] = "--subject";
    argv[argc++] = subjects[i];
  }
  argv[argc] = NULL;
  remove(json_path);
  uint64_t planned_ms = (uint64_t)(options->seconds * 1000) * options->rounds *
                        (uint64_t)subject_count;
  proc_result_t result;
  int rc = proc_run(argv, NULL, NULL, planned_ms + LOAD_GRACE_MS, &result);
  for (int i = 0; i < subject_count; i++)
    free(subjects[i]);
  impl_free(&reference);
  impl_free(&naive);

  char *text = rc == 0 ? proc_read_file(json_path) : NULL;
  remove(json_path);
  cJSON *load = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (load == NULL || result.term_signal != 0 || result.timed_out) {
    printf("load · %s: the load run %s", kata->workloads[workload_index].title,
           result.timed_out ? "did not finish in time (a deadlock or an "
                              "infinite loop under load?)"
                            : "ended early");
    if (result.term_signal != 0)
      printf(", killed by %s: an implementation crashed under load where "
             "the stages did not (each check draws a new seed: run it "
             "again)",
             strsignal(result.term_signal));
    printf("\n");
    cJSON_Delete(load);
    return;
  }
  report_load_row_t rows[MAX_SUBJECTS];
  int count = report_rows_from_json(cJSON_GetObjectItem(load, "rows"), rows,
                                    MAX_SUBJECTS);
  report_load_title_t title = {
      .workload = kata->workloads[workload_index].title,
      .threads = options->threads,
      .rounds = options->rounds,
      .seconds = options->seconds,
      .rate = options->rate,
      .span_title = kata->workloads[workload_index].span_title,
  };
  const char *keys_text =
      cJSON_GetStringValue(cJSON_GetObjectItem(load, "keys"));
  snprintf(title.keys, sizeof title.keys, "%s", keys_text ? keys_text : "?");
  int reference_index = -1;
  for (int i = 0; i < count; i++)
    if (strcmp(rows[i].label, "reference") == 0)
      reference_index = i;
  report_load_table(stdout, report_use_colors(stdout), &title, rows,
                    count > 0 ? (size_t)count : 0, reference_index);
  printf("  (replay: make kata=%s %s seed=%llu%s%s threads=%u rounds=%u "
         "seconds=%g keys=%llu dist=%s rate=%llu)\n",
         kata->name, options->command, (unsigned long long)options->seed,
         options->impl ? " impl=" : "", options->impl ? options->impl : "",
         options->threads, options->rounds, options->seconds,
         (unsigned long long)options->key_count, options->distribution,
         (unsigned long long)options->rate);
  cJSON_AddStringToObject(load, "workload", title.workload);
  cJSON_AddItemToArray(json_loads, load);
}

/* The workloads to load: those whose stage passed, the last one only unless
 * all is set. Returns how many were written to indexes. */
static size_t pick_workloads(const kata_t *kata, const stage_run_t *run,
                             int all, size_t *indexes) {
  size_t count = 0;
  for (size_t w = 0; w < kata->workload_count; w++) {
    int stage = kata->workloads[w].stage;
    if (stage < 1 || (size_t)stage > kata->stage_count ||
        run->results[stage - 1].status != STAGE_PASSED)
      continue;
    if (all || count == 0)
      indexes[count++] = w;
    else
      indexes[0] = w;
  }
  return count;
}

static void write_json(const command_options_t *options, const impl_set_t *set,
                       const stage_run_t *run, const outcome_t *outcome,
                       cJSON *loads) {
  if (options->json_path == NULL) {
    cJSON_Delete(loads);
    return;
  }
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "kata", options->kata->name);
  cJSON_AddStringToObject(root, "impl", set->name);
  cJSON_AddStringToObject(root, "source", set->source ? set->source : "");
  cJSON_AddNumberToObject(root, "seed", (double)options->seed);
  cJSON_AddStringToObject(root, "outcome", outcome->word);
  cJSON_AddNumberToObject(root, "exit_code", outcome->code);
  cJSON_AddStringToObject(root, "summary", outcome->summary);
  cJSON *stages = cJSON_AddArrayToObject(root, "stages");
  for (size_t i = 0; i < options->kata->stage_count && i < MAX_STAGES; i++)
    cJSON_AddItemToArray(
        stages, report_stage_json(&options->kata->stages[i], &run->results[i]));
  cJSON_AddItemToObject(root, "loads", loads);
  char *text = cJSON_Print(root);
  FILE *file = fopen(options->json_path, "w");
  if (file != NULL && text != NULL) {
    fputs(text, file);
    fputc('\n', file);
  }
  if (file != NULL)
    fclose(file);
  else
    fprintf(stderr, "could not write %s: %s\n", options->json_path,
            strerror(errno));
  free(text);
  cJSON_Delete(root);
}

/* path relative to the source tree when it lies inside it, as a learner
 * would type it. */
static const char *shown_path(const char *path) {
  size_t length = strlen(SDKATA_SOURCE_DIR);
  if (strncmp(path, SDKATA_SOURCE_DIR, length) == 0 && path[length] == '/')
    return path + length + 1;
  return path;
}

/* check and bench: stages, then load (bench: every passing workload), then
 * the closing line. The exit code follows the stages alone: the load
 * measures, it does not judge. */
static int check_or_bench(command_options_t *options, int bench) {
  const kata_t *kata = options->kata;
  impl_set_t set;
  if (impl_resolve(kata, options->impl, options->sanitize, &set) != 0)
    return OUTCOME_USAGE;
  printf("sdkata · %s · %s%s\n", kata->name, shown_path(set.source),
         options->sanitize ? " · AddressSanitizer + UBSan" : "");
  fflush(stdout);
  stage_run_t run;
  run_stages(options, &set, stdout, &run);
  outcome_t outcome;
  outcome_judge(kata, run.results, options->stage, &outcome);
  cJSON *loads = cJSON_CreateArray();
  if (outcome.code != OUTCOME_FAILED && run.passed > 0 && !options->no_load &&
      options->stage == 0 && !options->sanitize) {
    size_t indexes[MAX_STAGES];
    size_t count = pick_workloads(kata, &run, bench, indexes);
    for (size_t i = 0; i < count; i++)
      run_load(options, &set, indexes[i], loads);
  }
  printf("\n%s\n", outcome.summary);
  write_json(options, &set, &run, &outcome, loads);
  free_stage_run(kata, &run);
  impl_free(&set);
  return outcome.code;
}

int command_check(command_options_t *options) {
  return check_or_bench(options, 0);
}

int command_bench(command_options_t *options) {
  return check_or_bench(options, 1);
}

/* One kata's stages and how far the implementation options name gets. */
static void list_kata(command_options_t *options, const kata_t *kata) {
  printf("%s - %s\n", kata->name, kata->title);
  options->kata = kata;
  impl_set_t set;
  stage_run_t run;
  int built = impl_resolve(kata, options->impl, options->sanitize, &set) == 0;
  if (built)
    run_stages(options, &set, NULL, &run);
  for (size_t i = 0; i < kata->stage_count; i++) {
    const char *progress = "does not compile";
    if (built) {
      switch (run.results[i].status) {
      case STAGE_PASSED: progress = "passes"; break;
      case STAGE_FAILED: progress = "FAILS"; break;
      case STAGE_NOT_ATTEMPTED: progress = "not attempted"; break;
      case STAGE_NOT_RUN: progress = "not run (an earlier stage failed)"; break;
      }
    }
    printf("  stage %d  %-24s %s\n", kata->stages[i].number,
           kata->stages[i].title, progress);
  }
  if (built) {
    printf("  %s passes %d of %zu stages\n", shown_path(set.source), run.passed,
           kata->stage_count);
    free_stage_run(kata, &run);
    impl_free(&set);
  }
}

int command_list(command_options_t *options) {
  extern const kata_t *const registry_katas[];
  if (options->kata != NULL) {
    list_kata(options, options->kata);
    return 0;
  }
  for (size_t k = 0; registry_katas[k] != NULL; k++)
    list_kata(options, registry_katas[k]);
  return 0;
}

/* The stage the source file at path declares must reject it first
 * ("sdkata-expect: stage N"), or -1. */
static int declared_stage(const char *path) {
  char *text = proc_read_file(path);
  if (text == NULL)
    return -1;
  const char *mark = strstr(text, "sdkata-expect: stage ");
  int stage = -1;
  if (mark != NULL) {
    char *end;
    long number = strtol(mark + strlen("sdkata-expect: stage "), &end, 10);
    if (number > 0 && number <= MAX_STAGES &&
        end != mark + strlen("sdkata-expect: stage "))
      stage = (int)number;
  }
  free(text);
  return stage;
}

/* The stage mutant name declares, or -1. */
static int mutant_stage(const kata_t *kata, const char *name) {
  char kata_dir[PATH_MAX], path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/tests/mutants/%s.c",
               impl_kata_dir(kata, kata_dir, sizeof kata_dir),
               name) >= (int)sizeof path)
    return -1;
  return declared_stage(path);
}

/* The earliest stage any of the baseline's files declares, or -1: a
 * baseline that some stage is meant to catch (too slow, or racy) says so. */
static int baseline_stage(const kata_t *kata) {
  char kata_dir[PATH_MAX], dir[PATH_MAX], path[PATH_MAX * 2];
  snprintf(dir, sizeof dir, "%s/baseline",
           impl_kata_dir(kata, kata_dir, sizeof kata_dir));
  DIR *listing = opendir(dir);
  int earliest = -1;
  struct dirent *entry;
  while (listing != NULL && (entry = readdir(listing)) != NULL) {
    size_t length = strlen(entry->d_name);
    if (length < 3 || strcmp(entry->d_name + length - 2, ".c") != 0)
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    int stage = declared_stage(path);
    if (stage > 0 && (earliest < 0 || stage < earliest))
      earliest = stage;
  }
  if (listing != NULL)
    closedir(listing);
  return earliest;
}

int command_mutants(command_options_t *options) {
  const kata_t *kata = options->kata;
  char dir[PATH_MAX];
  impl_plugin_dir(kata, "mutant", dir, sizeof dir);
  char names[IMPL_MAX_PLUGINS * 2][NAME_MAX + 1];
  size_t count = 0;
  if (options->baseline) {
    snprintf(names[count++], sizeof names[0], "naive");
  } else {
    DIR *listing = opendir(dir);
    struct dirent *entry;
    while (listing != NULL && (entry = readdir(listing)) != NULL &&
           count < sizeof names / sizeof *names) {
      size_t length = strlen(entry->d_name);
      if (length < 4 || strcmp(entry->d_name + length - 3, ".so") != 0)
        continue;
      snprintf(names[count], sizeof names[count], "%.*s", (int)(length - 3),
               entry->d_name);
      if (options->only == NULL || strcmp(options->only, names[count]) == 0)
        count++;
    }
    if (listing != NULL)
      closedir(listing);
  }
  if (count == 0) {
    fprintf(stderr, "no mutant%s%s in %s\n", options->only ? " named " : "",
            options->only ? options->only : "", dir);
    return 2;
  }
  int failures = 0;
  for (size_t m = 0; m < count; m++) {
    int expected =
        options->baseline ? baseline_stage(kata) : mutant_stage(kata, names[m]);
    impl_set_t set;
    options->impl = names[m];
    if (impl_resolve(kata, names[m], 0, &set) != 0)
      return 2;
    stage_run_t run;
    run_stages(options, &set, NULL, &run);
    int caught =
        run.first_failed >= 0 ? kata->stages[run.first_failed].number : -1;
    int ok = expected > 0 && caught == expected &&
             !run.results[run.first_failed].runner_broken;
    failures += !ok;
    printf("%-36s expected stage %d, ", names[m], expected);
    if (caught < 0) {
      printf("NOT CAUGHT: every stage passed - the suites miss this bug\n");
    } else {
      const stage_result_t *result = &run.results[run.first_failed];
      const char *message = result->failures[0].message;
      const char *end = strchr(message, '\n');
      printf("caught by stage %d %s\n    %s\n    %.*s\n", caught,
             ok ? "(ok)" : "(WRONG STAGE)", result->failures[0].test,
             (int)(end ? end - message : (long)strlen(message)), message);
    }
    free_stage_run(kata, &run);
    impl_free(&set);
  }
  printf("%zu %s, %d not caught by their stage (seed %llu)\n", count,
         options->baseline ? "baseline" : "mutants", failures,
         (unsigned long long)options->seed);
  return failures ? 1 : 0;
}

/* Opens the plug-ins of "label=path,path" and picks the first whose
 * workload instance can be created. Returns 0 or -ENOSYS. */
static int open_subject(const kata_workload_t *workload, void *context,
                        const char *text, plugin_t *plugin, char *label,
                        size_t label_size) {
  const char *equals = strchr(text, '=');
  if (equals == NULL)
    return -EINVAL;
  snprintf(label, label_size, "%.*s", (int)(equals - text), text);
  char *paths = strdup(equals + 1);
  int rc = -ENOSYS;
  for (char *save = NULL, *path = strtok_r(paths, ",", &save);
       path != NULL && rc != 0; path = strtok_r(NULL, ",", &save)) {
    const char *why;
    if (plugin_open(plugin, path, label, &why) != 0)
      continue;
    void *instance;
    if (workload->create(plugin, context, &instance) == 0) {
      workload->destroy(instance);
      rc = 0;
    } else {
      plugin_close(plugin);
    }
  }
  free(paths);
  return rc;
}

int command_load_child(command_options_t *options) {
  const kata_t *kata = options->kata;
  if (options->workload < 0 ||
      (size_t)options->workload >= kata->workload_count)
    return 2;
  const kata_workload_t *workload = &kata->workloads[options->workload];
  keydist_params_t keys = {.key_count = options->key_count, .theta = 0.99};
  if (keydist_parse(&keys, options->distribution) != 0) {
    fprintf(stderr, "dist=%s: not a key distribution\n", options->distribution);
    return 2;
  }
  keys.key_count = options->key_count;
  void *context = NULL;
  if (workload->open != NULL) {
    int rc = workload->open(&context);
    if (rc != 0) {
      fprintf(stderr, "load · %s: could not open what the load shares: %s\n",
              workload->title, strerror(-rc));
      return 2;
    }
  }
  plugin_t plugins[MAX_SUBJECTS];
  char labels[MAX_SUBJECTS][64];
  loadgen_subject_t subjects[MAX_SUBJECTS];
  memset(subjects, 0, sizeof subjects);
  size_t count = 0;
  for (int i = 0; i < options->subject_count && count < MAX_SUBJECTS; i++) {
    if (open_subject(workload, context, options->subjects[i], &plugins[count],
                     labels[count], sizeof labels[count]) != 0)
      continue;
    subjects[count].label = labels[count];
    subjects[count].workload = workload;
    subjects[count].plugin = &plugins[count];
    count++;
  }
  if (kata->prepare_keys(options->key_count) != 0) {
    for (size_t i = 0; i < count; i++)
      plugin_close(&plugins[i]);
    if (workload->close != NULL)
      workload->close(context);
    return 2;
  }
  progress_t progress;
  progress_start(&progress);
  loadgen_config_t config = {
      .threads = options->threads,
      .rounds = options->rounds,
      .seconds = options->seconds,
      .rate = options->rate,
      .keys = keys,
      .seed = options->seed,
      .context = context,
      .progress = progress_update,
      .progress_context = &progress,
  };
  int rc = loadgen_run(&config, subjects, count);
  progress_finish(&progress);
  kata->release_keys();
  report_load_row_t rows[MAX_SUBJECTS];
  for (size_t i = 0; i < count; i++)
    report_row_from_subject(&rows[i], &subjects[i], options->rounds,
                            keys.key_count);
  cJSON *root = cJSON_CreateObject();
  char description[64];
  cJSON_AddStringToObject(
      root, "keys", keydist_describe(&keys, description, sizeof description));
  cJSON_AddNumberToObject(root, "threads", options->threads);
  cJSON_AddNumberToObject(root, "rounds", options->rounds);
  cJSON_AddNumberToObject(root, "seconds", options->seconds);
  cJSON_AddNumberToObject(root, "rate", (double)options->rate);
  cJSON_AddItemToObject(root, "rows", report_rows_json(rows, count));
  char *text = cJSON_Print(root);
  FILE *file = fopen(options->json_path, "w");
  if (file != NULL) {
    fputs(text, file);
    fclose(file);
  }
  free(text);
  cJSON_Delete(root);
  for (size_t i = 0; i < count; i++)
    plugin_close(&plugins[i]);
  if (workload->close != NULL)
    workload->close(context);
  return rc == 0 && file != NULL ? 0 : 1;
}
