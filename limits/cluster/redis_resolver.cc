#include "limits/cluster/redis_resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace slotgate::limits {

struct RedisResolver::State {
  const std::string host;
  const uint16_t port;
  mutable std::mutex mu;
  std::condition_variable wake;
  std::string address;  // guarded by mu
  uint64_t resolutions = 0;
  bool wanted = false;
  bool stop = false;
  bool thread_started = false;

  State(std::string h, uint16_t p) : host(std::move(h)), port(p) {}

  void store(const std::string& resolved) {
    std::lock_guard<std::mutex> lock(mu);
    if (!resolved.empty()) {
      address = resolved;
    }
    ++resolutions;
  }
};

RedisResolver::RedisResolver(std::string host, uint16_t port)
    : state_(std::make_shared<State>(std::move(host), port)) {
  if (isNumeric(state_->host)) {
    state_->store(state_->host);
    return;
  }
  state_->store(resolveNow(state_->host, state_->port));
}

RedisResolver::~RedisResolver() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stop = true;
  }
  state_->wake.notify_all();
}

std::string RedisResolver::address() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->address;
}

uint64_t RedisResolver::resolutions() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->resolutions;
}

void RedisResolver::refresh() {
  if (isNumeric(state_->host)) {
    return;
  }
  bool start = false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stop) {
      return;
    }
    state_->wanted = true;
    start = !state_->thread_started;
    state_->thread_started = true;
  }
  if (start) {
    // Detached: a getaddrinfo() stuck on a dead DNS server must not hold up shutdown. It
    // keeps the state alive and ends after its current resolution once asked to stop.
    std::thread([state = state_] { resolveLoop(state); }).detach();
  } else {
    state_->wake.notify_one();
  }
}

void RedisResolver::resolveLoop(const std::shared_ptr<State>& state) {
  std::unique_lock<std::mutex> lock(state->mu);
  for (;;) {
    state->wake.wait(lock, [&] { return state->stop || state->wanted; });
    if (state->stop) {
      return;
    }
    state->wanted = false;
    lock.unlock();
    const std::string resolved = RedisResolver::resolveNow(state->host, state->port);
    lock.lock();
    if (!resolved.empty()) {
      state->address = resolved;
    }
    ++state->resolutions;
  }
}

bool RedisResolver::isNumeric(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

std::string RedisResolver::resolveNow(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &result) != 0) {
    return "";
  }
  std::string v4;
  std::string v6;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (ai->ai_family == AF_INET && v4.empty()) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text) != nullptr) {
        v4 = text;
      }
    } else if (ai->ai_family == AF_INET6 && v6.empty()) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      if (inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text) != nullptr) {
        v6 = text;
      }
    }
  }
  freeaddrinfo(result);
  return !v4.empty() ? v4 : v6;
}

}  // namespace slotgate::limits
