// HTTP/2 requests held to RFC 9113's MUSTs, as HTTP/1.1 is to RFC 9112's (issue 9), through
// raw frames: a stream identifier lower than one the client already opened is a connection
// error (GOAWAY PROTOCOL_ERROR, section 5.1.1); a malformed request (section 8.1.1: pseudo-
// header rules of 8.3, field rules of 8.2, content-length against DATA) is a stream error
// PROTOCOL_ERROR, is never forwarded, and leaves the connection serving. nghttp2 enforces most
// of these itself; each case here proves that it does for slotgate's session.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/http2_test_support.h"

namespace slotgate::testing::h2 {
namespace {

const std::string kBody = chatBody(false);

// The fields of a valid POST /v1/chat/completions with a body of `bodyLen` bytes.
Headers validFields(size_t bodyLen) {
  return {{":method", "POST"},
          {":scheme", "http"},
          {":path", "/v1/chat/completions"},
          {":authority", "127.0.0.1"},
          {"authorization", std::string("Bearer ") + kClientKey},
          {"content-type", "application/json"},
          {"content-length", std::to_string(bodyLen)}};
}

Headers without(Headers fields, const std::string& name) {
  std::erase_if(fields, [&](const auto& f) { return f.first == name; });
  return fields;
}

Headers with(Headers fields, const std::string& name, const std::string& value) {
  fields.emplace_back(name, value);
  return fields;
}

// Opens stream `id` on `c` with GET /v1/models and reads its answer.
void servedModels(RawH2& c, uint32_t id) {
  c.request(id, "GET", "/v1/models", {{"authorization", std::string("Bearer ") + kClientKey}}, "");
  ASSERT_TRUE(c.flush());
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(id).ended; }, 10s));
  EXPECT_EQ(c.stream(id).status, 200);
}

TEST(Http2Conformance, ALowerStreamIdAfterAClosedHigherOneIsAConnectionError) {
  MockProvider mock;
  Gateway gw(mock);
  RawH2 c(gw.port());
  ASSERT_TRUE(c.connected());
  servedModels(c, 5);
  // Stream 3 was never opened, and 5 was: 3 can no longer be (RFC 9113 5.1.1).
  c.request(3, "POST", "/v1/chat/completions", authJson(), kBody);
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.peerClosed(); }, 10s));
  ASSERT_TRUE(c.goawayCode().has_value());
  EXPECT_EQ(*c.goawayCode(), kProtocolError);
  EXPECT_EQ(c.stream(3).status, 0) << "stream 3 must not be answered";
  EXPECT_EQ(mock.stats()["requests"], 0);
}

TEST(Http2Conformance, ALowerStreamIdWhileAHigherOneIsOpenIsAConnectionError) {
  MockProvider mock;
  Gateway gw(mock);
  RawH2 c(gw.port());
  ASSERT_TRUE(c.connected());
  // Stream 9 opened, its body still to come.
  c.headers(9, validFields(kBody.size()), false);
  c.flush();
  c.pump(200ms);
  c.request(7, "POST", "/v1/chat/completions", authJson(), kBody);
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.peerClosed(); }, 10s));
  ASSERT_TRUE(c.goawayCode().has_value());
  EXPECT_EQ(*c.goawayCode(), kProtocolError);
  EXPECT_EQ(c.stream(7).status, 0);
  EXPECT_EQ(mock.stats()["requests"], 0);
}

// Trailers on an open stream reuse its (lower) identifier: they are no new stream.
TEST(Http2Conformance, TrailersOnAnOpenLowerStreamAreNoError) {
  MockProvider mock;
  Gateway gw(mock);
  RawH2 c(gw.port());
  ASSERT_TRUE(c.connected());
  c.headers(1, validFields(kBody.size()), false);
  c.data(1, kBody, false);
  c.flush();
  servedModels(c, 3);
  c.headers(1, {{"x-trailer", "1"}}, true);
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(1).ended || c.peerClosed(); }, 10s));
  EXPECT_EQ(c.stream(1).status, 200);
  EXPECT_FALSE(c.goawayCode().has_value());
}

