// A Lua script run with EVALSHA, falling back to EVAL when Redis answers NOSCRIPT (its script
// cache is empty after a restart, a failover or SCRIPT FLUSH; EVAL also caches it again).
#pragma once

#include <string>
#include <vector>

#include "limits/cluster/redis_connection.h"

namespace slotgate::limits {

// Immutable after construction; run() is loop-thread only (as the connection it uses).
class RedisScript {
 public:
  explicit RedisScript(std::string body);

  const std::string& sha() const { return sha_; }
  const std::string& body() const { return body_; }

  // EVALSHA sha numkeys keys... args...; on NOSCRIPT the same call is sent again as EVAL and fn
  // gets that reply. Returns false (fn never called) when the connection is not up.
  [[nodiscard]] bool run(RedisConnection& conn, std::vector<std::string> keys,
                         std::vector<std::string> args, RedisReplyFn fn) const;

 private:
  std::string body_;
  std::string sha_;  // lowercase hex SHA-1 of body_, as Redis names scripts
};

}  // namespace slotgate::limits
