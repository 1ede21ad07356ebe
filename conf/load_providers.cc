// providers section.
#include "conf/address.h"
#include "conf/loader_sections.h"

namespace slotgate::conf::detail {
namespace {

void loadKey(const YAML::Node& node, const std::string& path, LoadContext& ctx, ProviderKey& out) {
  MapReader map(node, path, ctx.diag, {"id", "secret_env", "max_concurrency"});
  ctx.provider_key_ids.push_back({map.pathOf("id"), map.mark()});
  if (!map.isMap()) {
    return;
  }
  if (map.readString("id", out.id, true)) {
    ctx.provider_key_ids.back().mark = markOf(map.get("id"));
  }
  if (map.readString("secret_env", out.secret_env, true)) {
    (void)readEnvSecret(out.secret_env, map.pathOf("secret_env"), markOf(map.get("secret_env")),
                        ctx, out.secret);
  }
  (void)map.readUint("max_concurrency", out.max_concurrency, 0);
}

void loadBreaker(const YAML::Node& node, const std::string& path, LoadContext& ctx,
                 CircuitBreakerConfig& out) {
  MapReader map(node, path, ctx.diag, {"failure_threshold", "open_duration", "half_open_requests"});
  if (!map.isMap()) {
    return;
  }
  (void)map.readUint("failure_threshold", out.failure_threshold, 1);
  (void)map.readDuration("open_duration", out.open_duration, true);
  (void)map.readUint("half_open_requests", out.half_open_requests, 1);
}

void loadProvider(const YAML::Node& node, const std::string& path, LoadContext& ctx,
                  Provider& out) {
  MapReader map(node, path, ctx.diag,
                {"name", "type", "base_url", "connect_timeout", "request_timeout", "idle_timeout",
                 "keys", "circuit_breaker", "inject_stream_usage"});
  if (!map.isMap()) {
    return;
  }
  (void)map.readString("name", out.name, true);
  std::string type;
  if (map.readString("type", type, true)) {
    if (type == "openai") {
      out.type = ProviderType::kOpenAI;
    } else if (type == "anthropic") {
      out.type = ProviderType::kAnthropic;
    } else {
      map.error("type", "must be openai or anthropic");
    }
  }
  if (map.readString("base_url", out.base_url, true)) {
    std::string error;
    auto url = parseUpstreamUrl(out.base_url, error);
    if (url) {
      out.url = std::move(*url);
    } else {
      map.error("base_url", error);
    }
  }
  if (map.readBool("inject_stream_usage", out.inject_stream_usage) &&
      out.type == ProviderType::kAnthropic && out.inject_stream_usage) {
    map.error("inject_stream_usage", "applies to type openai only");
  }
  if (out.type == ProviderType::kAnthropic) {
    out.inject_stream_usage = false;  // Anthropic streams always carry their usage
  }
  (void)map.readDuration("connect_timeout", out.connect_timeout, true);
  (void)map.readDuration("request_timeout", out.request_timeout, true);
  (void)map.readDuration("idle_timeout", out.idle_timeout, true);

  YAML::Node keys = map.get("keys");
  if (isAbsent(keys)) {
    map.error("keys", "is required (a list of at least one key)");
  } else if (expectList(keys, map.pathOf("keys"), ctx.diag)) {
    if (keys.size() == 0) {
      map.error("keys", "must list at least one key");
    }
    for (size_t j = 0; j < keys.size(); ++j) {
      ProviderKey key;
      loadKey(keys[j], indexPath(map.pathOf("keys"), j), ctx, key);
      out.keys.push_back(std::move(key));
    }
  }
  if (map.has("circuit_breaker")) {
    loadBreaker(map.get("circuit_breaker"), map.pathOf("circuit_breaker"), ctx,
                out.circuit_breaker);
  }
}

}  // namespace

void loadProviders(const YAML::Node& node, LoadContext& ctx, std::vector<Provider>& out) {
  if (isAbsent(node) || !expectList(node, "providers", ctx.diag)) {
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    std::string path = indexPath("providers", i);
    Provider provider;
    loadProvider(node[i], path, ctx, provider);
    if (!provider.name.empty()) {
      for (size_t k = 0; k < out.size(); ++k) {
        if (out[k].name == provider.name) {
          ctx.diag.add(markOf(node[i]["name"]), keyPath(path, "name"),
                       "duplicate provider name \"" + provider.name + "\" (also providers[" +
                           std::to_string(k) + "])");
          break;
        }
      }
    }
    out.push_back(std::move(provider));
  }
}

}  // namespace slotgate::conf::detail
