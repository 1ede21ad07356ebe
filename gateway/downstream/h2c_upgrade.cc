#include "gateway/downstream/h2c_upgrade.h"

#include <algorithm>
#include <cstdint>

#include "gateway/downstream/ascii.h"

namespace slotgate::gateway {
namespace {

// Value of one base64url character, -1 outside the alphabet ('+' and '/' of
// plain base64 included: HTTP2-Settings is base64url only).
int base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  if (c == '_') {
    return 63;
  }
  return -1;
}

// Any header named `name` lists `token` (a field may be split over several lines).
bool anyListHasToken(const Headers& headers, std::string_view name, std::string_view token) {
  return std::any_of(headers.begin(), headers.end(), [&](const Header& h) {
    return h.name == name && listHasToken(h.value, token);
  });
}

// Identifiers and bounds of RFC 9113 6.5.2 / RFC 8441 / RFC 9218.
constexpr uint16_t kEnablePush = 0x2;
constexpr uint16_t kInitialWindowSize = 0x4;
constexpr uint16_t kMaxFrameSize = 0x5;
constexpr uint16_t kEnableConnectProtocol = 0x8;
constexpr uint16_t kNoRfc7540Priorities = 0x9;
constexpr uint32_t kMaxWindowSize = (1u << 31) - 1;
constexpr uint32_t kMinFrameSize = 1u << 14;
constexpr uint32_t kMaxFrameSizeLimit = (1u << 24) - 1;
constexpr size_t kSettingsEntryBytes = 6;
// nghttp2 refuses more entries per SETTINGS frame (its default max_settings).
constexpr size_t kMaxSettingsEntries = 32;

}  // namespace

std::optional<std::string> decodeBase64Url(std::string_view text) {
  // Padding is optional; when present it must complete the last quantum.
  if (text.size() % 4 == 0) {
    size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
      ++pad;
    }
    text.remove_suffix(pad);
  }
  if (text.size() % 4 == 1) {
    return std::nullopt;  // 6 bits cannot end a byte
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = base64UrlValue(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

bool validSettingsPayload(std::string_view payload) {
  if (payload.size() % kSettingsEntryBytes != 0 ||
      payload.size() / kSettingsEntryBytes > kMaxSettingsEntries) {
    return false;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
  for (size_t i = 0; i < payload.size(); i += kSettingsEntryBytes) {
    const auto id = static_cast<uint16_t>((p[i] << 8) | p[i + 1]);
    const uint32_t value = (uint32_t{p[i + 2]} << 24) | (uint32_t{p[i + 3]} << 16) |
                           (uint32_t{p[i + 4]} << 8) | uint32_t{p[i + 5]};
    switch (id) {
      case kEnablePush:
      case kEnableConnectProtocol:
      case kNoRfc7540Priorities:
        if (value > 1) {
          return false;
        }
        break;
      case kInitialWindowSize:
        if (value > kMaxWindowSize) {
          return false;
        }
        break;
      case kMaxFrameSize:
        if (value < kMinFrameSize || value > kMaxFrameSizeLimit) {
          return false;
        }
        break;
      default:
        break;
    }
  }
  return true;
}

std::optional<std::string> h2cUpgradeSettings(const Headers& headers) {
  if (!anyListHasToken(headers, "upgrade", "h2c") ||
      !anyListHasToken(headers, "connection", "upgrade") ||
      !anyListHasToken(headers, "connection", "http2-settings")) {
    return std::nullopt;
  }
  const Header* settings = nullptr;
  for (const auto& h : headers) {
    if (h.name == "http2-settings") {
      if (settings != nullptr) {
        return std::nullopt;  // RFC 7540 3.2.1: exactly one
      }
      settings = &h;
    }
  }
  if (settings == nullptr) {
    return std::nullopt;
  }
  const std::string_view value = trimOws(settings->value);
  if (value.empty()) {
    return std::nullopt;  // token68 has at least one character
  }
  std::optional<std::string> payload = decodeBase64Url(value);
  if (!payload || !validSettingsPayload(*payload)) {
    return std::nullopt;
  }
  return payload;
}

void stripUpgradeHopHeaders(Headers& headers) {
  std::string connection;
  for (const auto& h : headers) {
    if (h.name == "connection") {
      connection += h.value;
      connection += ',';
    }
  }
  std::erase_if(headers, [&](const Header& h) {
    return h.name == "connection" || h.name == "upgrade" || h.name == "http2-settings" ||
           h.name == "keep-alive" || h.name == "transfer-encoding" ||
           listHasToken(connection, h.name);
  });
}

}  // namespace slotgate::gateway
