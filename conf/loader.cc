#include "conf/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <unordered_set>

#include "conf/alias_conflicts.h"
#include "conf/loader_sections.h"

namespace slotgate::conf {
namespace detail {
namespace {

bool before(const YAML::Mark& a, const YAML::Mark& b) {
  return std::pair(a.line, a.column) < std::pair(b.line, b.column);
}

// key ids label metrics: unique across every provider key and every client id.
void checkIds(const Config& config, LoadContext& ctx) {
  struct Use {
    const std::string* id;
    const SourceRef* ref;
  };
  std::vector<Use> uses;
  size_t k = 0;
  for (const auto& provider : config.providers) {
    for (const auto& key : provider.keys) {
      uses.push_back({&key.id, &ctx.provider_key_ids[k++]});
    }
  }
  for (size_t i = 0; i < config.clients.size(); ++i) {
    uses.push_back({&config.clients[i].id, &ctx.client_ids[i]});
  }
  std::stable_sort(uses.begin(), uses.end(),
                   [](const Use& a, const Use& b) { return before(a.ref->mark, b.ref->mark); });
  for (size_t i = 0; i < uses.size(); ++i) {
    if (uses[i].id->empty()) {
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (*uses[j].id == *uses[i].id) {
        ctx.diag.add(uses[i].ref->mark, uses[i].ref->path,
                     "\"" + *uses[i].id + "\" is already used by " + uses[j].ref->path);
        break;
      }
    }
  }
}

// Two clients with one key would make auth ambiguous.
void checkClientKeys(const Config& config, LoadContext& ctx) {
  for (size_t i = 0; i < config.clients.size(); ++i) {
    if (ctx.client_keys[i].path.empty()) {
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (!ctx.client_keys[j].path.empty() &&
          config.clients[j].key_digest == config.clients[i].key_digest) {
        ctx.diag.add(ctx.client_keys[i].mark, ctx.client_keys[i].path,
                     "same key as clients[" + std::to_string(j) + "]; each client needs its own");
        break;
      }
    }
  }
}

void checkListeners(const Config& config, LoadContext& ctx) {
  const auto& a = config.admin.listen;
  const auto& s = config.server.listen;
  if (a.port != 0 && a.port == s.port && a.host == s.host) {
    ctx.diag.add(ctx.admin_listen.mark, ctx.admin_listen.path,
                 "must differ from server.listen (the ops endpoints never share the data port)");
  }
}

const SourceRef& claimRef(const LoadContext& ctx, const NameClaim& claim) {
  const ModelSource& source = ctx.models[claim.model];
  switch (claim.kind) {
    case ClaimKind::kTargetModel:
      return source.target_models[claim.index];
    case ClaimKind::kAlias:
      return source.aliases[claim.index];
    case ClaimKind::kPattern:
      break;
  }
  return source.patterns[claim.index];
}

void checkNameConflicts(Config& config, LoadContext& ctx) {
  std::unordered_set<std::string> recorded;
  for (const auto& c : findNameConflicts(config)) {
    const std::string& winner = config.models[c.winner.model].name;
    if (config.strict_aliases) {
      const SourceRef& ref = claimRef(ctx, c.loser);
      std::string message =
          c.loser.kind == ClaimKind::kPattern
              ? "matches \"" + c.name + "\", which is already claimed by model \"" + winner + "\""
              : "\"" + c.name + "\" is already claimed by model \"" + winner + "\"";
      ctx.diag.add(ref.mark, ref.path, message + " (strict_aliases)");
    } else if (recorded.insert(c.name).second) {
      config.load_conflicts.push_back({c.name, winner, config.models[c.loser.model].name});
    }
  }
}

void loadDocument(const YAML::Node& root, LoadContext& ctx, Config& config) {
  MapReader map(
      root, "", ctx.diag,
      {"server", "admin", "redis", "providers", "models", "clients", "routing", "strict_aliases"});
  if (!map.isMap()) {
    return;
  }
  (void)map.readBool("strict_aliases", config.strict_aliases);
  loadServer(map.get("server"), ctx, config.server);
  loadAdmin(map.get("admin"), ctx, config.admin);
  if (map.has("redis")) {
    config.redis.emplace();
    loadRedis(map.get("redis"), ctx, *config.redis);
  }
  loadProviders(map.get("providers"), ctx, config.providers);
  loadModels(map.get("models"), ctx, config);
  loadClients(map.get("clients"), ctx, config.clients);
  loadRouting(map.get("routing"), ctx, config.routing);

  checkIds(config, ctx);
  checkClientKeys(config, ctx);
  checkListeners(config, ctx);
  checkNameConflicts(config, ctx);
}

LoadResult load(const std::string& yaml, const EnvLookup& env, std::string source_path) {
  LoadResult result;
  Diagnostics diag;
  auto config = std::make_shared<Config>();
  try {
    YAML::Node root = YAML::Load(yaml);
    if (isAbsent(root)) {
      result.errors.push_back({"", "the config is empty"});
      return result;
    }
    LoadContext ctx{diag, env, {}, {}, {}, {}, {}, {}};
    loadDocument(root, ctx, *config);
  } catch (const YAML::Exception& e) {
    // Syntax errors, and anything yaml-cpp refuses while walking (e.g. bad anchors).
    std::string where;
    if (e.mark.line >= 0) {
      where = " at line " + std::to_string(e.mark.line + 1) + ", column " +
              std::to_string(e.mark.column + 1);
    }
    diag.add(YAML::Mark::null_mark(), "", "YAML syntax error" + where + ": " + e.msg);
  } catch (const std::exception& e) {
    // The config boundary never throws past itself: whatever yaml-cpp or the
    // standard library raises on a hostile file (bad_alloc, length_error...)
    // is a refused config, and a reload keeps the running one.
    diag.add(YAML::Mark::null_mark(), "", std::string("the config could not be read: ") + e.what());
  }

  result.errors = diag.take();
  if (result.errors.empty()) {
    config->source_path = std::move(source_path);
    config->loaded_at = std::chrono::system_clock::now();
    result.config = std::move(config);
  }
  return result;
}

}  // namespace
}  // namespace detail

EnvLookup processEnv() {
  // getenv is safe here: the gateway never calls setenv after startup.
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

LoadResult loadConfigFile(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back(
        {"", "cannot read config file \"" + path + "\": " + std::strerror(errno)});
    return result;
  }
  // Read in pieces, at most one byte past the limit, so that a huge file (or a
  // path swapped for /dev/zero) is refused without being held in memory. Not one
  // limit-sized buffer up front: that zero-filled 16 MiB on every load, and
  // freeing such a block makes glibc raise its mmap threshold to 16 MiB and its
  // trim threshold to 32 MiB for the rest of the process, so large data-plane
  // buffers then stay in the heap instead of going back to the system.
  std::string text;
  char piece[64 << 10];
  while (text.size() <= kMaxConfigBytes && in) {
    const size_t want = std::min(sizeof piece, kMaxConfigBytes + 1 - text.size());
    in.read(piece, static_cast<std::streamsize>(want));
    text.append(piece, static_cast<size_t>(in.gcount()));
  }
  if (text.size() > kMaxConfigBytes) {
    LoadResult result;
    result.errors.push_back({"", "config file \"" + path + "\" is larger than " +
                                     std::to_string(kMaxConfigBytes >> 20) + " MiB"});
    return result;
  }
  return detail::load(text, env, path);
}

LoadResult loadConfigString(const std::string& yaml, const EnvLookup& env) {
  return detail::load(yaml, env, "");
}

}  // namespace slotgate::conf
