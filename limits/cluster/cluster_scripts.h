// The Lua scripts of cluster mode. Time always comes from Redis (TIME inside the script), so
// instances with skewed clocks agree on lease expiry. Redis >= 5 replicates script effects, so
// the non-deterministic TIME call is allowed before writes.
#pragma once

#include "limits/cluster/redis_script.h"

namespace slotgate::limits {

// KEYS: per candidate key, its lease zset then its probe counter.
// ARGV: lease_ttl_ms, lease_id, then per candidate: limit, probe_limit, probe_window_ms.
// Grants the FIRST candidate (in the caller's order) whose zset, after dropping expired leases,
// holds fewer than `limit` members (limit 0 = unlimited), and, when probe_limit > 0 (a half-open
// probe), whose probe counter stays within probe_limit over probe_window_ms. Returns the 1-based
// index granted, or 0 when every candidate is full.
const RedisScript& acquireScript();

// Admission in one call: a client key's slot and, optionally, a provider key's, both or neither.
// KEYS: client lease zset [, provider lease zset, provider probe counter].
// ARGV: lease_ttl_ms, client lease_id, client limit [, provider lease_id, provider limit,
// probe_limit, probe_window_ms]. Same rules per key as acquireScript. Returns 1 (both taken),
// -1 (the client key is full: nothing taken) or -2 (the provider key is full or its probe
// places are taken: nothing taken).
const RedisScript& admitScript();

// KEYS: one lease zset per lease. ARGV: lease_ttl_ms, then per lease: lease_id, limit.
// Pushes every lease's expiry to now + ttl. A lease that expired or vanished (this instance was
// stalled past the TTL, or Redis restarted empty) is taken again if its key has room, so that a
// Redis restart does not abort every stream in the cluster; otherwise it is lost (another
// instance may hold the slot now). Returns the 1-based indexes of lost leases.
const RedisScript& renewScript();

// KEYS: one lease zset per lease. ARGV: per lease, its lease_id. Removes every lease (ZREM:
// idempotent); the releases of one loop turn in one call.
const RedisScript& releaseScript();

// KEYS: breaker key, probe counter, set of open breakers. ARGV: key_id, open_ms, channel,
// message. Records an opened circuit (the key expires with the open period), resets the
// cluster-wide probe count and publishes the message.
const RedisScript& breakerOpenScript();
// KEYS: as breakerOpenScript. ARGV: key_id, channel, message. Records a closed circuit.
const RedisScript& breakerCloseScript();
// KEYS: set of open breakers. ARGV: prefix of breaker keys. Returns [key_id, remaining_ms, ...]
// for every circuit still open, dropping stale members of the set.
const RedisScript& breakerListScript();

}  // namespace slotgate::limits
