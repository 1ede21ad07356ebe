#include "limits/cluster/cluster_slots.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <random>
#include <utility>

#include "gateway/event/thread_pooled.h"
#include "limits/cluster/cluster_core.h"
#include "limits/cluster/cluster_scripts.h"

namespace slotgate::limits {
namespace detail {
namespace {

// Renewals go out in batches of this many leases: one script call each, short enough not to
// stall Redis.
constexpr size_t kRenewBatch = 256;
constexpr size_t kMaxUnreleased = 65536;
// How often releaseAll looks whether Redis answered every release.
constexpr std::chrono::milliseconds kDrainTick{5};

std::chrono::milliseconds retryDelay(const ClusterOptions& o) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const auto lo = o.retry_min.count();
  std::uniform_int_distribution<int64_t> dist(lo, std::max(lo, o.retry_max.count()));
  return std::chrono::milliseconds(dist(rng));
}

}  // namespace

// ---- AcquireOp, ReleaseCall: what their script calls send, where the replies go ----

namespace {

constexpr std::string_view kSlots = "slots:";
constexpr std::string_view kProbe = "probe:";

uint64_t windowMs(const SlotRequest& c) {
  return static_cast<uint64_t>(std::max<int64_t>(1, c.probe_window.count()));
}

}  // namespace

size_t AcquireOp::keyCount() const {
  if (admit) {
    return candidates.size() > 1 ? 3 : 1;
  }
  return 2 * candidates.size();
}

size_t AcquireOp::argCount() const {
  if (admit) {
    return candidates.size() > 1 ? 7 : 3;
  }
  return 2 + 3 * candidates.size();
}

// The layouts of admitScript and acquireScript (cluster_scripts.h).
void AcquireOp::writeKeysAndArgs(RespWriter& out) const {
  const std::string& prefix = owner->options().prefix;
  const std::string& lease_prefix = owner->leasePrefix();
  const std::string& ttl = owner->ttlArg();
  if (admit) {
    const SlotRequest& client = candidates[0];
    const SlotRequest* provider = candidates.size() > 1 ? &candidates[1] : nullptr;
    out.arg(prefix, kSlots, client.key_id);
    if (provider != nullptr) {
      out.arg(prefix, kSlots, provider->key_id);
      out.arg(prefix, kProbe, provider->key_id);
    }
    out.raw(ttl);
    out.arg(lease_prefix, lease_no);
    out.arg(client.limit);
    if (provider != nullptr) {
      out.arg(lease_prefix, provider_lease_no);
      out.arg(provider->limit);
      out.arg(provider->probe_limit);
      out.arg(windowMs(*provider));
    }
    return;
  }
  for (const SlotRequest& c : candidates) {
    out.arg(prefix, kSlots, c.key_id);
    out.arg(prefix, kProbe, c.key_id);
  }
  out.raw(ttl);
  out.arg(lease_prefix, lease_no);
  for (const SlotRequest& c : candidates) {
    out.arg(c.limit);
    out.arg(c.probe_limit);
    out.arg(windowMs(c));
  }
}

void AcquireOp::onScriptReply(const redisReply* reply) {
  // Held for the rest of this call; the op may go with it.
  const std::shared_ptr<AcquireOp> op = std::move(in_flight_hold);
  in_flight = false;
  if (admit) {
    owner->onAdmitReply(op, reply);
  } else {
    owner->onReply(op, reply);
  }
}

void AcquireOp::onRedisDropped() {
  in_flight = false;
  const std::shared_ptr<AcquireOp> op = std::move(in_flight_hold);  // may be the last holder
}

void ReleaseCall::writeKeysAndArgs(RespWriter& out) const {
  const std::string& prefix = owner->options().prefix;
  const std::string& lease_prefix = owner->leasePrefix();
  if (releases.size() == 1) {  // sent as ZREM <zset> <lease>
    out.raw("$4\r\nZREM\r\n");
  }
  for (const PendingRelease& r : releases) {
    out.arg(prefix, kSlots, r.key_id);
  }
  for (const PendingRelease& r : releases) {
    out.arg(lease_prefix, r.lease_no);
  }
}

void ReleaseCall::onScriptReply(const redisReply* /*reply*/) {
  owner->releaseCallDone(*this, true);
}

void ReleaseCall::onRedisDropped() { owner->releaseCallDone(*this, false); }

// ---- ClusterCore ----

ClusterCore::ClusterCore(gateway::Dispatcher& loop, RedisEndpoint endpoint, ClusterOptions options)
    : loop_(loop),
      options_(std::move(options)),
      lease_prefix_(options_.instance_id + ":" + std::to_string(options_.worker_index) + ":"),
      ttl_arg_(
          formatArgs(std::array<std::string_view, 1>{std::to_string(options_.lease_ttl.count())})),
      conn_(std::make_unique<RedisConnection>(loop.base(), std::move(endpoint), options_.redis)),
      release_flush_(loop.createSchedulableCallback([this] { flushReleases(); })),
      renew_timer_(loop.createTimer([this] {
        renew();
        renew_timer_->enable(renew_period_);
      })),
      renew_period_(std::max<std::chrono::milliseconds>(std::chrono::milliseconds(10),
                                                        options_.lease_ttl / 3)),
      drain_timer_(loop.createTimer([this] {
        checkDrained();
        if (drain_done_) {
          drain_timer_->enable(kDrainTick);
        }
      })) {
  conn_->setOnConnected([this] { onConnected(); });
  conn_->setStateListener([this](bool up) {
    if (on_state_) {
      on_state_(up);
    }
  });
}

// The connection goes first: its destructor drops the calls still pending (ops let go of
// themselves, release calls go back to the idle list, which this object still owns).
ClusterCore::~ClusterCore() { conn_.reset(); }

void ClusterCore::start() {
  conn_->start();
  renew_timer_->enable(renew_period_);
}

void ClusterCore::attempt(const std::shared_ptr<AcquireOp>& op) {
  flushReleases();  // releases asked for before this acquisition reach Redis before it
  if (op->send(acquireScript(), *conn_)) {
    op->in_flight = true;
    op->in_flight_hold = op;
    return;
  }
  std::weak_ptr<ClusterCore> weak = weak_from_this();
  defer([weak, op] {
    if (auto core = weak.lock()) {
      core->deliver(op, ClusterSlots::Outcome::kUnavailable, {});
    }
  });
}

void ClusterCore::sendAdmit(const std::shared_ptr<AcquireOp>& op) {
  flushReleases();
  if (op->send(admitScript(), *conn_)) {
    op->in_flight = true;
    op->in_flight_hold = op;
    return;
  }
  std::weak_ptr<ClusterCore> weak = weak_from_this();
  defer([weak, op] {
    if (auto core = weak.lock()) {
      core->deliverAdmit(op, ClusterSlots::AdmitOutcome::kUnavailable, {}, {});
    }
  });
}

std::shared_ptr<LeaseEntry> ClusterCore::track(const SlotRequest& request, uint64_t lease_no) {
  auto entry = std::allocate_shared<LeaseEntry>(gateway::PoolAllocator<LeaseEntry>());
  entry->core = weak_from_this();
  entry->key_id = request.key_id;
  entry->lease_no = lease_no;
  entry->limit = request.limit;
  link(*entry);
  return entry;
}

void ClusterCore::link(LeaseEntry& entry) {
  entry.live = true;
  entry.prev_live = nullptr;
  entry.next_live = live_head_;
  if (live_head_ != nullptr) {
    live_head_->prev_live = &entry;
  }
  live_head_ = &entry;
  ++live_count_;
}

void ClusterCore::unlink(LeaseEntry& entry) {
  if (!entry.live) {
    return;
  }
  entry.live = false;
  if (entry.prev_live != nullptr) {
    entry.prev_live->next_live = entry.next_live;
  } else {
    live_head_ = entry.next_live;
  }
  if (entry.next_live != nullptr) {
    entry.next_live->prev_live = entry.prev_live;
  }
  entry.prev_live = nullptr;
  entry.next_live = nullptr;
  --live_count_;
}

void ClusterCore::onAdmitReply(const std::shared_ptr<AcquireOp>& op, const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) {
    deliverAdmit(op, ClusterSlots::AdmitOutcome::kUnavailable, {}, {});
    return;
  }
  if (reply->integer == -1) {
    deliverAdmit(op, ClusterSlots::AdmitOutcome::kClientFull, {}, {});
    return;
  }
  if (reply->integer != 1) {
    deliverAdmit(op, ClusterSlots::AdmitOutcome::kProviderFull, {}, {});
    return;
  }
  // Both taken: tracked (renewed) from now; a cancelled request's leases go back at once (their
  // handles' destructors, in deliverAdmit).
  ClusterLease client(track(op->candidates[0], op->lease_no));
  ClusterLease provider;
  if (op->candidates.size() > 1) {
    provider = ClusterLease(track(op->candidates[1], op->provider_lease_no));
  }
  deliverAdmit(op, ClusterSlots::AdmitOutcome::kGranted, std::move(client), std::move(provider));
}

