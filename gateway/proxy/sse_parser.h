// Incremental Server-Sent Events parser (the WHATWG event-stream format).
//
// Upstream streams arrive in arbitrary network reads: an event, a line or a
// CRLF pair may be split anywhere. feed() keeps only the partial line and the
// partial event between calls, and calls on_event(event_name, data) for each
// complete event, data being the event's `data:` lines joined with '\n'
// (event_name is "" when the event has no `event:` field). Line ends may be
// "\n", "\r\n" or "\r"; comments (":...") and id/retry fields are ignored; an
// event with no data line is not dispatched.
//
// Bounded: an event whose data and name, plus the line being read (a comment or any other
// field included), exceed max_event_bytes is discarded up to its terminating blank line
// and counted in droppedEvents(); buffered memory never exceeds about max_event_bytes.
// Thread-safety: none; one parser per stream, used on the stream's worker.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace slotgate::gateway {

class SseParser {
 public:
  static constexpr size_t kDefaultMaxEventBytes = 1 << 20;

  explicit SseParser(size_t max_event_bytes = kDefaultMaxEventBytes);

  // on_event: callable as on_event(std::string_view event, std::string_view data).
  // The views are valid only during the call. on_event must not call feed().
  template <typename F>
  void feed(std::string_view bytes, F&& on_event) {
    using Fn = std::remove_reference_t<F>;
    feedImpl(
        bytes,
        [](void* ctx, std::string_view event, std::string_view data) {
          (*static_cast<Fn*>(ctx))(event, data);
        },
        const_cast<void*>(static_cast<const void*>(&on_event)));
  }

  size_t droppedEvents() const { return dropped_events_; }
  // Bytes currently buffered for the partial line and event (for tests and accounting).
  size_t bufferedBytes() const { return line_.size() + data_.size() + event_.size(); }

 private:
  using RawCallback = void (*)(void* ctx, std::string_view event, std::string_view data);

  void feedImpl(std::string_view bytes, RawCallback cb, void* ctx);
  void appendPartialLine(std::string_view piece);
  void endLine(std::string_view piece, RawCallback cb, void* ctx);
  void processLine(std::string_view line, RawCallback cb, void* ctx);
  void dispatch(RawCallback cb, void* ctx);
  void startDiscard();
  void resetEvent();

  size_t max_event_bytes_;
  std::string line_;   // partial line carried across feed() calls
  std::string data_;   // data lines of the current event, joined with '\n'
  std::string event_;  // event name of the current event
  bool has_data_ = false;
  bool pending_cr_ = false;  // the last byte fed was '\r': a leading '\n' next completes a CRLF
  bool discarding_ = false;  // skipping the rest of an oversized event
  bool discard_line_has_bytes_ = false;
  size_t dropped_events_ = 0;
};

}  // namespace slotgate::gateway
