// Fuzzes the config loader (conf/): any text, however malformed or huge its values, gives a
// Config or a list of errors with YAML paths, and never an exception (an exception escaping
// here aborts the run, as one escaping a reload would abort the gateway). A loaded config is
// also rendered as the admin view and as `--check` does.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "conf/config_json.h"
#include "conf/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  // Every *_env name resolves, so the loader goes past the secrets into the cross-checks;
  // EMPTY and UNSET exercise the refusals.
  const slotgate::conf::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "UNSET") {
      return std::nullopt;
    }
    if (name == "EMPTY") {
      return std::string();
    }
    return "fuzz-secret-" + name;
  };
  const slotgate::conf::LoadResult result = slotgate::conf::loadConfigString(yaml, env);
  if (result.ok()) {
    (void)slotgate::conf::configJson(*result.config);
  } else {
    if (result.errors.empty()) {
      std::abort();  // a failed load always says why
    }
    for (const auto& error : result.errors) {
      (void)error.toString();
    }
  }
  return 0;
}
