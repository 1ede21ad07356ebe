// Test driver of Http1Parser, shared by the unit tests and the fuzz targets:
// feeds a message in pieces exactly as a connection does (a growing head
// buffer, then body spans), collects what the parser reports into a value
// that can be compared, and re-serialises an accepted message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/http1/http1_parser.h"

namespace slotgate::gateway::testing {

struct ParsedMessage {
  Http1Parser::Status status =
      Http1Parser::Status::kNeedMore;  // kMessageComplete, kError or kNeedMore
  Http1Error error = Http1Error::kNone;
  uint64_t error_offset = 0;
  int interim_heads = 0;
  std::string method;
  std::string target;
  int version_minor = -1;
  int status_code = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> fields;
  Http1Framing framing = Http1Framing::kNone;
  uint64_t content_length = 0;
  bool keep_alive = false;
  std::string body;
  size_t consumed = 0;  // bytes of the input that made the message (head(s) and body)

  bool operator==(const ParsedMessage&) const = default;
};

struct DriveOptions {
  Http1Parser::Mode mode = Http1Parser::Mode::kRequest;
  Http1ParserLimits limits;
  bool request_was_head = false;
  bool eof_at_end = false;  // the peer closes after the input (responses delimited by close)
};

// Parses `input` as it would arrive in pieces ending at each of `cuts`
// (ascending offsets inside the input) and at its end.
inline ParsedMessage driveParser(std::string_view input, const std::vector<size_t>& cuts,
                                 const DriveOptions& options = {}) {
  Http1Parser parser(options.mode, options.limits);
  parser.setRequestWasHead(options.request_was_head);
  ParsedMessage m;
  std::vector<size_t> arrivals = cuts;
  arrivals.push_back(input.size());
  size_t head_start = 0;  // where the current head starts (after interim heads)
  size_t pos = 0;         // body: next unconsumed byte
  bool head_done = false;
  for (const size_t arrived : arrivals) {
    while (true) {
      if (!head_done) {
        const auto status = parser.parseHead(input.substr(head_start, arrived - head_start));
        if (status == Http1Parser::Status::kNeedMore) {
          break;
        }
        if (status == Http1Parser::Status::kError) {
          m.status = status;
          m.error = parser.error();
          m.error_offset = head_start + parser.errorOffset();
          return m;
        }
        if (parser.interim()) {
          ++m.interim_heads;
          head_start += parser.headLength();
          continue;
        }
        head_done = true;
        m.method = parser.method();
        m.target = parser.target();
        m.version_minor = parser.versionMinor();
        m.status_code = parser.status();
        m.reason = options.mode == Http1Parser::Mode::kResponse ? std::string(parser.reason()) : "";
        for (size_t i = 0; i < parser.fieldCount(); ++i) {
          const Http1Field f = parser.field(i);
          m.fields.emplace_back(f.name, f.value);
        }
        m.framing = parser.framing();
        m.content_length = parser.contentLength();
        m.keep_alive = parser.keepAlive();
        pos = head_start + parser.headLength();
        if (parser.messageComplete()) {
          m.status = Http1Parser::Status::kMessageComplete;
          m.consumed = pos;
          return m;
        }
      }
      if (pos >= arrived) {
        break;
      }
      const Http1Parser::BodyStep step = parser.readBody(input.substr(pos, arrived - pos));
      pos += step.consumed;
      m.body.append(step.data);
      if (step.status == Http1Parser::Status::kError) {
        m.status = step.status;
        m.error = parser.error();
        m.error_offset = head_start + parser.errorOffset();
        return m;
      }
      if (step.status == Http1Parser::Status::kMessageComplete) {
        m.status = step.status;
        m.consumed = pos;
        return m;
      }
    }
  }
  if (head_done && options.eof_at_end) {
    m.status = parser.finishAtEof();
    m.error = parser.error();
    m.error_offset =
        m.status == Http1Parser::Status::kError ? head_start + parser.errorOffset() : 0;
    m.consumed = pos;
  }
  return m;
}

// Every cut position of an input of `size` bytes, except in the middle of long inputs (the
// size-limit cases), where every 97th keeps the test linear rather than quadratic.
inline std::vector<size_t> cutPositions(size_t size) {
  std::vector<size_t> cuts;
  constexpr size_t kEdge = 600;
  for (size_t i = 1; i < size; i += (i < kEdge || i + kEdge >= size) ? 1 : 97) {
    cuts.push_back(i);
  }
  return cuts;
}

inline ParsedMessage parseWhole(std::string_view input, const DriveOptions& options = {}) {
  return driveParser(input, {}, options);
}

// The message in canonical form: single SPs, "name: value", the body framed
// as the head says (chunked: one chunk and the last chunk, no trailers).
inline std::string serialiseRequest(const ParsedMessage& m) {
  std::string out =
      m.method + " " + m.target + " HTTP/1." + std::to_string(m.version_minor) + "\r\n";
  for (const auto& [name, value] : m.fields) {
    out += name + ": " + value + "\r\n";
  }
  out += "\r\n";
  if (m.framing == Http1Framing::kChunked) {
    if (!m.body.empty()) {
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", m.body.size());
      out += size + m.body + "\r\n";
    }
    out += "0\r\n\r\n";
  } else {
    out += m.body;
  }
  return out;
}

}  // namespace slotgate::gateway::testing