void ClusterCore::deliverAdmit(const std::shared_ptr<AcquireOp>& op,
                               ClusterSlots::AdmitOutcome outcome, ClusterLease client,
                               ClusterLease provider) {
  if (op->cancelled || op->admit_listener == nullptr) {
    return;  // granted leases are released by their destructors
  }
  std::exchange(op->admit_listener, nullptr)
      ->onAdmit(outcome, std::move(client), std::move(provider));
}

void ClusterCore::onReply(const std::shared_ptr<AcquireOp>& op, const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) {
    deliver(op, ClusterSlots::Outcome::kUnavailable, {});
    return;
  }
  const long long index = reply->integer;
  if (index >= 1 && static_cast<size_t>(index) <= op->candidates.size()) {
    const SlotRequest& granted = op->candidates[static_cast<size_t>(index) - 1];
    if (op->cancelled) {
      sendRelease(granted.key_id, op->lease_no);
      return;
    }
    deliver(op, ClusterSlots::Outcome::kGranted, ClusterLease(track(granted, op->lease_no)));
    return;
  }
  const bool woken = std::exchange(op->woken, false);
  if (!op->cancelled && std::chrono::steady_clock::now() < op->retry_until) {
    if (woken) {
      attempt(op);  // a local release came in behind this attempt: the room is there now
      return;
    }
    scheduleRetry(op);
    return;
  }
  deliver(op, ClusterSlots::Outcome::kFull, {});
}

