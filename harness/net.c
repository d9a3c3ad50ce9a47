/* net.c - a libuv TCP server: ordered replies (some of them deferred),
 * back-pressure, limits. */
#include "net.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NET_BACKLOG 511
/* How long a closing connection keeps draining the client's input, so the
 * kernel does not answer unread bytes with a reset that would destroy the
 * last response before the client reads it. */
#define NET_LINGER_MS 1000
/* Deferred answers one connection may wait for before the server stops
 * reading its requests (back-pressure, as for bytes). */
#define NET_MAX_DEFERRED 1024

/* A place in a connection's order of answers: filled at once (an answer
 * queued behind a deferred one) or later (net_reply_send). */
struct net_reply {
  net_conn_t *conn; /* NULL once the connection is gone */
  net_reply_t *next;
  int ready;
  size_t len;
  char *bytes;
};

struct net_conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_shutdown_t shutdown_req;
  net_server_t *server;
  net_conn_t *prev, *next;
  void *data;
  char *in; /* input the protocol has not consumed yet */
  size_t in_len, in_cap;
  size_t pending; /* bytes handed to uv_write and not yet written */
  int handles;    /* libuv handles still to close before freeing */
  int opened;     /* on_open succeeded, so on_close is owed */
  int paused;     /* reading stopped for back-pressure */
  int closing;    /* net_conn_close: flushing, then draining input */
  int shut;       /* the shutdown completed: lingering */
  int eof;        /* the client has finished sending */
  int dead;       /* uv_close called */
  /* Answers waiting for a deferred one before them, oldest first. */
  net_reply_t *replies, *replies_tail;
  size_t deferred;     /* of them, not filled yet */
  size_t queued_bytes; /* of them, filled */
  int close_pending;   /* net_conn_close waits for the deferred answers */
};

struct net_server {
  uv_loop_t *loop;
  uv_tcp_t listener;
  uv_async_t stop_async;
  uv_signal_t signals[2];
  int signal_count;
  net_config_t config;
  const net_protocol_t *protocol;
  void *protocol_data;
  int port;
  int stopping;
  atomic_int stop_requested;
  int live; /* server handles and connections not yet closed */
  net_conn_t *conns;
  atomic_uint_fast64_t accepted, refused, idle_closed, read_pauses, open;
  atomic_size_t pending_high, input_high;
  char read_buf[NET_READ_BYTES];
};

typedef struct net_write {
  uv_write_t req;
  net_conn_t *conn;
  size_t len;
  char bytes[];
} net_write_t;

static void conn_close_now(net_conn_t *conn);
static void conn_feed(net_conn_t *conn, const char *bytes, size_t len);

static void server_handle_closed(uv_handle_t *handle) {
  net_server_t *server = handle->data;
  server->live--;
}

static void conn_handle_closed(uv_handle_t *handle) {
  net_conn_t *conn = handle->data;
  if (--conn->handles > 0)
    return;
  net_server_t *server = conn->server;
  if (conn->opened && server->protocol->on_close)
    server->protocol->on_close(conn);
  if (conn->opened)
    atomic_fetch_sub(&server->open, 1);
  free(conn->in);
  free(conn);
  server->live--;
}

/* Closes every handle of conn now; queued writes are cancelled. */
static void conn_close_now(net_conn_t *conn) {
  if (conn->dead)
    return;
  conn->dead = 1;
  /* A deferred answer's owner still holds it: it learns, when it sends,
   * that nobody is listening. The filled ones go now. */
  for (net_reply_t *reply = conn->replies, *next; reply != NULL; reply = next) {
    next = reply->next;
    if (reply->ready) {
      free(reply->bytes);
      free(reply);
    } else {
      reply->conn = NULL;
    }
  }
  conn->replies = conn->replies_tail = NULL;
  net_server_t *server = conn->server;
  if (conn->prev)
    conn->prev->next = conn->next;
  else if (server->conns == conn)
    server->conns = conn->next;
  if (conn->next)
    conn->next->prev = conn->prev;
  conn->prev = conn->next = NULL;
  uv_close((uv_handle_t *)&conn->tcp, conn_handle_closed);
  if (conn->handles > 1)
    uv_close((uv_handle_t *)&conn->timer, conn_handle_closed);
}

static void conn_on_timer(uv_timer_t *timer) {
  net_conn_t *conn = timer->data;
  if (!conn->closing)
    atomic_fetch_add(&conn->server->idle_closed, 1);
  conn_close_now(conn);
}

