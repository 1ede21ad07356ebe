#include "limits/cluster/redis_script.h"

#include <openssl/sha.h>

#include <memory>

namespace slotgate::limits {
namespace {

std::vector<std::string_view> argvOf(const std::string& verb, const std::string& script,
                                     const std::string& numkeys,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back(verb);
  argv.push_back(script);
  argv.push_back(numkeys);
  for (const auto& k : keys) {
    argv.push_back(k);
  }
  for (const auto& a : args) {
    argv.push_back(a);
  }
  return argv;
}

}  // namespace

RedisScript::RedisScript(std::string body) : body_(std::move(body)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(body_.data()), body_.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  sha_.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    sha_.push_back(kHex[b >> 4]);
    sha_.push_back(kHex[b & 15]);
  }
}

bool RedisScript::run(RedisConnection& conn, std::vector<std::string> keys,
                      std::vector<std::string> args, RedisReplyFn fn) const {
  static const std::string kEvalSha = "EVALSHA";
  const std::string numkeys = std::to_string(keys.size());
  const auto argv = argvOf(kEvalSha, sha_, numkeys, keys, args);
  // Keys and args are kept only for a NOSCRIPT resend; the script outlives every call (owned by
  // a long-lived object), the connection too (it drops callbacks when destroyed).
  struct Call {
    std::vector<std::string> keys;
    std::vector<std::string> args;
    RedisReplyFn fn;
  };
  auto call = std::make_shared<Call>(Call{std::move(keys), std::move(args), std::move(fn)});
  const RedisScript* self = this;
  RedisConnection* c = &conn;
  return conn.command(argv, [self, c, call](const redisReply* reply) {
    if (!redisIsNoScript(reply)) {
      call->fn(reply);
      return;
    }
    static const std::string kEval = "EVAL";
    const std::string n = std::to_string(call->keys.size());
    const auto again = argvOf(kEval, self->body_, n, call->keys, call->args);
    if (!c->command(again, [call](const redisReply* r) { call->fn(r); })) {
      call->fn(nullptr);
    }
  });
}

}  // namespace slotgate::limits
