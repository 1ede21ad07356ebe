#include "limits/cluster/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <random>

#include "limits/cluster/redis_events.h"
#include "limits/cluster/resp_command.h"

namespace slotgate::limits {
namespace {

std::chrono::milliseconds jittered(std::chrono::milliseconds d) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const int64_t hi = std::max<int64_t>(1, d.count());
  std::uniform_int_distribution<int64_t> dist(hi / 2, hi);
  return std::chrono::milliseconds(dist(rng));
}

}  // namespace

// The handler of a command sent with a RedisReplyFn: deletes itself once called.
struct RedisConnection::Pending final : RedisReplyHandler {
  explicit Pending(RedisReplyFn f) : fn(std::move(f)) {}
  void onRedisReply(const redisReply* reply) override {
    std::unique_ptr<Pending> self(this);
    if (fn) {
      fn(reply);
    }
  }
  void onRedisDropped() override { delete this; }
  RedisReplyFn fn;
};

struct RedisConnection::Subscription {
  RedisConnection* conn;
  RedisReplyFn fn;
};

RedisConnection::RedisConnection(event_base* base, RedisEndpoint endpoint, RedisOptions options)
    : base_(base),
      endpoint_(std::move(endpoint)),
      options_(options),
      connect_timer_(base, [this] { onConnectTimeout(); }),
      command_timer_(base, [this] { onCommandTimer(); }),
      reconnect_timer_(base, [this] { onReconnectTimer(); }) {}

RedisConnection::~RedisConnection() {
  closing_ = true;
  if (redisAsyncContext* ctx = ctx_) {
    ctx_ = nullptr;
    // Runs every pending callback with a NULL reply; closing_ makes them drop their fn.
    redisAsyncFree(ctx);
  }
}

void RedisConnection::start() {
  if (started_) {
    return;
  }
  started_ = true;
  connect();
}

void RedisConnection::setState(State state) {
  const bool was_up = state_ == State::kConnected;
  state_ = state;
  const bool up = state_ == State::kConnected;
  if (was_up != up && on_state_ && !closing_) {
    on_state_(up);
  }
}

void RedisConnection::connect() {
  subscriptions_.clear();  // of a context freed earlier
  if (endpoint_.resolver) {
    target_ = endpoint_.resolver->address();
    if (target_.empty()) {
      // Never resolved yet: ask again off the loop and retry after the backoff.
      endpoint_.resolver->refresh();
      scheduleReconnect();
      return;
    }
  } else {
    target_ = endpoint_.host;
  }
  redisAsyncContext* ctx = redisAsyncConnect(target_.c_str(), endpoint_.port);
  if (ctx == nullptr) {
    scheduleReconnect();
    return;
  }
  if (ctx->err != 0) {
    redisAsyncFree(ctx);
    scheduleReconnect();
    return;
  }
  ctx->data = this;
  if (attachRedisEvents(ctx, base_) != REDIS_OK) {
    redisAsyncFree(ctx);
    scheduleReconnect();
    return;
  }
  redisAsyncSetConnectCallback(ctx, &RedisConnection::onConnect);
  redisAsyncSetDisconnectCallback(ctx, &RedisConnection::onDisconnect);
  ctx_ = ctx;
  setState(State::kConnecting);
  connect_timer_.enable(options_.connect_timeout);
}

void RedisConnection::scheduleReconnect() {
  if (closing_) {
    return;
  }
  const auto cap = options_.backoff_max;
  auto delay = options_.backoff_initial;
  for (uint32_t i = 0; i < attempts_ && delay < cap; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, cap);
  ++attempts_;
  reconnect_timer_.enable(jittered(delay));
}

void RedisConnection::contextGone() {
  ctx_ = nullptr;
  // The server may have moved (failover behind a DNS name): the next attempt uses a fresh
  // resolution if it is back by then, else the last good address.
  if (endpoint_.resolver && !closing_) {
    endpoint_.resolver->refresh();
  }
  deadlines_.clear();
  connect_timer_.disable();
  command_timer_.disable();
  setState(State::kClosed);
  scheduleReconnect();
}

void RedisConnection::reset(std::string_view /*reason*/) {
  redisAsyncContext* ctx = ctx_;
  if (ctx == nullptr) {
    return;
  }
  // Cleared first: callbacks run by the free below see a closed connection, so whatever they
  // send fails cleanly instead of landing on a dying context.
  ctx_ = nullptr;
  setState(State::kClosed);
  redisAsyncFree(ctx);  // pending callbacks get NULL; onDisconnect finds ctx_ already cleared
  contextGone();
}

