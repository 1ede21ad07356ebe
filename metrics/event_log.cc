#include "metrics/event_log.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "metrics/iso_time.h"

namespace slotgate::metrics {
namespace {

template <typename Item>
void push(std::deque<LogItem>& ring, Item&& item, size_t capacity) {
  ring.push_back(std::forward<Item>(item));
  while (ring.size() > capacity) {
    ring.pop_front();
  }
}

nlohmann::ordered_json itemJson(const LogItem& item) {
  nlohmann::ordered_json j;
  j["request_id"] = item.request_id;
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

// The error ring holds every answer that was not a 2xx, whatever its cause: slotgate's own
// refusals (401, 404 model_not_found, 429, ...), upstream errors and clients that left.
bool isError(const LogItem& item) { return item.error || item.status >= 300; }

std::vector<LogItem> newestFirst(const std::deque<LogItem>& ring) {
  return {ring.rbegin(), ring.rend()};
}

}  // namespace

void EventLog::add(const LogItem& item) {
  std::lock_guard lock(mu_);
  push(traces_, item, capacity_);
  if (isError(item)) {
    push(errors_, item, capacity_);
  }
}

void EventLog::add(LogItem&& item) {
  std::lock_guard lock(mu_);
  if (isError(item)) {
    push(errors_, item, capacity_);
  }
  push(traces_, std::move(item), capacity_);
}

std::vector<LogItem> EventLog::errors() const {
  std::lock_guard lock(mu_);
  return newestFirst(errors_);
}

std::vector<LogItem> EventLog::traces() const {
  std::lock_guard lock(mu_);
  return newestFirst(traces_);
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
