#include "limits/cluster/cluster_slots.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <random>
#include <utility>

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

ClusterCore::ClusterCore(gateway::Dispatcher& loop, RedisEndpoint endpoint, ClusterOptions options)
    : loop_(loop),
      options_(std::move(options)),
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

// The connection goes first (its destructor drops pending callbacks, which hold ops, not this).
ClusterCore::~ClusterCore() { conn_.reset(); }

void ClusterCore::start() {
  conn_->start();
  renew_timer_->enable(renew_period_);
}

std::string ClusterCore::nextLeaseId() {
  return options_.instance_id + ":" + std::to_string(options_.worker_index) + ":" +
         std::to_string(++counter_);
}

void ClusterCore::attempt(const std::shared_ptr<AcquireOp>& op) {
  flushReleases();  // releases asked for before this acquisition reach Redis before it
  std::vector<std::string> keys;
  std::vector<std::string> args;
  keys.reserve(2 * op->candidates.size());
  args.reserve(2 + 3 * op->candidates.size());
  args.push_back(std::to_string(options_.lease_ttl.count()));
  args.push_back(op->lease_id);
  for (const SlotRequest& c : op->candidates) {
    keys.push_back(ClusterSlots::slotsKey(options_.prefix, c.key_id));
    keys.push_back(ClusterSlots::probeKey(options_.prefix, c.key_id));
    args.push_back(std::to_string(c.limit));
    args.push_back(std::to_string(c.probe_limit));
    args.push_back(std::to_string(std::max<int64_t>(1, c.probe_window.count())));
  }
  std::weak_ptr<ClusterCore> weak = weak_from_this();
  const bool sent = acquireScript().run(*conn_, std::move(keys), std::move(args),
                                        [weak, op](const redisReply* reply) {
                                          op->in_flight = false;
                                          if (auto core = weak.lock()) {
                                            core->onReply(op, reply);
                                          }
                                        });
  if (sent) {
    op->in_flight = true;
    return;
  }
  defer([weak, op] {
    if (auto core = weak.lock()) {
      core->deliver(op, ClusterSlots::Outcome::kUnavailable, {});
    }
  });
}

void ClusterCore::sendAdmit(const std::shared_ptr<AcquireOp>& op) {
  flushReleases();
  const SlotRequest& client = op->candidates[0];
  std::vector<std::string> keys{ClusterSlots::slotsKey(options_.prefix, client.key_id)};
  std::vector<std::string> args{std::to_string(options_.lease_ttl.count()), op->lease_id,
                                std::to_string(client.limit)};
  if (op->candidates.size() > 1) {
    const SlotRequest& provider = op->candidates[1];
    keys.push_back(ClusterSlots::slotsKey(options_.prefix, provider.key_id));
    keys.push_back(ClusterSlots::probeKey(options_.prefix, provider.key_id));
    args.push_back(op->provider_lease_id);
    args.push_back(std::to_string(provider.limit));
    args.push_back(std::to_string(provider.probe_limit));
    args.push_back(std::to_string(std::max<int64_t>(1, provider.probe_window.count())));
  }
  std::weak_ptr<ClusterCore> weak = weak_from_this();
  const bool sent = admitScript().run(*conn_, std::move(keys), std::move(args),
                                      [weak, op](const redisReply* reply) {
                                        op->in_flight = false;
                                        if (auto core = weak.lock()) {
                                          core->onAdmitReply(op, reply);
                                        }
                                      });
  if (sent) {
    op->in_flight = true;
    return;
  }
  defer([weak, op] {
    if (auto core = weak.lock()) {
      core->deliverAdmit(op, ClusterSlots::AdmitOutcome::kUnavailable, {}, {});
    }
  });
}

std::shared_ptr<LeaseEntry> ClusterCore::track(const SlotRequest& request,
                                               const std::string& lease_id) {
  auto entry = std::make_shared<LeaseEntry>();
  entry->core = weak_from_this();
  entry->key_id = request.key_id;
  entry->lease_id = lease_id;
  entry->limit = request.limit;
  live_.emplace(entry.get(), entry);
  return entry;
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
  ClusterLease client(track(op->candidates[0], op->lease_id));
  ClusterLease provider;
  if (op->candidates.size() > 1) {
    provider = ClusterLease(track(op->candidates[1], op->provider_lease_id));
  }
  deliverAdmit(op, ClusterSlots::AdmitOutcome::kGranted, std::move(client), std::move(provider));
}

