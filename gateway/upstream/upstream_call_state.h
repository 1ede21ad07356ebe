// Where an UpstreamCall is in its life, and the moves between those places. The state is
// the truth: UpstreamCall derives "finished", "connected", "response started" and "head
// read" from it instead of keeping a bool for each, and every change goes through
// UpstreamCall::moveTo, which holds it to canMove() below (asserted in debug builds).
//
//   kCreated -> kAttachPending -> kConnecting -> kSending -> kReadingHead -> kReadingBody
//   kAttachPending -> kSending directly for a reused keep-alive connection (already open);
//   kSending -> kAttachPending for the one re-send (see UpstreamCall::canResend);
//   every state but kDone -> kDone (complete, fail or cancel); kDone is final.
#pragma once

#include <cstdint>
#include <string_view>

namespace slotgate::gateway {

// Declared in the order of a call's life: UpstreamCall compares states with `<`.
enum class UpstreamCallState : uint8_t {
  kCreated,        // start() not called yet
  kAttachPending,  // a connection is taken or opened on the next kick (start, or a re-send)
  kConnecting,     // a fresh connection is being opened; the request waits for it
  kSending,        // connected; the request written or being written; no response byte yet
  kReadingHead,    // response bytes arrived: the request is never sent again from here on
  kReadingBody,    // the final head went to the handler; body pieces follow
  kDone,           // completed, failed or cancelled: no further callback, no connection
};

// Where the call's current connection came from: whether a failure before any byte left may
// be undone by sending the request again on a fresh connection, which happens at most once.
enum class UpstreamAttempt : uint8_t {
  kFresh,            // opened for this call
  kReused,           // taken from the idle pool: the server may have closed it meanwhile
  kFreshAfterStale,  // the re-send after a reused connection failed; never re-sent again
};

[[nodiscard]] constexpr bool canMove(UpstreamCallState from, UpstreamCallState to) {
  using S = UpstreamCallState;
  if (to == S::kDone) {
    return from != S::kDone;
  }
  switch (from) {
    case S::kCreated:
      return to == S::kAttachPending;
    case S::kAttachPending:
      return to == S::kConnecting || to == S::kSending;  // fresh, or reused (already connected)
    case S::kConnecting:
      return to == S::kSending;
    case S::kSending:
      return to == S::kReadingHead || to == S::kAttachPending;  // answer, or the re-send
    case S::kReadingHead:
      return to == S::kReadingBody;
    case S::kReadingBody:
    case S::kDone:
      return false;
  }
  return false;
}

[[nodiscard]] constexpr std::string_view stateName(UpstreamCallState s) {
  switch (s) {
    case UpstreamCallState::kCreated:
      return "created";
    case UpstreamCallState::kAttachPending:
      return "attach_pending";
    case UpstreamCallState::kConnecting:
      return "connecting";
    case UpstreamCallState::kSending:
      return "sending";
    case UpstreamCallState::kReadingHead:
      return "reading_head";
    case UpstreamCallState::kReadingBody:
      return "reading_body";
    case UpstreamCallState::kDone:
      return "done";
  }
  return "?";
}

}  // namespace slotgate::gateway
