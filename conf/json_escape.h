// JSON string escaping, the one writer of JSON text by hand: the access log, API error
// bodies, the model list and the request body's rewritten `model` all use it. Here on the
// ground floor (conf/ includes nothing else) so every room may include it; pure, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slotgate::conf {

// Appends `s` as JSON string content (no quotes): escapes '"', '\\' and control
// characters, passes valid UTF-8 through and turns invalid bytes into U+FFFD.
void appendJsonEscaped(std::string& out, std::string_view s);

// The most bytes one input byte can become (a control byte is "\u00XX").
inline constexpr size_t kJsonEscapeMaxGrowth = 6;

// The same escaping written at `out`, which has room for kJsonEscapeMaxGrowth * s.size()
// bytes; returns the end of what was written. For writers that reserve room once per field
// (the access line) instead of growing a string per piece.
char* writeJsonEscaped(char* out, std::string_view s);

// Length of the leading run of `s` that a JSON string holds as is: printable ASCII but '"' and
// '\\' (DEL included). Scans 8 bytes per step; for readers of plain JSON text (plain_usage.h).
size_t jsonVerbatimRun(std::string_view s);

}  // namespace slotgate::conf
