// Owning unique_ptr aliases for libevent and OpenSSL C handles.
//
// Why: every C handle the gateway creates must be released exactly once, also on
// early-return error paths; a unique_ptr with a stateless deleter makes that automatic.
// Thread-safety: none beyond the underlying handles (libevent objects belong to the
// thread that runs their event_base).
#pragma once

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include <memory>

namespace slotgate::gateway {

struct EventBaseDeleter {
  void operator()(event_base* p) const noexcept { event_base_free(p); }
};
struct EventDeleter {
  void operator()(event* p) const noexcept { event_free(p); }
};
struct BufferEventDeleter {
  void operator()(bufferevent* p) const noexcept { bufferevent_free(p); }
};
struct EvConnListenerDeleter {
  void operator()(evconnlistener* p) const noexcept { evconnlistener_free(p); }
};
// Pending requests are failed (callbacks run with DNS_ERR_SHUTDOWN) so no callback
// outlives the base.
struct EvdnsBaseDeleter {
  void operator()(evdns_base* p) const noexcept { evdns_base_free(p, 1); }
};
struct SslCtxDeleter {
  void operator()(SSL_CTX* p) const noexcept { SSL_CTX_free(p); }
};
struct SslDeleter {
  void operator()(SSL* p) const noexcept { SSL_free(p); }
};

using EventBasePtr = std::unique_ptr<event_base, EventBaseDeleter>;
using EventPtr = std::unique_ptr<event, EventDeleter>;
using BufferEventPtr = std::unique_ptr<bufferevent, BufferEventDeleter>;
using EvConnListenerPtr = std::unique_ptr<evconnlistener, EvConnListenerDeleter>;
using EvdnsBasePtr = std::unique_ptr<evdns_base, EvdnsBaseDeleter>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

}  // namespace slotgate::gateway
