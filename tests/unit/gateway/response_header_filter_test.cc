#include "gateway/proxy/response_header_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace slotgate::gateway {
namespace {

const RouteNames kRoute{"openai-main", "gpt-4o-2024-08-06", "key-a"};

std::vector<UpstreamHeader> providerHead() {
  return {{"Content-Type", "text/event-stream; charset=utf-8"},
          {"Content-Length", "42"},
          {"Connection", "keep-alive"},
          {"Transfer-Encoding", "chunked"},
          {"X-Request-Id", "provider-id"},
          {"request-id", "req_provider"},
          {"X-Slotgate-Key", "forged"},
          {"OpenAI-Processing-Ms", "12"}};
}

const std::string* value(const Headers& headers, std::string_view name) {
  return findHeader(headers, name);
}

ClientHead filtered(const std::vector<UpstreamHeader>& upstream, conf::ProviderType format,
                    std::string_view request_id) {
  ClientHead head;
  filterResponseHead(upstream, format, request_id, kRoute, head);
  return head;
}

int count(const Headers& headers, std::string_view name) {
  int n = 0;
  for (const auto& h : headers) {
    n += h.name == name ? 1 : 0;
  }
  return n;
}

TEST(ResponseHeaderFilter, DropsHopByHopAndTheProvidersIdsAndAddsSlotgates) {
  ClientHead head = filtered(providerHead(), conf::ProviderType::kOpenAI, "sg-1");
  EXPECT_EQ(value(head.headers, "connection"), nullptr);
  EXPECT_EQ(value(head.headers, "transfer-encoding"), nullptr);
  EXPECT_EQ(value(head.headers, "content-length"), nullptr);  // framing is the codec's
  EXPECT_EQ(count(head.headers, "x-request-id"), 1);
  EXPECT_EQ(*value(head.headers, "x-request-id"), "sg-1");
  // OpenAI paths pass the provider's own request-id through.
  EXPECT_EQ(*value(head.headers, "request-id"), "req_provider");
  EXPECT_EQ(*value(head.headers, "openai-processing-ms"), "12");  // names lower-cased
  EXPECT_EQ(count(head.headers, "x-slotgate-key"), 1);
  EXPECT_EQ(*value(head.headers, "x-slotgate-key"), "key-a");  // never the provider's
  EXPECT_EQ(*value(head.headers, "x-slotgate-provider"), "openai-main");
  EXPECT_EQ(*value(head.headers, "x-slotgate-model"), "gpt-4o-2024-08-06");
  EXPECT_EQ(head.content_length, 42u);
  EXPECT_TRUE(head.event_stream);
}

TEST(ResponseHeaderFilter, OnAnthropicPathsRequestIdIsSlotgates) {
  ClientHead head = filtered(providerHead(), conf::ProviderType::kAnthropic, "sg-2");
  EXPECT_EQ(count(head.headers, "request-id"), 1);
  EXPECT_EQ(*value(head.headers, "request-id"), "sg-2");
  EXPECT_EQ(*value(head.headers, "x-request-id"), "sg-2");
}

TEST(ResponseHeaderFilter, AnInvalidContentLengthIsDroppedNotForwarded) {
  for (const char* bad : {"", "12abc", "-"}) {
    ClientHead head = filtered({{"content-length", bad}, {"content-type", "application/json"}},
                               conf::ProviderType::kOpenAI, "sg-3");
    EXPECT_FALSE(head.content_length.has_value()) << bad;
    EXPECT_EQ(value(head.headers, "content-length"), nullptr) << bad;
    EXPECT_FALSE(head.event_stream);
  }
}

// A head reused for the next response holds that response's fields only, in their buffers.
TEST(ResponseHeaderFilter, AReusedHeadHoldsOnlyTheNextResponse) {
  ClientHead head;
  filterResponseHead(providerHead(), conf::ProviderType::kAnthropic, "sg-4", kRoute, head);
  const size_t first_size = head.headers.size();
  const char* buffer = head.headers[0].value.data();  // content-type, 32 bytes: on the heap
  filterResponseHead({{"Content-Type", "application/json"}}, conf::ProviderType::kOpenAI, "sg-5",
                     kRoute, head);
  EXPECT_LT(head.headers.size(), first_size);
  EXPECT_EQ(head.headers.size(), 5u);  // content-type, x-request-id and the three route fields
  EXPECT_EQ(*value(head.headers, "content-type"), "application/json");
  EXPECT_EQ(head.headers[0].value.data(), buffer);  // assigned in place
  EXPECT_EQ(*value(head.headers, "x-request-id"), "sg-5");
  EXPECT_EQ(value(head.headers, "request-id"), nullptr);
  EXPECT_EQ(value(head.headers, "openai-processing-ms"), nullptr);
  EXPECT_FALSE(head.content_length.has_value());
  EXPECT_FALSE(head.event_stream);
}

TEST(ResponseHeaderFilter, RouteHeadersAreAppendedAfterWhatIsThere) {
  Headers headers{{"retry-after", "1"}};
  appendRouteHeaders(headers, kRoute);
  ASSERT_EQ(headers.size(), 4u);
  EXPECT_EQ(headers[0].name, "retry-after");
  EXPECT_EQ(*value(headers, "x-slotgate-provider"), "openai-main");
  EXPECT_EQ(*value(headers, "x-slotgate-model"), "gpt-4o-2024-08-06");
  EXPECT_EQ(*value(headers, "x-slotgate-key"), "key-a");
}

}  // namespace
}  // namespace slotgate::gateway
