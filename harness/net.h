/* net.h - a libuv TCP server that any byte protocol (HTTP, RESP) mounts on. */
#ifndef SDKATA_NET_H
#define SDKATA_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

/* Defaults used where a net_config_t field is 0. */
#define NET_DEFAULT_MAX_CONNECTIONS 1024
#define NET_DEFAULT_IDLE_TIMEOUT_MS 30000
#define NET_DEFAULT_MAX_PENDING_BYTES (1024 * 1024)
#define NET_DEFAULT_MAX_INPUT_BYTES (1024 * 1024)
/* The most bytes one read takes from a connection. */
#define NET_READ_BYTES (64 * 1024)

typedef struct net_server net_server_t;
typedef struct net_conn net_conn_t;
typedef struct net_reply net_reply_t;

/* What a server listens on and how it protects itself; 0 means default. */
typedef struct net_config {
  const char *host;    /* an IPv4 address to bind; NULL is 127.0.0.1 */
  int port;            /* 0 picks a free port: ask net_server_port */
  int max_connections; /* a connection past the cap is accepted and closed */
  /* A connection that makes no progress (nothing read, nothing written)
   * for this long is closed, so a silent or slow client cannot hold it. */
  uint64_t idle_timeout_ms;
  /* While a connection has more response bytes than this waiting for the
   * client to read them, the server stops reading its requests. */
  size_t max_pending_bytes;
  /* Unconsumed input a protocol may leave buffered (a partial request);
   * past it the connection is closed. */
  size_t max_input_bytes;
  int handle_signals; /* nonzero: SIGINT and SIGTERM stop the server */
} net_config_t;

/* The protocol a server speaks, as callbacks run on the loop's thread. */
typedef struct net_protocol {
  /* A connection was accepted. The protocol may attach its state with
   * net_conn_set_data. Returns 0, or a negative code to close it at once.
   * May be NULL. */
  int (*on_open)(net_conn_t *conn, void *protocol_data);
  /* Bytes arrived. The protocol parses them and, for each complete request,
   * queues the response with net_conn_send before looking at the next one,
   * so pipelined requests are answered in order. Returns how many bytes it
   * consumed: the base keeps the rest and hands it back, followed by what
   * arrives next, on the next call. A protocol should stop early when
   * net_conn_congested is true (back-pressure: the base then stops reading
   * and calls again once the client has read enough). A negative return
   * closes the connection after the queued responses are written. */
  ssize_t (*on_data)(net_conn_t *conn, const char *bytes, size_t len);
  /* The connection is gone (by either side, or server stop); free the
   * state attached to it. May be NULL. */
  void (*on_close)(net_conn_t *conn);
} net_protocol_t;

/* Counters about a server, readable from any thread. */
typedef struct net_stats {
  uint64_t accepted;    /* connections served */
  uint64_t refused;     /* connections closed because of the cap */
  uint64_t idle_closed; /* connections closed by the idle timeout */
  uint64_t read_pauses; /* times reading stopped for back-pressure */
  uint64_t open;        /* connections open now */
  size_t pending_high;  /* most bytes ever pending on one connection */
  size_t input_high;    /* most unconsumed input held for one */
} net_stats_t;

/* Creates a server on loop (which the caller owns and runs), binds and
 * listens. protocol and protocol_data must outlive the server. On success
 * stores it in *out and returns 0; otherwise returns a negative libuv code
 * (UV_EADDRINUSE, UV_EINVAL, UV_ENOMEM...) and nothing is left open. */
int net_server_create(net_server_t **out, uv_loop_t *loop,
                      const net_config_t *config,
                      const net_protocol_t *protocol, void *protocol_data);

/* The port the server listens on (the one picked, when config had 0). */
int net_server_port(const net_server_t *server);

/* Asks the server to stop: close the listener and every connection (queued
 * responses are dropped), so that uv_run on its loop returns once nothing
 * else is active there. Safe from any thread (it wakes the loop with
 * uv_async_send); calls after the first do nothing. */
void net_server_stop(net_server_t *server);

/* Copies the server's counters into *stats. Safe from any thread. */
void net_server_stats(const net_server_t *server, net_stats_t *stats);

/* Frees a server. Call on the loop's thread after uv_run returned; if the
 * server was not stopped, stops it and runs the loop until it has closed. */
void net_server_destroy(net_server_t *server);

/* The net_conn_ functions below belong to the loop's thread: call them from
 * the protocol's callbacks. */

/* Queues len bytes (copied) to be written after everything queued before
 * on conn. Returns 0, UV_EPIPE when conn is closing, or UV_ENOMEM. */
int net_conn_send(net_conn_t *conn, const void *bytes, size_t len);

/* Takes the next place in conn's order of answers for one that comes later
 * (a kata waiting on Redis answers from a callback): answers sent after it
 * wait behind it, so pipelined requests are still answered in order, while
 * other connections are served. Returns NULL when conn is closing or out
 * of memory (answer now, then). */
net_reply_t *net_conn_defer(net_conn_t *conn);

/* Fills the place reply holds with len bytes (copied when they must wait),
 * writes every answer now ready in order, and frees reply. On the loop's
 * thread. When the connection went away meanwhile, drops the bytes and returns
 * UV_EPIPE; otherwise 0, or UV_ENOMEM (the connection is then closed). Every
 * deferred reply must be sent exactly once. */
int net_reply_send(net_reply_t *reply, const void *bytes, size_t len);

/* True while conn has more bytes waiting for the client than the server's
 * max_pending_bytes, or too many deferred answers: the protocol should
 * stop answering and return. */
int net_conn_congested(const net_conn_t *conn);

/* Bytes queued on conn that the client has not taken yet. */
size_t net_conn_pending_bytes(const net_conn_t *conn);

/* Closes conn once its queued responses, the deferred ones included, are
 * written; later input is read and discarded for a moment so the client
 * sees the last response rather than a reset. */
void net_conn_close(net_conn_t *conn);

/* Attaches the protocol's state to conn (the base never looks inside). */
void net_conn_set_data(net_conn_t *conn, void *data);

/* The state attached with net_conn_set_data, or NULL. */
void *net_conn_data(const net_conn_t *conn);

#endif /* SDKATA_NET_H */
