// models section.
#include <re2/re2.h>

#include "conf/loader_sections.h"

namespace slotgate::conf::detail {
namespace {

// Appends every non-empty string of a list; reports the rest.
void readStringList(const YAML::Node& node, const std::string& path, LoadContext& ctx,
                    std::vector<std::string>& out, std::vector<SourceRef>& refs) {
  if (isAbsent(node) || !expectList(node, path, ctx.diag)) {
    return;
  }
  for (size_t k = 0; k < node.size(); ++k) {
    std::string item_path = indexPath(path, k);
    std::string value;
    if (!readScalar(node[k], item_path, ctx.diag, value)) {
      continue;
    }
    if (value.empty()) {
      ctx.diag.add(markOf(node[k]), item_path, "must not be empty");
      continue;
    }
    out.push_back(std::move(value));
    refs.push_back({item_path, markOf(node[k])});
  }
}

void loadTarget(const YAML::Node& node, const std::string& path, LoadContext& ctx,
                const Config& config, Model& model, ModelSource& source) {
  MapReader map(node, path, ctx.diag, {"provider", "model"});
  if (!map.isMap()) {
    return;
  }
  Target target;
  bool ok = map.readString("provider", target.provider, true);
  if (ok) {
    ok = false;
    for (size_t p = 0; p < config.providers.size(); ++p) {
      if (config.providers[p].name == target.provider) {
        target.provider_index = p;
        ok = true;
        break;
      }
    }
    if (!ok) {
      map.error("provider", "unknown provider \"" + target.provider + "\"");
    }
  }
  ok = map.readString("model", target.model, true) && ok;
  if (ok) {
    model.targets.push_back(std::move(target));
    source.target_models.push_back({map.pathOf("model"), markOf(map.get("model"))});
  }
}

void loadModel(const YAML::Node& node, const std::string& path, LoadContext& ctx,
               const Config& config, Model& out, ModelSource& source) {
  MapReader map(node, path, ctx.diag, {"name", "aliases", "patterns", "targets"});
  source.self = {map.pathOf("name"), map.mark()};
  if (!map.isMap()) {
    return;
  }
  if (map.readString("name", out.name, true)) {
    source.self.mark = markOf(map.get("name"));
  }
  readStringList(map.get("aliases"), map.pathOf("aliases"), ctx, out.aliases, source.aliases);

  std::vector<std::string> patterns;
  std::vector<SourceRef> pattern_refs;
  readStringList(map.get("patterns"), map.pathOf("patterns"), ctx, patterns, pattern_refs);
  for (size_t k = 0; k < patterns.size(); ++k) {
    auto re = std::make_shared<const re2::RE2>(patterns[k], re2::RE2::Quiet);
    if (!re->ok()) {
      ctx.diag.add(pattern_refs[k].mark, pattern_refs[k].path, "invalid pattern: " + re->error());
      continue;
    }
    out.patterns.push_back(patterns[k]);
    out.compiled.push_back(std::move(re));
    source.patterns.push_back(pattern_refs[k]);
  }

  YAML::Node targets = map.get("targets");
  if (isAbsent(targets)) {
    map.error("targets", "is required (a list of at least one target)");
  } else if (expectList(targets, map.pathOf("targets"), ctx.diag)) {
    if (targets.size() == 0) {
      map.error("targets", "must list at least one target");
    }
    for (size_t t = 0; t < targets.size(); ++t) {
      loadTarget(targets[t], indexPath(map.pathOf("targets"), t), ctx, config, out, source);
    }
  }
}

}  // namespace

void loadModels(const YAML::Node& node, LoadContext& ctx, Config& config) {
  if (isAbsent(node) || !expectList(node, "models", ctx.diag)) {
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    std::string path = indexPath("models", i);
    Model model;
    ModelSource source;
    loadModel(node[i], path, ctx, config, model, source);
    if (!model.name.empty()) {
      for (size_t k = 0; k < config.models.size(); ++k) {
        if (config.models[k].name == model.name) {
          ctx.diag.add(source.self.mark, source.self.path,
                       "duplicate model name \"" + model.name + "\" (also models[" +
                           std::to_string(k) + "])");
          break;
        }
      }
    }
    config.models.push_back(std::move(model));
    ctx.models.push_back(std::move(source));
  }
}

}  // namespace slotgate::conf::detail
