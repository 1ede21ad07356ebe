#include "limits/cluster/cluster_breakers.h"

#include <event2/thread.h>
#include <hiredis/hiredis.h>

#include <charconv>
#include <vector>

#include "limits/cluster/cluster_scripts.h"

namespace slotgate::limits {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// "<instance>\t<open|close>\t<ms>\t<key_id>": the key id last, so it may hold anything.
std::string encode(const std::string& instance, bool opened, milliseconds ms,
                   const std::string& key_id) {
  return instance + (opened ? "\topen\t" : "\tclose\t") + std::to_string(ms.count()) + "\t" +
         key_id;
}

struct Decoded {
  std::string_view instance;
  bool opened = false;
  int64_t ms = 0;
  std::string_view key_id;
};

bool decode(std::string_view msg, Decoded& out) {
  const size_t a = msg.find('\t');
  const size_t b = a == std::string_view::npos ? a : msg.find('\t', a + 1);
  const size_t c = b == std::string_view::npos ? b : msg.find('\t', b + 1);
  if (c == std::string_view::npos) {
    return false;
  }
  out.instance = msg.substr(0, a);
  const std::string_view state = msg.substr(a + 1, b - a - 1);
  if (state != "open" && state != "close") {
    return false;
  }
  out.opened = state == "open";
  const std::string_view ms = msg.substr(b + 1, c - b - 1);
  if (std::from_chars(ms.data(), ms.data() + ms.size(), out.ms).ec != std::errc()) {
    return false;
  }
  out.key_id = msg.substr(c + 1);
  return !out.key_id.empty();
}

// ["subscribe", channel, count]: Redis took our SUBSCRIBE.
bool isSubscribeConfirmation(const redisReply* reply) {
  return reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
         redisString(reply->element[0]) == "subscribe";
}

}  // namespace

// Shared with the listeners installed on breakers, which may outlive this object: they post
// transitions to the loop only while it runs.
struct ClusterBreakers::Gate {
  std::mutex mu;
  ClusterBreakers* owner = nullptr;  // null once stopped
};

ClusterBreakers::ClusterBreakers(RedisEndpoint endpoint, Options options)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      channel_(options_.prefix + "breakers"),
      loop_((evthread_use_pthreads(), 0)),
      tick_(loop_.createTimer([this] { onTick(); })),
      gate_(std::make_shared<Gate>()) {
  cmd_ = std::make_unique<RedisConnection>(loop_.base(), endpoint_, options_.redis);
  sub_ = std::make_unique<RedisConnection>(loop_.base(), endpoint_, options_.redis);
  gate_->owner = this;
  cmd_->setOnConnected([this] {
    republishOpen();
    loadOpen();
  });
  cmd_->setStateListener([this](bool) { updateUp(); });
  sub_->setOnConnected([this] {
    const bool ok = sub_->subscribe(channel_, [this](const redisReply* reply) {
      if (isSubscribeConfirmation(reply)) {
        // Only now are publications reaching us: read what was published before, and count
        // as up. (The read goes over the other connection; sent before Redis confirmed the
        // SUBSCRIBE, it could run first and miss an opening published in between.)
        subscribed_ = true;
        updateUp();
        loadOpen();
        return;
      }
      onMessage(reply);
    });
    if (!ok) {
      sub_->reset("subscribe failed");
    }
  });
  sub_->setStateListener([this](bool connected) {
    if (!connected) {
      subscribed_ = false;
    }
    updateUp();
  });
}

ClusterBreakers::~ClusterBreakers() {
  stop();
  // After the thread: the connections are freed on this thread, which now owns the loop.
  sub_.reset();
  cmd_.reset();
}

void ClusterBreakers::start() {
  if (started_) {
    return;
  }
  started_ = true;
  tick_->enable(options_.ping_interval);
  cmd_->start();
  sub_->start();
  loop_.start();
}

void ClusterBreakers::stop() {
  {
    std::lock_guard<std::mutex> lock(gate_->mu);
    gate_->owner = nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, weak] : breakers_) {
      if (auto b = weak.lock()) {
        b->setListener(nullptr);
      }
    }
    breakers_.clear();
  }
  // Transitions posted but not yet published are dropped with the loop.
  loop_.stopAndJoin();
}

