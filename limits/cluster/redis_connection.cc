#include "limits/cluster/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <random>

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
  std::string channel;
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
    redisAsyncFree(ctx);
  }
  failSent();  // closing_: onRedisDropped
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
  out_.clear();  // what the lost socket did not take goes nowhere else
  out_sent_ = 0;
  failSent();
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
  // Cleared first: the handlers failed below see a closed connection, so whatever they send
  // fails cleanly instead of landing on a dying context.
  ctx_ = nullptr;
  setState(State::kClosed);
  redisAsyncFree(ctx);  // onDisconnect finds ctx_ already cleared
  contextGone();
}

void RedisConnection::failSent() {
  // Taken out first: a handler may send (and fail, the connection being closed) or reset.
  std::deque<Sent> sent;
  sent.swap(pending_);
  for (const Sent& s : sent) {
    if (closing_) {
      s.handler->onRedisDropped();
    } else {
      s.handler->onRedisReply(nullptr);
    }
  }
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
  // From here on the socket is ours to read and write (hiredis only closes it).
  self->reader_ = std::make_unique<RedisReplyReader>();
  takeRedisSocket(self->ctx_, *self);
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
    out_.truncate(mark_);
    return false;
  }
  if (mark_ == out_sent_) {
    flushRedisSoon(ctx_);  // nothing was waiting to be written: this turn's first command
  }
  pending_.push_back(Sent{&handler, std::chrono::steady_clock::now() + options_.command_timeout});
  armCommandTimer();
  return true;
}

bool RedisConnection::subscribe(const std::string& channel, RedisReplyFn fn) {
  if (state_ != State::kConnected || ctx_ == nullptr) {
    return false;
  }
  // Not a command of pending_: its confirmation and messages go to fn by channel (deliver), and
  // no command_timeout applies.
  subscriptions_.push_back(std::make_unique<Subscription>(Subscription{channel, std::move(fn)}));
  const std::string_view argv[] = {"SUBSCRIBE", channel};
  appendRespCommand(commandBuffer(), argv);
  if (mark_ == out_sent_) {
    flushRedisSoon(ctx_);
  }
  return true;
}

void RedisConnection::onRedisWritable() {
  const int fd = ctx_->c.fd;
  const std::string_view out = out_.view();
  while (out_sent_ < out.size()) {
    const ssize_t n =
        ::send(fd, out.data() + out_sent_, out.size() - out_sent_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_sent_ += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      waitRedisWritable(ctx_);  // the rest once the socket takes more
      return;
    } else {
      reset("write failed");
      return;
    }
  }
  out_.clear();
  out_sent_ = 0;
}

void RedisConnection::onRedisReadable() {
  redisAsyncContext* const ctx = ctx_;
  char buf[16 * 1024];  // as hiredis reads
  ssize_t n;
  do {
    n = ::recv(ctx->c.fd, buf, sizeof buf, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return;
  }
  if (n <= 0) {
    reset(n == 0 ? "connection closed by the server" : "read failed");
    return;
  }
  if (!reader_->feed(buf, static_cast<size_t>(n))) {
    reset("out of memory reading a reply");
    return;
  }
  // Until no complete reply is left, or a handler reset the connection.
  while (ctx_ == ctx) {
    const redisReply* reply = nullptr;
    const RedisReplyReader::Status status = reader_->next(reply);
    if (status == RedisReplyReader::Status::kIncomplete) {
      return;
    }
    if (status == RedisReplyReader::Status::kError) {
      reset("protocol error");
      return;
    }
    deliver(reply);
  }
}

namespace {

// A message or (un)subscribe confirmation of a subscription: ["message", channel, payload],
// ["subscribe", channel, count], ... (RESP2 pub/sub).
bool isSubscriptionReply(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_STRING) {
    return false;
  }
  const std::string_view kind = redisString(reply->element[0]);
  return kind == "message" || kind == "subscribe" || kind == "unsubscribe";
}

}  // namespace

void RedisConnection::deliver(const redisReply* reply) {
  if (!subscriptions_.empty() && isSubscriptionReply(reply)) [[unlikely]] {
    const std::string_view channel = redisString(reply->element[1]);
    for (const auto& sub : subscriptions_) {
      if (sub->channel == channel) {
        sub->fn(reply);
        return;
      }
    }
    return;
  }
  if (pending_.empty()) [[unlikely]] {
    // Nothing was asked: Redis says why it is about to close the connection (max clients,
    // loading), or something is badly out of step.
    reset(redisIsError(reply) ? "unexpected error reply" : "unexpected reply");
    return;
  }
  RedisReplyHandler* handler = pending_.front().handler;
  pending_.pop_front();
  handler->onRedisReply(reply);
}

void RedisConnection::armCommandTimer() {
  if (pending_.empty() || command_timer_.enabled()) {
    return;
  }
  const auto wait = pending_.front().deadline - std::chrono::steady_clock::now();
  command_timer_.enable(std::chrono::ceil<std::chrono::microseconds>(wait));
}

void RedisConnection::onCommandTimer() {
  if (pending_.empty()) {
    return;
  }
  if (pending_.front().deadline <= std::chrono::steady_clock::now()) {
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
