// server, admin, redis and routing sections.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "conf/address.h"
#include "conf/loader_sections.h"

namespace slotgate::conf::detail {
namespace {

// The largest server.max_header_bytes: a head is buffered whole before it
// is parsed.
constexpr uint64_t kMaxHeaderBytesLimit = 1u << 20;

void readListen(MapReader& map, std::string_view key, HostPort& out, SourceRef& ref) {
  ref = {map.pathOf(key), map.mark()};
  std::string text;
  if (!map.readString(key, text, false)) {
    return;
  }
  ref.mark = markOf(map.get(key));
  std::string error;
  auto parsed = parseHostPort(text, error);
  if (!parsed) {
    map.error(key, error);
    return;
  }
  out = *parsed;
}

void checkReadable(MapReader& map, std::string_view key, const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    map.error(key, "cannot read file \"" + file + "\": " + std::strerror(errno));
  }
}

}  // namespace

bool readEnvSecret(const std::string& name, const std::string& path, const YAML::Mark& mark,
                   LoadContext& ctx, std::string& out) {
  if (!isEnvVarName(name)) {
    // Not echoed: this may be a secret pasted in place of a variable name.
    ctx.diag.add(mark, path, "must be the name of an environment variable (letters, digits and _)");
    return false;
  }
  auto value = ctx.env(name);
  if (!value || value->empty()) {
    ctx.diag.add(mark, path, "environment variable " + name + " is not set or is empty");
    return false;
  }
  // Secrets are written into request heads (Authorization, x-api-key): a CR
  // or LF would split the head, a NUL or other control byte corrupt it.
  // Refused here, and the value is not echoed.
  const bool control = std::any_of(value->begin(), value->end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control) {
    ctx.diag.add(mark, path,
                 "environment variable " + name +
                     " contains a control character (CR, LF, NUL, tab...); a secret must not");
    return false;
  }
  out = std::move(*value);
  return true;
}

void loadServer(const YAML::Node& node, LoadContext& ctx, ServerConfig& out) {
  ctx.server_listen = {"server.listen", markOf(node)};
  if (isAbsent(node)) {
    return;
  }
  MapReader map(
      node, "server", ctx.diag,
      {"listen", "workers", "tls", "max_request_body", "max_header_bytes", "header_timeout",
       "body_timeout", "idle_timeout", "drain_timeout", "max_connections", "http2", "core_dumps"});
  if (!map.isMap()) {
    return;
  }
  readListen(map, "listen", out.listen, ctx.server_listen);
  (void)map.readUint("workers", out.workers, 0);
  if (map.has("tls")) {
    MapReader tls(map.get("tls"), map.pathOf("tls"), ctx.diag, {"cert", "key"});
    if (tls.isMap()) {
      TlsConfig t;
      bool cert = tls.readString("cert", t.cert, true);
      bool key = tls.readString("key", t.key, true);
      if (cert) {
        checkReadable(tls, "cert", t.cert);
      }
      if (key) {
        checkReadable(tls, "key", t.key);
      }
      out.tls = std::move(t);
    }
  }
  (void)map.readSize("max_request_body", out.max_request_body, true);
  (void)map.readSize("max_header_bytes", out.max_header_bytes, true, kMaxHeaderBytesLimit);
  (void)map.readDuration("header_timeout", out.header_timeout, true);
  (void)map.readDuration("body_timeout", out.body_timeout, true);
  (void)map.readDuration("idle_timeout", out.idle_timeout, true);
  (void)map.readDuration("drain_timeout", out.drain_timeout, true);
  (void)map.readBool("core_dumps", out.core_dumps);
  (void)map.readUint("max_connections", out.max_connections, 0);
  if (map.has("http2")) {
    MapReader h2(map.get("http2"), map.pathOf("http2"), ctx.diag, {"max_concurrent_streams"});
    if (h2.isMap()) {
      (void)h2.readUint("max_concurrent_streams", out.http2.max_concurrent_streams, 1);
    }
  }
}

void loadAdmin(const YAML::Node& node, LoadContext& ctx, AdminConfig& out) {
  ctx.admin_listen = {"admin.listen", markOf(node)};
  bool token_given = false;
  if (!isAbsent(node)) {
    MapReader map(node, "admin", ctx.diag, {"listen", "token_env"});
    if (!map.isMap()) {
      return;
    }
    readListen(map, "listen", out.listen, ctx.admin_listen);
    if (map.has("token_env")) {
      token_given = true;
      std::string name;
      if (map.readString("token_env", name, true)) {
        out.token_env = name;
        (void)readEnvSecret(name, map.pathOf("token_env"), markOf(map.get("token_env")), ctx,
                            out.token);
      }
    }
  }
  if (!token_given && !isLoopbackHost(out.listen.host)) {
    ctx.diag.add(ctx.admin_listen.mark, "admin.token_env",
                 "is required when admin.listen is not a loopback address");
  }
}

void loadRedis(const YAML::Node& node, LoadContext& ctx, RedisConfig& out) {
  MapReader map(node, "redis", ctx.diag, {"url", "prefix", "lease_ttl", "on_unavailable"});
  if (!map.isMap()) {
    return;
  }
  std::string url;
  if (map.readString("url", url, false)) {
    std::string error;
    auto parsed = parseRedisUrl(url, error);
    if (parsed) {
      out.url = url;
      out.host = parsed->host;
      out.port = parsed->port;
      out.db = parsed->db;
    } else {
      map.error("url", error);
    }
  }
  (void)map.readString("prefix", out.prefix, false);
  (void)map.readDuration("lease_ttl", out.lease_ttl, true);
  std::string mode;
  if (map.readString("on_unavailable", mode, false)) {
    if (mode == "local") {
      out.on_unavailable = OnUnavailable::kLocal;
    } else if (mode == "reject") {
      out.on_unavailable = OnUnavailable::kReject;
    } else {
      map.error("on_unavailable", "must be local or reject");
    }
  }
}

void loadRouting(const YAML::Node& node, LoadContext& ctx, RoutingConfig& out) {
  if (isAbsent(node)) {
    return;
  }
  MapReader map(node, "routing", ctx.diag, {"retries"});
  if (map.isMap()) {
    (void)map.readUint("retries", out.retries, 0);
  }
}

}  // namespace slotgate::conf::detail
