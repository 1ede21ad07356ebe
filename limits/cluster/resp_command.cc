#include "limits/cluster/resp_command.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace slotgate::limits {
namespace {

constexpr size_t kHeaderRoom = 24;  // '$' or '*', 20 digits, CRLF

char* writeHeader(char* p, char kind, uint64_t n) {
  *p++ = kind;
  p = std::to_chars(p, p + 20, n).ptr;
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

char* writePiece(char* p, std::string_view s) {
  if (!s.empty()) {
    std::memcpy(p, s.data(), s.size());
  }
  return p + s.size();
}

}  // namespace

char* RespWriter::room(size_t n) {
  if (out_.size() < pos_ + n) {
    // Grown to its capacity at least (the zero fill is cheap next to an allocation), doubling
    // past it; finish() trims to what was written and keeps the capacity for the next command.
    out_.resize(std::max({pos_ + n, out_.capacity(), 2 * out_.size()}));
  }
  return out_.data() + pos_;
}

void RespWriter::begin(size_t argc) {
  char* p = room(kHeaderRoom);
  pos_ = static_cast<size_t>(writeHeader(p, '*', argc) - out_.data());
}

void RespWriter::arg(std::string_view a, std::string_view b, std::string_view c) {
  const size_t len = a.size() + b.size() + c.size();
  char* p = room(kHeaderRoom + len + 2);
  p = writeHeader(p, '$', len);
  p = writePiece(p, a);
  p = writePiece(p, b);
  p = writePiece(p, c);
  *p++ = '\r';
  *p++ = '\n';
  pos_ = static_cast<size_t>(p - out_.data());
}

void RespWriter::arg(std::string_view prefix, uint64_t n) {
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  arg(prefix, std::string_view(digits, static_cast<size_t>(end - digits)));
}

void RespWriter::finish() {
  if (out_.size() != pos_) {
    out_.resize(pos_);
  }
}

void appendRespCommand(std::string& out, std::span<const std::string_view> argv) {
  RespWriter w(out);
  w.begin(argv.size());
  for (std::string_view a : argv) {
    w.arg(a);
  }
}

}  // namespace slotgate::limits
