// Per-worker HTTP/1.1 client for upstream providers with keep-alive connection pools.
//
// One UpstreamPool per worker thread, bound to that worker's event_base. It keeps idle
// keep-alive connections per origin ("https://host:port"), starts requests on them or on
// fresh connections, and hands requests whose handler destroyed them inside a callback to
// the loop's deferred deletion (Dispatcher::deferredDelete).
//
// Thread-safety: none, by design. Every call, and every UpstreamExchange it returns, must
// be used on the thread running `base`. All exchanges must be destroyed before the pool.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/event/deadline_timer.h"
#include "gateway/event/dispatcher.h"
#include "gateway/event/libevent_ptr.h"
#include "gateway/http1/http1_parser.h"
#include "gateway/upstream/upstream_connection.h"
#include "gateway/upstream/upstream_exchange.h"
#include "gateway/upstream/upstream_origin.h"

namespace slotgate::gateway {

class UpstreamCall;

class UpstreamPool {
 public:
  // A call's request timeout, lent to one call at a time (takeDeadline / giveDeadline) and
  // kept by the pool between calls with its event still added: the next call arming it for the
  // same timeout costs no event_add, and a call ending no event_del (DeadlineTimer's pattern;
  // a Timer per call was an event_add and an event_del, ~370 instructions, per request). It
  // runs `fire(arg)` of the call holding it; a stale event of an idle one wakes the loop once.
  class LentDeadline {
   public:
    using Fire = void (*)(void* arg);
    explicit LentDeadline(event_base* base) : timer_(base, [this] { fire_(arg_); }) {}
    LentDeadline(const LentDeadline&) = delete;
    LentDeadline& operator=(const LentDeadline&) = delete;

    void lend(Fire fire, void* arg) {
      fire_ = fire;
      arg_ = arg;
    }
    void arm(std::chrono::microseconds after) { timer_.arm(after); }
    void cancel() { timer_.cancel(); }
    // Cancelled and lent to no one.
    void reclaim() {
      timer_.cancel();
      lend(&nothing, nullptr);
    }

   private:
    static void nothing(void*) {}
    Fire fire_ = &nothing;
    void* arg_ = nullptr;
    DeadlineTimer timer_;
  };
  using LentDeadlinePtr = std::unique_ptr<LentDeadline>;

  // `dns` may be null (libevent then resolves names with blocking getaddrinfo: only
  // acceptable for IP literals or tests). `tls_ctx` may be null if no origin uses https.
  // Both, and `dispatcher`, must outlive the pool; the dispatcher's deferred deletions must
  // be cleared before the pool goes (deferred calls reference it). `max_idle_per_origin` is
  // at least the requests one HTTP/2 client has in flight (max_concurrent_streams, 128 by
  // default): a smaller cap closes the connections of a burst as it ends and opens them again
  // for the next (measured at 4 x 32 streams with 64: a new upstream connection for 12% of
  // requests). Idle ones still go after the provider's idle_timeout.
  UpstreamPool(Dispatcher& dispatcher, evdns_base* dns, SSL_CTX* tls_ctx,
               size_t max_idle_per_origin = 256);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // Starts a request. Never calls `handler` before returning; `handler` must outlive the
  // returned exchange (or until its final callback). Destroying the exchange cancels.
  [[nodiscard]] UpstreamExchangePtr send(const UpstreamOrigin& origin, UpstreamRequest&& request,
                                         UpstreamHandler& handler);

  [[nodiscard]] size_t idleConnections() const;
  // Idle + in use + connecting.
  [[nodiscard]] size_t openConnections() const { return open_connections_; }
  // Closes every idle connection (shutdown, or after a config change of origins).
  void closeIdle();

  // Internal interface for UpstreamCall.
  event_base* base() const { return dispatcher_.base(); }
  evdns_base* dns() const { return dns_; }
  SSL_CTX* tlsContext() const { return tls_ctx_; }
  size_t* openCounter() { return &open_connections_; }
  // Most recently used idle connection of the origin that is still open, or nullptr.
  // Connections the server closed (or wrote to) since they were parked are closed here.
  [[nodiscard]] UpstreamConnectionPtr takeIdle(const UpstreamOrigin& origin);
  // Parks a connection whose response was read completely for at most `idle_timeout`
  // (closes it at once if the origin's idle list is full).
  void release(UpstreamConnectionPtr conn, std::chrono::milliseconds idle_timeout);
  // Closes an idle connection (its idle timer ran out, or the server closed it).
  void dropIdle(UpstreamConnection* conn);
  // The field list a call reads a response head into and hands its handler: one per worker,
  // reused (its strings keep their buffers), valid during onUpstreamHeaders only.
  std::vector<UpstreamHeader>& headFields() { return head_fields_; }
  // A response parser (reset, kMaxUpstreamHeadBytes and kMaxUpstreamHeadFields) for a call, and
  // back from it when it goes: its field list keeps its capacity from call to call.
  [[nodiscard]] Http1Parser takeResponseParser();
  void giveResponseParser(Http1Parser&& parser);
  // A deadline for a call (not armed), and back from it when the call goes (cancelled here).
  [[nodiscard]] LentDeadlinePtr takeDeadline();
  void giveDeadline(LentDeadlinePtr deadline);
  // Deletes `call` from the event loop, after the callback on the stack returned.
  void deferDelete(std::unique_ptr<UpstreamCall> call);

 private:
  static void onIdleRead(bufferevent* bev, void* arg);
  static void onIdleEvent(bufferevent* bev, short events, void* arg);

  Dispatcher& dispatcher_;
  evdns_base* dns_;
  SSL_CTX* tls_ctx_;
  size_t max_idle_per_origin_;
  size_t open_connections_ = 0;
  // Per pool key; the back is the most recently used.
  std::unordered_map<std::string, std::vector<UpstreamConnectionPtr>> idle_;
  std::string key_scratch_;  // takeIdle's lookup key, built in place on every call
  std::vector<UpstreamHeader> head_fields_;
  std::vector<Http1Parser> spare_parsers_;        // at most kMaxSpareParsers
  std::vector<LentDeadlinePtr> spare_deadlines_;  // at most kMaxSpareDeadlines
};

}  // namespace slotgate::gateway
