#include "conf/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace slotgate::conf {
namespace {

bool isIpv6Literal(std::string_view host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, std::string(host).c_str(), &addr) == 1;
}

bool isValidName(std::string_view host) {
  if (host.empty() || host.size() > 253) {
    return false;
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

std::optional<uint16_t> parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) {
    return std::nullopt;
  }
  uint32_t port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(port);
}

// Splits "host", "host:port", "[v6]" or "[v6]:port". host comes back without
// brackets; port_text is empty when no port was written.
bool splitAuthority(std::string_view authority, std::string_view& host, std::string_view& port_text,
                    bool& had_port, std::string& error) {
  had_port = false;
  port_text = {};
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated '[' in IPv6 address";
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "unexpected characters after ']'";
        return false;
      }
      had_port = true;
      port_text = rest.substr(1);
    }
    if (!isIpv6Literal(host)) {
      error = "invalid IPv6 address in brackets";
      return false;
    }
    return true;
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(':') != colon) {
    error = "IPv6 addresses must be written in brackets, e.g. [::1]:8080";
    return false;
  }
  if (colon == std::string_view::npos) {
    host = authority;
  } else {
    host = authority.substr(0, colon);
    had_port = true;
    port_text = authority.substr(colon + 1);
  }
  if (!isValidName(host)) {
    error = host.empty() ? "missing host" : "invalid host name";
    return false;
  }
  return true;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<HostPort> parseHostPort(std::string_view text, std::string& error) {
  std::string_view host;
  std::string_view port_text;
  bool had_port = false;
  if (!splitAuthority(text, host, port_text, had_port, error)) {
    error += " (expected host:port, e.g. 127.0.0.1:8080 or [::1]:8080)";
    return std::nullopt;
  }
  if (!had_port) {
    error = "missing port (expected host:port, e.g. 127.0.0.1:8080 or [::1]:8080)";
    return std::nullopt;
  }
  auto port = parsePort(port_text);
  if (!port) {
    error = "port must be an integer from 0 to 65535";
    return std::nullopt;
  }
  return HostPort{std::string(host), *port};
}

bool isLoopbackHost(std::string_view host) {
  if (host == "localhost") {
    return true;
  }
  std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) {
      return true;
    }
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::optional<UpstreamUrl> parseUpstreamUrl(std::string_view text, std::string& error) {
  UpstreamUrl url;
  if (startsWithNoCase(text, "https://")) {
    url.tls = true;
    text.remove_prefix(8);
  } else if (startsWithNoCase(text, "http://")) {
    text.remove_prefix(7);
  } else {
    error = "must start with http:// or https://";
    return std::nullopt;
  }
  if (text.find_first_of("?#") != std::string_view::npos) {
    error = "must not contain a query or fragment";
    return std::nullopt;
  }
  size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : text.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    error = "must not contain credentials (use secret_env)";
    return std::nullopt;
  }
  std::string_view host;
  std::string_view port_text;
  bool had_port = false;
  if (!splitAuthority(authority, host, port_text, had_port, error)) {
    return std::nullopt;
  }
  uint16_t default_port = url.tls ? 443 : 80;
  url.port = default_port;
  if (had_port) {
    auto port = parsePort(port_text);
    if (!port || *port == 0) {
      error = "port must be an integer from 1 to 65535";
      return std::nullopt;
    }
    url.port = *port;
  }
  url.host = std::string(host);
  while (path.ends_with('/')) {
    path.remove_suffix(1);
  }
  if (path.find_first_of(" \t\r\n") != std::string_view::npos) {
    error = "path must not contain whitespace";
    return std::nullopt;
  }
  url.path_prefix = std::string(path);
  bool v6 = url.host.find(':') != std::string::npos;
  url.host_header = v6 ? "[" + url.host + "]" : url.host;
  if (url.port != default_port) {
    // Two appends, not `":" + to_string(...)`: GCC 12 warns falsely (-Wrestrict) on the latter.
    url.host_header += ':';
    url.host_header += std::to_string(url.port);
  }
  return url;
}

std::optional<RedisAddress> parseRedisUrl(std::string_view text, std::string& error) {
  if (!startsWithNoCase(text, "redis://")) {
    error = "must start with redis:// (e.g. redis://127.0.0.1:6379/0)";
    return std::nullopt;
  }
  text.remove_prefix(8);
  size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  std::string_view db_text =
      slash == std::string_view::npos ? std::string_view{} : text.substr(slash + 1);
  if (authority.find('@') != std::string_view::npos) {
    error = "credentials in the url are not supported";
    return std::nullopt;
  }
  std::string_view host;
  std::string_view port_text;
  bool had_port = false;
  if (!splitAuthority(authority, host, port_text, had_port, error)) {
    return std::nullopt;
  }
  RedisAddress out;
  out.host = std::string(host);
  if (had_port) {
    auto port = parsePort(port_text);
    if (!port || *port == 0) {
      error = "port must be an integer from 1 to 65535";
      return std::nullopt;
    }
    out.port = *port;
  }
  if (!db_text.empty()) {
    if (db_text.size() > 5 ||
        !std::all_of(db_text.begin(), db_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      error = "database must be a non-negative integer, e.g. redis://127.0.0.1:6379/0";
      return std::nullopt;
    }
    out.db = std::stoi(std::string(db_text));
  }
  return out;
}

}  // namespace slotgate::conf