/* Restarts the idle timer: the connection made progress. */
static void conn_touch(net_conn_t *conn) {
  if (!conn->dead && !conn->shut)
    uv_timer_start(&conn->timer, conn_on_timer,
                   conn->server->config.idle_timeout_ms, 0);
}

static void conn_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  net_conn_t *conn = handle->data;
  *buf = uv_buf_init(conn->server->read_buf, NET_READ_BYTES);
}

/* Raises a high-water mark to value (the loop thread writes, any reads). */
static void raise_high(atomic_size_t *high, size_t value) {
  size_t seen = atomic_load(high);
  while (value > seen && !atomic_compare_exchange_weak(high, &seen, value)) {
  }
}

/* Appends bytes to conn->in, within max_input_bytes. */
static int conn_stash(net_conn_t *conn, const char *bytes, size_t len) {
  if (len == 0)
    return 0;
  size_t need = conn->in_len + len;
  if (need > conn->server->config.max_input_bytes)
    return UV_ENOBUFS;
  if (need > conn->in_cap) {
    size_t cap = conn->in_cap ? conn->in_cap : 4096;
    while (cap < need)
      cap *= 2;
    char *in = realloc(conn->in, cap);
    if (!in)
      return UV_ENOMEM;
    conn->in = in;
    conn->in_cap = cap;
  }
  memcpy(conn->in + conn->in_len, bytes, len);
  conn->in_len = need;
  raise_high(&conn->server->input_high, need);
  return 0;
}

/* Stops reading while the client owes us reads of our responses. */
static void conn_pause_if_congested(net_conn_t *conn) {
  if (conn->closing || conn->close_pending || conn->dead || conn->paused ||
      !net_conn_congested(conn))
    return;
  uv_read_stop((uv_stream_t *)&conn->tcp);
  conn->paused = 1;
  atomic_fetch_add(&conn->server->read_pauses, 1);
}

/* Hands bytes to the protocol until it has consumed them, needs more, or
 * is congested; whatever is left waits in conn->in. */
static void conn_feed(net_conn_t *conn, const char *bytes, size_t len) {
  const net_protocol_t *protocol = conn->server->protocol;
  size_t off = 0;
  while (off < len && !conn->closing && !conn->close_pending && !conn->dead) {
    ssize_t n = protocol->on_data(conn, bytes + off, len - off);
    if (n < 0 || (size_t)n > len - off) {
      net_conn_close(conn);
      break;
    }
    off += (size_t)n;
    if (n == 0 || net_conn_congested(conn))
      break;
  }
  if (conn->closing || conn->close_pending || conn->dead) {
    conn->in_len = 0;
    return;
  }
  if (bytes == conn->in) {
    memmove(conn->in, conn->in + off, len - off);
    conn->in_len = len - off;
  } else if (conn_stash(conn, bytes + off, len - off) < 0) {
    conn_close_now(conn);
  }
}

static void conn_on_read(uv_stream_t *stream, ssize_t nread,
                         const uv_buf_t *buf) {
  net_conn_t *conn = stream->data;
  if (nread == 0)
    return;
  if (nread < 0) {
    conn->eof = 1;
    uv_read_stop(stream);
  }
  if (conn->closing || conn->close_pending) {
    /* Draining: input is discarded; its end ends the linger. */
    if (nread < 0 && conn->shut)
      conn_close_now(conn);
    return;
  }
  if (nread == UV_EOF) {
    net_conn_close(conn); /* answer what was asked, then go */
    return;
  }
  if (nread < 0) {
    conn_close_now(conn);
    return;
  }
  conn_touch(conn);
  if (conn->in_len > 0) {
    if (conn_stash(conn, buf->base, (size_t)nread) < 0) {
      conn_close_now(conn);
      return;
    }
    conn_feed(conn, conn->in, conn->in_len);
  } else {
    conn_feed(conn, buf->base, (size_t)nread);
  }
  conn_pause_if_congested(conn);
}

/* Reads again, once neither bytes nor deferred answers hold it back. */
static void conn_resume_if_paused(net_conn_t *conn) {
  if (!conn->paused || conn->closing || conn->close_pending || conn->dead ||
      net_conn_congested(conn))
    return;
  conn->paused = 0;
  if (conn->in_len > 0)
    conn_feed(conn, conn->in, conn->in_len);
  if (conn->closing || conn->dead)
    return;
  if (net_conn_congested(conn)) {
    conn->paused = 1;
    return;
  }
  uv_read_start((uv_stream_t *)&conn->tcp, conn_alloc, conn_on_read);
}

