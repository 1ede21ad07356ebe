// Parsing of the address-like config values: `listen` (host:port), provider
// `base_url` and the Redis `url`. On failure each returns nullopt and sets
// `error` to a message that does not repeat the input (a URL may carry a
// password). Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/config.h"

namespace slotgate::conf {

// "127.0.0.1:8080", "[::1]:0", "localhost:9901". Port 0 = let the OS pick.
[[nodiscard]] std::optional<HostPort> parseHostPort(std::string_view text, std::string& error);

// 127.0.0.0/8, ::1 (also IPv4-mapped loopback), "localhost". host has no brackets.
[[nodiscard]] bool isLoopbackHost(std::string_view host);

// "https://api.openai.com", "http://127.0.0.1:9911/proxy/", "http://[::1]:8000".
[[nodiscard]] std::optional<UpstreamUrl> parseUpstreamUrl(std::string_view text,
                                                          std::string& error);

struct RedisAddress {
  std::string host;
  uint16_t port = 6379;
  int db = 0;
};

// "redis://host[:port][/db]".
[[nodiscard]] std::optional<RedisAddress> parseRedisUrl(std::string_view text, std::string& error);

}  // namespace slotgate::conf
