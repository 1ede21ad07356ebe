#pragma once
// One Redis command in RESP, the wire form hiredis would produce from an argv.
//
// hiredis 0.14's redisAsyncCommandArgv formats through sdscatfmt, one format call per argument
// plus a fresh sds per command: ~12k instructions for the 10-argument admission script, more
// than a third of what cluster mode added per request. Formatting into a buffer the connection
// reuses and handing hiredis the bytes (redisAsyncFormattedCommand) costs a few hundred.
#include <span>
#include <string>
#include <string_view>

namespace slotgate::limits {

// Appends `*<argc>\r\n` and `$<len>\r\n<arg>\r\n` per argument to `out` (binary-safe).
void appendRespCommand(std::string& out, std::span<const std::string_view> argv);

}  // namespace slotgate::limits