// A stream the gateway reset (here: malformed, its body still to come): the client's frames
// already in flight on it, its trailers included, are ignored, not a connection error (RFC 9113
// 5.1, "closed").
TEST(Http2Conformance, FramesInFlightOnAStreamTheGatewayResetAreIgnored) {
  MockProvider mock;
  Gateway gw(mock);
  RawH2 c(gw.port());
  ASSERT_TRUE(c.connected());
  c.headers(1, with(validFields(kBody.size()), "X-Upper", "1"), false);
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(1).reset || c.peerClosed(); }, 10s));
  EXPECT_EQ(c.stream(1).resetCode, kProtocolError);
  c.data(1, kBody, false);
  c.headers(1, {{"x-trailer", "1"}}, true);
  c.flush();
  servedModels(c, 3);
  EXPECT_FALSE(c.goawayCode().has_value());
  EXPECT_FALSE(c.peerClosed());
  EXPECT_EQ(mock.stats()["requests"], 0);
}

struct MalformedCase {
  const char* name;
  Headers fields;
  std::string body;  // sent as one DATA frame with END_STREAM; none when empty
};

std::vector<MalformedCase> malformedCases() {
  const size_t n = kBody.size();
  const Headers ok = validFields(n);
  return {
      {"no :method", without(ok, ":method"), kBody},
      {"no :path", without(ok, ":path"), kBody},
      {"no :scheme", without(ok, ":scheme"), kBody},
      {"two :path", with(ok, ":path", "/v1/embeddings"), kBody},
      {"two :method", with(ok, ":method", "GET"), kBody},
      {"empty :path", with(without(ok, ":path"), ":path", ""), kBody},
      {"pseudo-header after a regular field",
       with(without(ok, ":authority"), ":authority", "127.0.0.1"), kBody},
      {"unknown pseudo-header", with(ok, ":foo", "bar"), kBody},
      {"response pseudo-header in a request", with(ok, ":status", "200"), kBody},
      {"upper-case field name", with(ok, "X-Upper", "1"), kBody},
      {"connection", with(ok, "connection", "keep-alive"), kBody},
      {"keep-alive", with(ok, "keep-alive", "timeout=5"), kBody},
      {"proxy-connection", with(ok, "proxy-connection", "keep-alive"), kBody},
      {"transfer-encoding", with(ok, "transfer-encoding", "chunked"), kBody},
      {"upgrade", with(ok, "upgrade", "h2c"), kBody},
      {"te other than trailers", with(ok, "te", "gzip"), kBody},
      {"CR LF in a value", with(ok, "x-evil", "a\r\nhost: evil"), kBody},
      {"NUL in a value", with(ok, "x-evil", std::string("a\0b", 3)), kBody},
      {"value with leading space", with(ok, "x-pad", " a"), kBody},
      {"space in a field name", with(ok, "x bad", "1"), kBody},
      {"colon in a field name", with(ok, "x:bad", "1"), kBody},
      {"content-length not a number", with(without(ok, "content-length"), "content-length", "1x"),
       kBody},
      {"two different content-lengths", with(ok, "content-length", std::to_string(n + 1)), kBody},
      {"content-length above the DATA",
       with(without(ok, "content-length"), "content-length", std::to_string(n + 10)), kBody},
      {"content-length below the DATA",
       with(without(ok, "content-length"), "content-length", std::to_string(n - 2)), kBody},
  };
}

TEST(Http2Conformance, MalformedRequestsAreStreamErrorsAndNeverForwarded) {
  MockProvider mock;
  Gateway gw(mock);
  RawH2 c(gw.port());
  ASSERT_TRUE(c.connected());
  uint32_t id = 1;
  for (const MalformedCase& m : malformedCases()) {
    SCOPED_TRACE(m.name);
    c.headers(id, m.fields, m.body.empty());
    if (!m.body.empty()) {
      c.data(id, m.body, true);
    }
    ASSERT_TRUE(c.flush());
    ASSERT_TRUE(c.pumpUntil(
        [&] { return c.stream(id).reset || c.stream(id).ended || c.peerClosed(); }, 10s));
    EXPECT_TRUE(c.stream(id).reset);
    EXPECT_EQ(c.stream(id).resetCode, kProtocolError);
    EXPECT_EQ(c.stream(id).status, 0) << "answered with a status";
    ASSERT_FALSE(c.peerClosed());
    id += 2;
  }
  EXPECT_EQ(mock.stats()["requests"], 0);
  // The connection still serves, `te: trailers` included.
  c.headers(id, with(validFields(kBody.size()), "te", "trailers"), false);
  c.data(id, kBody, true);
  ASSERT_TRUE(c.flush());
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(id).ended; }, 10s));
  EXPECT_EQ(c.stream(id).status, 200);
  EXPECT_EQ(mock.stats()["requests"], 1);
}

}  // namespace
}  // namespace slotgate::testing::h2