void ClusterCore::scheduleRetry(const std::shared_ptr<AcquireOp>& op) {
  if (!op->retry_timer) {
    // The timer holds a raw pointer: the op owns its timer, so the timer dies with it; the
    // callback holds the op (self) while it runs, so the timer outlives its own callback.
    op->retry_timer = loop_.createTimer([raw = op.get()] {
      auto self = raw->self.lock();
      auto core = raw->core.lock();
      if (self && core && !self->cancelled) {
        core->attempt(self);
      }
    });
  }
  if (!op->listed) {
    op->listed = true;
    waiting_.push_back(op);
  }
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
      op->retry_until - std::chrono::steady_clock::now());
  op->retry_timer->enable(std::min<std::chrono::microseconds>(retryDelay(options_), left));
}

void ClusterCore::deliver(const std::shared_ptr<AcquireOp>& op, ClusterSlots::Outcome outcome,
                          ClusterLease lease) {
  if (op->listed) {
    op->listed = false;
    waiting_.remove_if([&](const std::weak_ptr<AcquireOp>& w) { return w.lock() == op; });
  }
  if (op->cancelled || !op->cb) {
    return;  // a granted lease in `lease` is released by its destructor
  }
  ClusterSlots::Callback cb = std::move(op->cb);
  op->cb = nullptr;
  cb(outcome, std::move(lease));
}

void ClusterCore::release(LeaseEntry& entry) {
  if (entry.released) {
    return;
  }
  entry.released = true;
  unlink(entry);
  if (entry.lost) {
    return;  // not ours any more
  }
  sendRelease(entry.key_id, entry.lease_no);
  if (!waiting_.empty()) {
    wakeWaiter(entry.key_id);
  }
}

void ClusterCore::wakeWaiter(const std::string& key_id) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    auto op = it->lock();
    if (!op || op->cancelled || !op->cb) {
      if (op) {
        op->listed = false;
      }
      it = waiting_.erase(it);
      continue;
    }
    const bool wants = std::any_of(op->candidates.begin(), op->candidates.end(),
                                   [&](const SlotRequest& c) { return c.key_id == key_id; });
    if (!wants) {
      ++it;
      continue;
    }
    // The oldest waiter for the key gets the room, also when its attempt is on its way: a
    // younger waiter woken instead would overtake it.
    if (op->in_flight) {
      op->woken = true;
    } else {
      if (op->retry_timer) {
        op->retry_timer->disable();
      }
      attempt(op);
    }
    return;
  }
}

void ClusterCore::sendRelease(const std::string& key_id, uint64_t lease_no) {
  release_batch_.emplace_back();
  release_batch_.back().key_id = key_id;
  release_batch_.back().lease_no = lease_no;
  if (release_batch_.size() == 1) {
    release_flush_->schedule();
  }
}

