#include "tests/mock_provider/options.h"

#include <charconv>
#include <string_view>

namespace slotgate::mock {
namespace {

constexpr std::string_view kUsage =
    "usage: mock_provider --listen HOST:PORT [--threads N] [--tls-cert FILE --tls-key FILE]\n"
    "                     [--fail 500|429|400|401|hang|drop|close]\n";

bool parseInt(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parseListen(std::string_view text, Options& options) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  if (host.empty() || !parseInt(text.substr(colon + 1), port) || port < 0 || port > 65535) {
    return false;
  }
  options.host = std::string(host);
  options.port = port;
  return true;
}

}  // namespace

std::optional<Options> parseOptions(int argc, char** argv, std::string& error) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      error = std::string(kUsage);
      return std::nullopt;
    }
    if (i + 1 >= argc) {
      error = "missing value for " + std::string(arg) + "\n" + std::string(kUsage);
      return std::nullopt;
    }
    const std::string_view value = argv[++i];
    if (arg == "--listen") {
      if (!parseListen(value, options)) {
        error = "bad --listen value (want HOST:PORT): " + std::string(value) + "\n";
        return std::nullopt;
      }
    } else if (arg == "--threads") {
      if (!parseInt(value, options.threads) || options.threads < 1 || options.threads > 256) {
        error = "bad --threads value: " + std::string(value) + "\n";
        return std::nullopt;
      }
    } else if (arg == "--tls-cert") {
      options.tlsCert = std::string(value);
    } else if (arg == "--tls-key") {
      options.tlsKey = std::string(value);
    } else if (arg == "--fail") {
      const auto mode = parseFailMode(value);
      if (!mode) {
        error = "bad --fail value: " + std::string(value) + "\n";
        return std::nullopt;
      }
      options.fail = *mode;
    } else {
      error = "unknown option " + std::string(arg) + "\n" + std::string(kUsage);
      return std::nullopt;
    }
  }
  if (options.tlsCert.empty() != options.tlsKey.empty()) {
    error = "--tls-cert and --tls-key go together\n";
    return std::nullopt;
  }
  return options;
}

}  // namespace slotgate::mock
