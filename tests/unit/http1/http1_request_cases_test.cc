// Case table of the request parser: RFC 9112 read strictly, and the request
// smuggling classes of the published research (CL.TE, TE.CL, TE.TE
// obfuscations, obs-fold, bare CR/LF, NUL, chunk-size and chunk-extension
// tricks, trailer tricks). Every case states its outcome; every case is also
// fed split at each byte boundary and must give the same result.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/http1/http1_driver.h"

namespace slotgate::gateway::testing {
namespace {

using E = Http1Error;

struct Case {
  const char* name;
  std::string input;
  Http1Error expected;  // kNone: accepted
  std::string body = "";
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

const std::string kHead = "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n";
const std::string kChunkedHead = kHead + "Transfer-Encoding: chunked\r\n\r\n";

std::vector<Case> requestCases() {
  return {
      // Accepted shapes.
      {"plain_get", "GET /v1/models HTTP/1.1\r\nHost: gw\r\n\r\n", E::kNone},
      {"content_length", kHead + "Content-Length: 5\r\n\r\nhello", E::kNone, "hello"},
      {"content_length_ows", kHead + "Content-Length:\t 5 \t\r\n\r\nhello", E::kNone, "hello"},
      {"content_length_leading_zeros", kHead + "Content-Length: 005\r\n\r\nhello", E::kNone,
       "hello"},
      {"content_length_zero", kHead + "Content-Length: 0\r\n\r\n", E::kNone},
      {"chunked", kChunkedHead + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", E::kNone, "hello world"},
      {"chunked_upper_case", kHead + "Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n", E::kNone},
      {"chunked_value_ows", kHead + "Transfer-Encoding: \tchunked\t \r\n\r\n0\r\n\r\n", E::kNone},
      {"chunk_size_upper_hex", kChunkedHead + "A\r\n0123456789\r\n0\r\n\r\n", E::kNone,
       "0123456789"},
      {"chunk_size_leading_zeros", kChunkedHead + "00000000000000000000005\r\nhello\r\n000\r\n\r\n",
       E::kNone, "hello"},
      {"chunk_extensions",
       kChunkedHead + "5;a=b;c;d=\"q \\\" ;x\" ; e = f\r\nhello\r\n0;last\r\n\r\n", E::kNone,
       "hello"},
      {"chunk_size_bws_before_ext", kChunkedHead + "5 \t;a\r\nhello\r\n0\r\n\r\n", E::kNone,
       "hello"},
      {"trailers_dropped", kChunkedHead + "5\r\nhello\r\n0\r\nX-T: 1\r\nContent-Length: 99\r\n\r\n",
       E::kNone, "hello"},
      {"leading_empty_lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: gw\r\n\r\n", E::kNone},
      {"http10_without_host", "GET / HTTP/1.0\r\n\r\n", E::kNone},
      {"empty_value", "GET / HTTP/1.1\r\nHost: gw\r\nX-Empty:\r\nY:  \r\n\r\n", E::kNone},
      {"obs_text_in_value", "GET / HTTP/1.1\r\nHost: gw\r\nX: caf\xc3\xa9\r\n\r\n", E::kNone},
      {"htab_in_value", "GET / HTTP/1.1\r\nHost: gw\r\nX: a\tb\r\n\r\n", E::kNone},
      {"host_ipv6_port", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", E::kNone},
      {"empty_host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", E::kNone},
      {"absolute_form", "GET http://gw/v1/models?x=1 HTTP/1.1\r\nHost: gw\r\n\r\n", E::kNone},
      {"asterisk_options", "OPTIONS * HTTP/1.1\r\nHost: gw\r\n\r\n", E::kNone},
      {"query_chars", "GET /a/b;p=1?q=a%20b&r=/?:@!$'()*+,;= HTTP/1.1\r\nHost: gw\r\n\r\n",
       E::kNone},
      {"underscore_name_is_just_a_field",
       "GET / HTTP/1.1\r\nHost: gw\r\nTransfer_Encoding: chunked\r\n\r\n", E::kNone},

      // CL.TE and TE.CL: both framings at once.
      {"cl_te", kHead + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
       E::kContentLengthWithTransferEncoding},
      {"te_cl",
       kHead + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
       E::kContentLengthWithTransferEncoding},
      // TE.TE: obfuscated Transfer-Encoding.
      {"te_xchunked", kHead + "Transfer-Encoding: xchunked\r\n\r\n", E::kBadTransferEncoding},
      {"te_chunked_identity", kHead + "Transfer-Encoding: chunked, identity\r\n\r\n",
       E::kBadTransferEncoding},
      {"te_identity_chunked", kHead + "Transfer-Encoding: identity, chunked\r\n\r\n",
       E::kBadTransferEncoding},
      {"te_gzip_chunked", kHead + "Transfer-Encoding: gzip, chunked\r\n\r\n",
       E::kBadTransferEncoding},
      {"te_two_fields", kHead + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       E::kBadTransferEncoding},
      {"te_second_identity",
       kHead + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
       E::kBadTransferEncoding},
      {"te_space_before_colon", kHead + "Transfer-Encoding : chunked\r\n\r\n",
       E::kSpaceBeforeColon},
      {"te_tab_before_colon", kHead + "Transfer-Encoding\t: chunked\r\n\r\n", E::kSpaceBeforeColon},
      {"te_leading_space_first_field",
       "POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: gw\r\n\r\n", E::kObsFold},
      {"te_obs_fold_value", kHead + "Transfer-Encoding:\r\n chunked\r\n\r\n",
       E::kBadTransferEncoding},
      {"te_obs_fold_after", kHead + "X: a\r\n Transfer-Encoding: chunked\r\n\r\n", E::kObsFold},
      {"te_vertical_tab",
       kHead + "Transfer-Encoding: \x0b"
               "chunked\r\n\r\n",
       E::kBadFieldValue},
      {"te_form_feed",
       kHead + "Transfer-Encoding:\x0c"
               "chunked\r\n\r\n",
       E::kBadFieldValue},
      {"te_nul", kHead + "Transfer-Encoding: chunked" + std::string(1, '\0') + "\r\n\r\n",
       E::kBadFieldValue},
      {"te_quoted", kHead + "Transfer-Encoding: \"chunked\"\r\n\r\n", E::kBadTransferEncoding},
      {"te_chunked_comma", kHead + "Transfer-Encoding: chunked,\r\n\r\n", E::kBadTransferEncoding},
      {"te_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       E::kBadTransferEncoding},
      {"te_name_no_colon", kHead + "Transfer-Encoding chunked\r\n\r\n", E::kSpaceBeforeColon},
      {"te_bare_cr_in_name", kHead + "Transfer-Encoding\r: chunked\r\n\r\n", E::kBadFieldName},

      // Content-Length.
      {"cl_space_before_colon", kHead + "Content-Length : 30\r\n\r\n", E::kSpaceBeforeColon},
      {"cl_duplicate_same", kHead + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
       E::kDuplicateContentLength},
      {"cl_duplicate_different", kHead + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
       E::kDuplicateContentLength},
      {"cl_list", kHead + "Content-Length: 5, 5\r\n\r\nhello", E::kBadContentLength},
      {"cl_negative", kHead + "Content-Length: -1\r\n\r\n", E::kBadContentLength},
      {"cl_plus", kHead + "Content-Length: +5\r\n\r\nhello", E::kBadContentLength},
      {"cl_hex", kHead + "Content-Length: 0x5\r\n\r\nhello", E::kBadContentLength},
      {"cl_exponent", kHead + "Content-Length: 1e1\r\n\r\n", E::kBadContentLength},
      {"cl_inner_space", kHead + "Content-Length: 1 0\r\n\r\n", E::kBadContentLength},
      {"cl_empty", kHead + "Content-Length:\r\n\r\n", E::kBadContentLength},
      {"cl_overflow", kHead + "Content-Length: 18446744073709551616\r\n\r\n", E::kBadContentLength},
      {"cl_overflow_long", kHead + "Content-Length: 99999999999999999999999\r\n\r\n",
       E::kBadContentLength},

      // Line endings.
      {"bare_lf_request_line", "GET / HTTP/1.1\nHost: gw\r\n\r\n", E::kBareLf},
      {"bare_lf_field", "GET / HTTP/1.1\r\nHost: gw\n\r\n", E::kBareLf},
      {"bare_lf_end", "GET / HTTP/1.1\r\nHost: gw\r\n\n", E::kBareLf},
      {"bare_lf_leading", "\nGET / HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBareLf},
      {"bare_cr_field", "GET / HTTP/1.1\r\nHost: gw\rX: y\r\n\r\n", E::kBareCr},
      {"bare_cr_ends_head",
       "GET / HTTP/1.1\r\nHost: gw\r\n\rGET /admin HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBareCr},
      {"bare_cr_request_line", "GET / HTTP/1.1\rHost: gw\r\n\r\n", E::kBareCr},
      {"cr_in_value", "GET / HTTP/1.1\r\nHost: gw\r\nX: a\rb\r\n\r\n", E::kBareCr},
      {"bare_cr_leading", "\rGET / HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBareCr},

      // Field names and values.
      {"nul_in_value", "GET / HTTP/1.1\r\nHost: gw\r\nX: a" + std::string(1, '\0') + "b\r\n\r\n",
       E::kBadFieldValue},
      {"del_in_value", "GET / HTTP/1.1\r\nHost: gw\r\nX: a\x7f\r\n\r\n", E::kBadFieldValue},
      {"esc_in_value", "GET / HTTP/1.1\r\nHost: gw\r\nX: \x1b[0m\r\n\r\n", E::kBadFieldValue},
      {"empty_name", "GET / HTTP/1.1\r\nHost: gw\r\n: x\r\n\r\n", E::kBadFieldName},
      {"name_with_paren", "GET / HTTP/1.1\r\nHost: gw\r\nX(y): z\r\n\r\n", E::kBadFieldName},
      {"name_with_nul", "GET / HTTP/1.1\r\nHost: gw\r\nX" + std::string(1, '\0') + "Y: z\r\n\r\n",
       E::kBadFieldName},
      {"name_with_slash", "GET / HTTP/1.1\r\nHost: gw\r\nX/Y: z\r\n\r\n", E::kBadFieldName},
      {"name_non_ascii", "GET / HTTP/1.1\r\nHost: gw\r\nX\xc3\xa9: z\r\n\r\n", E::kBadFieldName},
      {"line_without_colon", "GET / HTTP/1.1\r\nHost: gw\r\nJunk\r\n\r\n", E::kBadFieldName},
      {"obs_fold", "GET / HTTP/1.1\r\nHost: gw\r\nX: a\r\n b\r\n\r\n", E::kObsFold},
      {"obs_fold_tab", "GET / HTTP/1.1\r\nHost: gw\r\nX: a\r\n\tb\r\n\r\n", E::kObsFold},
      {"space_after_request_line", "GET / HTTP/1.1\r\n Host: gw\r\n\r\n", E::kObsFold},

      // Host.
      {"no_host_http11", "GET / HTTP/1.1\r\nX: y\r\n\r\n", E::kBadHost},
      {"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", E::kBadHost},
      {"host_with_space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", E::kBadHost},
      {"host_with_userinfo", "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", E::kBadHost},
      {"host_with_slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", E::kBadHost},

      // Request line.
      {"method_empty", " / HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadMethod},
      {"method_ctl", "GE\x01T / HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadMethod},
      {"method_tab", "GET\t/ HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadMethod},
      {"method_non_ascii", "G\xc3\x89T / HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadMethod},
      {"two_spaces", "GET  / HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_space", "GET /a b HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadVersion},
      {"target_tab", "GET /a\tb HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_fragment", "GET /a#b HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_del", "GET /a\x7f HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_high_byte", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_nul", "GET /a" + std::string(1, '\0') + " HTTP/1.1\r\nHost: gw\r\n\r\n",
       E::kBadTarget},
      {"target_quote", "GET /\"a\" HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_backslash", "GET /a\\b HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_brace", "GET /{a} HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_relative", "GET v1/models HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_asterisk_get", "GET * HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_other_scheme", "GET ftp://gw/x HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"target_empty_authority", "GET http:///x HTTP/1.1\r\nHost: gw\r\n\r\n", E::kBadTarget},
      {"version_12", "GET / HTTP/1.2\r\nHost: gw\r\n\r\n", E::kBadVersion},
      {"version_20", "GET / HTTP/2.0\r\nHost: gw\r\n\r\n", E::kBadVersion},
      {"version_09", "GET / HTTP/0.9\r\nHost: gw\r\n\r\n", E::kBadVersion},
      {"version_lower_case", "GET / http/1.1\r\nHost: gw\r\n\r\n", E::kBadVersion},
      {"version_trailing_space", "GET / HTTP/1.1 \r\nHost: gw\r\n\r\n", E::kBadVersion},
      {"version_110", "GET / HTTP/1.10\r\nHost: gw\r\n\r\n", E::kBadVersion},
      {"version_missing", "GET /\r\nHost: gw\r\n\r\n", E::kBadTarget},

      // Chunked bodies.
      {"chunk_data_not_crlf", kChunkedHead + "5\r\nhelloXX0\r\n\r\n", E::kBadChunkEnd},
      {"chunk_data_lf_only", kChunkedHead + "5\r\nhello\n0\r\n\r\n", E::kBadChunkEnd},
      {"chunk_data_cr_only", kChunkedHead + "5\r\nhello\r0\r\n\r\n", E::kBadChunkEnd},
      {"chunk_data_longer", kChunkedHead + "3\r\nhello\r\n0\r\n\r\n", E::kBadChunkEnd},
      {"chunk_size_0x", kChunkedHead + "0x5\r\nhello\r\n0\r\n\r\n", E::kBadChunkSize},
      {"chunk_size_plus", kChunkedHead + "+5\r\nhello\r\n0\r\n\r\n", E::kBadChunkSize},
      {"chunk_size_minus", kChunkedHead + "-5\r\nhello\r\n0\r\n\r\n", E::kBadChunkSize},
      {"chunk_size_leading_space", kChunkedHead + " 5\r\nhello\r\n0\r\n\r\n", E::kBadChunkSize},
      {"chunk_size_trailing_space", kChunkedHead + "5 \r\nhello\r\n0\r\n\r\n", E::kBadChunkSize},
      {"chunk_size_not_hex", kChunkedHead + "5g\r\nhello\r\n0\r\n\r\n", E::kBadChunkSize},
      {"chunk_size_empty", kChunkedHead + "\r\nhello\r\n0\r\n\r\n", E::kBadChunkSize},
      {"chunk_size_overflow_17_digits", kChunkedHead + "10000000000000005\r\nhello\r\n0\r\n\r\n",
       E::kBadChunkSize},
      {"chunk_size_overflow_all_f", kChunkedHead + "ffffffffffffffffff\r\n", E::kBadChunkSize},
      {"chunk_size_bare_lf", kChunkedHead + "5\nhello\r\n0\r\n\r\n", E::kBareLf},
      {"chunk_size_bare_cr", kChunkedHead + "5\rhello\r\n0\r\n\r\n", E::kBareCr},
      {"chunk_ext_empty", kChunkedHead + "5;\r\nhello\r\n0\r\n\r\n", E::kBadChunkExtension},
      {"chunk_ext_no_value", kChunkedHead + "5;a=\r\nhello\r\n0\r\n\r\n", E::kBadChunkExtension},
      {"chunk_ext_space_in_name", kChunkedHead + "5;a b\r\nhello\r\n0\r\n\r\n",
       E::kBadChunkExtension},
      {"chunk_ext_trailing_bws", kChunkedHead + "5;a \r\nhello\r\n0\r\n\r\n",
       E::kBadChunkExtension},
      {"chunk_ext_unterminated_quote", kChunkedHead + "5;a=\"b\r\nhello\r\n0\r\n\r\n",
       E::kBadChunkExtension},
      {"chunk_ext_lf_in_quote", kChunkedHead + "5;a=\"b\nc\"\r\nhello\r\n0\r\n\r\n",
       E::kBadChunkExtension},
      {"chunk_ext_nul", kChunkedHead + "5;a=b" + std::string(1, '\0') + "\r\nhello\r\n0\r\n\r\n",
       E::kBadChunkExtension},
      {"chunk_ext_bare_lf", kChunkedHead + "5;a=b\nhello\r\n0\r\n\r\n", E::kBadChunkExtension},
      {"chunk_ext_too_long",
       kChunkedHead + "5;a=" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n",
       E::kChunkLineTooLong},
      {"last_chunk_bare_lf", kChunkedHead + "0\n\r\n", E::kBareLf},
      {"end_bare_lf", kChunkedHead + "0\r\n\n", E::kBareLf},
      {"end_bare_cr", kChunkedHead + "0\r\n\rX", E::kBareCr},
      {"trailer_space_before_colon", kChunkedHead + "0\r\nX : a\r\n\r\n", E::kSpaceBeforeColon},
      {"trailer_obs_fold", kChunkedHead + "0\r\nX: a\r\n b\r\n\r\n", E::kObsFold},
      {"trailer_nul", kChunkedHead + "0\r\nX: a" + std::string(1, '\0') + "\r\n\r\n",
       E::kBadFieldValue},
      {"trailer_bare_lf", kChunkedHead + "0\r\nX: a\n\r\n", E::kBareLf},
      {"trailer_no_colon", kChunkedHead + "0\r\nGET / HTTP/1.1\r\n\r\n", E::kSpaceBeforeColon},
      {"trailer_bad_name", kChunkedHead + "0\r\n{x}: a\r\n\r\n", E::kBadTrailer},
      {"trailer_too_large", kChunkedHead + "0\r\nX: " + std::string(20000, 'a') + "\r\n\r\n",
       E::kTrailersTooLarge},
  };
}

class RequestCases : public ::testing::TestWithParam<Case> {};

TEST_P(RequestCases, WholeMessage) {
  const Case& c = GetParam();
  const ParsedMessage m = parseWhole(c.input);
  EXPECT_EQ(m.error, c.expected) << http1ErrorName(m.error) << " at " << m.error_offset;
  if (c.expected == Http1Error::kNone) {
    EXPECT_EQ(m.status, Http1Parser::Status::kMessageComplete);
    EXPECT_EQ(m.body, c.body);
    EXPECT_EQ(m.consumed, c.input.size());
  } else {
    EXPECT_EQ(m.status, Http1Parser::Status::kError);
    EXPECT_LE(m.error_offset, c.input.size());
  }
}

// Single pass and resumable: cut anywhere, the outcome and the error position are the same.
TEST_P(RequestCases, SameResultAtEveryByteBoundary) {
  const Case& c = GetParam();
  const ParsedMessage whole = parseWhole(c.input);
  for (const size_t cut : cutPositions(c.input.size())) {
    ASSERT_EQ(driveParser(c.input, {cut}), whole) << "cut at " << cut;
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < c.input.size(); ++i) {
    every_byte.push_back(i);
  }
  EXPECT_EQ(driveParser(c.input, every_byte), whole);
}

INSTANTIATE_TEST_SUITE_P(Http1Parser, RequestCases, ::testing::ValuesIn(requestCases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace slotgate::gateway::testing