void ClusterCore::deliverAdmit(const std::shared_ptr<AcquireOp>& op,
                               ClusterSlots::AdmitOutcome outcome, ClusterLease client,
                               ClusterLease provider) {
  if (op->cancelled || !op->admit_cb) {
    return;  // granted leases are released by their destructors
  }
  ClusterSlots::AdmitCallback cb = std::move(op->admit_cb);
  op->admit_cb = nullptr;
  cb(outcome, std::move(client), std::move(provider));
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
      sendRelease(ClusterSlots::slotsKey(options_.prefix, granted.key_id), op->lease_id);
      return;
    }
    auto entry = std::make_shared<LeaseEntry>();
    entry->core = weak_from_this();
    entry->key_id = granted.key_id;
    entry->lease_id = op->lease_id;
    entry->limit = granted.limit;
    live_.emplace(entry.get(), entry);
    deliver(op, ClusterSlots::Outcome::kGranted, ClusterLease(std::move(entry)));
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
  live_.erase(&entry);
  if (entry.lost) {
    return;  // not ours any more
  }
  sendRelease(ClusterSlots::slotsKey(options_.prefix, entry.key_id), entry.lease_id);
  wakeWaiter(entry.key_id);
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

void ClusterCore::sendRelease(std::string zkey, std::string lease_id) {
  release_batch_.emplace_back(std::move(zkey), std::move(lease_id));
  if (release_batch_.size() == 1) {
    release_flush_->schedule();
  }
}

void ClusterCore::flushReleases() {
  if (release_batch_.empty()) {
    return;
  }
  release_flush_->cancel();
  std::vector<std::pair<std::string, std::string>> batch;
  batch.swap(release_batch_);
  bool sent;
  if (batch.size() == 1) {
    sent = conn_->command({"ZREM", batch[0].first, batch[0].second},
                          [this](const redisReply*) { checkDrained(); });
  } else {
    std::vector<std::string> keys;
    std::vector<std::string> args;
    keys.reserve(batch.size());
    args.reserve(batch.size());
    for (const auto& [zkey, lease_id] : batch) {
      keys.push_back(zkey);
      args.push_back(lease_id);
    }
    std::weak_ptr<ClusterCore> weak = weak_from_this();
    sent = releaseScript().run(*conn_, std::move(keys), std::move(args), [weak](const redisReply*) {
      if (auto core = weak.lock()) {
        core->checkDrained();
      }
    });
  }
  if (sent) {
    return;
  }
  for (auto& release : batch) {
    if (unreleased_.size() >= kMaxUnreleased) {
      break;  // the TTL frees the rest
    }
    unreleased_.push_back(std::move(release));
  }
}

void ClusterCore::onConnected() {
  std::deque<std::pair<std::string, std::string>> todo;
  todo.swap(unreleased_);
  for (auto& [zkey, lease_id] : todo) {
    sendRelease(std::move(zkey), std::move(lease_id));
  }
  flushReleases();
  // Right away, not at the next tick: after a Redis restart this puts our leases back.
  renew();
}

void ClusterCore::renew() {
  if (live_.empty() || !conn_->connected()) {
    return;
  }
  auto it = live_.begin();
  while (it != live_.end()) {
    std::vector<std::string> keys;
    std::vector<std::string> args{std::to_string(options_.lease_ttl.count())};
    auto batch = std::make_shared<std::vector<std::weak_ptr<LeaseEntry>>>();
    for (; it != live_.end() && batch->size() < kRenewBatch; ++it) {
      auto entry = it->second.lock();
      if (!entry) {
        continue;
      }
      keys.push_back(ClusterSlots::slotsKey(options_.prefix, entry->key_id));
      args.push_back(entry->lease_id);
      args.push_back(std::to_string(entry->limit));
      batch->push_back(entry);
    }
    if (batch->empty()) {
      continue;
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
            core->live_.erase(entry.get());
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
  for (auto& [raw, weak] : live_) {
    if (auto entry = weak.lock()) {
      held.push_back(std::move(entry));
    }
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
  op_->admit_cb = nullptr;
  // Disabled, not destroyed: this may run inside the retry timer's own callback (the op,
  // which owns the timer, is held by that callback until it returns).
  if (op_->retry_timer) {
    op_->retry_timer->disable();
  }
}

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
  auto op = std::make_shared<detail::AcquireOp>();
  op->core = core_;
  op->self = op;
  op->candidates = std::move(candidates);
  op->cb = std::move(cb);
  op->retry_until = retry_until;
  op->lease_id = core_->nextLeaseId();
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
                                             AdmitCallback cb) {
  auto op = std::make_shared<detail::AcquireOp>();
  op->core = core_;
  op->self = op;
  op->candidates.push_back(std::move(client));
  op->lease_id = core_->nextLeaseId();
  if (provider) {
    op->candidates.push_back(std::move(*provider));
    op->provider_lease_id = core_->nextLeaseId();
  }
  op->admit_cb = std::move(cb);
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