void ClusterCore::flushReleases() {
  if (release_batch_.empty()) {
    return;
  }
  release_flush_->cancel();
  ReleaseCall* call;
  if (idle_release_calls_.empty()) {
    release_calls_.push_back(std::make_unique<ReleaseCall>());
    call = release_calls_.back().get();
    call->owner = this;
  } else {
    call = idle_release_calls_.back();
    idle_release_calls_.pop_back();
  }
  call->releases.swap(release_batch_);  // both keep their capacity
  const bool sent = call->releases.size() == 1 ? call->sendCommand(*conn_, 3)
                                               : call->send(releaseScript(), *conn_);
  if (sent) {
    return;
  }
  for (auto& release : call->releases) {
    if (unreleased_.size() >= kMaxUnreleased) {
      break;  // the TTL frees the rest
    }
    unreleased_.push_back(std::move(release));
  }
  call->releases.clear();
  idle_release_calls_.push_back(call);
}

void ClusterCore::releaseCallDone(ReleaseCall& call, bool answered) {
  call.releases.clear();
  idle_release_calls_.push_back(&call);
  if (answered) {
    checkDrained();
  }
}

void ClusterCore::onConnected() {
  std::deque<PendingRelease> todo;
  todo.swap(unreleased_);
  for (auto& r : todo) {
    sendRelease(r.key_id, r.lease_no);
  }
  flushReleases();
  // Right away, not at the next tick: after a Redis restart this puts our leases back.
  renew();
}

void ClusterCore::renew() {
  if (live_head_ == nullptr || !conn_->connected()) {
    return;
  }
  LeaseEntry* it = live_head_;
  while (it != nullptr) {
    std::vector<std::string> keys;
    std::vector<std::string> args{std::to_string(options_.lease_ttl.count())};
    auto batch = std::make_shared<std::vector<std::weak_ptr<LeaseEntry>>>();
    for (; it != nullptr && batch->size() < kRenewBatch; it = it->next_live) {
      keys.push_back(ClusterSlots::slotsKey(options_.prefix, it->key_id));
      args.push_back(leaseId(it->lease_no));
      args.push_back(std::to_string(it->limit));
      batch->push_back(it->weak_from_this());
    }
    std::weak_ptr<ClusterCore> weak = weak_from_this();
    const bool sent = renewScript().run(
        *conn_, std::move(keys), std::move(args), [weak, batch](const redisReply* reply) {
          auto core = weak.lock();
          if (!core || reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
            return;  // not renewed this time; the next tick (or reconnect) tries again
          }
          std::vector<std::shared_ptr<LeaseEntry>> lost;
          for (size_t i = 0; i < reply->elements; ++i) {
            const redisReply* e = reply->element[i];
            if (e->type != REDIS_REPLY_INTEGER || e->integer < 1 ||
                static_cast<size_t>(e->integer) > batch->size()) {
              continue;
            }
            auto entry = (*batch)[static_cast<size_t>(e->integer) - 1].lock();
            if (!entry || entry->released || entry->lost) {
              continue;
            }
            entry->lost = true;
            core->unlink(*entry);
            ++core->lost_;
            lost.push_back(std::move(entry));
          }
          // After the bookkeeping: a callback may destroy its request and so its lease.
          for (auto& entry : lost) {
            std::function<void()> fn = std::move(entry->on_lost);
            entry->on_lost = nullptr;
            if (fn) {
              fn();
            }
          }
        });
    if (!sent) {
      return;
    }
  }
}

void ClusterCore::releaseAll(std::chrono::milliseconds timeout, std::function<void()> done) {
  std::vector<std::shared_ptr<LeaseEntry>> held;
  for (LeaseEntry* e = live_head_; e != nullptr; e = e->next_live) {
    held.push_back(e->shared_from_this());
  }
  for (auto& entry : held) {
    release(*entry);
  }
  flushReleases();  // now: the drain waits for their answers
  drain_done_ = std::move(done);
  drain_deadline_ = std::chrono::steady_clock::now() + timeout;
  drain_timer_->enable(kDrainTick);
  checkDrained();
}

void ClusterCore::checkDrained() {
  if (!drain_done_) {
    return;
  }
  const bool answered = conn_->pending() == 0 && unreleased_.empty() && release_batch_.empty();
  if (!answered && std::chrono::steady_clock::now() < drain_deadline_) {
    return;
  }
  drain_timer_->disable();
  std::function<void()> done = std::move(drain_done_);
  drain_done_ = nullptr;
  defer(std::move(done));  // not from inside a hiredis callback
}

}  // namespace detail

