// The HTTP `Date` field value (RFC 9110 5.6.7, IMF-fixdate) for answers the
// gateway writes itself; proxied answers carry the provider's own.
#pragma once

#include <chrono>
#include <string>

namespace slotgate::gateway {

// "Sun, 06 Nov 1994 08:49:37 GMT". Locale-independent; thread-safe.
std::string httpDate(std::chrono::system_clock::time_point when);

}  // namespace slotgate::gateway
