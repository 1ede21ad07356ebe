// A raw-socket upstream for framing tests: it records every byte the gateway
// sends it (across all connections) and answers each complete request (head
// plus Content-Length body) with a fixed OpenAI chat completion. Tests then
// check exactly which bytes reached the provider side.
//
// Thread-safety: runs its own accept/read thread; bytes() and requests() may be
// called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace slotgate::testing {

class RecordingUpstream {
 public:
  RecordingUpstream();  // listens on 127.0.0.1:0; throws std::runtime_error on failure
  ~RecordingUpstream();
  RecordingUpstream(const RecordingUpstream&) = delete;
  RecordingUpstream& operator=(const RecordingUpstream&) = delete;

  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] std::string baseUrl() const;
  // Everything received so far, all connections concatenated in arrival order.
  [[nodiscard]] std::string bytes() const;
  // Complete requests answered so far.
  [[nodiscard]] int requests() const { return requests_.load(); }

 private:
  void run();

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::string bytes_;
  std::thread thread_;
};

}  // namespace slotgate::testing
