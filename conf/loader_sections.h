// Internal to the loader: one function per top-level config section. Each
// reads its YAML node into the Config, reporting every problem to the
// context's Diagnostics. Cross-section checks (ids unique across providers and
// clients, target providers, name conflicts) run after all sections.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "conf/config.h"
#include "conf/loader.h"
#include "conf/yaml_reader.h"

namespace slotgate::conf::detail {

// Where something was written, for cross-section errors.
struct SourceRef {
  std::string path;
  YAML::Mark mark;
};

// Where each kept alias, pattern and target of Model i came from: Model's
// vectors hold only valid entries, so their indexes can differ from the YAML's.
struct ModelSource {
  SourceRef self;
  std::vector<SourceRef> aliases;
  std::vector<SourceRef> patterns;
  std::vector<SourceRef> target_models;
};

struct LoadContext {
  Diagnostics& diag;
  const EnvLookup& env;
  std::vector<SourceRef> provider_key_ids;  // parallel to the keys of all providers, in order
  std::vector<SourceRef> client_ids;        // parallel to Config::clients
  std::vector<SourceRef> client_keys;       // the key_env / key_sha256 of each client
  std::vector<ModelSource> models;          // parallel to Config::models
  SourceRef server_listen;
  SourceRef admin_listen;
};

void loadServer(const YAML::Node& node, LoadContext& ctx, ServerConfig& out);
void loadAdmin(const YAML::Node& node, LoadContext& ctx, AdminConfig& out);
void loadRedis(const YAML::Node& node, LoadContext& ctx, RedisConfig& out);
void loadRouting(const YAML::Node& node, LoadContext& ctx, RoutingConfig& out);
void loadProviders(const YAML::Node& node, LoadContext& ctx, std::vector<Provider>& out);
// Needs the providers loaded: resolves Target::provider_index.
void loadModels(const YAML::Node& node, LoadContext& ctx, Config& config);
void loadClients(const YAML::Node& node, LoadContext& ctx, std::vector<Client>& out);

// Reads a `*_env` field's variable. Reports at `path` when the name is not a
// valid variable name or the variable is unset or empty; never prints a value.
bool readEnvSecret(const std::string& name, const std::string& path, const YAML::Mark& mark,
                   LoadContext& ctx, std::string& out);

}  // namespace slotgate::conf::detail