void ClusterBreakers::attach(const CircuitBreakerPtr& breaker) {
  std::shared_ptr<Gate> gate = gate_;
  breaker->setListener([gate](CircuitBreaker& b, CircuitTransition t) {
    std::lock_guard<std::mutex> lock(gate->mu);
    ClusterBreakers* owner = gate->owner;
    if (owner == nullptr) {
      return;
    }
    // The posted work runs on the loop thread, which stop() joins before this object goes.
    owner->loop_.post(
        [owner, local = Local{b.keyId(), t.opened, t.open_for}] { owner->publishLocal(local); });
  });
  SteadyTime until{};
  {
    std::lock_guard<std::mutex> lock(mu_);
    breakers_[breaker->keyId()] = breaker;
    auto it = remote_open_.find(breaker->keyId());
    if (it != remote_open_.end()) {
      until = it->second;
      remote_open_.erase(it);
    }
  }
  const auto now = SteadyClock::now();
  if (until > now) {
    breaker->forceOpenFor(std::chrono::ceil<milliseconds>(until - now));
  }
}

void ClusterBreakers::publishLocal(const Local& local) {
  publish(local);
  if (on_transition_) {
    on_transition_(SharedTransition{local.key_id, local.opened, false, local.open_for});
  }
}

void ClusterBreakers::publish(const Local& local) {
  const std::string& p = options_.prefix;
  std::vector<std::string> keys{p + "breaker:" + local.key_id, p + "probe:" + local.key_id,
                                p + "breakers:open"};
  const std::string msg = encode(options_.instance_id, local.opened, local.open_for, local.key_id);
  std::vector<std::string> args;
  if (local.opened) {
    args = {local.key_id, std::to_string(std::max<int64_t>(1, local.open_for.count())), channel_,
            msg};
  } else {
    args = {local.key_id, channel_, msg};
  }
  const RedisScript& script = local.opened ? breakerOpenScript() : breakerCloseScript();
  // Lost when Redis is down: opens are published again on reconnect (republishOpen); a lost
  // close only means other instances probe for themselves when their open period ends.
  const bool sent = script.run(*cmd_, std::move(keys), std::move(args), [](const redisReply*) {});
  if (sent) {
    published_.fetch_add(1, std::memory_order_relaxed);
  }
}

void ClusterBreakers::republishOpen() {
  std::vector<CircuitBreakerPtr> open;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, weak] : breakers_) {
      if (auto b = weak.lock(); b && b->state() == CircuitState::kOpen) {
        open.push_back(std::move(b));
      }
    }
  }
  for (const auto& b : open) {
    const milliseconds left = b->retryAfter();
    if (left.count() > 0) {
      publish(Local{b->keyId(), true, left});
    }
  }
}

void ClusterBreakers::loadOpen() {
  const bool sent = breakerListScript().run(
      *cmd_, {options_.prefix + "breakers:open"}, {options_.prefix + "breaker:"},
      [this](const redisReply* reply) {
        if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
          return;
        }
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
          const std::string_view ms_text = redisString(reply->element[i + 1]);
          int64_t ms = 0;
          if (std::from_chars(ms_text.data(), ms_text.data() + ms_text.size(), ms).ec !=
              std::errc()) {
            continue;
          }
          apply(std::string(redisString(reply->element[i])), true, milliseconds(ms));
        }
      });
  (void)sent;  // not connected: done again on (re)connect
}

void ClusterBreakers::onMessage(const redisReply* reply) {
  // ["message", channel, payload]; the "subscribe" confirmation is skipped.
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
      redisString(reply->element[0]) != "message") {
    return;
  }
  Decoded d;
  if (!decode(redisString(reply->element[2]), d) || d.instance == options_.instance_id) {
    return;
  }
  apply(std::string(d.key_id), d.opened, milliseconds(d.ms));
}

void ClusterBreakers::apply(const std::string& key_id, bool opened, milliseconds remaining) {
  CircuitBreakerPtr breaker;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = breakers_.find(key_id);
    if (it != breakers_.end()) {
      breaker = it->second.lock();
    }
    if (!breaker) {
      if (opened) {
        remote_open_[key_id] = SteadyClock::now() + remaining;
      } else {
        remote_open_.erase(key_id);
      }
      return;
    }
  }
  if (opened) {
    breaker->forceOpenFor(remaining);
  } else {
    breaker->forceClose();
  }
  applied_.fetch_add(1, std::memory_order_relaxed);
  if (on_transition_) {
    on_transition_(SharedTransition{key_id, opened, true, remaining});
  }
}

void ClusterBreakers::onTick() {
  tick_->enable(options_.ping_interval);
  // The reply is not needed: a missing one trips the command timeout, which resets cmd_.
  (void)cmd_->command({"PING"}, [](const redisReply*) {});
  if (!cmd_->connected() && sub_->connected()) {
    sub_->reset("command connection lost");
  }
}

void ClusterBreakers::updateUp() {
  const bool up = cmd_->connected() && sub_->connected() && subscribed_;
  up_.store(up, std::memory_order_release);
  if (on_state_) {
    on_state_(up);
  }
}

}  // namespace slotgate::limits