static void conn_on_write(uv_write_t *req, int status) {
  net_write_t *w = (net_write_t *)req;
  net_conn_t *conn = w->conn;
  conn->pending -= w->len;
  free(w);
  if (status < 0 || conn->dead) {
    conn_close_now(conn);
    return;
  }
  conn_touch(conn);
  conn_resume_if_paused(conn);
}

static void conn_on_shutdown(uv_shutdown_t *req, int status) {
  net_conn_t *conn = req->data;
  if (conn->dead)
    return;
  if (status < 0) {
    conn_close_now(conn);
    return;
  }
  conn->shut = 1;
  if (conn->eof) {
    conn_close_now(conn);
    return;
  }
  uint64_t linger = conn->server->config.idle_timeout_ms;
  if (linger > NET_LINGER_MS)
    linger = NET_LINGER_MS;
  uv_timer_start(&conn->timer, conn_on_timer, linger, 0);
}

static void server_on_connection(uv_stream_t *listener, int status) {
  net_server_t *server = listener->data;
  if (status < 0 || server->stopping)
    return;
  net_conn_t *conn = calloc(1, sizeof *conn);
  if (!conn)
    return;
  conn->server = server;
  conn->shutdown_req.data = conn;
  uv_tcp_init(server->loop, &conn->tcp);
  conn->tcp.data = conn;
  conn->handles = 1;
  server->live++;
  if (uv_accept(listener, (uv_stream_t *)&conn->tcp) < 0) {
    conn_close_now(conn);
    return;
  }
  if (atomic_load(&server->open) >= (uint64_t)server->config.max_connections) {
    atomic_fetch_add(&server->refused, 1);
    conn_close_now(conn);
    return;
  }
  uv_timer_init(server->loop, &conn->timer);
  conn->timer.data = conn;
  conn->handles = 2;
  conn->next = server->conns;
  if (server->conns)
    server->conns->prev = conn;
  server->conns = conn;
  uv_tcp_nodelay(&conn->tcp, 1);
  atomic_fetch_add(&server->accepted, 1);
  atomic_fetch_add(&server->open, 1);
  conn->opened = 1;
  if (server->protocol->on_open &&
      server->protocol->on_open(conn, server->protocol_data) < 0) {
    conn->opened = 0;
    atomic_fetch_sub(&server->open, 1);
    conn_close_now(conn);
    return;
  }
  conn_touch(conn);
  uv_read_start((uv_stream_t *)&conn->tcp, conn_alloc, conn_on_read);
}

/* Runs on the loop's thread: closes the listener and every connection. */
static void server_shut_down(net_server_t *server) {
  if (server->stopping)
    return;
  server->stopping = 1;
  atomic_store(&server->stop_requested, 1);
  uv_close((uv_handle_t *)&server->listener, server_handle_closed);
  uv_close((uv_handle_t *)&server->stop_async, server_handle_closed);
  for (int i = 0; i < server->signal_count; i++)
    uv_close((uv_handle_t *)&server->signals[i], server_handle_closed);
  while (server->conns)
    conn_close_now(server->conns);
}

static void server_on_stop(uv_async_t *async) {
  server_shut_down(async->data);
}

static void server_on_signal(uv_signal_t *signal, int signum) {
  (void)signum;
  server_shut_down(signal->data);
}

static void server_apply_defaults(net_config_t *c) {
  if (!c->host)
    c->host = "127.0.0.1";
  if (c->max_connections <= 0)
    c->max_connections = NET_DEFAULT_MAX_CONNECTIONS;
  if (!c->idle_timeout_ms)
    c->idle_timeout_ms = NET_DEFAULT_IDLE_TIMEOUT_MS;
  if (!c->max_pending_bytes)
    c->max_pending_bytes = NET_DEFAULT_MAX_PENDING_BYTES;
  if (!c->max_input_bytes)
    c->max_input_bytes = NET_DEFAULT_MAX_INPUT_BYTES;
}