// ---- ClusterSlots ----

ClusterSlots::Pending::~Pending() {
  op_->cancelled = true;
  op_->cb = nullptr;
  op_->admit_listener = nullptr;
  // Disabled, not destroyed: this may run inside the retry timer's own callback (the op,
  // which owns the timer, is held by that callback until it returns).
  if (op_->retry_timer) {
    op_->retry_timer->disable();
  }
}

size_t ClusterSlots::Pending::workerIndex() const { return op_->owner->options().worker_index; }

void ClusterSlots::Pending::retryNow() {
  if (op_->cancelled || op_->in_flight || !op_->retry_timer || !op_->retry_timer->enabled()) {
    return;
  }
  op_->retry_timer->disable();
  if (auto core = op_->core.lock()) {
    core->attempt(op_);
  }
}

ClusterSlots::ClusterSlots(gateway::Dispatcher& loop, RedisEndpoint endpoint,
                           ClusterOptions options) {
  if (options.instance_id.empty()) {
    options.instance_id = randomInstanceId();
  }
  core_ = std::make_shared<detail::ClusterCore>(loop, std::move(endpoint), std::move(options));
}

ClusterSlots::~ClusterSlots() = default;

void ClusterSlots::start() { core_->start(); }

ClusterSlots::PendingPtr ClusterSlots::acquire(std::vector<SlotRequest> candidates, Callback cb,
                                               SteadyTime retry_until) {
  auto op = std::allocate_shared<detail::AcquireOp>(gateway::PoolAllocator<detail::AcquireOp>());
  op->owner = core_.get();
  op->core = core_;
  op->self = op;
  op->candidates = std::move(candidates);
  op->cb = std::move(cb);
  op->retry_until = retry_until;
  op->lease_no = core_->nextLeaseNo();
  if (op->candidates.empty()) {
    std::weak_ptr<detail::AcquireOp> weak = op;
    core_->defer([weak] {
      if (auto o = weak.lock(); o && !o->cancelled && o->cb) {
        auto fn = std::move(o->cb);
        o->cb = nullptr;
        fn(Outcome::kFull, {});
      }
    });
  } else {
    core_->attempt(op);
  }
  return std::make_unique<Pending>(std::move(op));
}

ClusterSlots::PendingPtr ClusterSlots::admit(SlotRequest client,
                                             std::optional<SlotRequest> provider,
                                             AdmitListener& listener) {
  auto op = std::allocate_shared<detail::AcquireOp>(gateway::PoolAllocator<detail::AcquireOp>());
  op->owner = core_.get();
  op->core = core_;
  op->self = op;
  op->admit = true;
  op->candidates.reserve(2);
  op->candidates.push_back(std::move(client));
  op->lease_no = core_->nextLeaseNo();
  if (provider) {
    op->candidates.push_back(std::move(*provider));
    op->provider_lease_no = core_->nextLeaseNo();
  }
  op->admit_listener = &listener;
  core_->attemptAdmit(op);
  return std::make_unique<Pending>(std::move(op));
}

ClusterSlots::PendingPtr ClusterSlots::acquire(const std::string& key_id, uint32_t limit,
                                               Callback cb, SteadyTime retry_until) {
  return acquire(std::vector<SlotRequest>{SlotRequest{key_id, limit, 0, {}}}, std::move(cb),
                 retry_until);
}

bool ClusterSlots::up() const { return core_->conn().connected(); }

void ClusterSlots::setStateListener(std::function<void(bool up)> fn) {
  core_->setStateListener(std::move(fn));
}

void ClusterSlots::releaseAll(std::chrono::milliseconds timeout, std::function<void()> done) {
  core_->releaseAll(timeout, std::move(done));
}

void ClusterSlots::renewNow() { core_->renew(); }

size_t ClusterSlots::leasesHeld() const { return core_->leasesHeld(); }

uint64_t ClusterSlots::leasesLost() const { return core_->leasesLost(); }

RedisConnection& ClusterSlots::connection() { return core_->conn(); }

std::string ClusterSlots::slotsKey(const std::string& prefix, const std::string& key_id) {
  return prefix + "slots:" + key_id;
}

std::string ClusterSlots::probeKey(const std::string& prefix, const std::string& key_id) {
  return prefix + "probe:" + key_id;
}

std::string ClusterSlots::randomInstanceId() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  const uint64_t v = dist(rd);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) {
    out[i] = kHex[(v >> (60 - 4 * i)) & 15];
  }
  return out;
}

}  // namespace slotgate::limits
