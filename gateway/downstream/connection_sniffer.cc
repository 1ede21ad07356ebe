#include "gateway/downstream/connection_sniffer.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

#include <algorithm>

#include "gateway/downstream/connection_manager.h"
#include "gateway/event/plain_socket_read.h"

namespace slotgate::gateway {

PrefaceMatch matchPreface(std::string_view first_bytes) {
  const size_t n = std::min(first_bytes.size(), kHttp2Preface.size());
  if (first_bytes.substr(0, n) != kHttp2Preface.substr(0, n)) {
    return PrefaceMatch::kOther;
  }
  return n == kHttp2Preface.size() ? PrefaceMatch::kHttp2 : PrefaceMatch::kNeedMore;
}

ConnectionSniffer::ConnectionSniffer(Dispatcher& worker, ConnectionManager& manager,
                                     evutil_socket_t fd, SSL_CTX* tls,
                                     std::chrono::milliseconds timeout)
    : manager_(manager), timer_(worker.base(), [this] { onTimer(); }) {
  if (tls != nullptr) {
    SSL* ssl = SSL_new(tls);
    bev_.reset(ssl == nullptr
                   ? nullptr
                   : bufferevent_openssl_socket_new(
                         worker.base(), fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE));
    if (bev_) {
      // Clients often close without close_notify; that is an EOF, not an error.
      bufferevent_openssl_set_allow_dirty_shutdown(bev_.get(), 1);
    } else if (ssl != nullptr) {
      SSL_free(ssl);
    }
  } else {
    bev_.reset(bufferevent_socket_new(worker.base(), fd, BEV_OPT_CLOSE_ON_FREE));
    useOwnReadPath(bev_.get());  // no ioctl(FIONREAD) before each read, for the connection's life
    handshake_done_ = true;
  }
  if (!bev_) {
    evutil_closesocket(fd);
    // Closed on the first loop turn (the timer, at once): the manager owns us by then.
    timer_.enable(std::chrono::microseconds::zero());
    return;
  }
  bufferevent_setcb(bev_.get(), &ConnectionSniffer::onRead, nullptr, &ConnectionSniffer::onEvent,
                    this);
  bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
  timer_.enable(timeout);
}

ConnectionSniffer::~ConnectionSniffer() = default;

void ConnectionSniffer::onRead(bufferevent*, void* arg) {
  static_cast<ConnectionSniffer*>(arg)->sniff();
}

void ConnectionSniffer::onEvent(bufferevent*, short what, void* arg) {
  auto* self = static_cast<ConnectionSniffer*>(arg);
  if (what & BEV_EVENT_CONNECTED) {
    self->handshake_done_ = true;
    if (negotiatedProtocol(bufferevent_openssl_get_ssl(self->bev_.get())) == AppProtocol::kHttp2) {
      self->handOver(AppProtocol::kHttp2);
    } else {
      self->sniff();  // ALPN http/1.1 or none: prior-knowledge h2 is still possible
    }
  } else if (what & BEV_EVENT_EOF) {
    self->close(self->handshake_done_ ? "client_closed" : "tls_handshake_failed");
  } else if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
    self->close(self->handshake_done_ ? "client_error" : "tls_handshake_failed");
  }
}

void ConnectionSniffer::onTimer() {
  if (!bev_) {
    close("accept_failed");
    return;
  }
  if (handshake_done_) {
    manager_.countReject(CodecReject::kHeaderTimeout);
  }
  close(handshake_done_ ? "header_timeout" : "tls_handshake_timeout");
}

void ConnectionSniffer::sniff() {
  if (!bev_ || !handshake_done_) {
    return;
  }
  evbuffer* input = bufferevent_get_input(bev_.get());
  const size_t n = std::min(evbuffer_get_length(input), kHttp2Preface.size());
  if (n == 0) {
    return;
  }
  const char* data = reinterpret_cast<const char*>(evbuffer_pullup(input, n));
  switch (matchPreface(std::string_view(data, n))) {
    case PrefaceMatch::kNeedMore:
      return;
    case PrefaceMatch::kHttp2:
      handOver(AppProtocol::kHttp2);
      return;
    case PrefaceMatch::kOther:
      handOver(AppProtocol::kHttp11);
      return;
  }
}

void ConnectionSniffer::handOver(AppProtocol protocol) {
  timer_.disable();
  bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
  manager_.handOver(*this, std::move(bev_), protocol);
}

void ConnectionSniffer::close(const char* reason) {
  timer_.disable();
  bev_.reset();
  manager_.onClosed(*this, reason);
}

}  // namespace slotgate::gateway
