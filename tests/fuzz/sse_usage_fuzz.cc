// Fuzzes the SSE parser and the token-usage readers (gateway/proxy/). The first input byte picks
// the API format and how the rest is cut into network reads. Properties beyond "no crash": the SSE
// parser dispatches the same events, and drops the same oversized ones, whether the stream
// arrives at once or in pieces (SPEC: an event split across reads is still parsed), and its
// buffered memory stays within its bound.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/proxy/plain_usage.h"
#include "gateway/proxy/sse_parser.h"
#include "gateway/proxy/usage_candidate.h"
#include "gateway/proxy/usage_fields.h"
#include "gateway/proxy/usage_parser.h"

namespace {

using slotgate::conf::ProviderType;
using slotgate::gateway::JsonUsageParser;
using slotgate::gateway::SseParser;
using slotgate::gateway::StreamUsageParser;

constexpr size_t kMaxEventBytes = 512;  // small, so oversized events are exercised

struct Events {
  std::vector<std::string> list;  // "event\0data" per dispatched event
  size_t dropped = 0;
};

// Feeds `stream` in pieces of 1..`max_piece` bytes, lengths taken from `stream` itself.
template <typename Feed>
void feedInPieces(std::string_view stream, size_t max_piece, Feed&& feed) {
  size_t at = 0;
  while (at < stream.size()) {
    const size_t n = 1 + static_cast<unsigned char>(stream[at]) % max_piece;
    const std::string_view piece = stream.substr(at, n);
    feed(piece);
    at += piece.size();
  }
}

Events sseEvents(std::string_view stream, size_t max_piece) {
  SseParser parser(kMaxEventBytes);
  Events out;
  auto onEvent = [&](std::string_view event, std::string_view data) {
    std::string e(event);
    e += '\0';
    e += data;
    out.list.push_back(std::move(e));
  };
  if (max_piece == 0) {
    parser.feed(stream, onEvent);
  } else {
    feedInPieces(stream, max_piece, [&](std::string_view piece) {
      parser.feed(piece, onEvent);
      // Partial line plus partial event: each under its bound, plus what one
      // feed() can leave before the bound is checked.
      if (parser.bufferedBytes() > 3 * kMaxEventBytes + max_piece) {
        std::abort();
      }
    });
  }
  out.dropped = parser.droppedEvents();
  return out;
}

// What simdjson makes of the body's tail from `value` on, read as the document `{"":` + tail
// with usage_parser.cc's rules (applyTailUsage): the document's first member is the usage
// object, the body's members after it are skipped. The oracle readPlainUsage must agree with
// wherever it answers. False when the document is not one object whose first member is an
// object of counts with at least one known count.
bool simdjsonTailUsage(std::string_view tail, slotgate::metrics::TokenUsage& out) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string text(std::string("{\"\":") + std::string(tail));
  if (parser.parse(text).get(doc) != simdjson::SUCCESS) {
    return false;
  }
  simdjson::dom::object root;
  simdjson::dom::object usage;
  if (doc.get_object().get(root) != simdjson::SUCCESS || root.begin() == root.end() ||
      (*root.begin()).value.get_object().get(usage) != simdjson::SUCCESS) {
    return false;
  }
  slotgate::metrics::TokenUsage u;
  bool any = false;
  for (const auto field : usage) {
    const std::string_view k = field.key;
    uint64_t n = 0;
    const bool is_count = field.value.get_uint64().get(n) == simdjson::SUCCESS;
    if (uint64_t* target = slotgate::gateway::usageCountOf(u, k); target != nullptr && is_count) {
      *target = n;
      any = true;
    } else if (slotgate::gateway::isUsageDetails(k)) {
      simdjson::dom::object details;
      if (field.value.get_object().get(details) == simdjson::SUCCESS) {
        for (const auto d : details) {
          if (d.key == slotgate::gateway::kUsageCachedTokens &&
              d.value.get_uint64().get(n) == simdjson::SUCCESS) {
            u.cache_read_tokens = n;
            any = true;
          }
        }
      }
    }
  }
  if (!any) {
    return false;
  }
  u.seen = true;
  out = u;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const uint8_t control = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const ProviderType format = (control & 1) != 0 ? ProviderType::kAnthropic : ProviderType::kOpenAI;
  const size_t max_piece = 1 + (control >> 1) % 64;

  const Events whole = sseEvents(stream, 0);
  const Events pieces = sseEvents(stream, max_piece);
  if (whole.list != pieces.list || whole.dropped != pieces.dropped) {
    std::abort();
  }

  StreamUsageParser stream_usage(format, kMaxEventBytes);
  feedInPieces(stream, max_piece, [&](std::string_view piece) { stream_usage.feed(piece); });
  StreamUsageParser stream_usage_whole(format, kMaxEventBytes);
  stream_usage_whole.feed(stream);
  if (!(stream_usage.usage() == stream_usage_whole.usage())) {
    std::abort();
  }

  // A small keep limit exercises the tail-only path of the JSON body reader.
  JsonUsageParser json_usage(format, 256);
  feedInPieces(stream, max_piece, [&](std::string_view piece) { json_usage.feed(piece); });
  (void)json_usage.finish();
  JsonUsageParser json_usage_big(format);
  json_usage_big.feed(stream);
  (void)json_usage_big.finish();

  // The hand-read plain usage shape answers only where simdjson gives the same counts.
  if (const size_t value = slotgate::gateway::lastUsageValueOffset(stream);
      value != std::string_view::npos) {
    slotgate::metrics::TokenUsage plain;
    slotgate::metrics::TokenUsage oracle;
    if (slotgate::gateway::readPlainUsage(stream.substr(value), plain) &&
        (!simdjsonTailUsage(stream.substr(value), oracle) || !(plain == oracle))) {
      std::abort();
    }
  }
  return 0;
}
