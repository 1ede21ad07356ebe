#include "gateway/proxy/request_outcome.h"

#include <chrono>
#include <string>

namespace slotgate::gateway {
namespace {

std::chrono::nanoseconds asNanoseconds(float seconds) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<float>(seconds));
}

struct TargetNames {
  std::string_view provider;
  std::string_view provider_model;
  std::string_view key_id;
};

TargetNames targetNames(const conf::Config& config, const conf::Model* resolved,
                        const routing::Candidate* target) {
  if (target == nullptr) {
    return {};
  }
  const conf::Provider& provider = config.providers[target->provider_index];
  return {provider.name, resolved->targets[target->target_index].model,
          provider.keys[target->key_index].id};
}

std::string_view clientId(const conf::Config& config, size_t client) {
  return client == kNoClient ? std::string_view("unknown")
                             : std::string_view(config.clients[client].id);
}

}  // namespace

void RequestOutcome::record(const ConfigSnapshot& snapshot, GatewayContext& context, size_t shard,
                            metrics::ActiveEntryPtr& tracked) const {
  auto& series = snapshot.series();
  const conf::Config& config = snapshot.config();
  series.metrics().overhead().observe(shard, asNanoseconds(overhead_s));
  if (queue_wait_s) {
    series.metrics().queueWait().observe(shard, asNanoseconds(*queue_wait_s));
  }
  if (target != nullptr && usage_expected && !usage.seen) {
    series.provider(target->provider_index).without_usage->Increment();
  }
  const size_t target_index =
      target != nullptr ? target->target_index : metrics::RequestSeries::kUnknown;
  series.requestTotal(streaming, success).Increment();
  series.requests(client, model_index, target_index).Increment();
  series.latency(client, model_index, target_index).Observe(seconds);
  if (error) {
    series.errors(client, model_index, target_index, *error).Increment();
  }
  if (streaming && target != nullptr) {
    series.providerKey(target->provider_index, target->key_index).streamFinished(success, seconds);
  }
  if (context.tracker != nullptr) {
    const TargetNames names = targetNames(config, resolved, target);
    metrics::FinishedRequest finished;
    finished.provider = names.provider;
    finished.provider_model = names.provider_model;
    finished.key_id = names.key_id;
    finished.streaming = streaming;
    finished.error = !success;
    finished.status = sentStatus();
    finished.error_type = client_gone ? "client_closed"
                          : error     ? std::string(metrics::errorTypeLabel(*error))
                                      : "";
    finished.duration_ms = seconds * 1000.0;
    finished.usage = usage;
    finished.latencies.ttft_ms = ttft_ms;
    finished.latencies.overhead_ms = overhead_s * 1000.0;
    finished.latencies.queue_wait_ms = queue_wait_s ? *queue_wait_s * 1000.0 : -1.0;
    if (tracked) {
      context.tracker->end(tracked, finished);
      tracked.reset();
    } else {
      // Answered before it was ever in flight (refused, or a model list): the totals and logs
      // count it all the same.
      metrics::ActiveEntry entry;
      entry.request_id = request_id;
      entry.client = clientId(config, client);
      entry.model = model;
      context.tracker->answered(entry, finished);
    }
  }
  metrics::LogLine line(metrics::LogLevel::kInfo, metrics::kAccessEvent);
  if (!line.enabled()) {
    return;
  }
  writeAccessFields(config, line);
  line.emit();
}

void RequestOutcome::writeAccessFields(const conf::Config& config, metrics::LogLine& line) const {
  const TargetNames names = targetNames(config, resolved, target);
  line.str("request_id", request_id)
      .str("method", method)
      .str("path", path)
      .str("client", clientId(config, client))
      .str("model", model)
      .str("resolved_model",
           resolved != nullptr ? std::string_view(resolved->name) : std::string_view("unknown"))
      .str("provider", names.provider)
      .str("provider_model", names.provider_model)
      .str("key_id", names.key_id)
      .num("status", sentStatus())
      .num("duration_ms", seconds * 1000.0)
      .boolean("streaming", streaming)
      .num("input_tokens", usage.input_tokens)
      .num("output_tokens", usage.output_tokens)
      .str("usage", usage.seen ? "reported" : "none")
      .num("retries", retries)
      .num("bytes_out", bytes_out);
  if (client_gone) {
    line.str("error_type", "client_closed");
  } else if (error) {
    line.str("error_type", metrics::errorTypeLabel(*error));
  }
}

}  // namespace slotgate::gateway
