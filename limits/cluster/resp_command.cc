#include "limits/cluster/resp_command.h"

#include <algorithm>

namespace slotgate::limits {

void RespWriter::grow(size_t n) {
  // Grown to its capacity at least (the zero fill is cheap next to an allocation), doubling past
  // it; the buffer stays at this size.
  std::string& bytes = out_.bytes_;
  bytes.resize(std::max({out_.size_ + n, bytes.capacity(), 2 * bytes.size()}));
}

void appendRespCommand(RespBuffer& out, std::span<const std::string_view> argv) {
  RespWriter w(out);
  w.begin(argv.size());
  for (std::string_view a : argv) {
    w.arg(a);
  }
}

std::string formatArgs(std::span<const std::string_view> args) {
  RespBuffer out;
  RespWriter w(out);
  for (std::string_view a : args) {
    w.arg(a);
  }
  return std::string(out.view());
}

}  // namespace slotgate::limits
