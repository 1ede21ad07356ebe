// Case table of the response parser (upstream answers): interim 1xx heads,
// no body for 204/304/HEAD, bodies delimited by close, and the framing errors
// that make an upstream response broken. Each case is also fed split at every
// byte boundary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/http1/http1_driver.h"

namespace slotgate::gateway::testing {
namespace {

using E = Http1Error;
using F = Http1Framing;

struct Case {
  const char* name;
  std::string input;
  Http1Error expected;  // kNone: accepted
  std::string body = "";
  F framing = F::kNone;
  bool head_request = false;
  int interim = 0;
  bool keep_alive = true;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> responseCases() {
  return {
      {"content_length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", E::kNone, "hi",
       F::kContentLength},
      {"chunked_with_trailers",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nhi\r\n0\r\nX-T: 1\r\n\r\n",
       E::kNone, "hi", F::kChunked},
      {"continue_then_final",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", E::kNone,
       "hi", F::kContentLength, false, 1},
      {"two_interims",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
       E::kNone, "", F::kContentLength, false, 2},
      {"no_content_ignores_te", "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
       E::kNone, "", F::kNone},
      {"not_modified_ignores_length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
       E::kNone, "", F::kNone},
      {"head_answer_ignores_length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", E::kNone, "",
       F::kNone, true},
      {"until_close", "HTTP/1.1 200 OK\r\n\r\nall of it", E::kNone, "all of it", F::kUntilClose,
       false, 0, false},
      {"no_reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", E::kNone, "", F::kContentLength},
      {"empty_reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", E::kNone, "",
       F::kContentLength},
      {"connection_close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
       E::kNone, "", F::kContentLength, false, 0, false},
      {"http10_default_close", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", E::kNone, "",
       F::kContentLength, false, 0, false},
      {"http10_keep_alive",
       "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", E::kNone, "",
       F::kContentLength},
      {"no_host_needed", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", E::kNone, "",
       F::kContentLength},

      {"interim_with_length", "HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\nhello",
       E::kInterimWithBody},
      {"interim_with_te", "HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       E::kInterimWithBody},
      {"interim_then_garbage", "HTTP/1.1 100 Continue\r\n\r\nhello", E::kBadVersion, "", F::kNone,
       false, 1},
      {"switching_protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
       E::kSwitchingProtocols},
      {"cl_and_te", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
       E::kContentLengthWithTransferEncoding},
      {"te_gzip_chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       E::kBadTransferEncoding},
      {"te_http10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       E::kBadTransferEncoding},
      {"cl_list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi", E::kBadContentLength},
      {"cl_twice", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi",
       E::kDuplicateContentLength},
      {"status_two_digits", "HTTP/1.1 20 OK\r\n\r\n", E::kBadStatus},
      {"status_four_digits", "HTTP/1.1 2000 OK\r\n\r\n", E::kBadStatus},
      {"status_below_100", "HTTP/1.1 099 OK\r\n\r\n", E::kBadStatus},
      {"status_above_599", "HTTP/1.1 600 OK\r\n\r\n", E::kBadStatus},
      {"status_double_space", "HTTP/1.1  200 OK\r\n\r\n", E::kBadStatus},
      {"reason_ctl", "HTTP/1.1 200 O\x01K\r\n\r\n", E::kBadReason},
      {"reason_bare_lf", "HTTP/1.1 200 OK\n\r\n", E::kBareLf},
      {"version_12", "HTTP/1.2 200 OK\r\n\r\n", E::kBadVersion},
      {"version_missing_space", "HTTP/1.1200 OK\r\n\r\n", E::kBadVersion},
      {"leading_crlf_refused", "\r\nHTTP/1.1 200 OK\r\n\r\n", E::kBadVersion},
      {"space_before_colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nhi",
       E::kSpaceBeforeColon},
      {"obs_fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", E::kObsFold},
      {"chunk_end_not_crlf",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX0\r\n\r\n", E::kBadChunkEnd},
      {"truncated_length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
       E::kIncompleteAtEof},
      {"truncated_chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
       E::kIncompleteAtEof},
  };
}

DriveOptions optionsFor(const Case& c) {
  DriveOptions o;
  o.mode = Http1Parser::Mode::kResponse;
  o.request_was_head = c.head_request;
  o.eof_at_end = true;
  return o;
}

class ResponseCases : public ::testing::TestWithParam<Case> {};

TEST_P(ResponseCases, WholeMessage) {
  const Case& c = GetParam();
  const ParsedMessage m = parseWhole(c.input, optionsFor(c));
  EXPECT_EQ(m.error, c.expected) << http1ErrorName(m.error) << " at " << m.error_offset;
  EXPECT_EQ(m.interim_heads, c.interim);
  if (c.expected == Http1Error::kNone) {
    EXPECT_EQ(m.status, Http1Parser::Status::kMessageComplete);
    EXPECT_EQ(m.body, c.body);
    EXPECT_EQ(m.framing, c.framing);
    EXPECT_EQ(m.keep_alive, c.keep_alive);
    EXPECT_EQ(m.consumed, c.input.size());
  } else {
    EXPECT_EQ(m.status, Http1Parser::Status::kError);
  }
}

TEST_P(ResponseCases, SameResultAtEveryByteBoundary) {
  const Case& c = GetParam();
  const ParsedMessage whole = parseWhole(c.input, optionsFor(c));
  for (const size_t cut : cutPositions(c.input.size())) {
    ASSERT_EQ(driveParser(c.input, {cut}, optionsFor(c)), whole) << "cut at " << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(Http1Parser, ResponseCases, ::testing::ValuesIn(responseCases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace slotgate::gateway::testing
