// A Lua script run with EVALSHA, falling back to EVAL when Redis answers NOSCRIPT (its script
// cache is empty after a restart, a failover or SCRIPT FLUSH; EVAL also caches it again).
#pragma once

#include <string>
#include <vector>

#include "limits/cluster/redis_connection.h"
#include "limits/cluster/resp_command.h"

namespace slotgate::limits {

class RedisScript;

// One call of a script whose keys and arguments are written straight into the command
// (RespWriter), and written again, as EVAL, when Redis answers NOSCRIPT: its owner keeps it, and
// what writeKeysAndArgs reads, alive until onScriptReply or onRedisDropped ran. Loop-thread only.
class ScriptCall : public RedisReplyHandler {
 public:
  // EVALSHA script numkeys keys... args...; false (no reply will come) unless connected.
  [[nodiscard]] bool send(const RedisScript& script, RedisConnection& conn);
  // A plain command written by writeKeysAndArgs (argc arguments in all, its verb included):
  // the reply goes to onScriptReply too.
  [[nodiscard]] bool sendCommand(RedisConnection& conn, size_t argc);

 protected:
  ~ScriptCall() = default;
  virtual size_t keyCount() const = 0;
  virtual size_t argCount() const = 0;
  virtual void writeKeysAndArgs(RespWriter& out) const = 0;
  // The reply (of EVAL after a NOSCRIPT), or nullptr when none came.
  virtual void onScriptReply(const redisReply* reply) = 0;

 private:
  void onRedisReply(const redisReply* reply) final;
  // `head`: the verb and the script (SHA-1 or body) as RESP arguments.
  bool write(RedisConnection& conn, std::string_view head);

  const RedisScript* script_ = nullptr;  // null: a plain command (no NOSCRIPT to handle)
  RedisConnection* conn_ = nullptr;
};

// Immutable after construction; run() is loop-thread only (as the connection it uses).
class RedisScript {
 public:
  explicit RedisScript(std::string body);

  const std::string& sha() const { return sha_; }
  const std::string& body() const { return body_; }
  // `EVALSHA <sha>` and `EVAL <body>` as RESP arguments, formatted once.
  const std::string& evalshaHead() const { return evalsha_head_; }
  const std::string& evalHead() const { return eval_head_; }

  // EVALSHA sha numkeys keys... args...; on NOSCRIPT the same call is sent again as EVAL and fn
  // gets that reply. Returns false (fn never called) when the connection is not up. For calls
  // off the hot path (renewals, breakers); the admission path uses a ScriptCall of its own.
  [[nodiscard]] bool run(RedisConnection& conn, std::vector<std::string> keys,
                         std::vector<std::string> args, RedisReplyFn fn) const;

 private:
  std::string body_;
  std::string sha_;  // lowercase hex SHA-1 of body_, as Redis names scripts
  std::string evalsha_head_;
  std::string eval_head_;
};

}  // namespace slotgate::limits
