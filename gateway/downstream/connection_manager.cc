#include "gateway/downstream/connection_manager.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "gateway/downstream/connection_sniffer.h"
#include "gateway/downstream/lingering_close.h"
#include "metrics/log.h"

namespace slotgate::gateway {
namespace {

// Accept back-off: the first pause is short (a connection closing elsewhere
// frees room soon), repeated pauses double up to the cap.
constexpr std::chrono::milliseconds kFirstBackoff{10};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
// At most one accept_paused log line per worker this often.
constexpr std::chrono::seconds kPauseLogInterval{10};

const char* acceptErrorReason(int error) {
  switch (error) {
    case EMFILE:
    case ENFILE:
      return "descriptors";
    case ENOBUFS:
    case ENOMEM:
      return "memory";
    default:
      return "accept_error";
  }
}

}  // namespace

std::optional<DownstreamOptions> DownstreamOptions::fromConfig(const conf::ServerConfig& server,
                                                               std::string* error) {
  DownstreamOptions options;
  options.http2.max_concurrent_streams = server.http2.max_concurrent_streams;
  if (server.tls) {
    options.tls = makeServerTlsContext(server.tls->cert, server.tls->key, error);
    if (!options.tls) {
      return std::nullopt;
    }
  }
  return options;
}

Http1Limits http1LimitsFromConfig(const conf::ServerConfig& server) {
  Http1Limits limits;
  limits.max_header_bytes = server.max_header_bytes;
  limits.max_request_body = server.max_request_body;
  limits.header_timeout = server.header_timeout;
  limits.body_timeout = server.body_timeout;
  limits.idle_timeout = server.idle_timeout;
  return limits;
}

ConnectionManager::ConnectionManager(Dispatcher& worker, RequestDispatcher& dispatcher,
                                     ConnectionStats& stats, ConnectionBudget& budget,
                                     const Http1Limits& limits, DownstreamOptions options)
    : worker_(worker),
      dispatcher_(dispatcher),
      stats_(stats),
      budget_(budget),
      limits_(limits),
      options_(std::move(options)),
      accept_resume_(worker.base(), [this] { resumeAccepting(); }),
      accept_backoff_(kFirstBackoff) {}

ConnectionManager::~ConnectionManager() {
  accept_resume_.disable();
  listener_.reset();
  // Connections still open give their budget back as they go.
  budget_.release(connections_.size());
  connections_.clear();
}

uint16_t ConnectionManager::listen(const std::string& host, uint16_t port, std::string* error) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string h = host == "localhost" ? "127.0.0.1" : host;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    *error = "listen address must be an IP literal or localhost: " + host;
    return 0;
  }
  listener_.reset(evconnlistener_new_bind(
      worker_.base(), &ConnectionManager::onAccept, this,
      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC,
      1024, reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len)));
  if (!listener_) {
    *error = std::string("cannot listen on ") + host + ":" + std::to_string(port) + ": " +
             std::strerror(errno);
    return 0;
  }
  evconnlistener_set_error_cb(listener_.get(), &ConnectionManager::onAcceptError);
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  getsockname(evconnlistener_get_fd(listener_.get()), reinterpret_cast<sockaddr*>(&bound),
              &bound_len);
  return ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                          : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
}

void ConnectionManager::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
  auto* self = static_cast<ConnectionManager*>(arg);
  if (!self->budget_.tryAcquire()) {
    // At the limit: this one is told at once (closed) rather than left to
    // time out, and the listener rests so that the backlog waits in the kernel.
    evutil_closesocket(fd);
    self->stats_.onConnectionRefused("max_connections");
    self->pauseAccepting("max_connections");
    return;
  }
  self->accept_backoff_ = kFirstBackoff;
  evutil_make_socket_nonblocking(fd);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // The protocol is known only after the TLS handshake / the first bytes.
  self->add(std::make_unique<ConnectionSniffer>(self->worker_, *self, fd, self->options_.tls.get(),
                                                self->limits_.header_timeout));
  self->open_.fetch_add(1, std::memory_order_relaxed);
}

void ConnectionManager::onAcceptError(evconnlistener*, void* arg) {
  // libevent calls this for errors other than EAGAIN/EINTR/ECONNABORTED; errno is accept()'s.
  const int error = EVUTIL_SOCKET_ERROR();
  auto* self = static_cast<ConnectionManager*>(arg);
  const char* reason = acceptErrorReason(error);
  self->stats_.onConnectionRefused(reason);
  self->pauseAccepting(reason);
}

