// One event-loop thread of the mock provider: its own event_base and evhttp on a
// SO_REUSEPORT listening socket, routing requests to the control endpoints or to an Exchange.
// Everything but stop() and postRelease() runs on the worker's own thread (or before/after it
// runs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tests/mock_provider/api.h"
#include "tests/mock_provider/holds.h"
#include "tests/mock_provider/options.h"
#include "tests/mock_provider/stats.h"

struct event;
struct event_base;
struct evhttp;
struct evhttp_request;
struct ssl_ctx_st;

namespace slotgate::mock {

class Exchange;

class Worker {
 public:
  Worker(size_t index, const Options& options, Stats& stats, Holds& holds, ssl_ctx_st* sslCtx);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Creates the loop and starts accepting on `listenFd` (taken over).
  [[nodiscard]] bool init(int listenFd, std::string& error);
  void run();
  // Thread-safe: makes run() return.
  void stop();

  [[nodiscard]] event_base* base() const { return base_; }
  [[nodiscard]] Stats& stats() { return stats_; }
  void track(Exchange* exchange) { live_.insert(exchange); }
  void untrack(Exchange* exchange) { live_.erase(exchange); }

  // `exchange` waits under `name` until released; returns its hold id.
  [[nodiscard]] uint64_t hold(Exchange* exchange, const std::string& name);
  // A held exchange ends unreleased (its client went away).
  void forgetHold(uint64_t id, const std::string& name);
  // Thread-safe: resume the exchange held as `id` on this worker's thread (if it still waits).
  void postRelease(uint64_t id);

 private:
  static void onRequest(evhttp_request* req, void* arg);
  static void onReleased(int fd, short what, void* arg);
  void handleModel(evhttp_request* req, ApiPath path);
  void handleControl(evhttp_request* req, const std::string& path);
  void handleHoldControl(evhttp_request* req, const std::string& path);
  void recordRequest(evhttp_request* req, std::string_view path, std::string_view body);

  size_t index_;
  const Options& options_;
  Stats& stats_;
  Holds& holds_;
  ssl_ctx_st* sslCtx_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  std::unordered_set<Exchange*> live_;
  std::unordered_map<uint64_t, Exchange*> held_;
  // Ids released from any thread, taken by onReleased on this one.
  event* releasedEvent_ = nullptr;
  std::mutex releasedMu_;
  std::vector<uint64_t> released_;
};

}  // namespace slotgate::mock
