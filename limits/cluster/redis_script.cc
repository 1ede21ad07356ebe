#include "limits/cluster/redis_script.h"

#include <openssl/sha.h>

#include <memory>
#include <utility>

namespace slotgate::limits {
namespace {

// RedisScript::run's call: owns its keys, args and callback, deletes itself once answered.
class OwnedCall final : public ScriptCall {
 public:
  OwnedCall(std::vector<std::string> keys, std::vector<std::string> args, RedisReplyFn fn)
      : keys_(std::move(keys)), args_(std::move(args)), fn_(std::move(fn)) {}

  size_t keyCount() const override { return keys_.size(); }
  size_t argCount() const override { return args_.size(); }
  void writeKeysAndArgs(RespWriter& out) const override {
    for (const auto& k : keys_) {
      out.arg(k);
    }
    for (const auto& a : args_) {
      out.arg(a);
    }
  }
  void onScriptReply(const redisReply* reply) override {
    std::unique_ptr<OwnedCall> self(this);
    fn_(reply);
  }
  void onRedisDropped() override { delete this; }

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> args_;
  RedisReplyFn fn_;
};

}  // namespace

bool ScriptCall::write(RedisConnection& conn, std::string_view head) {
  if (!conn.connected()) {
    return false;
  }
  {
    RespWriter out(conn.commandBuffer());
    const size_t keys = keyCount();
    out.begin(3 + keys + argCount());
    out.raw(head);
    out.arg(keys);
    writeKeysAndArgs(out);
  }
  return conn.send(*this);
}

bool ScriptCall::send(const RedisScript& script, RedisConnection& conn) {
  script_ = &script;
  conn_ = &conn;
  return write(conn, script.evalshaHead());
}

bool ScriptCall::sendCommand(RedisConnection& conn, size_t argc) {
  script_ = nullptr;
  conn_ = &conn;
  if (!conn.connected()) {
    return false;
  }
  {
    RespWriter out(conn.commandBuffer());
    out.begin(argc);
    writeKeysAndArgs(out);
  }
  return conn.send(*this);
}

void ScriptCall::onRedisReply(const redisReply* reply) {
  if (script_ == nullptr || !redisIsNoScript(reply)) {
    onScriptReply(reply);
    return;
  }
  // The script cache was flushed: the same call as EVAL (which caches the script again).
  const RedisScript* script = std::exchange(script_, nullptr);
  if (!write(*conn_, script->evalHead())) {
    onScriptReply(nullptr);
  }
}

RedisScript::RedisScript(std::string body) : body_(std::move(body)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(body_.data()), body_.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  sha_.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    sha_.push_back(kHex[b >> 4]);
    sha_.push_back(kHex[b & 15]);
  }
  const std::string_view evalsha[] = {"EVALSHA", sha_};
  evalsha_head_ = formatArgs(evalsha);
  const std::string_view eval[] = {"EVAL", body_};
  eval_head_ = formatArgs(eval);
}

bool RedisScript::run(RedisConnection& conn, std::vector<std::string> keys,
                      std::vector<std::string> args, RedisReplyFn fn) const {
  auto* call = new OwnedCall(std::move(keys), std::move(args), std::move(fn));
  if (!call->send(*this, conn)) {
    delete call;
    return false;
  }
  return true;
}

}  // namespace slotgate::limits
