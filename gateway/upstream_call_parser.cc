// http-parser callbacks of UpstreamCall: response head collection, body delivery and
// the end of a response. Split from upstream_call.cc to keep the files small.
#include "gateway/upstream_call.h"

namespace slotgate::gateway {
namespace {

constexpr size_t kTypicalResponseHeaders = 16;

}  // namespace

const http_parser_settings UpstreamCall::kParserSettings = [] {
  http_parser_settings s{};
  s.on_message_begin = &UpstreamCall::onMessageBegin;
  s.on_header_field = &UpstreamCall::onHeaderField;
  s.on_header_value = &UpstreamCall::onHeaderValue;
  s.on_headers_complete = &UpstreamCall::onHeadersComplete;
  s.on_body = &UpstreamCall::onBody;
  s.on_message_complete = &UpstreamCall::onMessageComplete;
  return s;
}();

int UpstreamCall::onMessageBegin(http_parser* parser) {
  auto* self = static_cast<UpstreamCall*>(parser->data);
  self->headers_.clear();
  // The list is handed to the handler with each response: sized once for a
  // typical response head rather than grown by doubling.
  self->headers_.reserve(kTypicalResponseHeaders);
  self->last_was_value_ = false;
  return 0;
}

int UpstreamCall::onHeaderField(http_parser* parser, const char* at, size_t len) {
  auto* self = static_cast<UpstreamCall*>(parser->data);
  if (self->headers_.empty() || self->last_was_value_) {
    self->headers_.emplace_back();
    self->last_was_value_ = false;
  }
  self->headers_.back().name.append(at, len);
  return 0;
}

int UpstreamCall::onHeaderValue(http_parser* parser, const char* at, size_t len) {
  auto* self = static_cast<UpstreamCall*>(parser->data);
  self->last_was_value_ = true;
  self->headers_.back().value.append(at, len);
  return 0;
}

int UpstreamCall::onHeadersComplete(http_parser* parser) {
  auto* self = static_cast<UpstreamCall*>(parser->data);
  const int status = static_cast<int>(parser->status_code);
  if (status == 101) {
    self->protocol_error_ = "upstream switched protocols (101), which is not supported";
    return -1;
  }
  if (status >= 100 && status < 200) {
    self->informational_ = true;  // 100 Continue and friends: skipped
    return 0;
  }
  self->headers_done_ = true;
  if (self->idle_timeout_after_headers_ && !self->paused_) {
    self->armTimeout();
  }
  self->handler_.onUpstreamHeaders(status, std::move(self->headers_));
  self->headers_.clear();
  return self->finished_ ? -1 : 0;
}

int UpstreamCall::onBody(http_parser* parser, const char* at, size_t len) {
  auto* self = static_cast<UpstreamCall*>(parser->data);
  if (self->finished_) {
    return -1;
  }
  self->handler_.onUpstreamData(std::string_view(at, len));
  return self->finished_ ? -1 : 0;
}

int UpstreamCall::onMessageComplete(http_parser* parser) {
  auto* self = static_cast<UpstreamCall*>(parser->data);
  if (self->informational_) {
    self->informational_ = false;
    return 0;
  }
  if (self->finished_) {
    return -1;
  }
  self->message_complete_ = true;
  // Stop here: anything after the response is unsolicited and makes the connection
  // unusable (complete() checks that the input buffer is empty).
  http_parser_pause(parser, 1);
  return 0;
}

}  // namespace slotgate::gateway
