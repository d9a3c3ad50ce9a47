/* redis_server.c - a private, throw-away redis-server on 127.0.0.1 for tests.
 */
#include "redis_server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"

#define READY_TIMEOUT_NS 5000000000ull /* until it must answer PING */
#define STOP_TIMEOUT_NS 2000000000ull  /* from SIGTERM to SIGKILL */
#define PING_TIMEOUT_MS 500            /* one PING's send and receive */
#define PORT_ATTEMPTS 5                /* fresh ports tried by a start */
#define LOG_TAIL_LINES 5               /* log lines quoted in a failure */
#define LOG_NAME "redis.log"

extern char **environ;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void set_message(redis_server_t *server, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void set_message(redis_server_t *server, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(server->message, sizeof server->message, format, args);
  va_end(args);
}

/* Appends the log's last LOG_TAIL_LINES lines to the message, so a failure
 * says what redis-server itself said. */
static void append_log_tail(redis_server_t *server) {
  char path[PATH_MAX + sizeof LOG_NAME + 1];
  snprintf(path, sizeof path, "%s/%s", server->dir, LOG_NAME);
  char *log = proc_read_file(path);
  size_t used = strlen(server->message);
  char *out = server->message + used;
  size_t room = sizeof server->message - used;
  if (log == NULL || log[0] == '\0') {
    snprintf(out, room, "; its log (%s) is empty", path);
    free(log);
    return;
  }
  size_t end = strlen(log);
  while (end > 0 && log[end - 1] == '\n')
    end--;
  size_t start = end;
  for (int lines = 0; start > 0; start--)
    if (log[start - 1] == '\n' && ++lines == LOG_TAIL_LINES)
      break;
  snprintf(out, room, "; its log (%s) ends:\n%.*s", path, (int)(end - start),
           log + start);
  free(log);
}

/* Finds redis-server on PATH before forking, so a missing package is
 * reported as such and the child only has to execve. */
static int find_binary(char *out, size_t size) {
  const char *path = getenv("PATH");
  if (path == NULL)
    path = "/usr/local/bin:/usr/bin:/bin";
  while (*path != '\0') {
    size_t length = strcspn(path, ":");
    int n = snprintf(out, size, "%.*s/redis-server", (int)length, path);
    if (length > 0 && n > 0 && (size_t)n < size && access(out, X_OK) == 0)
      return 0;
    path += length;
    if (*path == ':')
      path++;
  }
  return -ENOENT;
}

/* A port that is free on 127.0.0.1 now: the kernel's pick for port 0. It
 * can be taken again before redis-server binds it; start retries then. */
static int pick_port(int *port) {
  for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return -errno;
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof addr;
    int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    if (rc == 0)
      rc = getsockname(fd, (struct sockaddr *)&addr, &length);
    int err = rc == 0 ? 0 : errno;
    close(fd);
    if (err == 0) {
      *port = ntohs(addr.sin_port);
      return 0;
    }
    if (err != EADDRINUSE)
      return -err;
  }
  return -EADDRINUSE;
}

/* Removes the directory fd's entries, depth first. */
static int remove_entries(int dir_fd) {
  DIR *dir = fdopendir(dir_fd);
  if (dir == NULL) {
    close(dir_fd);
    return -errno;
  }
  int rc = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    const char *name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    if (unlinkat(dirfd(dir), name, 0) == 0)
      continue;
    if (errno != EISDIR) {
      rc = -errno;
      continue;
    }
    int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int child_rc = child < 0 ? -errno : remove_entries(child);
    if (child_rc == 0 && unlinkat(dirfd(dir), name, AT_REMOVEDIR) != 0)
      child_rc = -errno;
    if (child_rc != 0)
      rc = child_rc;
  }
  closedir(dir);
  return rc;
}

static int remove_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : -errno;
  int rc = remove_entries(fd);
  if (rc == 0 && rmdir(path) != 0)
    rc = -errno;
  return rc;
}

