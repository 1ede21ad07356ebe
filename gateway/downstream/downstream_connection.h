// What the ConnectionManager owns per accepted socket: a connection still
// deciding its protocol (TLS handshake, preface sniffing), an HTTP/1.1
// connection or an HTTP/2 connection. Loop-thread only.
#pragma once

#include "gateway/event/deletable.h"

namespace slotgate::gateway {

class DownstreamConnection : public Deletable {
 public:
  ~DownstreamConnection() override = default;
  // Graceful shutdown: close now if idle, else once in-flight responses finished.
  virtual void drain() = 0;
};

}  // namespace slotgate::gateway
