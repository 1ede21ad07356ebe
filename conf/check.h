// `slotgate --check -c FILE`: validates a config file and prints the outcome.
#pragma once

#include <ostream>
#include <string>

#include "conf/loader.h"

namespace slotgate::conf {

// Prints one "path: message" line per error (the message alone when there is
// no path) and returns 1; or prints "config OK: N providers, M models,
// K clients" (plus one warning line per alias conflict) and returns 0.
[[nodiscard]] int runCheck(const std::string& path, std::ostream& out,
                           const EnvLookup& env = processEnv());

}  // namespace slotgate::conf
