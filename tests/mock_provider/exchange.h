// One model request being answered: the plan decided from its body and control headers, and
// the state machine that delays, streams, fails or drops it.
//
// Lifetime (the classic evhttp pitfall): an Exchange that cannot answer at once registers a
// close callback on its connection. If the client goes away first, libevent detaches the
// request from the dying connection (the request is then ours to free) and calls us; we stop
// the timer, count `cancelled` and delete ourselves. Before answering or closing on purpose we
// clear the close callback, so it never fires for a finished exchange. Worker-thread only.
#pragma once

#include <cstdint>
#include <string>

#include "tests/mock_provider/api.h"

struct bufferevent;
struct evhttp_request;
struct evhttp_connection;
struct event;

namespace slotgate::mock {

class Worker;

struct Plan {
  ApiPath path = ApiPath::kChatCompletions;
  FailMode fail = FailMode::kNone;
  bool stream = false;
  bool includeUsage = false;
  int chunks = 3;
  int delayMs = 0;
  int latencyMs = 0;
  size_t bodyBytes = 0;
  // x-mock-hold: wait under this name until released ("" = no hold). A stream is held after
  // its headers and opening events unless holdBeforeHeaders (x-mock-hold-at: headers); any
  // other answer is held before its first byte. holdEachChunk (x-mock-hold-at: chunks): a
  // stream is held again before each content chunk, one release per chunk.
  std::string holdName;
  bool holdBeforeHeaders = false;
  bool holdEachChunk = false;
  int embeddingInputs = 1;
  uint64_t id = 0;
  int64_t created = 0;
  std::string model;
};

class Exchange {
 public:
  // Answers `req` per `plan`; stats.begin() must have been called. Answers synchronously when
  // nothing is delayed, otherwise the Exchange owns itself until it completes or is cancelled.
  static void start(Worker& worker, evhttp_request* req, Plan&& plan);

  // Worker shutdown after evhttp_free: the request went with its connection; just delete.
  void abandon();

  // The test released this held exchange (Worker::onReleased): carry on where it waited.
  void resume();

 private:
  enum class Phase { kLatency, kBodyDelay, kStreaming, kClosing, kHang, kHeld };

  Exchange(Worker& worker, evhttp_request* req, Plan&& plan);
  ~Exchange();

  static void onTimer(int fd, short what, void* arg);
  static void onConnectionClose(evhttp_connection* conn, void* arg);
  static void onWatchRead(bufferevent* bev, void* arg);
  static void onWatchEvent(bufferevent* bev, short what, void* arg);

  // evhttp does not read (so does not notice a client's EOF) between reading a request and
  // the first byte of its answer. While we wait (latency, delay, hang) we borrow the
  // bufferevent's callbacks to see EOF and hand it to evhttp's own error callback, which
  // detaches the request and closes the connection like any other disconnect.
  void watchClose();
  void unwatchClose();

  void begin();
  void afterLatency();
  void startStream();
  void continueStream();
  // False when the chunk ended the stream on purpose (drop): `this` may be gone then.
  [[nodiscard]] bool sendContentChunk();
  void endStream();
  void closeSoon();
  void closeNow();
  void arm(int ms);
  // Waits under plan_.holdName (once per exchange, or per chunk) until resume().
  void enterHold();
  [[nodiscard]] bool holdPending() const { return !plan_.holdName.empty() && !holdTaken_; }
  // x-mock-hold-at: chunks, and the next content chunk has not been released yet.
  [[nodiscard]] bool holdBeforeChunk() const {
    return plan_.holdEachChunk && sent_ < plan_.chunks && releases_ <= sent_;
  }
  // Stops callbacks into this exchange (close callback, timer) before it answers.
  void detach();
  // Counts the end and deletes `this`.
  void done(bool cancelled);

  Worker& worker_;
  evhttp_request* req_;
  evhttp_connection* conn_ = nullptr;
  Plan plan_;
  event* timer_ = nullptr;
  Phase phase_ = Phase::kLatency;
  int sent_ = 0;
  int closeWaitTicks_ = 0;
  bool headersSent_ = false;
  bool holdTaken_ = false;
  int releases_ = 0;     // how many times a hold of this exchange ended
  uint64_t holdId_ = 0;  // non-zero while held
  // evhttp's bufferevent callbacks while watchClose() borrowed them.
  bool watching_ = false;
  short savedEnabled_ = 0;
  void (*savedRead_)(bufferevent*, void*) = nullptr;
  void (*savedWrite_)(bufferevent*, void*) = nullptr;
  void (*savedEvent_)(bufferevent*, short, void*) = nullptr;
  void* savedArg_ = nullptr;
};

// Writes a complete (non-stream) answer for `plan` to `req`.
void sendBody(evhttp_request* req, const Plan& plan);
// Writes an error answer in the format of `path`.
void sendError(evhttp_request* req, ApiPath path, int status, const char* message);

}  // namespace slotgate::mock
