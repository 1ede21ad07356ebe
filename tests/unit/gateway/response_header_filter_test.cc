#include "gateway/proxy/response_header_filter.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
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

// Content-Length is read as strtoull reads it (base 10, the whole value), digits on a fast path.
TEST(ResponseHeaderFilter, ContentLengthIsReadAsStrtoullReadsIt) {
  for (const char* v : {"0", "7", "42", "0042", "1234567890123456789", "9999999999999999999",
                        "18446744073709551615", "99999999999999999999", "+5", " 5", "5 ", "-1", "",
                        "-", "12abc", "0x10", "1.5"}) {
    ClientHead head = filtered({{"Content-Length", v}}, conf::ProviderType::kOpenAI, "sg");
    char* end = nullptr;
    const unsigned long long expected = std::strtoull(v, &end, 10);
    if (end != v && *end == '\0') {
      ASSERT_TRUE(head.content_length.has_value()) << v;
      EXPECT_EQ(*head.content_length, expected) << v;
    } else {
      EXPECT_FALSE(head.content_length.has_value()) << v;
    }
    EXPECT_EQ(value(head.headers, "content-length"), nullptr) << v;
  }
}

// Which provider fields are dropped, whatever their case; the rest pass lower-cased.
TEST(ResponseHeaderFilter, DroppedNamesInAnyCase) {
  for (const char* name :
       {"Connection", "KEEP-ALIVE", "te", "Trailer", "Upgrade", "Proxy-Connection",
        "Transfer-Encoding", "Proxy-Authenticate", "Proxy-Authorization", "HTTP2-Settings",
        "X-Request-ID", "x-slotgate-", "X-Slotgate-Provider", "x-slotgate-anything-longer"}) {
    for (auto format : {conf::ProviderType::kOpenAI, conf::ProviderType::kAnthropic}) {
      ClientHead head = filtered({{name, "v"}}, format, "sg");
      for (const auto& h : head.headers) {
        EXPECT_NE(h.value, "v") << name;
      }
    }
  }
  for (const char* name : {"X-Slotgate", "x-slotgatex", "Request-Idx", "Content-Typ", "Date",
                           "Retry-After", "X-Request-Ids", "Content-Lengths"}) {
    ClientHead head = filtered({{name, "v"}}, conf::ProviderType::kAnthropic, "sg");
    std::string lower(name);
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    ASSERT_NE(value(head.headers, lower), nullptr) << name;
    EXPECT_EQ(*value(head.headers, lower), "v") << name;
    EXPECT_FALSE(head.content_length.has_value());
  }
  // request-id: the provider's on OpenAI paths, slotgate's on Anthropic ones.
  EXPECT_EQ(*value(filtered({{"Request-Id", "p"}}, conf::ProviderType::kOpenAI, "sg").headers,
                   "request-id"),
            "p");
  EXPECT_EQ(*value(filtered({{"Request-Id", "p"}}, conf::ProviderType::kAnthropic, "sg").headers,
                   "request-id"),
            "sg");
  EXPECT_TRUE(filtered({{"CONTENT-TYPE", "text/event-stream"}}, conf::ProviderType::kOpenAI, "sg")
                  .event_stream);
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
