// Http1Parser's API contract beyond the case tables: what the head exposes,
// error positions, limits, bytes after a message, reuse, body spans.
#include "gateway/http1/http1_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/http1/http1_driver.h"

namespace slotgate::gateway::testing {
namespace {

using Status = Http1Parser::Status;

TEST(Http1Parser, ExposesTheHeadAsViewsIntoTheBuffer) {
  const std::string msg =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: gw\r\nX-Key:  a b \t\r\n"
      "Content-Length: 2\r\n\r\n{}";
  Http1Parser p(Http1Parser::Mode::kRequest, {});
  ASSERT_EQ(p.parseHead(msg), Status::kHeadComplete);
  EXPECT_EQ(p.method(), "POST");
  EXPECT_EQ(p.target(), "/v1/chat/completions?x=1");
  EXPECT_EQ(p.versionMinor(), 1);
  ASSERT_EQ(p.fieldCount(), 3u);
  EXPECT_EQ(p.field(1).name, "X-Key");
  EXPECT_EQ(p.field(1).value, "a b");  // surrounding OWS removed, inner kept
  EXPECT_EQ(p.field(1).value.data(), msg.data() + msg.find("a b"));  // no copy
  EXPECT_EQ(p.framing(), Http1Framing::kContentLength);
  EXPECT_EQ(p.contentLength(), 2u);
  EXPECT_TRUE(p.keepAlive());
  EXPECT_EQ(p.headLength(), msg.size() - 2);
  EXPECT_FALSE(p.messageComplete());
  const auto step = p.readBody(std::string_view(msg).substr(p.headLength()));
  EXPECT_EQ(step.status, Status::kMessageComplete);
  EXPECT_EQ(step.data, "{}");
}

TEST(Http1Parser, ViewsFollowTheBufferWhenItMoves) {
  const std::string first = "GET /a HTTP/1.1\r\nHo";
  const std::string whole = first + "st: gw\r\nX: y\r\n\r\n";
  Http1Parser p(Http1Parser::Mode::kRequest, {});
  ASSERT_EQ(p.parseHead(first), Status::kNeedMore);
  const std::string moved = whole;  // a different address, as after evbuffer_pullup
  ASSERT_EQ(p.parseHead(moved), Status::kHeadComplete);
  EXPECT_EQ(p.target().data(), moved.data() + 4);
  EXPECT_EQ(p.field(0).name, "Host");
  EXPECT_EQ(p.field(1).value, "y");
}

TEST(Http1Parser, ReportsTheOffendingByte) {
  const std::string msg = "GET / HTTP/1.1\r\nHost: gw\r\nContent-Length : 5\r\n\r\n";
  const ParsedMessage m = parseWhole(msg);
  EXPECT_EQ(m.error, Http1Error::kSpaceBeforeColon);
  EXPECT_EQ(m.error_offset, msg.find(" :"));
  const std::string body_error =
      "POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhelloXX";
  const ParsedMessage b = parseWhole(body_error);
  EXPECT_EQ(b.error, Http1Error::kBadChunkEnd);
  EXPECT_EQ(b.error_offset, body_error.find("XX"));
}

TEST(Http1Parser, HeadLimitIsInclusive) {
  const std::string head = "GET / HTTP/1.1\r\nHost: gw\r\n\r\n";
  DriveOptions exact;
  exact.limits.max_head_bytes = head.size();
  EXPECT_EQ(parseWhole(head, exact).status, Status::kMessageComplete);
  DriveOptions smaller;
  smaller.limits.max_head_bytes = head.size() - 1;
  const ParsedMessage m = parseWhole(head, smaller);
  EXPECT_EQ(m.error, Http1Error::kHeadTooLarge);
  EXPECT_TRUE(isHttp1LimitError(m.error));
  // Not yet complete but already over the limit: refused without waiting for more.
  Http1Parser p(Http1Parser::Mode::kRequest, smaller.limits);
  EXPECT_EQ(p.parseHead(std::string(head.size(), 'G')), Status::kError);
  EXPECT_EQ(p.error(), Http1Error::kHeadTooLarge);
}

TEST(Http1Parser, FieldCountLimit) {
  std::string head = "GET / HTTP/1.1\r\nHost: gw\r\n";
  for (int i = 1; i < 100; ++i) {
    head += "X-" + std::to_string(i) + ": v\r\n";
  }
  EXPECT_EQ(parseWhole(head + "\r\n").status, Status::kMessageComplete);  // 100 fields
  const ParsedMessage m = parseWhole(head + "X-100: v\r\n\r\n");
  EXPECT_EQ(m.error, Http1Error::kTooManyFields);
  EXPECT_TRUE(isHttp1LimitError(m.error));
}

TEST(Http1Parser, LeavesPipelinedBytesAndResets) {
  const std::string a =
      "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n";
  const std::string b = "GET /b HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n";
  const std::string both = a + b;
  Http1Parser p(Http1Parser::Mode::kRequest, {});
  ASSERT_EQ(p.parseHead(both), Status::kHeadComplete);
  std::string_view rest = std::string_view(both).substr(p.headLength());
  std::string body;
  Http1Parser::BodyStep step;
  do {
    step = p.readBody(rest);
    body.append(step.data);
    rest.remove_prefix(step.consumed);
  } while (step.status == Status::kNeedMore);
  EXPECT_EQ(step.status, Status::kMessageComplete);
  EXPECT_EQ(body, "abc");
  EXPECT_EQ(rest, b);
  p.reset();
  ASSERT_EQ(p.parseHead(rest), Status::kHeadComplete);
  EXPECT_EQ(p.target(), "/b");
  EXPECT_FALSE(p.keepAlive());
  EXPECT_TRUE(p.messageComplete());
}

TEST(Http1Parser, KeepAliveByVersionAndConnection) {
  EXPECT_TRUE(parseWhole("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keep_alive);
  EXPECT_FALSE(parseWhole("GET / HTTP/1.1\r\nHost: a\r\nConnection: x, Close\r\n\r\n").keep_alive);
  EXPECT_FALSE(parseWhole("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parseWhole("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
}

TEST(Http1Parser, ChunkedBodyComesOutOnePiecePerCall) {
  const std::string head = "POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  Http1Parser p(Http1Parser::Mode::kRequest, {});
  ASSERT_EQ(p.parseHead(head), Status::kHeadComplete);
  std::string_view rest = body;
  auto step = p.readBody(rest);
  EXPECT_EQ(step.data, "abc");
  EXPECT_EQ(step.data.data(), body.data() + 3);  // a view, not a copy
  rest.remove_prefix(step.consumed);
  step = p.readBody(rest);
  EXPECT_EQ(step.data, "de");
  rest.remove_prefix(step.consumed);
  step = p.readBody(rest);
  EXPECT_EQ(step.status, Status::kMessageComplete);
  EXPECT_TRUE(step.data.empty());
  EXPECT_EQ(step.consumed, rest.size());
}

TEST(Http1Parser, InterimHeadIsReadableBeforeTheNextCall) {
  const std::string msg = "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
  Http1Parser p(Http1Parser::Mode::kResponse, {});
  ASSERT_EQ(p.parseHead(msg), Status::kHeadComplete);
  EXPECT_TRUE(p.interim());
  EXPECT_EQ(p.status(), 103);
  EXPECT_EQ(p.field(0).value, "</x>");
  const size_t first = p.headLength();
  ASSERT_EQ(p.parseHead(std::string_view(msg).substr(first)), Status::kHeadComplete);
  EXPECT_FALSE(p.interim());
  EXPECT_EQ(p.status(), 200);
  EXPECT_EQ(p.reason(), "OK");
  EXPECT_EQ(p.framing(), Http1Framing::kUntilClose);
  EXPECT_FALSE(p.keepAlive());
  EXPECT_EQ(p.finishAtEof(), Status::kMessageComplete);
}

TEST(Http1Parser, OriginFormOfTargets) {
  EXPECT_EQ(http1OriginForm("/v1/models?x"), "/v1/models?x");
  EXPECT_EQ(http1OriginForm("http://gw:8080/v1/models?x"), "/v1/models?x");
  EXPECT_EQ(http1OriginForm("HTTPS://gw"), "/");
  EXPECT_EQ(http1OriginForm("http://gw?x=1"), "/");
  EXPECT_EQ(http1OriginForm("*"), "*");
}

}  // namespace
}  // namespace slotgate::gateway::testing
