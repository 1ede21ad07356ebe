// One TCP (optionally TLS) connection to an upstream origin.
//
// A dumb holder: the bufferevent, the pool key and the idle timer. Whoever uses the
// connection (an UpstreamCall while a request runs, the UpstreamPool while idle) installs
// its own bufferevent callbacks. Destroying it closes the socket at once (libevent keeps
// the bufferevent alive until a callback running on it returns, so this is safe inside
// its own callbacks).
//
// Thread-safety: worker thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "gateway/event/deadline_timer.h"
#include "gateway/event/libevent_ptr.h"
#include "gateway/upstream/upstream_error.h"
#include "gateway/upstream/upstream_origin.h"

namespace slotgate::gateway {

class UpstreamConnection;
class UpstreamPool;
using UpstreamConnectionPtr = std::unique_ptr<UpstreamConnection>;

class UpstreamConnection {
 public:
  // Creates the bufferevent without connecting. `open_counter` (owned by the pool) is
  // incremented here and decremented by the destructor. Returns nullptr and fills
  // *error on failure (e.g. https without a TLS context).
  [[nodiscard]] static UpstreamConnectionPtr create(event_base* base, SSL_CTX* tls_ctx,
                                                    const UpstreamOrigin& origin,
                                                    size_t* open_counter, UpstreamError* error);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Starts connecting (DNS via `dns`, or directly for IP literals). Callbacks must be
  // installed first: an immediate failure may be reported through them. Returns false on
  // a failure detected before anything was started (kLocal when this host is out of
  // descriptors, memory or ports).
  [[nodiscard]] bool connect(evdns_base* dns, UpstreamError* error);

  // Once BEV_EVENT_CONNECTED arrived (for TLS: after the handshake): turns Nagle's algorithm
  // off. A request goes out as one write on a plain socket, but over TLS as one record per
  // buffer chain (head, body pieces) and one write per record, and Nagle would hold every
  // short segment after the first until the provider acknowledged the ones in flight: a
  // round trip, or a delayed ACK's 40 ms, per request on a reused connection. Clients' sockets
  // get the same at accept (ConnectionManager).
  void disableNagle() const;

  // Explains a BEV_EVENT_ERROR/EOF seen before BEV_EVENT_CONNECTED: DNS, TCP, TLS, or a
  // local resource error (socket() failed: kLocal).
  [[nodiscard]] UpstreamError describeConnectFailure(short events, int saved_errno) const;
  // Explains an error after the connection was established.
  [[nodiscard]] std::string describeBrokenConnection(short events, int saved_errno) const;

  // For an idle connection about to be reused: false when the peer closed or reset it, or
  // (plain sockets) sent bytes nobody asked for, as far as the loop has seen (plain
  // sockets: no syscall, see the .cc) or (TLS) one non-blocking MSG_PEEK recv tells.
  [[nodiscard]] bool stillOpen() const;

  bufferevent* bev() const { return bev_.get(); }
  const std::string& poolKey() const { return pool_key_; }
  bool tls() const { return tls_; }
  // While idle in a pool (setIdlePool): after `idle_timeout` the pool drops this connection.
  // The timer is made at the first park and reused for every later one; a DeadlineTimer, so
  // parking again after a take costs no event_add and taking no event_del.
  void armIdleTimer(std::chrono::milliseconds idle_timeout);
  void stopIdleTimer();
  // The pool holding this connection while idle (its idle callbacks get the connection).
  void setIdlePool(UpstreamPool* pool) { idle_pool_ = pool; }
  UpstreamPool* idlePool() const { return idle_pool_; }

 private:
  UpstreamConnection(BufferEventPtr bev, const UpstreamOrigin& origin, size_t* open_counter);

  BufferEventPtr bev_;
  std::unique_ptr<DeadlineTimer> idle_timer_;
  std::string pool_key_;
  std::string host_;
  uint16_t port_;
  bool tls_;
  size_t* open_counter_;
  UpstreamPool* idle_pool_ = nullptr;
};

}  // namespace slotgate::gateway
