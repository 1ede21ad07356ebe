#include "gateway/proxy/response_meter.h"

namespace slotgate::gateway {

void ResponseMeter::begin(conf::ProviderType format, bool event_stream, bool drop_usage_chunk) {
  if (event_stream) {
    parser_.emplace<StreamUsageParser>(format);
    if (drop_usage_chunk) {
      usage_chunk_filter_ = std::make_unique<UsageChunkFilter>();
    }
  } else {
    parser_.emplace<JsonUsageParser>(format);
  }
}

std::string_view ResponseMeter::feed(std::string_view bytes, Clock::time_point at,
                                     const ContentTimings& timings) {
  if (auto* stream = std::get_if<StreamUsageParser>(&parser_)) {
    contentArrived(stream->feed(bytes), true, at, timings);
  } else if (auto* json = std::get_if<JsonUsageParser>(&parser_)) {
    json->feed(bytes);
    if (last_content_ == Clock::time_point{}) {
      contentArrived(1, false, at, timings);  // a body's first byte is its first token
    }
  }
  const std::string_view out = usage_chunk_filter_ ? usage_chunk_filter_->filter(bytes) : bytes;
  bytes_out_ += out.size();
  return out;
}

std::string_view ResponseMeter::finish() {
  if (auto* json = std::get_if<JsonUsageParser>(&parser_)) {
    const metrics::TokenUsage finished = json->finish();
    parser_.emplace<metrics::TokenUsage>(finished);
  }
  const std::string_view rest =
      usage_chunk_filter_ ? usage_chunk_filter_->finish() : std::string_view();
  bytes_out_ += rest.size();
  return rest;
}

metrics::TokenUsage ResponseMeter::usage() const {
  if (const auto* stream = std::get_if<StreamUsageParser>(&parser_)) {
    return stream->usage();
  }
  if (const auto* finished = std::get_if<metrics::TokenUsage>(&parser_)) {
    return *finished;
  }
  return {};
}

const metrics::TokenUsage* ResponseMeter::streamUsage() const {
  const auto* stream = std::get_if<StreamUsageParser>(&parser_);
  return stream != nullptr ? &stream->usage() : nullptr;
}

void ResponseMeter::contentArrived(size_t events, bool stream, Clock::time_point at,
                                   const ContentTimings& timings) {
  if (events == 0) {
    return;
  }
  const auto& target = timings.target;
  size_t gaps = events;
  if (last_content_ == Clock::time_point{}) {
    const Clock::duration ttft = at - timings.started;
    if (timings.tracked != nullptr) {
      // Kept on the tracker's entry, not in the request: ProxyRequest's size is budgeted.
      timings.tracked->ttft_ms = std::chrono::duration<float, std::milli>(ttft).count();
    }
    if (auto* h = timings.series.timeToFirstToken(timings.model_index, target.target_index)) {
      h->observe(timings.shard, ttft);
    }
    --gaps;
  } else if (stream) {
    // Chunks read together came together: the first has the real gap, the others 0.
    timings.series.provider(target.provider_index)
        .chunk_gap->observe(timings.shard, at - last_content_);
    --gaps;
  }
  last_content_ = at;
  if (stream && gaps > 0) {
    timings.series.provider(target.provider_index)
        .chunk_gap->observe(timings.shard, Clock::duration{}, gaps);
  }
}

}  // namespace slotgate::gateway
