// Upstream responses read strictly (SPEC section 3, issue "Strict at both edges"): interim
// 1xx answers are consumed and never delivered as bytes, 204/304/HEAD answers have no body,
// ambiguous framing or an oversized head is a broken upstream, and a connection that
// showed anything odd is never reused. Each case: what the server sends, what the handler
// must see, and whether the connection may go back to the pool.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "upstream_test_util.h"

namespace slotgate::gateway::testing {
namespace {

using std::chrono::milliseconds;

class UpstreamResponseRules : public UpstreamTestBase {
 protected:
  // Sends `request`, lets the server answer every request with `response`, and runs
  // until the handler saw the end.
  RecordingHandler& exchange(const std::string& response, UpstreamRequest request = getRequest()) {
    exchange_.reset();  // before the pool it belongs to goes
    makeServer([response](TestServerConn& c, const std::string&) { c.send(response); });
    makePool();
    exchange_ = pool_->send(localOrigin(server_->port()), std::move(request), handler_);
    EXPECT_TRUE(runUntil([&] { return handler_.ended(); }));
    return handler_;
  }
  // The response was refused as a broken upstream before anything reached the handler
  // but the error, and its connection is gone.
  void expectBrokenBeforeHead(const std::string& response) {
    RecordingHandler& h = exchange(response);
    ASSERT_TRUE(h.error) << "completed with status " << h.status;
    EXPECT_EQ(h.error->kind, UpstreamErrorKind::kProtocol) << h.error->detail;
    EXPECT_EQ(h.status, 0) << "a head reached the handler";
    EXPECT_TRUE(h.chunks.empty()) << "body bytes reached the handler: " << h.body();
    EXPECT_EQ(pool_->openConnections(), 0u);
  }

