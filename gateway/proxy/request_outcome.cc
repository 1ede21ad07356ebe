#include "gateway/proxy/request_outcome.h"

#include <chrono>
#include <string>

#include "gateway/proxy/live_entry.h"

namespace slotgate::gateway {
namespace {

std::chrono::nanoseconds asNanoseconds(float seconds) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<float>(seconds));
}

}  // namespace

RequestOutcome::Names RequestOutcome::names(const conf::Config& config) const {
  Names n;
  n.client = client == kNoClient ? std::string_view("unknown")
                                 : std::string_view(config.clients[client].id);
  if (target != nullptr) {
    const conf::Provider& provider = config.providers[target->provider_index];
    n.provider = provider.name;
    n.provider_model = resolved->targets[target->target_index].model;
    n.key_id = provider.keys[target->key_index].id;
  }
  return n;
}

void RequestOutcome::record(const ConfigSnapshot& snapshot, GatewayContext& context, size_t shard,
                            metrics::ActiveEntryPtr& tracked) const {
  auto& series = snapshot.series();
  const Names n = names(snapshot.config());
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
  series.latency(client, model_index, target_index).observe(shard, duration);
  if (error) {
    series.errors(client, model_index, target_index, *error).Increment();
  }
  if (streaming && target != nullptr) {
    series.providerKey(target->provider_index, target->key_index).streamFinished(success, duration);
  }
  if (context.tracker != nullptr) {
    metrics::FinishedRequest finished;
    finished.provider = n.provider;
    finished.provider_model = n.provider_model;
    finished.key_id = n.key_id;
    finished.streaming = streaming;
    finished.error = !success;
    finished.status = sentStatus();
    finished.error_type = client_gone ? std::string_view("client_closed")
                          : error     ? metrics::errorTypeLabel(*error)
                                      : std::string_view();
    finished.duration_ms = static_cast<double>(duration.count()) / 1e6;
    finished.usage = usage;
    finished.latencies.ttft_ms = ttft_ms;
    finished.latencies.overhead_ms = overhead_s * 1000.0;
    finished.latencies.queue_wait_ms = queue_wait_s ? *queue_wait_s * 1000.0 : -1.0;
    if (tracked) {
      context.tracker->end(tracked, finished);
      LiveEntry::giveBack(tracked);  // its names' storage serves the thread's next request
    } else {
      // Answered before it was ever in flight (refused, or a model list): the totals and logs
      // count it all the same.
      metrics::ActiveEntry entry;
      entry.request_id = request_id;
      entry.client = n.client;
      entry.model = model;
      context.tracker->answered(entry, finished);
    }
  }
  metrics::LogLine line(metrics::LogLevel::kInfo, metrics::kAccessEvent);
  if (!line.enabled()) {
    return;
  }
  writeAccessFields(n, line);
  line.emit();
}

void RequestOutcome::writeAccessFields(const conf::Config& config, metrics::LogLine& line) const {
  writeAccessFields(names(config), line);
}

void RequestOutcome::writeAccessFields(const Names& n, metrics::LogLine& line) const {
  using metrics::LogBool;
  using metrics::LogKey;
  using metrics::LogLiteral;
  using metrics::LogMillis;
  using metrics::LogNum;
  using metrics::LogStr;
  line.fields(LogStr("request_id", request_id), LogStr("method", method), LogStr("path", path),
              LogStr("client", n.client), LogStr("model", model),
              LogStr("resolved_model", resolved != nullptr ? std::string_view(resolved->name)
                                                           : std::string_view("unknown")),
              LogStr("provider", n.provider), LogStr("provider_model", n.provider_model),
              LogStr("key_id", n.key_id), LogNum("status", sentStatus()),
              LogMillis("duration_ms", duration), LogBool("streaming", streaming),
              LogNum("input_tokens", usage.input_tokens),
              LogNum("output_tokens", usage.output_tokens),
              LogLiteral("usage", usage.seen ? LogKey("reported") : LogKey("none")),
              LogNum("retries", retries), LogNum("bytes_out", bytes_out));
  if (client_gone) {
    line.fields(LogLiteral("error_type", "client_closed"));
  } else if (error) {
    line.str("error_type", metrics::errorTypeLabel(*error));
  }
}

}  // namespace slotgate::gateway
