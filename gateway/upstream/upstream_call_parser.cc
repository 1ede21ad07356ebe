// Response reading of UpstreamCall on the strict Http1Parser (response mode): heads,
// interim answers, body pieces, the end of a response and the end of the connection.
// Split from upstream_call.cc to keep the files small.
#include <event2/buffer.h>

#include <string>

#include "gateway/upstream/upstream_call.h"
#include "gateway/upstream/upstream_pool.h"

namespace slotgate::gateway {

void UpstreamCall::resetParser() {
  parser_.reset();
  parser_.setRequestWasHead(head_request_);
}

void UpstreamCall::failProtocol() {
  fail(UpstreamErrorKind::kProtocol,
       "invalid upstream response: " + std::string(http1ErrorName(parser_.error())) + " at byte " +
           std::to_string(parser_.errorOffset()));
}

void UpstreamCall::processInput() {
  while (!finished() && !paused_ && conn_) {
    evbuffer* in = bufferevent_get_input(conn_->bev());
    if (evbuffer_get_length(in) == 0) {
      break;
    }
    if (!(headersDone() ? readBody(in) : readHead(in))) {
      break;
    }
  }
  if (!finished() && !paused_ && conn_ && eof_seen_) {
    handleEof();
  }
}

inline bool UpstreamCall::responseArrived() {
  if (state_ == State::kConnecting) {
    // Bytes before our connect completed, so before any request: a server that speaks
    // first is not answering us.
    fail(UpstreamErrorKind::kProtocol, "upstream sent bytes before the request");
    return false;
  }
  // A response byte, whichever callback saw it first (a TLS close can be reported before
  // the read of the bytes that came with it).
  moveTo(State::kReadingHead);
  bytes_.reset();  // no re-send from here on
  return true;
}

bool UpstreamCall::readHead(evbuffer* in) {
  if (state_ != State::kReadingHead && !responseArrived()) {
    return false;
  }
  // The whole head so far in one piece (at most one byte over the limit, which is how
  // the parser tells an oversized head); it resumes where the last call stopped.
  const size_t n = std::min(evbuffer_get_length(in), kMaxUpstreamHeadBytes + 1);
  const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ssize_t>(n)));
  switch (parser_.parseHead(std::string_view(data, n))) {
    case Http1Parser::Status::kNeedMore:
      return false;
    case Http1Parser::Status::kError:
    case Http1Parser::Status::kMessageComplete:
      failProtocol();
      return false;
    case Http1Parser::Status::kHeadComplete:
      break;
  }
  if (parser_.interim()) {
    // 100 Continue, 103 Early Hints...: consumed here, nothing of them is passed on.
    evbuffer_drain(in, parser_.headLength());
    return true;
  }
  // Into the pool's reused field list: its strings keep their buffers from head to head.
  std::vector<UpstreamHeader>& headers = pool_.headFields();
  headers.resize(parser_.fieldCount());
  for (size_t i = 0; i < parser_.fieldCount(); ++i) {
    const Http1Field f = parser_.field(i);
    headers[i].name.assign(f.name);
    headers[i].value.assign(f.value);
  }
  const int status = parser_.status();
  evbuffer_drain(in, parser_.headLength());  // the field views end here
  moveTo(State::kReadingBody);
  if (idle_timeout_after_headers_ && !paused_) {
    armTimeout();
  }
  handler_.onUpstreamHeaders(status, headers);
  if (finished()) {
    return false;
  }
  if (parser_.messageComplete()) {
    complete();  // no body: 204, 304, an answer to HEAD, Content-Length: 0
    return false;
  }
  return true;
}

bool UpstreamCall::readBody(evbuffer* in) {
  evbuffer_iovec vec;
  if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) {
    return false;
  }
  const Http1Parser::BodyStep step =
      parser_.readBody(std::string_view(static_cast<const char*>(vec.iov_base), vec.iov_len));
  if (step.status == Http1Parser::Status::kError) {
    failProtocol();
    return false;
  }
  if (!step.data.empty()) {
    // The view points into the input buffer: delivered before it is drained.
    handler_.onUpstreamData(step.data);
    if (finished()) {
      return false;  // cancelled inside the handler: the connection may be gone
    }
  }
  evbuffer_drain(in, step.consumed);
  if (step.status == Http1Parser::Status::kMessageComplete) {
    // Anything after the response is unsolicited and makes the connection unusable
    // (complete() checks that the input buffer is empty).
    complete();
    return false;
  }
  return true;
}

void UpstreamCall::handleEof() {
  if (!responseStarted()) {
    if (canResend()) {
      resendOnFreshConnection();
      return;
    }
    fail(UpstreamErrorKind::kClosed, attempt_ == UpstreamAttempt::kReused
                                         ? "upstream closed a reused connection without answering"
                                         : "upstream closed the connection before responding");
    return;
  }
  // A body delimited by the connection close ends here; anything else is truncated.
  if (headersDone() && parser_.finishAtEof() == Http1Parser::Status::kMessageComplete) {
    complete();
    return;
  }
  fail(UpstreamErrorKind::kClosed, "upstream closed the connection mid-response");
}

}  // namespace slotgate::gateway