  RecordingHandler handler_;
  UpstreamExchangePtr exchange_;
};

// ---- interim responses ----

TEST_F(UpstreamResponseRules, InterimResponsesAreConsumedNotDelivered) {
  RecordingHandler& h = exchange(
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 100 Continue\r\n\r\n" +
      okResponse("real"));
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body(), "real");
  EXPECT_EQ(h.header("link"), "") << "a 1xx header leaked into the final head";
  EXPECT_EQ(pool_->idleConnections(), 1u);
}

TEST_F(UpstreamResponseRules, InterimResponseWithABodyIsABrokenUpstream) {
  // The bytes after a 1xx head are the next response; an upstream that frames a body on
  // a 1xx could otherwise put a whole response of its choosing in front of the real one.
  expectBrokenBeforeHead(
      "HTTP/1.1 100 Continue\r\nContent-Length: 38\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" +
      okResponse("real"));
}

TEST_F(UpstreamResponseRules, InterimResponseWithChunkedFramingIsABrokenUpstream) {
  expectBrokenBeforeHead(
      "HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHELLO\r\n0\r\n\r\n" +
      okResponse("real"));
}

TEST_F(UpstreamResponseRules, SwitchingProtocolsIsABrokenUpstream) {
  expectBrokenBeforeHead("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
}

// ---- responses without a body ----

TEST_F(UpstreamResponseRules, NoContentEndsAtItsHead) {
  RecordingHandler& h = exchange("HTTP/1.1 204 No Content\r\nX-Seen: yes\r\n\r\n");
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(h.status, 204);
  EXPECT_EQ(h.header("x-seen"), "yes");
  EXPECT_TRUE(h.chunks.empty());
  EXPECT_EQ(pool_->idleConnections(), 1u);  // a clean, complete exchange
}

TEST_F(UpstreamResponseRules, NoContentWithAContentLengthStillHasNoBody) {
  // RFC 9112 6.3: a 204 ends at its head whatever its fields say. The bytes after it are
  // unsolicited: never delivered, and the connection is not reused.
  RecordingHandler& h = exchange("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nHELLO");
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(h.status, 204);
  EXPECT_TRUE(h.chunks.empty()) << h.body();
  runFor(milliseconds(50));
  EXPECT_EQ(pool_->idleConnections(), 0u);
}

TEST_F(UpstreamResponseRules, NotModifiedWithAContentLengthEndsAtItsHead) {
  // The server sends no body: waiting for the 10 bytes would hang until the timeout.
  RecordingHandler& h = exchange("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(h.status, 304);
  EXPECT_TRUE(h.chunks.empty());
}

TEST_F(UpstreamResponseRules, AnswerToHeadHasNoBody) {
  UpstreamRequest head_request;
  head_request.head = "HEAD /v1/models HTTP/1.1\r\nHost: upstream\r\n\r\n";
  head_request.timeout = milliseconds(5000);
  RecordingHandler& h =
      exchange("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
               std::move(head_request));
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.header("content-length"), "100");
  EXPECT_TRUE(h.chunks.empty());
  EXPECT_EQ(pool_->idleConnections(), 1u);
}

// ---- ambiguous framing ----

TEST_F(UpstreamResponseRules, ContentLengthWithTransferEncodingIsABrokenUpstream) {
  expectBrokenBeforeHead(
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nHELLO\r\n0\r\n\r\n");
}

TEST_F(UpstreamResponseRules, InvalidContentLengthsAreABrokenUpstream) {
  for (const std::string value : {"12abc", "-1", "5 5", "+5", "0x10", "99999999999999999999999"}) {
    SCOPED_TRACE(value);
    handler_ = RecordingHandler();
    expectBrokenBeforeHead("HTTP/1.1 200 OK\r\nContent-Length: " + value + "\r\n\r\nhello");
  }
}

TEST_F(UpstreamResponseRules, TwoDifferentContentLengthsAreABrokenUpstream) {
  expectBrokenBeforeHead("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
}

TEST_F(UpstreamResponseRules, TransferCodingsOtherThanChunkedAreABrokenUpstream) {
  // slotgate de-chunks and re-frames bodies: a body under another coding would reach the
  // client without anything saying how to decode it.
  for (const std::string value : {"gzip", "gzip, chunked", "chunked, gzip", "identity"}) {
    SCOPED_TRACE(value);
    handler_ = RecordingHandler();
    expectBrokenBeforeHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + value +
                           "\r\n\r\n5\r\nHELLO\r\n0\r\n\r\n");
  }
}

TEST_F(UpstreamResponseRules, HeadOverTheLimitIsABrokenUpstream) {
  const std::string big(kMaxUpstreamHeadBytes, 'a');
  expectBrokenBeforeHead("HTTP/1.1 200 OK\r\nX-Big: " + big + "\r\nContent-Length: 2\r\n\r\nok");
}

// ---- RFC 9112 read strictly (the same parser as for requests) ----

TEST_F(UpstreamResponseRules, MalformedHeadsAreABrokenUpstream) {
  struct Case {
    const char* name;
    std::string response;
  };
  const Case cases[] = {
      {"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello"},
      {"bare LF", "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello"},
      {"bare CR ending the head", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\r\nhello"},
      {"obs-fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 5\r\n\r\nhello"},
      {"NUL in a value",
       std::string("HTTP/1.1 200 OK\r\nX-A: a") + '\0' + "b\r\nContent-Length: 5\r\n\r\nhello"},
      {"non-token name", "HTTP/1.1 200 OK\r\nX(A): 1\r\nContent-Length: 5\r\n\r\nhello"},
      {"bad version", "HTTP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"},
      {"status out of range", "HTTP/1.1 700 Odd\r\nContent-Length: 5\r\n\r\nhello"},
      {"Transfer-Encoding in HTTP/1.0",
       "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    handler_ = RecordingHandler();
    expectBrokenBeforeHead(c.response);
  }
}

TEST_F(UpstreamResponseRules, BadChunkFramingAbortsTheBody) {
  // The head went out already: the caller aborts the client's response.
  RecordingHandler& h = exchange(kChunkedHead + "5\r\nHELLOXX0\r\n\r\n");
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, UpstreamErrorKind::kProtocol) << h.error->detail;
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body(), "HELLO");
  EXPECT_EQ(pool_->openConnections(), 0u);
}

TEST_F(UpstreamResponseRules, TrailerFieldsAreReadAndDropped) {
  RecordingHandler& h = exchange(kChunkedHead + "5\r\nHELLO\r\n0\r\nX-Trailer: injected\r\n\r\n");
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(h.body(), "HELLO");
  EXPECT_EQ(h.header("x-trailer"), "");
  EXPECT_EQ(pool_->idleConnections(), 1u);
}

TEST_F(UpstreamResponseRules, BytesAfterTheResponseMakeTheConnectionUnusable) {
  RecordingHandler& h = exchange(okResponse("ok") + "HTTP/1.1 200 OK\r\n");
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(h.body(), "ok");
  EXPECT_EQ(pool_->idleConnections(), 0u);
  EXPECT_EQ(pool_->openConnections(), 0u);
}

TEST_F(UpstreamResponseRules, ConnectionCloseIsHonoured) {
  RecordingHandler& h = exchange(okResponse("ok", "Connection: close\r\n"));
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(pool_->idleConnections(), 0u);
}

}  // namespace
}  // namespace slotgate::gateway::testing
