// Writing a plain-socket bufferevent's output at once, from outside its own write callback, with
// send(2) for one piece and sendmsg(2) for several.
//
// libevent writes an evbuffer with writev(2), which reaches the socket through the file layer:
// vfs_writev, fdget_pos, sock_write_iter and the iterator copy each add their share. send and
// sendmsg go to the socket directly. On the proxy's core under bench/compare.py's wrk load,
// perf put writev's own path at ~400 ns of the ~10.6 µs the kernel spent per request, the
// largest kernel cost haproxy (send) does not pay; every proxied HTTP/1.1 request makes two of
// these writes (the request upstream, the response to the client).
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>
#include <sys/types.h>

namespace slotgate::gateway {

// Sends as much of `out` as the socket `fd` takes now (MSG_NOSIGNAL: a peer that has gone is
// an EPIPE error, never a SIGPIPE) and drains what was sent. Returns the bytes sent, 0 when
// `out` is empty, or -1 with errno set (EAGAIN/EWOULDBLOCK: the socket is full).
ssize_t sendBuffered(evbuffer* out, evutil_socket_t fd);

// Writes as much of bev's output buffer as the socket takes now. The bufferevent keeps the
// front of its output frozen outside its write callback, so it is thawed for the write.
// Returns false on a socket error other than a full socket (the bufferevent reports it on its
// next event). Plain sockets only.
bool writeNow(bufferevent* bev);

}  // namespace slotgate::gateway
