#include "gateway/service_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>
#include <string>

namespace slotgate::gateway {

void notifyReady() { sd_notify(0, "READY=1\nSTATUS=serving"); }

void notifyReloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
  const std::string state = "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=" + std::to_string(usec);
  sd_notify(0, state.c_str());
}

void notifyStopping() { sd_notify(0, "STOPPING=1\nSTATUS=draining"); }

}  // namespace slotgate::gateway
