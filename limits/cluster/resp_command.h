#pragma once
// One Redis command in RESP, the wire form hiredis would produce from an argv.
//
// hiredis 0.14's redisAsyncCommandArgv formats through sdscatfmt, one format call per argument
// plus a fresh sds per command: ~12k instructions for the 10-argument admission script, more
// than a third of what cluster mode added per request. Formatting into a buffer the connection
// reuses and handing hiredis the bytes (redisAsyncFormattedCommand) costs a few hundred, and
// RespWriter writes keys and arguments made of pieces (prefix + key id, lease prefix + number)
// straight into it, so a script call builds no string of its own.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace slotgate::limits {

// Appends one command to a buffer (binary-safe): begin(argc), then argc arguments. Arguments
// are written through a pointer into room the writer grows as needed; finish() trims the buffer
// to what was written (also done by the destructor).
class RespWriter {
 public:
  explicit RespWriter(std::string& out) : out_(out), pos_(out.size()) {}
  ~RespWriter() { finish(); }
  RespWriter(const RespWriter&) = delete;
  RespWriter& operator=(const RespWriter&) = delete;

  void begin(size_t argc);
  void arg(std::string_view a) { arg(a, {}, {}); }
  // One argument made of up to three pieces, concatenated.
  void arg(std::string_view a, std::string_view b, std::string_view c = {});
  // One argument: `prefix` followed by n in decimal ("" prefix: just the number).
  void arg(std::string_view prefix, uint64_t n);
  void arg(uint64_t n) { arg(std::string_view(), n); }
  void finish();

 private:
  char* room(size_t n);  // at least n writable bytes at pos_

  std::string& out_;
  size_t pos_;
};

// Appends `*<argc>\r\n` and `$<len>\r\n<arg>\r\n` per argument to `out` (binary-safe).
void appendRespCommand(std::string& out, std::span<const std::string_view> argv);

}  // namespace slotgate::limits
