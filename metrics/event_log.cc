#include "metrics/event_log.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "metrics/iso_time.h"

namespace slotgate::metrics {
namespace {

nlohmann::ordered_json itemJson(const LogItem& item) {
  nlohmann::ordered_json j;
  j["request_id"] = item.request_id.view();
  j["client"] = item.client;
  j["model"] = item.model;
  j["provider"] = item.provider;
  j["provider_model"] = item.provider_model;
  j["key_id"] = item.key_id;
  j["streaming"] = item.streaming;
  j["status"] = item.status;
  j["error_type"] = item.error_type;
  j["duration_ms"] = item.duration_ms;
  j["tokens"] = {{"input", item.tokens.input_tokens},
                 {"output", item.tokens.output_tokens},
                 {"cache_read", item.tokens.cache_read_tokens},
                 {"cache_creation", item.tokens.cache_creation_tokens}};
  j["finished_at"] = isoTimeUtcMs(item.finished_at);
  return j;
}

}  // namespace

EventLog::EventLog(size_t capacity, FutexMutex* mu)
    : capacity_(capacity), mu_(mu != nullptr ? *mu : own_mu_) {
  // Room for every entry from the start: the rings never move their items.
  errors_.items.reserve(capacity);
  traces_.items.reserve(capacity);
}

LogItem& EventLog::Ring::next(size_t capacity) {
  if (items.size() < capacity) {
    return items.emplace_back();
  }
  LogItem& item = items[oldest];
  oldest = oldest + 1 == items.size() ? 0 : oldest + 1;
  return item;
}

std::vector<LogItem> EventLog::Ring::newestFirst() const {
  std::vector<LogItem> out;
  out.reserve(items.size());
  // Newest first: from just before `oldest` back to the start, then from the end down to it.
  for (size_t i = oldest; i > 0; --i) {
    out.push_back(items[i - 1]);
  }
  for (size_t i = items.size(); i > oldest; --i) {
    out.push_back(items[i - 1]);
  }
  return out;
}

void EventLog::add(const LogItem& item) {
  record([&item](LogItem& slot) { slot = item; });
}

std::vector<LogItem> EventLog::errors() const {
  std::lock_guard lock(mu_);
  return errors_.newestFirst();
}

std::vector<LogItem> EventLog::traces() const {
  std::lock_guard lock(mu_);
  return traces_.newestFirst();
}

std::string EventLog::json() const {
  nlohmann::ordered_json out;
  out["errors"] = nlohmann::ordered_json::array();
  out["traces"] = nlohmann::ordered_json::array();
  for (const LogItem& item : errors()) {
    out["errors"].push_back(itemJson(item));
  }
  for (const LogItem& item : traces()) {
    out["traces"].push_back(itemJson(item));
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace slotgate::metrics
