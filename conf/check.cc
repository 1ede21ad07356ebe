#include "conf/check.h"

namespace slotgate::conf {

int runCheck(const std::string& path, std::ostream& out, const EnvLookup& env) {
  LoadResult result = loadConfigFile(path, env);
  if (!result.ok()) {
    for (const auto& error : result.errors) {
      if (error.path.empty()) {
        out << error.message << "\n";
      } else {
        out << error.toString() << "\n";
      }
    }
    return 1;
  }
  const Config& config = *result.config;
  for (const auto& c : config.load_conflicts) {
    out << "warning: \"" << c.name << "\" is claimed by models \"" << c.winner << "\" and \""
        << c.other << "\"; \"" << c.winner << "\" wins\n";
  }
  out << "config OK: " << config.providers.size() << " providers, " << config.models.size()
      << " models, " << config.clients.size() << " clients\n";
  return 0;
}

}  // namespace slotgate::conf
