#include "metrics/running_totals.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "conf/glob.h"
#include "metrics/iso_time.h"

namespace slotgate::metrics {

void TotalsRow::add(const TotalsRow& o) {
  requests += o.requests;
  errors += o.errors;
  streaming += o.streaming;
  non_streaming += o.non_streaming;
  input_tokens += o.input_tokens;
  output_tokens += o.output_tokens;
  cache_read_tokens += o.cache_read_tokens;
  cache_creation_tokens += o.cache_creation_tokens;
  duration_ms_sum += o.duration_ms_sum;
  last_accessed = std::max(last_accessed, o.last_accessed);
  active += o.active;
}

void TotalsRow::addTokens(const TokenUsage& usage) {
  input_tokens += usage.input_tokens;
  output_tokens += usage.output_tokens;
  cache_read_tokens += usage.cache_read_tokens;
  cache_creation_tokens += usage.cache_creation_tokens;
}

double TotalsRow::avgDurationMs() const {
  return requests == 0 ? 0.0 : duration_ms_sum / static_cast<double>(requests);
}

TotalsRow& RunningTotals::rowOf(std::string_view provider, std::string_view provider_model) {
  if (last_.row != nullptr && last_.provider_model == provider_model &&
      last_.provider == provider) {
    return *last_.row;
  }
  auto p = rows_.find(provider);
  if (p == rows_.end()) {
    p = rows_.emplace(std::string(provider), std::map<std::string, TotalsRow, std::less<>>()).first;
  }
  auto m = p->second.find(provider_model);
  if (m == p->second.end()) {
    m = p->second.emplace(std::string(provider_model), TotalsRow()).first;
  }
  last_ = {p->first, m->first, &m->second};
  return m->second;
}

void RunningTotals::recordLocked(const FinishedRequest& outcome,
                                 std::chrono::system_clock::time_point finished_at) {
  TotalsRow& row =
      outcome.provider.empty() ? unrouted_ : rowOf(outcome.provider, outcome.provider_model);
  row.requests += 1;
  row.errors += outcome.error ? 1 : 0;
  row.streaming += outcome.streaming ? 1 : 0;
  row.non_streaming += outcome.streaming ? 0 : 1;
  row.addTokens(outcome.usage);
  row.duration_ms_sum += outcome.duration_ms;
  row.last_accessed = std::max(row.last_accessed, finished_at);
}

TotalsView RunningTotals::view(const TotalsFilter& filter,
                               const std::vector<ActiveTokens>& active) const {
  TotalsView out;
  out.include_active = filter.include_active;
  auto matches = [&filter](const std::string& provider, const std::string& model) {
    return conf::globMatch(filter.provider, provider) && conf::globMatch(filter.model, model);
  };
  {
    std::lock_guard lock(mu_);
    for (const auto& [provider, models] : rows_) {
      for (const auto& [model, row] : models) {
        if (matches(provider, model)) {
          out.providers[provider].models[model] = row;
        }
      }
    }
    if (!filter.narrows()) {
      out.top = unrouted_;
    }
  }
  if (filter.include_active) {
    for (const ActiveTokens& a : active) {
      if (a.provider.empty() || !matches(a.provider, a.provider_model)) {
        continue;
      }
      TotalsRow& row = out.providers[a.provider].models[a.provider_model];
      row.addTokens(a.usage);
      row.active += 1;
      row.last_accessed = std::max(row.last_accessed, a.started_at);
    }
  }
  for (auto& [provider, p] : out.providers) {
    for (const auto& [model, row] : p.models) {
      p.sum.add(row);
    }
    out.top.add(p.sum);
  }
  return out;
}

namespace {

nlohmann::ordered_json rowJson(const TotalsRow& row, bool include_active) {
  nlohmann::ordered_json j;
  j["requests"] = row.requests;
  j["errors"] = row.errors;
  j["streaming"] = row.streaming;
  j["non_streaming"] = row.non_streaming;
  j["input_tokens"] = row.input_tokens;
  j["output_tokens"] = row.output_tokens;
  j["cache_read_tokens"] = row.cache_read_tokens;
  j["cache_creation_tokens"] = row.cache_creation_tokens;
  // Rounded to microseconds so the text stays short and stable.
  j["avg_duration_ms"] = static_cast<double>(std::llround(row.avgDurationMs() * 1000)) / 1000;
  j["last_accessed"] =
      row.everAccessed() ? nlohmann::ordered_json(isoTimeUtcMs(row.last_accessed)) : nullptr;
  if (include_active) {
    j["active"] = row.active;
  }
  return j;
}

nlohmann::ordered_json viewJson(const TotalsView& view) {
  nlohmann::ordered_json top = rowJson(view.top, view.include_active);
  nlohmann::ordered_json providers = nlohmann::ordered_json::object();
  for (const auto& [name, p] : view.providers) {
    nlohmann::ordered_json pj = rowJson(p.sum, view.include_active);
    nlohmann::ordered_json models = nlohmann::ordered_json::object();
    for (const auto& [model, row] : p.models) {
      models[model] = rowJson(row, view.include_active);
    }
    pj["models"] = std::move(models);
    providers[name] = std::move(pj);
  }
  top["providers"] = std::move(providers);
  return top;
}

// A key is written plain when YAML reads it back as that same string;
// otherwise as a JSON string, which is a valid YAML double-quoted scalar.
std::string yamlKey(const std::string& key) {
  static const char* const kReserved[] = {"true", "false", "yes", "no", "on",
                                          "off",  "null",  "y",   "n"};
  bool plain = !key.empty() && (std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_');
  for (char c : key) {
    plain &=
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/';
  }
  if (plain) {
    std::string lower;
    for (char c : key) {
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    for (const char* r : kReserved) {
      plain &= lower != r;
    }
  }
  return plain ? key
               : nlohmann::json(key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Block YAML from the JSON tree; values are JSON scalars (numbers, strings in
// double quotes, null), all valid YAML.
void yamlNode(const nlohmann::ordered_json& j, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  for (const auto& [key, value] : j.items()) {
    out += pad;
    out += yamlKey(key);
    out += ':';
    if (value.is_object()) {
      if (value.empty()) {
        out += " {}\n";
      } else {
        out += '\n';
        yamlNode(value, indent + 2, out);
      }
    } else {
      out += ' ';
      out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      out += '\n';
    }
  }
}

}  // namespace

std::string totalsJson(const TotalsView& view) {
  return viewJson(view).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string totalsYaml(const TotalsView& view) {
  std::string out;
  yamlNode(viewJson(view), 0, out);
  return out;
}

}  // namespace slotgate::metrics