/* Binds, listens and learns the port; the handles are initialised. */
static int server_listen(net_server_t *server) {
  struct sockaddr_in addr;
  int err = uv_ip4_addr(server->config.host, server->config.port, &addr);
  if (err == 0)
    err = uv_tcp_bind(&server->listener, (const struct sockaddr *)&addr, 0);
  if (err == 0)
    err = uv_listen((uv_stream_t *)&server->listener, NET_BACKLOG,
                    server_on_connection);
  struct sockaddr_in bound;
  int len = sizeof bound;
  if (err == 0)
    err =
        uv_tcp_getsockname(&server->listener, (struct sockaddr *)&bound, &len);
  if (err == 0)
    server->port = ntohs(bound.sin_port);
  static const int signums[] = {SIGINT, SIGTERM};
  for (int i = 0; err == 0 && server->config.handle_signals && i < 2; i++) {
    err = uv_signal_init(server->loop, &server->signals[i]);
    if (err == 0) {
      server->signals[i].data = server;
      server->signal_count++;
      server->live++;
      err = uv_signal_start(&server->signals[i], server_on_signal, signums[i]);
    }
  }
  return err;
}

int net_server_create(net_server_t **out, uv_loop_t *loop,
                      const net_config_t *config,
                      const net_protocol_t *protocol, void *protocol_data) {
  *out = NULL;
  if (!loop || !config || !protocol || !protocol->on_data)
    return UV_EINVAL;
  net_server_t *server = calloc(1, sizeof *server);
  if (!server)
    return UV_ENOMEM;
  server->loop = loop;
  server->config = *config;
  server_apply_defaults(&server->config);
  server->protocol = protocol;
  server->protocol_data = protocol_data;
  int err = uv_tcp_init(loop, &server->listener);
  if (err < 0) {
    free(server);
    return err;
  }
  server->listener.data = server;
  server->live++;
  err = uv_async_init(loop, &server->stop_async, server_on_stop);
  if (err < 0) {
    uv_close((uv_handle_t *)&server->listener, server_handle_closed);
    while (server->live > 0)
      uv_run(loop, UV_RUN_ONCE);
    free(server);
    return err;
  }
  server->stop_async.data = server;
  server->live++;
  err = server_listen(server);
  if (err < 0) {
    net_server_destroy(server);
    return err;
  }
  *out = server;
  return 0;
}

int net_server_port(const net_server_t *server) {
  return server->port;
}

void net_server_stop(net_server_t *server) {
  if (atomic_exchange(&server->stop_requested, 1) == 0)
    uv_async_send(&server->stop_async);
}

void net_server_stats(const net_server_t *server, net_stats_t *stats) {
  net_server_t *s = (net_server_t *)server;
  stats->accepted = atomic_load(&s->accepted);
  stats->refused = atomic_load(&s->refused);
  stats->idle_closed = atomic_load(&s->idle_closed);
  stats->read_pauses = atomic_load(&s->read_pauses);
  stats->open = atomic_load(&s->open);
  stats->pending_high = atomic_load(&s->pending_high);
  stats->input_high = atomic_load(&s->input_high);
}

void net_server_destroy(net_server_t *server) {
  if (!server)
    return;
  server_shut_down(server);
  while (server->live > 0)
    uv_run(server->loop, UV_RUN_ONCE);
  free(server);
}

/* Writes len bytes now, after whatever is being written. */
static int conn_write(net_conn_t *conn, const void *bytes, size_t len) {
  if (len == 0)
    return 0;
  size_t done = 0;
  if (conn->pending == 0) {
    /* Nothing queued: writing now keeps order and saves a copy. */
    uv_buf_t buf = uv_buf_init((char *)bytes, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&conn->tcp, &buf, 1);
    if (n < 0 && n != UV_EAGAIN)
      return n;
    done = n > 0 ? (size_t)n : 0;
    if (done == len)
      return 0;
  }
  size_t rest = len - done;
  net_write_t *w = malloc(sizeof *w + rest);
  if (!w)
    return UV_ENOMEM;
  w->conn = conn;
  w->len = rest;
  memcpy(w->bytes, (const char *)bytes + done, rest);
  uv_buf_t buf = uv_buf_init(w->bytes, (unsigned)rest);
  int err =
      uv_write(&w->req, (uv_stream_t *)&conn->tcp, &buf, 1, conn_on_write);
  if (err < 0) {
    free(w);
    return err;
  }
  conn->pending += rest;
  raise_high(&conn->server->pending_high, conn->pending);
  return 0;
}

/* Appends a place to conn's answers: filled with bytes when ready. */
static net_reply_t *conn_queue(net_conn_t *conn, const void *bytes, size_t len,
                               int ready) {
  net_reply_t *reply = calloc(1, sizeof *reply);
  if (reply == NULL)
    return NULL;
  if (ready && len > 0) {
    reply->bytes = malloc(len);
    if (reply->bytes == NULL) {
      free(reply);
      return NULL;
    }
    memcpy(reply->bytes, bytes, len);
  }
  reply->conn = conn;
  reply->ready = ready;
  reply->len = ready ? len : 0;
  if (conn->replies_tail != NULL)
    conn->replies_tail->next = reply;
  else
    conn->replies = reply;
  conn->replies_tail = reply;
  if (ready)
    conn->queued_bytes += len;
  else
    conn->deferred++;
  return reply;
}