void RedisConnection::onConnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self == nullptr || self->ctx_ != ac) {
    return;
  }
  self->connect_timer_.disable();
  if (status != REDIS_OK) {
    // hiredis frees the context after this callback; no disconnect callback follows.
    self->contextGone();
    return;
  }
  self->attempts_ = 0;
  ++self->connects_;
  self->setState(State::kConnected);
  if (self->endpoint_.db != 0) {
    const std::string db = std::to_string(self->endpoint_.db);
    RedisConnection* conn = self;
    const bool sent = self->command({"SELECT", db}, [conn](const redisReply* reply) {
      if (reply == nullptr || redisIsError(reply)) {
        conn->reset("SELECT failed");
      }
    });
    if (!sent) {
      return;
    }
  }
  if (self->on_connected_) {
    self->on_connected_();
  }
}

void RedisConnection::onDisconnect(const redisAsyncContext* ac, int /*status*/) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self == nullptr || self->closing_ || self->ctx_ != ac) {
    return;  // freed by reset() or the destructor, which did the bookkeeping
  }
  self->contextGone();
}

bool RedisConnection::command(const std::vector<std::string_view>& argv, RedisReplyFn fn) {
  if (state_ != State::kConnected || ctx_ == nullptr) {
    return false;
  }
  appendRespCommand(commandBuffer(), argv);  // keeps its capacity: no allocation once warm
  auto* pending = new Pending(std::move(fn));
  if (!send(*pending)) {
    delete pending;
    return false;
  }
  return true;
}

bool RedisConnection::send(RedisReplyHandler& handler) {
  if (state_ != State::kConnected || ctx_ == nullptr) {
    return false;
  }
  if (redisAsyncFormattedCommand(ctx_, &RedisConnection::onReply, &handler, wire_.view().data(),
                                 wire_.size()) != REDIS_OK) {
    return false;
  }
  deadlines_.push_back(std::chrono::steady_clock::now() + options_.command_timeout);
  armCommandTimer();
  return true;
}

bool RedisConnection::subscribe(const std::string& channel, RedisReplyFn fn) {
  if (state_ != State::kConnected || ctx_ == nullptr) {
    return false;
  }
  // Owned here, not by hiredis: 0.14 keeps subscription callbacks in a dict and may call them
  // with NULL while freeing the context.
  subscriptions_.push_back(std::make_unique<Subscription>(Subscription{this, std::move(fn)}));
  const char* args[] = {"SUBSCRIBE", channel.data()};
  const size_t lens[] = {9, channel.size()};
  if (redisAsyncCommandArgv(ctx_, &RedisConnection::onSubscriptionReply,
                            subscriptions_.back().get(), 2, args, lens) != REDIS_OK) {
    subscriptions_.pop_back();
    return false;
  }
  return true;
}

void RedisConnection::onReply(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* handler = static_cast<RedisReplyHandler*>(privdata);
  auto* self = static_cast<RedisConnection*>(ac->data);  // set before any command was sent
  if (self->closing_) {
    handler->onRedisDropped();
    return;
  }
  if (!self->deadlines_.empty()) {
    self->deadlines_.pop_front();
  }
  handler->onRedisReply(static_cast<const redisReply*>(reply));
}

void RedisConnection::onSubscriptionReply(redisAsyncContext* /*ac*/, void* reply, void* privdata) {
  auto* sub = static_cast<Subscription*>(privdata);
  if (reply == nullptr || sub->conn->closing_) {
    return;  // the context is being freed; the connection handles that
  }
  sub->fn(static_cast<const redisReply*>(reply));
}

void RedisConnection::armCommandTimer() {
  if (deadlines_.empty() || command_timer_.enabled()) {
    return;
  }
  const auto wait = deadlines_.front() - std::chrono::steady_clock::now();
  command_timer_.enable(std::chrono::ceil<std::chrono::microseconds>(wait));
}

void RedisConnection::onCommandTimer() {
  if (deadlines_.empty()) {
    return;
  }
  if (deadlines_.front() <= std::chrono::steady_clock::now()) {
    reset("command timeout");
    return;
  }
  armCommandTimer();
}

void RedisConnection::onConnectTimeout() {
  if (state_ == State::kConnecting) {
    reset("connect timeout");
  }
}

void RedisConnection::onReconnectTimer() {
  if (ctx_ == nullptr && !closing_) {
    connect();
  }
}

bool redisIsError(const redisReply* reply) {
  return reply != nullptr && reply->type == REDIS_REPLY_ERROR;
}

bool redisIsNoScript(const redisReply* reply) {
  return redisIsError(reply) && redisString(reply).rfind("NOSCRIPT", 0) == 0;
}

std::string_view redisString(const redisReply* reply) {
  if (reply == nullptr || reply->str == nullptr) {
    return {};
  }
  return std::string_view(reply->str, reply->len);
}

}  // namespace slotgate::limits
