// A scriptable HTTP/1.1 test server for the upstream client tests, running on the
// test's own event_base (plain TCP or TLS). Each complete request (head plus a
// Content-Length body) is handed to a callback that scripts the answer: immediate or
// delayed writes, closes, or nothing at all (hang). Test thread only.
#pragma once

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <strings.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::gateway::testing {

class TestHttpServer;

class TestServerConn {
 public:
  TestServerConn(TestHttpServer& server, bufferevent* bev, int index)
      : server_(server), bev_(bev), index_(index) {}

  void send(const std::string& bytes) {
    if (bev_) {
      bufferevent_write(bev_.get(), bytes.data(), bytes.size());
    }
  }
  // Writes `bytes` `delay` from now, then runs `after` (if any).
  void sendAfter(std::chrono::milliseconds delay, std::string bytes,
                 std::function<void()> after = nullptr) {
    auto& t = timers_.emplace_back();
    t.owner = this;
    t.bytes = std::move(bytes);
    t.after = std::move(after);
    t.ev.reset(event_new(bufferevent_get_base(bev_.get()), -1, 0, &TestServerConn::onTimer, &t));
    timeval tv{static_cast<time_t>(delay.count() / 1000),
               static_cast<suseconds_t>((delay.count() % 1000) * 1000)};
    event_add(t.ev.get(), &tv);
  }
  // Closes once everything written so far reached the socket.
  void closeAfterFlush() {
    if (!bev_) {
      return;
    }
    close_after_flush_ = true;
    if (evbuffer_get_length(bufferevent_get_output(bev_.get())) == 0) {
      closeNow();
    }
  }
  void closeNow() {
    timers_.clear();
    bev_.reset();
  }
  bool open() const { return bev_ != nullptr; }
  bool peerClosed() const { return peer_closed_; }
  int index() const { return index_; }            // 0-based accept order
  int requestsSeen() const { return requests_; }  // on this connection

 private:
  friend class TestHttpServer;
  struct Timer {
    TestServerConn* owner;
    std::string bytes;
    std::function<void()> after;
    EventPtr ev;
  };
  static void onTimer(evutil_socket_t, short, void* arg) {
    auto* t = static_cast<Timer*>(arg);
    TestServerConn* self = t->owner;
    self->send(t->bytes);
    if (t->after) {
      auto after = t->after;  // may clear timers_
      after();
    }
  }

  TestHttpServer& server_;
  BufferEventPtr bev_;
  int index_;
  int requests_ = 0;
  bool peer_closed_ = false;
  bool close_after_flush_ = false;
  std::string input_;
  std::list<Timer> timers_;
};

class TestHttpServer {
 public:
  using OnRequest = std::function<void(TestServerConn& conn, const std::string& request)>;

  // `tls` (optional) is a server SSL_CTX; connections then use TLS.
  TestHttpServer(event_base* base, OnRequest on_request, SSL_CTX* tls = nullptr)
      : base_(base), on_request_(std::move(on_request)), tls_(tls) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener_.reset(evconnlistener_new_bind(base, &TestHttpServer::onAccept, this,
                                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
                                            reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
    sockaddr_in bound{};
    socklen_t len = sizeof(bound);
    getsockname(evconnlistener_get_fd(listener_.get()), reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(bound.sin_port);
  }

  uint16_t port() const { return port_; }
  int accepted() const { return static_cast<int>(conns_.size()); }
  int closedByPeer() const {
    int n = 0;
    for (const auto& c : conns_) {
      n += c->peer_closed_ ? 1 : 0;
    }
    return n;
  }
  TestServerConn& conn(int i) { return *conns_.at(i); }
  const std::vector<std::string>& requests() const { return requests_; }

 private:
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
    auto* self = static_cast<TestHttpServer*>(arg);
    bufferevent* bev;
    if (self->tls_ != nullptr) {
      bev = bufferevent_openssl_socket_new(self->base_, fd, SSL_new(self->tls_),
                                           BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    } else {
      bev = bufferevent_socket_new(self->base_, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    auto& c = self->conns_.emplace_back(
        std::make_unique<TestServerConn>(*self, bev, static_cast<int>(self->conns_.size())));
    bufferevent_setcb(bev, &TestHttpServer::onRead, &TestHttpServer::onWrite,
                      &TestHttpServer::onEvent, c.get());
    bufferevent_enable(bev, EV_READ | EV_WRITE);
  }

  static void onRead(bufferevent* bev, void* arg) {
    auto* c = static_cast<TestServerConn*>(arg);
    evbuffer* in = bufferevent_get_input(bev);
    const size_t n = evbuffer_get_length(in);
    std::string chunk(n, '\0');
    evbuffer_remove(in, chunk.data(), n);
    c->input_ += chunk;
    // Dispatch every complete request (head + Content-Length body).
    while (c->bev_) {
      const size_t head_end = c->input_.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        return;
      }
      size_t body_len = 0;
      const std::string head = c->input_.substr(0, head_end + 4);
      size_t pos = 0;
      while ((pos = head.find("\r\n", pos)) != std::string::npos && pos + 2 < head.size()) {
        pos += 2;
        if (strncasecmp(head.c_str() + pos, "content-length:", 15) == 0) {
          body_len = std::stoul(head.substr(pos + 15));
        }
      }
      if (c->input_.size() < head.size() + body_len) {
        return;
      }
      std::string request = c->input_.substr(0, head.size() + body_len);
      c->input_.erase(0, request.size());
      ++c->requests_;
      c->server_.requests_.push_back(request);
      c->server_.on_request_(*c, request);
    }
  }

  static void onWrite(bufferevent* bev, void* arg) {
    auto* c = static_cast<TestServerConn*>(arg);
    if (c->close_after_flush_ && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
      c->closeNow();
    }
  }

  static void onEvent(bufferevent*, short events, void* arg) {
    auto* c = static_cast<TestServerConn*>(arg);
    if ((events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0) {
      c->peer_closed_ = true;
      c->closeNow();
    }
  }

  event_base* base_;
  OnRequest on_request_;
  SSL_CTX* tls_;
  EvConnListenerPtr listener_;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<TestServerConn>> conns_;
  std::vector<std::string> requests_;
};

// Runs `base` until `done()` holds or `limit` passes; returns done().
inline bool runUntil(event_base* base, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  // A short persistent tick guarantees EVLOOP_ONCE returns to re-check the predicate.
  EventPtr tick(event_new(
      base, -1, EV_PERSIST, [](evutil_socket_t, short, void*) {}, nullptr));
  const timeval tv{0, 5000};
  event_add(tick.get(), &tv);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return done();
    }
    event_base_loop(base, EVLOOP_ONCE);
  }
  return true;
}

// Runs `base` for `duration` (to let things that must NOT happen get a chance).
inline void runFor(event_base* base, std::chrono::milliseconds duration) {
  const auto end = std::chrono::steady_clock::now() + duration;
  runUntil(
      base, [&] { return std::chrono::steady_clock::now() >= end; }, duration * 2);
}

}  // namespace slotgate::gateway::testing
