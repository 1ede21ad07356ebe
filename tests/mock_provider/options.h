// Command line of the mock provider (see README.md). Thread-safe once parsed (immutable).
#pragma once

#include <optional>
#include <string>

#include "tests/mock_provider/api.h"

namespace slotgate::mock {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = the OS picks
  int threads = 1;
  std::string tlsCert;
  std::string tlsKey;
  FailMode fail = FailMode::kNone;  // --fail: every model request fails this way

  [[nodiscard]] bool tls() const { return !tlsCert.empty(); }
};

// Parses argv; on error (or --help) fills `error` with a message for stderr.
[[nodiscard]] std::optional<Options> parseOptions(int argc, char** argv, std::string& error);

}  // namespace slotgate::mock
