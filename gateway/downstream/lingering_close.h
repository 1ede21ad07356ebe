// Lingering close, as nginx's lingering_close does it: after an answer sent before the
// request was read to its end (401, 404, 413, 431, 400...), the connection is not simply
// closed. Closing a socket with unread input makes the kernel answer with a reset, and a
// client still uploading its body then sees that reset (EPIPE/ECONNRESET on its write)
// instead of the answer: the OpenAI and Anthropic SDKs report a connection error, retry,
// and upload everything again.
//
// So the write side is shut down (the client reads the answer, then end-of-stream) and
// whatever the client still sends is read and dropped, until the client closes or a bound
// is hit: `total` time in all (nginx lingering_time), `between` time without a byte
// (lingering_timeout), `max_bytes` dropped. Then the socket closes.
//
// The answer must already be written out completely: this object only reads. It works on
// the raw descriptor, TLS or not (the TLS session ended with the answer; what follows is
// dropped unread). Loop-thread only; owned like any downstream connection.
#pragma once

#include <event2/event.h>

#include <chrono>
#include <cstdint>
#include <functional>

#include "gateway/downstream/downstream_connection.h"
#include "gateway/event/file_event.h"

namespace slotgate::gateway {

struct LingerLimits {
  std::chrono::milliseconds total{30000};   // nginx lingering_time default
  std::chrono::milliseconds between{5000};  // nginx lingering_timeout default
  uint64_t max_bytes = uint64_t{20} << 20;  // twice the default max_request_body
};

class LingeringClose : public DownstreamConnection {
 public:
  // Why lingering ended (fixed strings, for logs and tests).
  using OnDone = std::function<void(LingeringClose&, const char* why)>;

  // Takes `fd` (its own descriptor; closed by this object), shuts its write side down and
  // starts reading. `on_done` runs once, from the loop, after the descriptor is closed.
  LingeringClose(event_base* base, evutil_socket_t fd, const LingerLimits& limits, OnDone on_done);
  ~LingeringClose() override;
  LingeringClose(const LingeringClose&) = delete;
  LingeringClose& operator=(const LingeringClose&) = delete;

  // Shutdown: stop lingering now.
  void drain() override;

  [[nodiscard]] uint64_t droppedBytes() const { return dropped_; }

 private:
  void onReadable(uint32_t ready);
  void rearm();
  void finish(const char* why);

  evutil_socket_t fd_;
  LingerLimits limits_;
  OnDone on_done_;
  std::chrono::steady_clock::time_point deadline_;
  FileEvent readable_;
  uint64_t dropped_ = 0;
  bool bounded_by_total_ = false;  // the armed wait ends at the total deadline
};

}  // namespace slotgate::gateway
