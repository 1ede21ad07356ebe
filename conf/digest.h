// SHA-256 helpers for client keys: the config keeps only a key's digest, and
// auth compares the digest of the presented key against it in constant time.
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/config.h"

namespace slotgate::conf {

[[nodiscard]] Sha256 sha256Of(std::string_view data);

// 64 hex digits (either case) → digest; nullopt for anything else.
[[nodiscard]] std::optional<Sha256> parseSha256Hex(std::string_view hex);

// Lower-case hex, 64 characters.
std::string sha256Hex(const Sha256& digest);

}  // namespace slotgate::conf
