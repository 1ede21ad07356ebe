#include "gateway/restart_fields.h"

namespace slotgate::gateway {
namespace {

bool sameHostPort(const conf::HostPort& a, const conf::HostPort& b) {
  return a.host == b.host && a.port == b.port;
}

}  // namespace

std::vector<std::string> fieldsNeedingRestart(const conf::Config& started,
                                              const conf::Config& next) {
  std::vector<std::string> fields;
  if (!sameHostPort(started.server.listen, next.server.listen)) {
    fields.emplace_back("server.listen");
  }
  // Compared as thread counts: `0` and the CPU count are the same setting here.
  if (started.effectiveWorkers() != next.effectiveWorkers()) {
    fields.emplace_back("server.workers");
  }
  if (!sameHostPort(started.admin.listen, next.admin.listen)) {
    fields.emplace_back("admin.listen");
  }
  // Each worker's Redis connections, scripts and subscriptions are set up once; re-pointing
  // them while leases are held there would strand those leases.
  if (started.redis.has_value() != next.redis.has_value()) {
    fields.emplace_back("redis");
  } else if (started.redis) {
    const conf::RedisConfig& a = *started.redis;
    const conf::RedisConfig& b = *next.redis;
    if (a.url != b.url) {
      fields.emplace_back("redis.url");
    }
    if (a.prefix != b.prefix) {
      fields.emplace_back("redis.prefix");
    }
    if (a.lease_ttl != b.lease_ttl) {
      fields.emplace_back("redis.lease_ttl");
    }
    if (a.on_unavailable != b.on_unavailable) {
      fields.emplace_back("redis.on_unavailable");
    }
  }
  return fields;
}

}  // namespace slotgate::gateway
