#include "gateway/upstream/upstream_pool.h"

#include <event2/buffer.h>

#include <algorithm>
#include <cstdlib>

#include "gateway/event/thread_pooled.h"
#include "gateway/upstream/upstream_call.h"

namespace slotgate::gateway {
namespace {

// What the caller holds. Destroying it cancels the call; if one of the call's callbacks
// is on the stack (the handler destroys the exchange from inside a callback), the call
// object itself is deleted later by the pool.
class UpstreamExchangeImpl final : public UpstreamExchange,
                                   public ThreadPooled<UpstreamExchangeImpl> {
 public:
  UpstreamExchangeImpl(UpstreamPool& pool, std::unique_ptr<UpstreamCall> call)
      : pool_(pool), call_(std::move(call)) {}
  ~UpstreamExchangeImpl() override {
    call_->cancel();
    if (call_->dispatching()) {
      pool_.deferDelete(std::move(call_));
    }
  }
  void pauseReading() override { call_->pauseReading(); }
  void resumeReading() override { call_->resumeReading(); }

 private:
  UpstreamPool& pool_;
  std::unique_ptr<UpstreamCall> call_;
};

}  // namespace

UpstreamPool::UpstreamPool(Dispatcher& dispatcher, evdns_base* dns, SSL_CTX* tls_ctx,
                           size_t max_idle_per_origin)
    : dispatcher_(dispatcher),
      dns_(dns),
      tls_ctx_(tls_ctx),
      max_idle_per_origin_(max_idle_per_origin) {}

UpstreamPool::~UpstreamPool() { closeIdle(); }

UpstreamExchangePtr UpstreamPool::send(const UpstreamOrigin& origin, UpstreamRequest&& request,
                                       UpstreamHandler& handler) {
  auto call = std::make_unique<UpstreamCall>(*this, origin, std::move(request), handler);
  call->start();
  return std::make_unique<UpstreamExchangeImpl>(*this, std::move(call));
}

size_t UpstreamPool::idleConnections() const {
  size_t n = 0;
  for (const auto& [key, list] : idle_) {
    n += list.size();
  }
  return n;
}

void UpstreamPool::closeIdle() { idle_.clear(); }

UpstreamConnectionPtr UpstreamPool::takeIdle(const UpstreamOrigin& origin) {
  key_scratch_.clear();
  origin.appendPoolKey(key_scratch_);
  auto it = idle_.find(key_scratch_);
  if (it == idle_.end()) {
    return nullptr;
  }
  auto& list = it->second;
  while (!list.empty()) {
    UpstreamConnectionPtr conn = std::move(list.back());
    list.pop_back();
    // The loop may not have run the idle callbacks yet for a close that already
    // arrived: a request written to such a connection would be lost in a race the
    // caller could not tell from a provider that received it.
    if (!conn->stillOpen()) {
      continue;  // closes it
    }
    conn->stopIdleTimer();
    conn->setIdlePool(nullptr);
    return conn;
  }
  return nullptr;
}

void UpstreamPool::release(UpstreamConnectionPtr conn, std::chrono::milliseconds idle_timeout) {
  auto& list = idle_[conn->poolKey()];
  if (list.size() >= max_idle_per_origin_) {
    return;  // conn closes here
  }
  UpstreamConnection* raw = conn.get();
  raw->setIdlePool(this);
  // Reading stays on while idle so a server close (EOF) is noticed at once.
  bufferevent_setcb(raw->bev(), &UpstreamPool::onIdleRead, nullptr, &UpstreamPool::onIdleEvent,
                    raw);
  // EV_WRITE off: enabling it with nothing to write costs an epoll_ctl, a
  // wake-up and another epoll_ctl; the next request enables it if it must.
  bufferevent_disable(raw->bev(), EV_WRITE);
  bufferevent_enable(raw->bev(), EV_READ);
  raw->armIdleTimer(idle_timeout);
  list.push_back(std::move(conn));
}

void UpstreamPool::dropIdle(UpstreamConnection* conn) {
  auto it = idle_.find(conn->poolKey());
  if (it == idle_.end()) {
    return;
  }
  auto& list = it->second;
  auto pos = std::find_if(list.begin(), list.end(),
                          [conn](const UpstreamConnectionPtr& c) { return c.get() == conn; });
  if (pos != list.end()) {
    list.erase(pos);  // closes it
  }
}

void UpstreamPool::onIdleRead(bufferevent*, void* arg) {
  // Unsolicited bytes on an idle connection: it is out of sync, never reuse it.
  auto* conn = static_cast<UpstreamConnection*>(arg);
  conn->idlePool()->dropIdle(conn);
}

void UpstreamPool::onIdleEvent(bufferevent*, short, void* arg) {
  // EOF or error while idle: the server closed it (its keep-alive timeout, restart...).
  auto* conn = static_cast<UpstreamConnection*>(arg);
  conn->idlePool()->dropIdle(conn);
}

Http1Parser UpstreamPool::takeResponseParser() {
  if (spare_parsers_.empty()) {
    return Http1Parser(Http1Parser::Mode::kResponse,
                       Http1ParserLimits{kMaxUpstreamHeadBytes, kMaxUpstreamHeadFields, {}});
  }
  Http1Parser parser = std::move(spare_parsers_.back());
  spare_parsers_.pop_back();
  return parser;
}

void UpstreamPool::giveResponseParser(Http1Parser&& parser) {
  // As many as calls run at once on a busy worker; more would only hold memory.
  constexpr size_t kMaxSpareParsers = 256;
  if (spare_parsers_.size() >= kMaxSpareParsers) {
    return;
  }
  parser.reset();
  spare_parsers_.push_back(std::move(parser));
}

UpstreamPool::LentDeadlinePtr UpstreamPool::takeDeadline() {
  if (spare_deadlines_.empty()) {
    return std::make_unique<LentDeadline>(base());
  }
  LentDeadlinePtr deadline = std::move(spare_deadlines_.back());
  spare_deadlines_.pop_back();
  return deadline;
}

void UpstreamPool::giveDeadline(LentDeadlinePtr deadline) {
  // As many as calls run at once on a busy worker, like the parsers.
  constexpr size_t kMaxSpareDeadlines = 256;
  if (!deadline) {
    return;
  }
  deadline->reclaim();
  if (spare_deadlines_.size() < kMaxSpareDeadlines) {
    spare_deadlines_.push_back(std::move(deadline));
  }
}

void UpstreamPool::deferDelete(std::unique_ptr<UpstreamCall> call) {
  dispatcher_.deferredDelete(std::move(call));
}

}  // namespace slotgate::gateway