void ConnectionManager::pauseAccepting(const char* reason) {
  if (listener_ == nullptr) {
    return;
  }
  evconnlistener_disable(listener_.get());
  accept_paused_ = true;
  accept_resume_.enable(accept_backoff_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_pause_log_ >= kPauseLogInterval) {
    last_pause_log_ = now;
    metrics::LogLine(metrics::LogLevel::kWarn, "accept_paused")
        .num("worker", worker_.index())
        .str("reason", reason)
        .num("open_connections", budget_.open())
        .num("max_connections", budget_.limit())
        .num("backoff_ms", accept_backoff_.count())
        .emit();
  }
  accept_backoff_ = std::min(accept_backoff_ * 2, kMaxBackoff);
}

void ConnectionManager::resumeAccepting() {
  if (!accept_paused_) {
    return;
  }
  accept_paused_ = false;
  accept_resume_.disable();
  if (listener_ != nullptr) {
    evconnlistener_enable(listener_.get());
  }
}

void ConnectionManager::add(std::unique_ptr<DownstreamConnection> connection) {
  DownstreamConnection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
}

void ConnectionManager::handOver(DownstreamConnection& sniffer, BufferEventPtr bev,
                                 AppProtocol protocol) {
  auto it = connections_.find(&sniffer);
  if (it == connections_.end()) {
    return;
  }
  // The sniffer is on the stack: destroy it on the next loop turn.
  worker_.deferredDelete(std::move(it->second));
  connections_.erase(it);
  if (protocol == AppProtocol::kHttp2) {
    add(std::make_unique<Http2Connection>(worker_, *this, dispatcher_, std::move(bev), limits_,
                                          options_.http2));
  } else {
    add(std::make_unique<Http1Connection>(worker_, *this, dispatcher_, std::move(bev), limits_));
  }
}

void ConnectionManager::upgradeToHttp2(DownstreamConnection& from, BufferEventPtr bev,
                                       H2cUpgrade upgrade) {
  auto it = connections_.find(&from);
  if (it == connections_.end()) {
    return;
  }
  // The HTTP/1.1 connection is on the stack: destroy it on the next loop turn.
  worker_.deferredDelete(std::move(it->second));
  connections_.erase(it);
  add(std::make_unique<Http2Connection>(worker_, *this, dispatcher_, std::move(bev), limits_,
                                        options_.http2, std::move(upgrade)));
}

void ConnectionManager::lingerThenClose(DownstreamConnection& from, BufferEventPtr bev,
                                        const char* reason) {
  auto it = connections_.find(&from);
  if (it == connections_.end()) {
    return;  // bev closes here
  }
  // A descriptor of its own for the socket: freeing the bufferevent (and its TLS state)
  // closes the original one without ending the connection.
  const evutil_socket_t fd = bufferevent_getfd(bev.get());
  const int own = draining_ || fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
  bev.reset();
  if (own < 0) {
    onClosed(from, reason);
    return;
  }
  worker_.deferredDelete(std::move(it->second));
  connections_.erase(it);
  LingerLimits linger;
  // Room for an upload somewhat over the body limit (the 413 case) at the default.
  linger.max_bytes = std::max<uint64_t>(2 * limits_.max_request_body, uint64_t{1} << 20);
  add(std::make_unique<LingeringClose>(
      worker_.base(), own, linger,
      [this, reason](LingeringClose& lingering, const char*) { onClosed(lingering, reason); }));
}

void ConnectionManager::onClosed(DownstreamConnection& connection, const char* reason) {
  stats_.onConnectionClosed(reason);
  auto it = connections_.find(&connection);
  if (it == connections_.end()) {
    return;
  }
  // The connection is on the stack: destroy it on the next loop turn.
  worker_.deferredDelete(std::move(it->second));
  connections_.erase(it);
  open_.fetch_sub(1, std::memory_order_relaxed);
  budget_.release();
  // Room again (a unit and a descriptor): try the backlog now rather than at the end of the
  // back-off. Failing again only pauses again, with a longer back-off.
  resumeAccepting();
}

void ConnectionManager::reconfigure(const Http1Limits& limits, DownstreamOptions options) {
  limits_ = limits;
  // Sniffers and codecs copied what they need (an SSL holds its own reference to the old
  // SSL_CTX), so the old options can go.
  options_ = std::move(options);
}

void ConnectionManager::drain() {
  draining_ = true;
  accept_resume_.disable();
  accept_paused_ = false;
  listener_.reset();
  std::vector<DownstreamConnection*> all;
  all.reserve(connections_.size());
  for (auto& [raw, owned] : connections_) {
    all.push_back(raw);
  }
  for (DownstreamConnection* c : all) {
    if (connections_.count(c) != 0) {
      c->drain();  // may close and erase itself
    }
  }
}

}  // namespace slotgate::gateway
