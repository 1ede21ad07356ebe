#include "gateway/admin/active_requests_stream.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

namespace slotgate::gateway {
namespace {

// A dashboard may watch for hours; the admin listener's 60 s idle timeout
// must not cut it (the heartbeat keeps the write side moving).
constexpr int kStreamTimeoutSeconds = 24 * 3600;

}  // namespace

ActiveRequestsStream::ActiveRequestsStream(event_base* base, metrics::LiveRequestTracker& tracker,
                                           std::chrono::milliseconds poll,
                                           std::chrono::milliseconds heartbeat)
    : tracker_(tracker),
      poll_(poll),
      heartbeat_(heartbeat),
      poll_timer_(base, [this] { onPoll(); }),
      heartbeat_timer_(base, [this] { onHeartbeat(); }) {
  poll_timer_.enable(poll_);
  heartbeat_timer_.enable(heartbeat_);
  last_seq_ = tracker_.changeSeq();
}

ActiveRequestsStream::~ActiveRequestsStream() {
  // Connections are gone by now (see header); only detach what may remain.
  for (auto& [conn, w] : watchers_) {
    evhttp_connection_set_closecb(conn, nullptr, nullptr);
  }
}

std::string ActiveRequestsStream::snapshotFrame() const {
  return "event: snapshot\ndata: " + tracker_.activeJson() + "\n\n";
}

void ActiveRequestsStream::add(evhttp_request* req) {
  evhttp_connection* conn = evhttp_request_get_connection(req);
  if (conn == nullptr) {
    return;
  }
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  evhttp_add_header(out, "Content-Type", "text/event-stream");
  evhttp_add_header(out, "Cache-Control", "no-store");
  evhttp_add_header(out, "X-Accel-Buffering", "no");
  evhttp_send_reply_start(req, 200, "OK");
  evhttp_connection_set_timeout(conn, kStreamTimeoutSeconds);

  auto watcher = std::make_unique<Watcher>(Watcher{this, req, conn});
  Watcher& w = *watcher;
  // One stream per connection: evhttp does not read the next request before
  // this reply ends, so a connection cannot carry two.
  watchers_[conn] = std::move(watcher);
  watcher_count_.store(watchers_.size(), std::memory_order_relaxed);
  evhttp_connection_set_closecb(conn, &ActiveRequestsStream::onClose, &w);
  send(w, snapshotFrame());
}

void ActiveRequestsStream::onClose(evhttp_connection* conn, void* arg) {
  auto* w = static_cast<Watcher*>(arg);
  ActiveRequestsStream* self = w->owner;
  evhttp_request* req = w->req;
  // On a peer close evhttp detaches the unfinished request from the
  // connection and leaves it to us: ending the reply frees it. When evhttp
  // itself is being freed the request is still attached and evhttp frees it.
  if (evhttp_request_get_connection(req) == nullptr) {
    evhttp_send_reply_end(req);
  }
  self->watchers_.erase(conn);
  self->watcher_count_.store(self->watchers_.size(), std::memory_order_relaxed);
}

void ActiveRequestsStream::send(Watcher& w, const std::string& frame) {
  bufferevent* bev = evhttp_connection_get_bufferevent(w.conn);
  if (bev != nullptr && evbuffer_get_length(bufferevent_get_output(bev)) > kMaxPendingBytes) {
    return;
  }
  evbuffer* buf = evbuffer_new();
  evbuffer_add(buf, frame.data(), frame.size());
  evhttp_send_reply_chunk(w.req, buf);
  evbuffer_free(buf);
}

void ActiveRequestsStream::broadcast(const std::string& frame) {
  // send() never closes synchronously (failures surface later through
  // onClose), so iterating while sending is safe.
  for (auto& [conn, w] : watchers_) {
    send(*w, frame);
  }
}

void ActiveRequestsStream::onPoll() {
  poll_timer_.enable(poll_);
  const uint64_t seq = tracker_.changeSeq();
  if (seq == last_seq_) {
    return;
  }
  last_seq_ = seq;
  if (!watchers_.empty()) {
    broadcast(snapshotFrame());
  }
}

void ActiveRequestsStream::onHeartbeat() {
  heartbeat_timer_.enable(heartbeat_);
  broadcast(": heartbeat\n\n");
}

}  // namespace slotgate::gateway
