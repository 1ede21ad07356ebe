// The numeric address of the Redis server, resolved off the event loops.
//
// hiredis 0.14 resolves a host name with a blocking getaddrinfo() inside
// redisAsyncConnect(), that is on the worker's loop, at every reconnect: a
// slow or dead DNS server would stall every request of that worker. So the
// name is resolved once on the thread that builds cluster mode (the control
// thread, at load) and again on this object's own thread whenever a
// connection asks (after it lost its connection); connections only ever hand
// hiredis a numeric address.
//
// Thread-safety: every member may be called from any thread; none waits for DNS except
// the constructor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace slotgate::limits {

class RedisResolver {
 public:
  // Resolves `host` now, on the calling thread. A numeric host needs no resolution and
  // starts no thread.
  RedisResolver(std::string host, uint16_t port);
  // Never waits for a resolution in progress (its thread finishes on its own).
  ~RedisResolver();
  RedisResolver(const RedisResolver&) = delete;
  RedisResolver& operator=(const RedisResolver&) = delete;

  // The address to connect to: an IPv4 or IPv6 literal (IPv4 preferred, as hiredis does), or
  // "" while the name has never resolved. Keeps the last good address when a later
  // resolution fails.
  [[nodiscard]] std::string address() const;
  // Asks for a new resolution in the background (coalesced); returns at once.
  void refresh();
  // Resolutions finished so far, the constructor's included (tests).
  [[nodiscard]] uint64_t resolutions() const;

  // getaddrinfo() on the calling thread: the preferred numeric address of host, or "".
  [[nodiscard]] static std::string resolveNow(const std::string& host, uint16_t port);
  // Whether `host` is an IPv4 or IPv6 literal.
  [[nodiscard]] static bool isNumeric(const std::string& host);

 private:
  struct State;
  static void resolveLoop(const std::shared_ptr<State>& state);
  std::shared_ptr<State> state_;  // shared with the resolver thread, which may outlive this
};

}  // namespace slotgate::limits
