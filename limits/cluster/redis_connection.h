// One asynchronous Redis connection on one libevent loop, with connect and command timeouts,
// reconnection with backoff, and an explicit state (like h2o's lib/common/redis.c).
//
// hiredis (0.14's async API) connects the socket and closes it; once connected, the connection
// writes and reads the socket itself (redis_events.h's RedisSocketIo): commands are formatted
// straight into its output buffer, written once per loop turn, and replies are read by a
// RedisReplyReader and handed to the handlers of a FIFO of its own. Through hiredis each
// command cost ~1k instructions more (its copy of the bytes into its output buffer, its
// SUBSCRIBE/MONITOR name match, a malloc'd callback node) and each reply ~400 (its reply
// objects' allocations and frees).
#pragma once

#include <event2/event.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/event/timer.h"
#include "limits/clock.h"
#include "limits/cluster/redis_events.h"
#include "limits/cluster/redis_reply_reader.h"
#include "limits/cluster/redis_resolver.h"
#include "limits/cluster/resp_command.h"

struct redisAsyncContext;
struct redisReply;

namespace slotgate::limits {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  int db = 0;
  // Where a host name's address comes from (shared by every connection of the process).
  // Without one, `host` is handed to hiredis as it is: fine for a numeric address, while a
  // name would be resolved by hiredis on the loop.
  std::shared_ptr<RedisResolver> resolver;
};

struct RedisOptions {
  // A connection not established within this is abandoned and retried.
  std::chrono::milliseconds connect_timeout{1000};
  // A command without a reply within this marks the connection broken: every pending command
  // fails (callback with nullptr) and the connection is re-established.
  std::chrono::milliseconds command_timeout{1000};
  // Reconnect delays: doubling from `backoff_initial` up to `backoff_max`, each drawn uniformly
  // from [d/2, d] so that many workers and instances do not reconnect in lockstep.
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{2000};
};

// The reply of one command, or nullptr when it failed without one (connection broken, command
// timed out). Only valid during the call (its memory is reused for the next reply).
using RedisReplyFn = std::function<void(const redisReply* reply)>;

// The receiver of one command's reply, kept alive by its owner until it is called: what the
// hot path uses instead of a RedisReplyFn (no std::function, no allocation per command).
class RedisReplyHandler {
 public:
  // Exactly once per command sent with it, on the loop, never inside send(): the reply (valid
  // during the call only), or nullptr when none came (connection broken, command timed out).
  virtual void onRedisReply(const redisReply* reply) = 0;
  // Instead of onRedisReply, when the connection is destroyed with the command pending: send
  // nothing from here.
  virtual void onRedisDropped() {}

 protected:
  ~RedisReplyHandler() = default;
};

// Loop-thread only (the thread running `base`), including construction after the loop runs and
// destruction; constructing before the loop thread starts is fine. Never destroy it from inside
// one of its own callbacks (hiredis would free the context under itself): defer the deletion.
class RedisConnection final : private RedisSocketIo {
 public:
  enum class State { kClosed, kConnecting, kConnected };

  RedisConnection(event_base* base, RedisEndpoint endpoint, RedisOptions options = {});
  // Frees the context; callbacks of commands still pending are dropped, not called.
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects now and keeps reconnecting (with backoff) whenever the connection is lost.
  void start();

  State state() const { return state_; }
  bool connected() const { return state_ == State::kConnected; }
  // Commands sent and not answered yet.
  size_t pending() const { return pending_.size(); }

  // Sends a command (pipelined behind anything already sent). Returns false, and never calls
  // fn, unless connected. Otherwise fn runs exactly once on the loop, from a later event (never
  // inside this call): with the reply, or nullptr if the connection broke first.
  [[nodiscard]] bool command(const std::vector<std::string_view>& argv, RedisReplyFn fn);

  // The same without a std::function: append the command to commandBuffer() (a RespWriter over
  // it: the connection's output, written at the end of the loop turn), then send(handler)
  // sends it. send returns false (the handler is never called, the command is dropped) unless
  // connected. Nothing else may be sent between the two calls.
  RespBuffer& commandBuffer() {
    mark_ = out_.size();
    return out_;
  }
  [[nodiscard]] bool send(RedisReplyHandler& handler);

  // Subscriber connections: SUBSCRIBE channel; fn gets every reply of the subscription
  // (subscribe confirmation and messages; see redisReply). Not bound by command_timeout. A
  // subscription lasts for the current connection: subscribe again from on_connected.
  [[nodiscard]] bool subscribe(const std::string& channel, RedisReplyFn fn);

  // Called on the loop after every (re)connection, before any other command goes out on it.
  void setOnConnected(std::function<void()> fn) { on_connected_ = std::move(fn); }
  // Called on the loop with true when connected and false when a connection is lost.
  void setStateListener(std::function<void(bool up)> fn) { on_state_ = std::move(fn); }

  // Drops the connection now (as a command timeout would) and reconnects after a backoff.
  void reset(std::string_view reason);

  // Connections established so far (tests, logs).
  uint64_t connects() const { return connects_; }
  // The address the last connection attempt went to ("" before the first): numeric when the
  // endpoint has a resolver.
  const std::string& target() const { return target_; }

 private:
  struct Pending;
  struct Subscription;
  struct Sent {
    RedisReplyHandler* handler;
    SteadyTime deadline;
  };

  void connect();
  void scheduleReconnect();
  void contextGone();  // the context was freed (or is being freed): back to kClosed
  // Commands sent and not answered: their handlers get nullptr (or onRedisDropped when closing).
  void failSent();
  void armCommandTimer();
  void setState(State state);
  void deliver(const redisReply* reply);

  void onRedisReadable() override;
  void onRedisWritable() override;
  static void onConnect(const redisAsyncContext* ac, int status);
  static void onDisconnect(const redisAsyncContext* ac, int status);
  void onConnectTimeout();
  void onCommandTimer();
  void onReconnectTimer();

  event_base* const base_;
  const RedisEndpoint endpoint_;
  const RedisOptions options_;
  redisAsyncContext* ctx_ = nullptr;  // hiredis frees it; cleared in contextGone()
  State state_ = State::kClosed;
  bool started_ = false;
  bool closing_ = false;   // in the destructor: drop callbacks
  uint32_t attempts_ = 0;  // failed connects since the last success (backoff exponent)
  uint64_t connects_ = 0;
  std::string target_;
  RespBuffer out_;            // commands to write, in RESP (kept at size and reused)
  size_t out_sent_ = 0;       // bytes of out_ the socket took already (a partial write)
  size_t mark_ = 0;           // out_'s size when commandBuffer() was called: send() drops the rest
  std::deque<Sent> pending_;  // commands sent, oldest first (Redis answers in order)
  std::unique_ptr<RedisReplyReader> reader_;                  // of the current connection
  std::vector<std::unique_ptr<Subscription>> subscriptions_;  // of the current context
  gateway::Timer connect_timer_;
  gateway::Timer command_timer_;
  gateway::Timer reconnect_timer_;
  std::function<void()> on_connected_;
  std::function<void(bool)> on_state_;
};

using RedisConnectionPtr = std::unique_ptr<RedisConnection>;

// Helpers for replies (nullptr-safe).
bool redisIsError(const redisReply* reply);
// "NOSCRIPT ..." error: the script cache was flushed (restart, failover, SCRIPT FLUSH).
bool redisIsNoScript(const redisReply* reply);
std::string_view redisString(const redisReply* reply);

}  // namespace slotgate::limits
