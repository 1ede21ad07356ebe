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

// Bytes of RESP for the wire, kept at the size they have grown to: size() of them are written,
// the rest is room for the next command, so writing one costs no resize of the string under it
// (a std::string trimmed after each command and grown again for the next one zero-filled its
// whole capacity every time: ~2k instructions per command once an EVAL had made it large).
class RespBuffer {
 public:
  std::string_view view() const { return {bytes_.data(), size_}; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }
  // Drops what was written after the first n bytes (n <= size()).
  void truncate(size_t n) { size_ = n; }

 private:
  friend class RespWriter;
  std::string bytes_;
  size_t size_ = 0;
};

// Appends one command to a buffer (binary-safe): begin(argc), then argc arguments. Arguments
// are written through a pointer into room the writer grows as needed.
class RespWriter {
 public:
  explicit RespWriter(RespBuffer& out) : out_(out) {}
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
  // At least n writable bytes after what the buffer holds.
  char* room(size_t n) {
    if (out_.bytes_.size() < out_.size_ + n) [[unlikely]] {
      grow(n);
    }
    return out_.bytes_.data() + out_.size_;
  }
  void grow(size_t n);
  void commit(char* end) { out_.size_ = static_cast<size_t>(end - out_.bytes_.data()); }

  RespBuffer& out_;
};

// Appends `*<argc>\r\n` and `$<len>\r\n<arg>\r\n` per argument to `out` (binary-safe).
void appendRespCommand(RespBuffer& out, std::span<const std::string_view> argv);

// The arguments alone, each `$<len>\r\n<arg>\r\n` (for RespWriter::raw).
std::string formatArgs(std::span<const std::string_view> args);

}  // namespace slotgate::limits
