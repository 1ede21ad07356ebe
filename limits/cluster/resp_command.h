#pragma once
// One Redis command in RESP, the wire form hiredis would produce from an argv.
//
// hiredis 0.14's redisAsyncCommandArgv formats through sdscatfmt, one format call per argument
// plus a fresh sds per command: ~12k instructions for the 10-argument admission script, more
// than a third of what cluster mode added per request. Formatting into a buffer the connection
// reuses and handing hiredis the bytes (redisAsyncFormattedCommand) costs a few hundred, and
// RespWriter writes keys and arguments made of pieces (prefix + key id, lease prefix + number)
// straight into it, so a script call builds no string of its own. The per-argument writers are
// inline (the pieces' sizes are often constants, the numbers small): an out-of-line call chain
// per argument cost more than the bytes it wrote.
#include <charconv>
#include <cstdint>
#include <cstring>
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

  void begin(size_t argc) {
    char* p = room(kHeaderRoom);
    commit(writeHeader(p, '*', argc));
  }
  void arg(std::string_view a) { arg(a, {}, {}); }
  // One argument made of up to three pieces, concatenated.
  void arg(std::string_view a, std::string_view b, std::string_view c = {}) {
    const size_t len = a.size() + b.size() + c.size();
    char* p = room(kHeaderRoom + len + 2);
    p = writeHeader(p, '$', len);
    p = writePiece(p, a);
    p = writePiece(p, b);
    p = writePiece(p, c);
    *p++ = '\r';
    *p++ = '\n';
    commit(p);
  }
  // One argument: `prefix` followed by n in decimal ("" prefix: just the number).
  void arg(std::string_view prefix, uint64_t n) {
    const size_t digits = decimalDigits(n);
    char* p = room(kHeaderRoom + prefix.size() + digits + 2);
    p = writeHeader(p, '$', prefix.size() + digits);
    p = writePiece(p, prefix);
    p = writeDecimal(p, n);
    *p++ = '\r';
    *p++ = '\n';
    commit(p);
  }
  void arg(uint64_t n) { arg(std::string_view(), n); }
  // Arguments already in RESP (formatArgs), copied as they are: a fixed run of a command's
  // arguments formatted once.
  void raw(std::string_view resp) {
    char* p = room(resp.size());
    commit(writePiece(p, resp));
  }
  void finish() {
    if (out_.size() != pos_) {
      out_.resize(pos_);
    }
  }

 private:
  static constexpr size_t kHeaderRoom = 24;  // '$' or '*', 20 digits, CRLF

  static size_t decimalDigits(uint64_t n) {
    size_t d = 1;
    for (; n >= 10; n /= 10) {
      ++d;
    }
    return d;
  }
  static char* writeDecimal(char* p, uint64_t n) {
    if (n < 10) {
      *p = static_cast<char>('0' + n);
      return p + 1;
    }
    if (n < 100) {
      p[0] = static_cast<char>('0' + n / 10);
      p[1] = static_cast<char>('0' + n % 10);
      return p + 2;
    }
    return std::to_chars(p, p + 20, n).ptr;
  }
  static char* writeHeader(char* p, char kind, uint64_t n) {
    *p++ = kind;
    p = writeDecimal(p, n);
    *p++ = '\r';
    *p++ = '\n';
    return p;
  }
  static char* writePiece(char* p, std::string_view s) {
    if (!s.empty()) {
      std::memcpy(p, s.data(), s.size());
    }
    return p + s.size();
  }
  // At least n writable bytes at pos_.
  char* room(size_t n) {
    if (out_.size() < pos_ + n) [[unlikely]] {
      grow(n);
    }
    return out_.data() + pos_;
  }
  void grow(size_t n);
  void commit(char* end) { pos_ = static_cast<size_t>(end - out_.data()); }

  std::string& out_;
  size_t pos_;
};

// Appends `*<argc>\r\n` and `$<len>\r\n<arg>\r\n` per argument to `out` (binary-safe).
void appendRespCommand(std::string& out, std::span<const std::string_view> argv);

// The arguments alone, each `$<len>\r\n<arg>\r\n` (for RespWriter::raw).
std::string formatArgs(std::span<const std::string_view> args);

}  // namespace slotgate::limits
