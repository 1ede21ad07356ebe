#include "metrics/request_series.h"

namespace slotgate::metrics {

using prometheus::Counter;
using prometheus::Gauge;

namespace {

KeySeries makeKeySeries(Metrics& m, const std::string& key_id) {
  KeySeries k;
  k.key_id = key_id;
  for (int exception = 0; exception < 2; ++exception) {
    prometheus::Labels labels{{"key_id", key_id}, {"exception", exception ? "true" : "false"}};
    k.slot_duration[exception] = &m.slotDuration().add(labels);
    k.slot_release[exception] = &m.slotRelease().Add(labels);
  }
  k.in_use = &m.slotsInUse().Add({{"key_id", key_id}});
  k.streaming_duration[0] = &m.streamingDuration().add({{"key_id", key_id}, {"status", "success"}});
  k.streaming_duration[1] = &m.streamingDuration().add({{"key_id", key_id}, {"status", "error"}});
  return k;
}

ProviderSeries makeProviderSeries(Metrics& m, const std::string& name) {
  ProviderSeries p;
  p.provider = name;
  prometheus::Labels labels{{"provider", name}};
  p.inflight = &m.upstreamInflight().Add(labels);
  p.timeouts = &m.upstreamTimeouts().Add(labels);
  p.retries = &m.upstreamRetries().Add(labels);
  p.without_usage = &m.requestsWithoutUsage().Add(labels);
  p.chunk_gap = &m.streamChunkGap().add(labels);
  return p;
}

}  // namespace

RequestSeries::RequestSeries(Metrics& metrics, const conf::Config& config) : metrics_(metrics) {
  for (const auto& c : config.clients) {
    clients_.push_back(c.id);
  }
  size_t combinations = 0;
  for (const auto& m : config.models) {
    models_.push_back(m.name);
    column_base_.push_back(columns_);
    std::vector<std::string> versions;
    for (const auto& t : m.targets) {
      versions.push_back(t.model);
    }
    combinations += versions.size() * clients_.size();
    columns_ += versions.size() + 1;  // + its unknown target
    versions_.push_back(std::move(versions));
  }
  columns_ += 1;                            // unknown model
  const size_t rows = clients_.size() + 1;  // + unknown client
  rows_ = std::make_unique<std::atomic<Cell*>[]>(rows);
  for (size_t r = 0; r < rows; ++r) {
    rows_[r].store(nullptr, std::memory_order_relaxed);
  }

  for (int streaming = 0; streaming < 2; ++streaming) {
    for (int error = 0; error < 2; ++error) {
      request_total_[streaming][error] =
          &metrics.requestTotal().Add({{"type", streaming ? "streaming" : "non-streaming"},
                                       {"status", error ? "error" : "success"}});
    }
  }
  for (size_t i = 0; i < kAliasMethodCount; ++i) {
    const std::string method(kAliasMethodLabels[i]);
    for (int hit = 0; hit < 2; ++hit) {
      alias_resolution_[i][hit] = &metrics.aliasResolution().Add(
          {{"method", method}, {"cache_hit", hit ? "true" : "false"}});
    }
    alias_duration_[i] = &metrics.aliasResolutionDuration().add({{"method", method}});
  }

  for (const auto& p : config.providers) {
    provider_key_base_.push_back(keys_.size());
    for (const auto& k : p.keys) {
      keys_.push_back(makeKeySeries(metrics, k.id));
    }
  }
  client_key_base_ = keys_.size();
  for (const auto& c : config.clients) {
    keys_.push_back(makeKeySeries(metrics, c.id));
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    key_by_id_.emplace(keys_[i].key_id, i);
  }
  unknown_key_ = std::make_unique<KeySeries>(makeKeySeries(metrics, unknown_));

  for (const auto& p : config.providers) {
    providers_.push_back(makeProviderSeries(metrics, p.name));
  }
  providers_.push_back(makeProviderSeries(metrics, unknown_));

  for (size_t m = 0; m < models_.size(); ++m) {
    const std::string& version = versions_[m].empty() ? unknown_ : versions_[m][0];
    queue_depth_.push_back(
        &metrics.jobQueueDepth().Add({{"model", models_[m]}, {"version", version}}));
  }
  queue_depth_.push_back(
      &metrics.jobQueueDepth().Add({{"model", unknown_}, {"version", unknown_}}));

  for (const auto& m : config.models) {
    std::vector<ShardedHistogram*> per_target;
    for (const auto& t : m.targets) {
      const std::string& provider = t.provider_index < config.providers.size()
                                        ? config.providers[t.provider_index].name
                                        : unknown_;
      per_target.push_back(
          &metrics.timeToFirstToken().add({{"provider", provider}, {"model", m.name}}));
    }
    ttft_.push_back(std::move(per_target));
  }

  if (combinations <= kEagerCombinationLimit) {
    for (size_t c = 0; c < clients_.size(); ++c) {
      for (size_t m = 0; m < models_.size(); ++m) {
        for (size_t t = 0; t < versions_[m].size(); ++t) {
          (void)requests(c, m, t);
          (void)latency(c, m, t);
        }
      }
    }
  }
}

RequestSeries::~RequestSeries() {
  const size_t rows = clients_.size() + 1;
  for (size_t r = 0; r < rows; ++r) {
    delete[] rows_[r].load(std::memory_order_acquire);
  }
}

size_t RequestSeries::rowOf(size_t client) const {
  return client < clients_.size() ? client : clients_.size();
}

size_t RequestSeries::columnOf(size_t model, size_t target) const {
  if (model >= models_.size()) {
    return columns_ - 1;
  }
  const size_t targets = versions_[model].size();
  return column_base_[model] + (target < targets ? target : targets);
}

RequestSeries::LabelRefs RequestSeries::labelsOf(size_t client, size_t model, size_t target) const {
  LabelRefs l{&unknown_, &unknown_, &unknown_};
  if (client < clients_.size()) {
    l.tenant = &clients_[client];
  }
  if (model < models_.size()) {
    l.model = &models_[model];
    if (target < versions_[model].size()) {
      l.version = &versions_[model][target];
    }
  }
  return l;
}

RequestSeries::Cell& RequestSeries::cell(size_t client, size_t model, size_t target) {
  std::atomic<Cell*>& slot = rows_[rowOf(client)];
  Cell* row = slot.load(std::memory_order_acquire);
  if (row == nullptr) {
    Cell* fresh = new Cell[columns_];
    if (slot.compare_exchange_strong(row, fresh, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      row = fresh;
    } else {
      delete[] fresh;  // another thread won; `row` now holds its array
    }
  }
  return row[columnOf(model, target)];
}

// Creation races are harmless: Family::Add (and ShardedHistogramFamily::add) returns the
// existing series for equal labels, so every thread stores the same pointer.
Counter& RequestSeries::requests(size_t client, size_t model, size_t target) {
  Cell& c = cell(client, model, target);
  Counter* counter = c.requests.load(std::memory_order_acquire);
  if (counter == nullptr) {
    LabelRefs l = labelsOf(client, model, target);
    counter = &metrics_.inferenceRequests().Add(
        {{"model", *l.model}, {"version", *l.version}, {"tenant", *l.tenant}});
    c.requests.store(counter, std::memory_order_release);
  }
  return *counter;
}

ShardedHistogram& RequestSeries::latency(size_t client, size_t model, size_t target) {
  Cell& c = cell(client, model, target);
  ShardedHistogram* histogram = c.latency.load(std::memory_order_acquire);
  if (histogram == nullptr) {
    LabelRefs l = labelsOf(client, model, target);
    histogram = &metrics_.inferenceLatency().add(
        {{"model", *l.model}, {"version", *l.version}, {"tenant", *l.tenant}});
    c.latency.store(histogram, std::memory_order_release);
  }
  return *histogram;
}

Counter& RequestSeries::errors(size_t client, size_t model, size_t target, ErrorType type) {
  Cell& c = cell(client, model, target);
  auto& slot = c.errors[errorTypeIndex(type)];
  Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    LabelRefs l = labelsOf(client, model, target);
    counter = &metrics_.inferenceErrors().Add({{"model", *l.model},
                                               {"version", *l.version},
                                               {"error_type", std::string(errorTypeLabel(type))},
                                               {"tenant", *l.tenant}});
    slot.store(counter, std::memory_order_release);
  }
  return *counter;
}

KeySeries& RequestSeries::providerKey(size_t provider, size_t key) {
  if (provider >= provider_key_base_.size()) {
    return *unknown_key_;
  }
  const size_t end = provider + 1 < provider_key_base_.size() ? provider_key_base_[provider + 1]
                                                              : client_key_base_;
  const size_t index = provider_key_base_[provider] + key;
  return key < end - provider_key_base_[provider] ? keys_[index] : *unknown_key_;
}

KeySeries& RequestSeries::clientKey(size_t client) {
  return client < clients_.size() ? keys_[client_key_base_ + client] : *unknown_key_;
}

KeySeries* RequestSeries::key(std::string_view key_id) {
  auto it = key_by_id_.find(key_id);
  return it == key_by_id_.end() ? nullptr : &keys_[it->second];
}

ProviderSeries& RequestSeries::provider(size_t provider) {
  return provider < providers_.size() - 1 ? providers_[provider] : providers_.back();
}

Gauge& RequestSeries::queueDepth(size_t model) {
  return model < models_.size() ? *queue_depth_[model] : *queue_depth_.back();
}

}  // namespace slotgate::metrics