static int make_dir(redis_server_t *server) {
  const char *base = getenv("TMPDIR");
  if (base == NULL || base[0] == '\0')
    base = "/tmp";
  int n =
      snprintf(server->dir, sizeof server->dir, "%s/sdkata-redis-XXXXXX", base);
  if (n < 0 || (size_t)n >= sizeof server->dir) {
    server->dir[0] = '\0';
    set_message(server, "TMPDIR %s is too long for a directory name", base);
    return -ENAMETOOLONG;
  }
  if (mkdtemp(server->dir) == NULL) {
    int err = errno;
    set_message(server, "could not make a directory in %s: %s", base,
                strerror(err));
    server->dir[0] = '\0';
    return -err;
  }
  return 0;
}

/* fork + execve rather than uv_spawn: the child must not outlive the
 * caller, even when a test crashes or is killed, and only the child itself
 * can ask for that (PR_SET_PDEATHSIG), between fork and exec. Everything
 * the child needs is prepared here, so it makes async-signal-safe calls
 * only. An exec failure comes back through a close-on-exec pipe. */
static int spawn(redis_server_t *server, const char *binary) {
  char port[16], log_path[PATH_MAX + sizeof LOG_NAME + 1];
  snprintf(port, sizeof port, "%d", server->port);
  snprintf(log_path, sizeof log_path, "%s/%s", server->dir, LOG_NAME);
  /* clang-format off */
  char *const argv[] = {(char *)binary,
                        "--bind", "127.0.0.1",
                        "--port", port,
                        "--dir", server->dir,
                        "--save", "",
                        "--appendonly", "no",
                        "--daemonize", "no",
                        "--protected-mode", "yes",
                        NULL};
  /* clang-format on */
  int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int errors[2] = {-1, -1};
  if (log_fd < 0 || null_fd < 0 || pipe2(errors, O_CLOEXEC) != 0) {
    int err = errno;
    set_message(server, "could not prepare %s: %s", log_path, strerror(err));
    if (log_fd >= 0)
      close(log_fd);
    if (null_fd >= 0)
      close(null_fd);
    return -err;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    /* A parent that died before prctl would never send the signal. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(binary, argv, environ);
    int err = errno;
    ssize_t ignored = write(errors[1], &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  int err = pid < 0 ? errno : 0;
  close(errors[1]);
  close(log_fd);
  close(null_fd);
  if (pid > 0) {
    ssize_t got;
    do
      got = read(errors[0], &err, sizeof err);
    while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof err)
      waitpid(pid, NULL, 0);
    else
      err = 0;
  }
  close(errors[0]);
  if (err != 0) {
    set_message(server, "could not run %s: %s", binary, strerror(err));
    return -err;
  }
  server->pid = pid;
  return 0;
}

/* 0 when 127.0.0.1:port answers a PING with +PONG. */
static int ping(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  struct timeval timeout = {0, PING_TIMEOUT_MS * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct sockaddr_in local;
  socklen_t length = sizeof local;
  int rc = -ECONNREFUSED;
  /* While nothing listens, a connect whose ephemeral source port happens
   * to be port itself connects to itself and would read back its PING. */
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
      getsockname(fd, (struct sockaddr *)&local, &length) == 0 &&
      local.sin_port != addr.sin_port &&
      send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
    char reply[8];
    size_t got = 0;
    ssize_t n;
    while (got < 7 && (n = recv(fd, reply + got, 7 - got, 0)) > 0)
      got += (size_t)n;
    rc = got == 7 && memcmp(reply, "+PONG\r\n", 7) == 0 ? 0 : -EPROTO;
  }
  close(fd);
  return rc;
}

/* Waits until the child answers PING, exits, or READY_TIMEOUT_NS passes. */
static int wait_ready(redis_server_t *server) {
  uint64_t deadline = clock_monotonic_ns() + READY_TIMEOUT_NS;
  for (;;) {
    int status;
    if (waitpid(server->pid, &status, WNOHANG) == server->pid) {
      server->pid = 0;
      if (WIFSIGNALED(status))
        set_message(server,
                    "redis-server on port %d was killed by signal %d "
                    "before it answered PING",
                    server->port, WTERMSIG(status));
      else
        set_message(server,
                    "redis-server on port %d exited with status %d "
                    "before it answered PING",
                    server->port, WEXITSTATUS(status));
      append_log_tail(server);
      return -EIO;
    }
    if (ping(server->port) == 0)
      return 0;
    if (clock_monotonic_ns() >= deadline) {
      set_message(server,
                  "redis-server on port %d did not answer PING "
                  "within %llu s",
                  server->port, READY_TIMEOUT_NS / 1000000000ull);
      append_log_tail(server);
      return -ETIMEDOUT;
    }
    sleep_ms(10);
  }
}

/* One start on server->port (picked when 0): directory, child, PING. On
 * failure nothing is left running or on disk. */
static int start_once(redis_server_t *server, const char *binary) {
  server->message[0] = '\0';
  if (server->port == 0) {
    int rc = pick_port(&server->port);
    if (rc != 0) {
      set_message(server, "no free port on 127.0.0.1: %s", strerror(-rc));
      return rc;
    }
  }
  int rc = make_dir(server);
  if (rc == 0)
    rc = spawn(server, binary);
  if (rc == 0)
    rc = wait_ready(server);
  if (rc != 0) {
    char why[sizeof server->message];
    memcpy(why, server->message, sizeof why);
    redis_server_stop(server);
    memcpy(server->message, why, sizeof why);
  }
  return rc;
}

static int start_on(redis_server_t *server, int port) {
  char binary[PATH_MAX];
  if (find_binary(binary, sizeof binary) != 0) {
    set_message(server, "redis-server is not on PATH; install Debian's "
                        "redis-server package (scripts/deps.sh redis-server)");
    return -ENOENT;
  }
  if (port != 0) {
    server->port = port;
    return start_once(server, binary);
  }
  int rc = -EADDRINUSE;
  for (int attempt = 0; attempt < PORT_ATTEMPTS && rc == -EADDRINUSE;
       attempt++) {
    server->port = 0;
    rc = start_once(server, binary);
    /* Someone took the picked port before redis-server bound it. */
    if (rc == -EIO && strstr(server->message, "Address already in use"))
      rc = -EADDRINUSE;
  }
  return rc;
}

int redis_server_start(redis_server_t *server) {
  memset(server, 0, sizeof *server);
  return start_on(server, 0);
}

int redis_server_port(const redis_server_t *server) {
  return server->port;
}

int redis_server_stop(redis_server_t *server) {
  if (server->pid > 0) {
    kill(server->pid, SIGTERM);
    uint64_t deadline = clock_monotonic_ns() + STOP_TIMEOUT_NS;
    pid_t done;
    while ((done = waitpid(server->pid, NULL, WNOHANG)) == 0 &&
           clock_monotonic_ns() < deadline)
      sleep_ms(5);
    if (done == 0) {
      kill(server->pid, SIGKILL);
      while (waitpid(server->pid, NULL, 0) < 0 && errno == EINTR)
        continue;
    }
    server->pid = 0;
  }
  int rc = 0;
  if (server->dir[0] != '\0') {
    rc = remove_dir(server->dir);
    if (rc != 0)
      set_message(server, "could not remove %s: %s", server->dir,
                  strerror(-rc));
    server->dir[0] = '\0';
  }
  return rc;
}

int redis_server_restart(redis_server_t *server) {
  if (server->port == 0) {
    set_message(server, "restart of a redis-server that never started");
    return -EINVAL;
  }
  int port = server->port;
  int rc = redis_server_stop(server);
  if (rc != 0)
    return rc;
  return start_on(server, port);
}
