#include "conf/config.h"

#include <thread>

namespace slotgate::conf {

uint32_t Config::effectiveWorkers() const {
  if (server.workers > 0) {
    return server.workers;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

const Provider* Config::findProvider(const std::string& name) const {
  for (const auto& p : providers) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

}  // namespace slotgate::conf
