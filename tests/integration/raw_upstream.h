// A scripted upstream on a raw socket, for integration tests that need answers no real
// server gives (interim responses with bodies, ambiguous framing, a close instead of an
// answer) and an exact count of the requests that reached the provider side.
//
// One thread of its own accepts on 127.0.0.1:0 and reads requests (head plus a
// Content-Length body; slotgate always sends one). For each complete request the script
// says which bytes to send back and whether to close the connection afterwards.
//
// Thread-safety: the accessors may be called from any thread; the script runs on the
// upstream's own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace slotgate::testing {

class RawUpstream {
 public:
  struct Request {
    int connection = 0;     // 0-based accept order
    int on_connection = 0;  // 0-based index of this request on its connection
    std::string head;
    std::string body;
  };
  struct Reply {
    std::string bytes;   // sent as they are (may be empty)
    bool close = false;  // close the connection once they are written
  };
  using Script = std::function<Reply(const Request&)>;

  explicit RawUpstream(Script script);
  ~RawUpstream();
  RawUpstream(const RawUpstream&) = delete;
  RawUpstream& operator=(const RawUpstream&) = delete;

  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] std::string baseUrl() const;
  // Complete requests received so far, in arrival order.
  [[nodiscard]] std::vector<Request> requests() const;
  [[nodiscard]] size_t requestCount() const;
  [[nodiscard]] int connectionsAccepted() const;
  // Connections the gateway closed (EOF or reset seen here).
  [[nodiscard]] int connectionsClosedByPeer() const;

 private:
  struct Connection;
  void run();

  Script script_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: ends the thread
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<Request> requests_;
  int accepted_ = 0;
  int closed_by_peer_ = 0;
  std::thread thread_;
};

// An HTTP/1.1 200 answer with a JSON body and its Content-Length.
[[nodiscard]] std::string rawOkResponse(const std::string& json);

}  // namespace slotgate::testing
