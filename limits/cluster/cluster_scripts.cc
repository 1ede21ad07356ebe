#include "limits/cluster/cluster_scripts.h"

namespace slotgate::limits {
namespace {

constexpr const char* kNow = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
)lua";

}  // namespace

const RedisScript& acquireScript() {
  static const RedisScript script(std::string(kNow) + R"lua(
local ttl = tonumber(ARGV[1])
local lease = ARGV[2]
for i = 1, #KEYS / 2 do
  local zkey = KEYS[2 * i - 1]
  local limit = tonumber(ARGV[3 * i])
  local probe_limit = tonumber(ARGV[3 * i + 1])
  redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now)
  if limit == 0 or redis.call('ZCARD', zkey) < limit then
    local admitted = true
    if probe_limit > 0 then
      local pkey = KEYS[2 * i]
      local n = redis.call('INCR', pkey)
      if n == 1 then
        redis.call('PEXPIRE', pkey, tonumber(ARGV[3 * i + 2]))
      end
      admitted = n <= probe_limit
    end
    if admitted then
      redis.call('ZADD', zkey, now + ttl, lease)
      redis.call('PEXPIRE', zkey, 2 * ttl)
      return i
    end
  end
end
return 0
)lua");
  return script;
}

const RedisScript& admitScript() {
  static const RedisScript script(std::string(kNow) + R"lua(
local ttl = tonumber(ARGV[1])
local ckey = KEYS[1]
local climit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', ckey, '-inf', now)
if climit > 0 and redis.call('ZCARD', ckey) >= climit then
  return -1
end
if #KEYS > 1 then
  local pkey = KEYS[2]
  local plimit = tonumber(ARGV[5])
  local probe_limit = tonumber(ARGV[6])
  redis.call('ZREMRANGEBYSCORE', pkey, '-inf', now)
  if plimit > 0 and redis.call('ZCARD', pkey) >= plimit then
    return -2
  end
  if probe_limit > 0 then
    local n = redis.call('INCR', KEYS[3])
    if n == 1 then
      redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[7]))
    end
    if n > probe_limit then
      return -2
    end
  end
  redis.call('ZADD', pkey, now + ttl, ARGV[4])
  redis.call('PEXPIRE', pkey, 2 * ttl)
end
redis.call('ZADD', ckey, now + ttl, ARGV[2])
redis.call('PEXPIRE', ckey, 2 * ttl)
return 1
)lua");
  return script;
}

const RedisScript& renewScript() {
  static const RedisScript script(std::string(kNow) + R"lua(
local ttl = tonumber(ARGV[1])
local lost = {}
for i = 1, #KEYS do
  local zkey = KEYS[i]
  local lease = ARGV[2 * i]
  local limit = tonumber(ARGV[2 * i + 1])
  local score = redis.call('ZSCORE', zkey, lease)
  if score and tonumber(score) > now then
    redis.call('ZADD', zkey, now + ttl, lease)
  else
    if score then
      redis.call('ZREM', zkey, lease)
    end
    redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now)
    if limit == 0 or redis.call('ZCARD', zkey) < limit then
      redis.call('ZADD', zkey, now + ttl, lease)
    else
      lost[#lost + 1] = i
    end
  end
  redis.call('PEXPIRE', zkey, 2 * ttl)
end
return lost
)lua");
  return script;
}

const RedisScript& releaseScript() {
  static const RedisScript script(R"lua(
for i = 1, #KEYS do
  redis.call('ZREM', KEYS[i], ARGV[i])
end
return #KEYS
)lua");
  return script;
}

const RedisScript& breakerOpenScript() {
  static const RedisScript script(R"lua(
redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[2]))
redis.call('DEL', KEYS[2])
redis.call('SADD', KEYS[3], ARGV[1])
return redis.call('PUBLISH', ARGV[3], ARGV[4])
)lua");
  return script;
}

const RedisScript& breakerCloseScript() {
  static const RedisScript script(R"lua(
redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return redis.call('PUBLISH', ARGV[2], ARGV[3])
)lua");
  return script;
}

const RedisScript& breakerListScript() {
  static const RedisScript script(R"lua(
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local ms = redis.call('PTTL', ARGV[1] .. id)
  if ms > 0 then
    out[#out + 1] = id
    out[#out + 1] = tostring(ms)
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out
)lua");
  return script;
}

}  // namespace slotgate::limits