static void conn_shut(net_conn_t *conn);

/* Writes the answers that are ready at the head of the queue, in order;
 * then a close that waited for them happens. */
static void conn_flush_replies(net_conn_t *conn) {
  while (conn->replies != NULL && conn->replies->ready && !conn->dead) {
    net_reply_t *reply = conn->replies;
    conn->replies = reply->next;
    if (conn->replies == NULL)
      conn->replies_tail = NULL;
    conn->queued_bytes -= reply->len;
    int err = conn_write(conn, reply->bytes, reply->len);
    free(reply->bytes);
    free(reply);
    if (err < 0) {
      conn_close_now(conn);
      return;
    }
  }
  if (conn->replies == NULL && conn->close_pending && !conn->dead)
    conn_shut(conn);
}

int net_conn_send(net_conn_t *conn, const void *bytes, size_t len) {
  if (conn->closing || conn->close_pending || conn->dead)
    return UV_EPIPE;
  if (conn->replies == NULL)
    return conn_write(conn, bytes, len);
  if (len > 0 && conn_queue(conn, bytes, len, 1) == NULL)
    return UV_ENOMEM;
  return 0;
}

net_reply_t *net_conn_defer(net_conn_t *conn) {
  if (conn->closing || conn->close_pending || conn->dead)
    return NULL;
  return conn_queue(conn, NULL, 0, 0);
}

int net_reply_send(net_reply_t *reply, const void *bytes, size_t len) {
  net_conn_t *conn = reply->conn;
  if (conn == NULL) {
    free(reply);
    return UV_EPIPE;
  }
  conn->deferred--;
  if (conn->replies == reply) {
    /* First in line: written straight from the caller's bytes (conn_write
     * copies what the socket does not take at once). */
    conn->replies = reply->next;
    if (conn->replies == NULL)
      conn->replies_tail = NULL;
    free(reply);
    int err = conn_write(conn, bytes, len);
    if (err < 0) {
      conn_close_now(conn);
      return err;
    }
  } else {
    /* Behind another that is not ready: kept until it is. */
    reply->bytes = len > 0 ? malloc(len) : NULL;
    reply->ready = 1;
    if (len > 0 && reply->bytes == NULL) {
      /* Its place cannot stay empty, or every later answer waits. */
      conn_close_now(conn);
      return UV_ENOMEM;
    }
    if (len > 0)
      memcpy(reply->bytes, bytes, len);
    reply->len = len;
    conn->queued_bytes += len;
  }
  conn_touch(conn);
  conn_flush_replies(conn);
  if (!conn->dead)
    conn_resume_if_paused(conn);
  return 0;
}

int net_conn_congested(const net_conn_t *conn) {
  return conn->pending + conn->queued_bytes >
             conn->server->config.max_pending_bytes ||
         conn->deferred >= NET_MAX_DEFERRED;
}

size_t net_conn_pending_bytes(const net_conn_t *conn) {
  return conn->pending + conn->queued_bytes;
}

void net_conn_close(net_conn_t *conn) {
  if (conn->closing || conn->close_pending || conn->dead)
    return;
  conn->in_len = 0;
  if (conn->replies != NULL) {
    /* Answers still to come are written first; input waits meanwhile. */
    conn->close_pending = 1;
    return;
  }
  conn_shut(conn);
}

/* Shuts the writing side once what is queued is written. */
static void conn_shut(net_conn_t *conn) {
  conn->closing = 1;
  conn->in_len = 0;
  /* Keep reading (and discarding) so unread input cannot reset the
   * connection before the client has read the last response. */
  conn->paused = 0;
  if (!conn->eof)
    uv_read_start((uv_stream_t *)&conn->tcp, conn_alloc, conn_on_read);
  if (uv_shutdown(&conn->shutdown_req, (uv_stream_t *)&conn->tcp,
                  conn_on_shutdown) < 0)
    conn_close_now(conn);
}

void net_conn_set_data(net_conn_t *conn, void *data) {
  conn->data = data;
}

void *net_conn_data(const net_conn_t *conn) {
  return conn->data;
}
