// Shared fixture pieces for the upstream client tests: a recording UpstreamHandler and
// an event loop with a pool. Test thread only.
#pragma once

#include <event2/dns.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/event/libevent_ptr.h"
#include "gateway/upstream/upstream_pool.h"
#include "upstream_test_server.h"

namespace slotgate::gateway::testing {

class RecordingHandler : public UpstreamHandler {
 public:
  void onUpstreamHeaders(int s, const std::vector<UpstreamHeader>& h) override {
    callbacks_after_end += ended() ? 1 : 0;
    status = s;
    headers = h;
    if (on_headers) {
      on_headers();
    }
  }
  void onUpstreamData(std::string_view bytes) override {
    callbacks_after_end += ended() ? 1 : 0;
    chunks.emplace_back(bytes);
    if (on_data) {
      on_data(bytes);
    }
  }
  void onUpstreamComplete() override {
    callbacks_after_end += ended() ? 1 : 0;
    completed = true;
    if (on_complete) {
      on_complete();
    }
  }
  void onUpstreamError(const UpstreamError& e) override {
    callbacks_after_end += ended() ? 1 : 0;
    error = e;
    if (on_error) {
      on_error();
    }
  }

  bool ended() const { return completed || error.has_value(); }
  std::string body() const {
    std::string all;
    for (const auto& c : chunks) {
      all += c;
    }
    return all;
  }
  std::string header(const std::string& name) const {
    for (const auto& h : headers) {
      if (strcasecmp(h.name.c_str(), name.c_str()) == 0) {
        return h.value;
      }
    }
    return "";
  }

  int status = 0;
  std::vector<UpstreamHeader> headers;
  std::vector<std::string> chunks;
  bool completed = false;
  std::optional<UpstreamError> error;
  int callbacks_after_end = 0;
  std::function<void()> on_headers;
  std::function<void(std::string_view)> on_data;
  std::function<void()> on_complete;
  std::function<void()> on_error;
};

// The descriptor of this process's connected TCP socket whose peer (or, with `local`, own)
// port is `port`, or -1. Client and test server share the process.
inline int connectedSocket(uint16_t port, bool local) {
  for (int fd = 3; fd < 1024; ++fd) {
    sockaddr_in peer{};
    sockaddr_in self{};
    socklen_t peer_len = sizeof(peer);
    socklen_t self_len = sizeof(self);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&self), &self_len) == 0 &&
        peer.sin_family == AF_INET && ntohs(local ? self.sin_port : peer.sin_port) == port) {
      return fd;
    }
  }
  return -1;
}

inline UpstreamRequest getRequest(const std::string& path = "/v1/test") {
  UpstreamRequest r;
  r.head = "GET " + path + " HTTP/1.1\r\nHost: upstream\r\n\r\n";
  r.timeout = std::chrono::milliseconds(5000);
  return r;
}

inline UpstreamRequest postRequest(const std::string& body) {
  UpstreamRequest r;
  r.head =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: upstream\r\nContent-Type: "
      "application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  r.body = body;
  r.timeout = std::chrono::milliseconds(5000);
  return r;
}

inline std::string okResponse(const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

inline std::string chunk(const std::string& data) {
  char size[32];
  snprintf(size, sizeof(size), "%zx\r\n", data.size());
  return size + data + "\r\n";
}

inline const std::string kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

// TCP_NODELAY of a provider connection's socket: 1 when Nagle's algorithm is off, -1 when the
// option cannot be read.
inline int tcpNoDelay(const UpstreamConnection& conn) {
  int value = 0;
  socklen_t len = sizeof value;
  if (getsockopt(bufferevent_getfd(conn.bev()), IPPROTO_TCP, TCP_NODELAY, &value, &len) != 0) {
    return -1;
  }
  return value != 0 ? 1 : 0;
}

inline UpstreamOrigin localOrigin(uint16_t port, bool tls = false,
                                  const std::string& host = "127.0.0.1") {
  UpstreamOrigin o;
  o.tls = tls;
  o.host = host;
  o.port = port;
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.idle_timeout = std::chrono::milliseconds(60000);
  return o;
}

class UpstreamTestBase : public ::testing::Test {
 protected:
  UpstreamTestBase() = default;
  ~UpstreamTestBase() override {
    server_.reset();
    loop_.clearDeferredDeletes();  // deferred calls reference the pool
    pool_.reset();
    dns_.reset();
    // evdns_base_free fails pending lookups through deferred callbacks: let them run.
    event_base_loop(base_ptr_, EVLOOP_NONBLOCK);
  }
  void makePool(SSL_CTX* tls = nullptr, size_t max_idle = 64) {
    // No nameservers: names resolve from /etc/hosts only, nothing leaves the machine.
    dns_.reset(evdns_base_new(base_ptr_, 0));
    evdns_base_load_hosts(dns_.get(), nullptr);
    pool_ = std::make_unique<UpstreamPool>(loop_, dns_.get(), tls, max_idle);
  }
  void makeServer(TestHttpServer::OnRequest on_request, SSL_CTX* tls = nullptr) {
    server_ = std::make_unique<TestHttpServer>(base_ptr_, std::move(on_request), tls);
  }
  bool runUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    return testing::runUntil(base_ptr_, done, limit);
  }
  void runFor(std::chrono::milliseconds d) { testing::runFor(base_ptr_, d); }

  Dispatcher loop_;  // driven by the test thread (never start()ed)
  event_base* const base_ptr_ = loop_.base();
  EvdnsBasePtr dns_;
  std::unique_ptr<UpstreamPool> pool_;
  std::unique_ptr<TestHttpServer> server_;
};

}  // namespace slotgate::gateway::testing
