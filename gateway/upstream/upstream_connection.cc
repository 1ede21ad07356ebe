#include "gateway/upstream/upstream_connection.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "gateway/event/plain_socket_read.h"
#include "gateway/upstream/upstream_pool.h"

namespace slotgate::gateway {
namespace {

bool isIpLiteral(const std::string& host) {
  in6_addr addr6;
  in_addr addr4;
  return inet_pton(AF_INET, host.c_str(), &addr4) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &addr6) == 1;
}

std::string hostPort(const std::string& host, uint16_t port) {
  return host + ":" + std::to_string(port);
}

// Drains the OpenSSL errors libevent recorded for this bufferevent.
std::string opensslErrors(bufferevent* bev) {
  std::string out;
  unsigned long code;
  while ((code = bufferevent_get_openssl_error(bev)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

// True when the TCP connection was established (the peer address is known).
bool tcpConnected(bufferevent* bev) {
  const evutil_socket_t fd = bufferevent_getfd(bev);
  if (fd < 0) {
    return false;
  }
  sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  return getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
}

}  // namespace

UpstreamConnection::UpstreamConnection(BufferEventPtr bev, const UpstreamOrigin& origin,
                                       size_t* open_counter)
    : bev_(std::move(bev)),
      pool_key_(origin.poolKey()),
      host_(origin.host),
      port_(origin.port),
      tls_(origin.tls),
      open_counter_(open_counter) {
  ++*open_counter_;
}

UpstreamConnection::~UpstreamConnection() {
  idle_timer_.reset();
  bev_.reset();
  --*open_counter_;
}

UpstreamConnectionPtr UpstreamConnection::create(event_base* base, SSL_CTX* tls_ctx,
                                                 const UpstreamOrigin& origin, size_t* open_counter,
                                                 UpstreamError* error) {
  BufferEventPtr bev;
  if (!origin.tls) {
    bev.reset(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  } else {
    if (tls_ctx == nullptr) {
      *error = {UpstreamErrorKind::kTls, "https origin but no TLS client context", false};
      return nullptr;
    }
    SslPtr ssl(SSL_new(tls_ctx));
    if (!ssl) {
      *error = {UpstreamErrorKind::kLocal, "SSL_new failed (out of memory)", false};
      return nullptr;
    }
    bool ok;
    if (isIpLiteral(origin.host)) {
      // RFC 6066: no SNI for IP literals; verify the certificate's IP SAN instead.
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), origin.host.c_str()) == 1;
    } else {
      ok = SSL_set_tlsext_host_name(ssl.get(), origin.host.c_str()) == 1 &&
           SSL_set1_host(ssl.get(), origin.host.c_str()) == 1;
    }
    if (!ok) {
      ERR_clear_error();
      *error = {UpstreamErrorKind::kTls, "cannot set TLS peer name " + origin.host, false};
      return nullptr;
    }
    // With BEV_OPT_CLOSE_ON_FREE the bufferevent owns (and frees) the SSL object.
    bev.reset(bufferevent_openssl_socket_new(base, -1, ssl.get(), BUFFEREVENT_SSL_CONNECTING,
                                             BEV_OPT_CLOSE_ON_FREE));
    if (bev) {
      ssl.release();
    }
  }
  if (!bev) {
    *error = {UpstreamErrorKind::kLocal, "cannot create bufferevent (out of memory)", false};
    return nullptr;
  }
  return UpstreamConnectionPtr(new UpstreamConnection(std::move(bev), origin, open_counter));
}

bool UpstreamConnection::connect(evdns_base* dns, UpstreamError* error) {
  sockaddr_storage addr{};
  int addr_len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host_.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port_);
    addr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host_.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port_);
    addr_len = sizeof(sockaddr_in6);
  }
  int rc;
  if (addr_len > 0) {
    rc = bufferevent_socket_connect(bev_.get(), reinterpret_cast<sockaddr*>(&addr), addr_len);
  } else {
    // Only the first resolved address is tried (libevent asks with AI_ADDRCONFIG, so a
    // host without IPv6 gets IPv4 answers only).
    rc = bufferevent_socket_connect_hostname(bev_.get(), dns, AF_UNSPEC, host_.c_str(), port_);
  }
  if (rc != 0) {
    const int saved_errno = errno;
    const bool local = isLocalResourceError(saved_errno);
    *error = {local ? UpstreamErrorKind::kLocal : UpstreamErrorKind::kConnect,
              (local ? "cannot open a connection to " : "connect to ") + hostPort(host_, port_) +
                  " failed: " + std::strerror(saved_errno) + (local ? " (local resource)" : ""),
              false};
    return false;
  }
  return true;
}

