// Cleartext HTTP/2 via HTTP/1.1 Upgrade (RFC 7540 section 3.2, "h2c upgrade"),
// the pure part: whether a request's headers ask for it in a form we accept,
// and the SETTINGS payload its HTTP2-Settings header carries.
//
// Deciding happens before "101 Switching Protocols" is sent, so everything
// nghttp2_session_upgrade2() would refuse later is refused here: a refused
// upgrade is simply served as HTTP/1.1 (the Upgrade header is only an offer).
//
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/downstream/http_message.h"

namespace slotgate::gateway {

// The server's answer that switches the connection (RFC 7540 3.2).
inline constexpr std::string_view kSwitchingToH2c =
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

// A request that switched its connection to HTTP/2: it becomes stream 1.
struct H2cUpgrade {
  std::string settings_payload;  // decoded HTTP2-Settings
  IncomingRequestPtr request;    // complete, body included, hop-by-hop headers stripped
};

// Decodes base64url (RFC 4648 section 5) as HTTP2-Settings uses it: trailing
// '=' omitted (tolerated when present and correct). nullopt on any character
// outside the alphabet or an impossible length.
[[nodiscard]] std::optional<std::string> decodeBase64Url(std::string_view text);

// Whether `payload` is a SETTINGS frame payload nghttp2 would apply without
// a connection error: whole 6-byte entries, at most 32 of them (nghttp2's
// limit), and known settings in range (RFC 9113 6.5.2). Unknown identifiers
// are ignored, as the RFC requires.
[[nodiscard]] bool validSettingsPayload(std::string_view payload);

// The decoded SETTINGS payload when `headers` (names lower-case) ask for an
// h2c upgrade we accept: "h2c" among the Upgrade tokens, exactly one
// HTTP2-Settings header that decodes to a valid payload, and Connection
// naming both "Upgrade" and "HTTP2-Settings". nullopt otherwise (including
// requests that do not ask at all).
[[nodiscard]] std::optional<std::string> h2cUpgradeSettings(const Headers& headers);

// Drops what only concerned the HTTP/1.1 hop that carried the upgrade
// (Connection, the headers it names, Upgrade, HTTP2-Settings, Transfer-Encoding
// of the already-decoded body): the request continues as HTTP/2 stream 1,
// where connection-specific fields do not exist (RFC 9113 8.2.2).
void stripUpgradeHopHeaders(Headers& headers);

}  // namespace slotgate::gateway
