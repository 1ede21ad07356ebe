// Which settings a reload cannot apply (SPEC section 7): the sockets the
// process listens on, its worker threads and its Redis connections are made
// once at start. A reload that changes one of them is answered with a warning
// per field, and /admin/config lists them as `pending_restart`, rather than
// pretending the new value took effect. Everything else in the config is
// applied by the reload. Pure function, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "conf/config.h"

namespace slotgate::gateway {

// The YAML paths of restart-only fields whose value in `next` differs from the one the
// process started with (`started`), in config order.
[[nodiscard]] std::vector<std::string> fieldsNeedingRestart(const conf::Config& started,
                                                            const conf::Config& next);

}  // namespace slotgate::gateway
