// Test helpers for cluster mode: a real redis-server child process on a free port, a blocking
// client to inspect and tamper with its data, and a libevent loop driven from the test thread.
#pragma once

#include <event2/event.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/event/dispatcher.h"
#include "limits/cluster/redis_connection.h"

namespace slotgate::limits::testing {

// redis-server --port P --save '' --appendonly no, killed on destruction.
class RedisServer {
 public:
  RedisServer();  // starts it and waits until it answers PING
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return port_; }
  RedisEndpoint endpoint() const { return RedisEndpoint{"127.0.0.1", port_, 0, nullptr}; }

  void stop();     // SIGKILL and reap; the port stays reserved for restart()
  void restart();  // same port, empty data
  void pause();    // SIGSTOP: connections stay open, nothing answers
  void resume();   // SIGCONT

  // Runs one command on a fresh blocking connection: integer replies as a number, strings and
  // status as text, arrays joined with ','. Errors come back as "ERR:<message>".
  std::string run(const std::vector<std::string>& argv) const;
  long long integer(const std::vector<std::string>& argv) const;

 private:
  void spawn();
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A loop (a Dispatcher never start()ed) driven by the test thread.
class TestLoop {
 public:
  TestLoop();
  ~TestLoop();
  event_base* base() const { return loop_.base(); }
  gateway::Dispatcher& dispatcher() { return loop_; }
  // Runs the loop until pred() holds (true) or the timeout passes (false).
  bool runUntil(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Runs the loop for this long.
  void runFor(std::chrono::milliseconds duration);

 private:
  gateway::Dispatcher loop_;
  event_base* base_ = loop_.base();
  event* tick_;
};

}  // namespace slotgate::limits::testing
