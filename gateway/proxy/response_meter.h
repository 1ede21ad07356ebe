// What a proxied 2xx response body is worth to the accounting (issue 14): its token usage (an
// SSE stream's or a JSON body's), with the usage-only chunk slotgate asked for on the client's
// behalf taken out again, and when its content arrived (time to first token, the gaps between
// stream chunks); and, whatever the status, the bytes the client got. One per request, for the
// attempt whose head went to the client; loop-thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <variant>

#include "gateway/proxy/api_error.h"
#include "gateway/proxy/usage_chunk_filter.h"
#include "gateway/proxy/usage_parser.h"
#include "metrics/request_series.h"
#include "metrics/request_tracker.h"
#include "routing/target_chooser.h"

namespace slotgate::gateway {

class ResponseMeter {
 public:
  using Clock = std::chrono::steady_clock;

  // Where content timings go: the series of the request's model and target, the worker's
  // histogram shard, and the live-view entry (null when none) that shows the time to first token.
  struct ContentTimings {
    metrics::RequestSeries& series;
    size_t model_index;
    const routing::Candidate& target;
    size_t shard;
    Clock::time_point started;  // the request's start
    metrics::ActiveEntry* tracked;
  };

  // A 2xx head arrived: its body is metered. `event_stream`: an SSE stream (else one JSON body);
  // `drop_usage_chunk`: slotgate asked for the usage chunk the client did not ask for.
  void begin(conf::ProviderType format, bool event_stream, bool drop_usage_chunk);
  // Body bytes read at `at`: accounts for them and returns the bytes the client gets (a view
  // into `bytes` or into the meter, valid until the next call).
  std::string_view feed(std::string_view bytes, Clock::time_point at,
                        const ContentTimings& timings);
  // The body ended whole: what the usage-chunk filter still held. A JSON body's usage is final.
  std::string_view finish();

  // Whether a body is metered (a 2xx answer): ending without usage counts as "without usage".
  bool began() const { return !std::holds_alternative<std::monostate>(parser_); }
  // The tokens reported so far (a stream that ended early: those seen).
  metrics::TokenUsage usage() const;
  // A stream's usage so far, for the live view; null for a JSON body.
  const metrics::TokenUsage* streamUsage() const;
  // The body bytes feed() and finish() handed out so far.
  uint64_t bytesOut() const { return bytes_out_; }

 private:
  // `stream`: the events are an SSE stream's (their gaps are observed).
  void contentArrived(size_t events, bool stream, Clock::time_point at,
                      const ContentTimings& timings);

  // One response is either a stream or a JSON body. A finished JSON body leaves its TokenUsage.
  std::variant<std::monostate, StreamUsageParser, JsonUsageParser, metrics::TokenUsage> parser_;
  std::unique_ptr<UsageChunkFilter> usage_chunk_filter_;  // only when drop_usage_chunk
  Clock::time_point last_content_;                        // the last content chunk (0: none)
  uint64_t bytes_out_ = 0;
};

}  // namespace slotgate::gateway
