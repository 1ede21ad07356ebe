#include "gateway/proxy/model_catalog.h"

#include "conf/hex.h"
#include "conf/json_escape.h"
#include "gateway/proxy/auth.h"
#include "routing/endpoints.h"

namespace slotgate::gateway {
namespace {

void appendModelObject(std::string& out, std::string_view id) {
  out += R"({"id":")";
  conf::appendJsonEscaped(out, id);
  out += R"(","object":"model","created":0,"owned_by":"slotgate"})";
}

// Calls `visit(name)` for every name the client may use, in config order, until it returns
// false.
template <typename Visit>
void forEachVisibleName(const conf::Config& config, const conf::Client& client, Visit&& visit) {
  for (const auto& model : config.models) {
    if (!clientMayUse(client, model.name)) {
      continue;
    }
    if (!visit(std::string_view(model.name))) {
      return;
    }
    for (const auto& alias : model.aliases) {
      if (!visit(std::string_view(alias))) {
        return;
      }
    }
  }
}

}  // namespace

std::string modelListBody(const conf::Config& config, const conf::Client& client) {
  std::string body = R"({"object":"list","data":[)";
  bool first = true;
  forEachVisibleName(config, client, [&](std::string_view name) {
    body += first ? "" : ",";
    first = false;
    appendModelObject(body, name);
    return true;
  });
  body += "]}";
  return body;
}

std::optional<std::string> modelObjectBody(const conf::Config& config, const conf::Client& client,
                                           std::string_view id) {
  bool found = false;
  forEachVisibleName(config, client, [&](std::string_view name) {
    found = name == id;
    return !found;
  });
  if (!found) {
    return std::nullopt;
  }
  std::string body;
  appendModelObject(body, id);
  return body;
}

std::optional<std::string> modelIdFromPath(std::string_view path) {
  if (path.substr(0, routing::kModelObjectPrefix.size()) != routing::kModelObjectPrefix) {
    return std::nullopt;
  }
  const std::string_view raw = path.substr(routing::kModelObjectPrefix.size());
  std::string id;
  id.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      id += raw[i];
      continue;
    }
    const int hi = i + 2 < raw.size() ? conf::hexValue(raw[i + 1]) : -1;
    const int lo = hi >= 0 ? conf::hexValue(raw[i + 2]) : -1;
    if (lo < 0) {
      return std::nullopt;
    }
    id += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  if (id.empty()) {
    return std::nullopt;
  }
  return id;
}

}  // namespace slotgate::gateway
