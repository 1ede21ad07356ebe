// clients section.
#include "conf/digest.h"
#include "conf/loader_sections.h"

namespace slotgate::conf::detail {
namespace {

void loadQueue(const YAML::Node& node, const std::string& path, LoadContext& ctx,
               std::optional<QueueConfig>& out) {
  MapReader map(node, path, ctx.diag, {"max_waiting", "timeout"});
  if (!map.isMap()) {
    return;
  }
  QueueConfig queue;
  (void)map.readUint("max_waiting", queue.max_waiting, 0);
  (void)map.readDuration("timeout", queue.timeout, false);
  out = queue;
}

void loadClient(const YAML::Node& node, const std::string& path, LoadContext& ctx, Client& out) {
  MapReader map(node, path, ctx.diag,
                {"id", "key_env", "key_sha256", "max_concurrency", "queue", "models"});
  ctx.client_ids.push_back({map.pathOf("id"), map.mark()});
  ctx.client_keys.push_back({"", map.mark()});
  if (!map.isMap()) {
    return;
  }
  if (map.readString("id", out.id, true)) {
    ctx.client_ids.back().mark = markOf(map.get("id"));
  }

  bool has_env = map.has("key_env");
  bool has_sha = map.has("key_sha256");
  if (has_env && has_sha) {
    map.error("key_sha256", "give either key_env or key_sha256, not both");
  } else if (!has_env && !has_sha) {
    ctx.diag.add(map.mark(), path, "needs key_env or key_sha256");
  } else if (has_env) {
    std::string secret;
    if (map.readString("key_env", out.key_env, true) &&
        readEnvSecret(out.key_env, map.pathOf("key_env"), markOf(map.get("key_env")), ctx,
                      secret)) {
      out.key_digest = sha256Of(secret);
      ctx.client_keys.back() = {map.pathOf("key_env"), markOf(map.get("key_env"))};
    }
  } else {
    std::string hex;
    if (map.readString("key_sha256", hex, true)) {
      auto digest = parseSha256Hex(hex);
      if (digest) {
        out.key_digest = *digest;
        ctx.client_keys.back() = {map.pathOf("key_sha256"), markOf(map.get("key_sha256"))};
      } else {
        map.error("key_sha256", "must be 64 hex digits (a SHA-256 digest)");
      }
    }
  }

  (void)map.readUint("max_concurrency", out.max_concurrency, 0);
  if (map.has("queue")) {
    loadQueue(map.get("queue"), map.pathOf("queue"), ctx, out.queue);
  }
  YAML::Node models = map.get("models");
  if (!isAbsent(models) && expectList(models, map.pathOf("models"), ctx.diag)) {
    out.models.clear();
    for (size_t k = 0; k < models.size(); ++k) {
      std::string item_path = indexPath(map.pathOf("models"), k);
      std::string glob;
      if (!readScalar(models[k], item_path, ctx.diag, glob)) {
        continue;
      }
      if (glob.empty()) {
        ctx.diag.add(markOf(models[k]), item_path, "must not be empty");
        continue;
      }
      out.models.push_back(std::move(glob));
    }
  }
}

}  // namespace

void loadClients(const YAML::Node& node, LoadContext& ctx, std::vector<Client>& out) {
  if (isAbsent(node) || !expectList(node, "clients", ctx.diag)) {
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    Client client;
    loadClient(node[i], indexPath("clients", i), ctx, client);
    out.push_back(std::move(client));
  }
}

}  // namespace slotgate::conf::detail