UpstreamError UpstreamConnection::describeConnectFailure(short events, int saved_errno) const {
  const std::string target = hostPort(host_, port_);
  if ((events & BEV_EVENT_EOF) == 0 && isLocalResourceError(saved_errno) &&
      !tcpConnected(bev_.get())) {
    // socket() or connect() failed here (libevent reports it through the event callback):
    // the provider was never reached.
    return {UpstreamErrorKind::kLocal,
            "cannot open a connection to " + target + ": " + std::strerror(saved_errno) +
                " (local resource)",
            false};
  }
  if (const int dns_error = bufferevent_socket_get_dns_error(bev_.get()); dns_error != 0) {
    return {UpstreamErrorKind::kConnect,
            "DNS lookup of " + host_ + " failed: " + evutil_gai_strerror(dns_error), false};
  }
  if (tls_ && tcpConnected(bev_.get())) {
    SSL* ssl = bufferevent_openssl_get_ssl(bev_.get());
    const long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
    const std::string ssl_errors = opensslErrors(bev_.get());
    if (verify != X509_V_OK) {
      return {UpstreamErrorKind::kTls,
              "TLS certificate verification of " + target +
                  " failed: " + X509_verify_cert_error_string(verify),
              false};
    }
    std::string detail = "TLS handshake with " + target + " failed: ";
    if (!ssl_errors.empty()) {
      detail += ssl_errors;
    } else if ((events & BEV_EVENT_EOF) != 0) {
      detail += "connection closed by peer";
    } else {
      detail += saved_errno != 0 ? std::strerror(saved_errno) : "unknown error";
    }
    return {UpstreamErrorKind::kTls, detail, false};
  }
  std::string detail = "connect to " + target + " failed: ";
  if ((events & BEV_EVENT_EOF) != 0) {
    detail += "connection closed by peer";
  } else {
    detail += saved_errno != 0 ? std::strerror(saved_errno) : "unknown error";
  }
  return {UpstreamErrorKind::kConnect, detail, false};
}

std::string UpstreamConnection::describeBrokenConnection(short events, int saved_errno) const {
  std::string detail = "connection to " + hostPort(host_, port_) + " broken: ";
  std::string ssl_errors = tls_ ? opensslErrors(bev_.get()) : std::string();
  if (!ssl_errors.empty()) {
    detail += ssl_errors;
  } else if ((events & BEV_EVENT_EOF) != 0) {
    detail += "closed by peer";
  } else {
    detail += saved_errno != 0 ? std::strerror(saved_errno) : "unknown error";
  }
  return detail;
}

void UpstreamConnection::disableNagle() const {
  const int one = 1;
  // A failure only leaves Nagle on (slower, still correct): nothing to report.
  (void)setsockopt(bufferevent_getfd(bev_.get()), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool UpstreamConnection::stillOpen() const {
  evbuffer* in = bufferevent_get_input(bev_.get());
  if (evbuffer_get_length(in) > 0) {
    return false;  // unsolicited bytes already read: out of sync
  }
  if (!tls_) {
    // No syscall here. While idle the connection's read event is watched and its callbacks
    // drop it on EOF, a reset or any byte, so everything the loop has been told about has
    // either run already (the connection is no longer in the pool) or is queued in this loop
    // turn, which readReportedNotHandled() sees. What it cannot see is a close that reached
    // the kernel after this turn's epoll_wait: a recv(MSG_PEEK) here would, but it too misses
    // the close still on the wire, so it narrowed the race by one loop turn without ever
    // closing it (and the provider's own RTT is much longer than a loop turn). The guarantee
    // of no silent re-send does not rest on this check: a request whose first byte left is
    // never sent again by UpstreamCall (canResend() needs the whole request still in the
    // output buffer), it ends as a 502 or a counted retry. Idle connections are closed after
    // the provider's idle_timeout (below common keep-alive timeouts), so a provider seldom
    // closes one first.
    return !readReportedNotHandled(bev_.get());
  }
  const evutil_socket_t fd = bufferevent_getfd(bev_.get());
  if (fd < 0) {
    return false;
  }
  // TLS keeps its MSG_PEEK: pending bytes may be a session ticket the TLS layer reads.
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) {
    return false;  // FIN: the server closed it
  }
  if (n < 0) {
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
  return true;  // the TLS layer decides when it reads pending bytes
}

void UpstreamConnection::armIdleTimer(std::chrono::milliseconds idle_timeout) {
  if (!idle_timer_) {
    // Dropping destroys this connection and its timer: the callback's last act.
    idle_timer_ = std::make_unique<DeadlineTimer>(bufferevent_get_base(bev_.get()),
                                                  [this] { idle_pool_->dropIdle(this); });
  }
  idle_timer_->arm(idle_timeout);
}

void UpstreamConnection::stopIdleTimer() {
  if (idle_timer_) {
    idle_timer_->cancel();
  }
}

}  // namespace slotgate::gateway
