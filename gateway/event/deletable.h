// What a loop thread's deferred-delete queue holds (Envoy's DeferredDeletable): something
// whose destruction must wait until the current callback returned, so an object may ask for
// its own deletion from inside its callbacks. Part of the event toolkit, so that codecs can
// be deletable without knowing the Worker that owns the queue.
#pragma once

#include <memory>

namespace slotgate::gateway {

class Deletable {
 public:
  virtual ~Deletable() = default;
};
using DeletablePtr = std::unique_ptr<Deletable>;

}  // namespace slotgate::gateway
