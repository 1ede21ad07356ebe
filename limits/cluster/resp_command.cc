#include "limits/cluster/resp_command.h"

#include <algorithm>

namespace slotgate::limits {

void RespWriter::grow(size_t n) {
  // Grown to its capacity at least (the zero fill is cheap next to an allocation), doubling past
  // it; finish() trims to what was written and keeps the capacity for the next command.
  out_.resize(std::max({pos_ + n, out_.capacity(), 2 * out_.size()}));
}

void appendRespCommand(std::string& out, std::span<const std::string_view> argv) {
  RespWriter w(out);
  w.begin(argv.size());
  for (std::string_view a : argv) {
    w.arg(a);
  }
}

std::string formatArgs(std::span<const std::string_view> args) {
  std::string out;
  RespWriter w(out);
  for (std::string_view a : args) {
    w.arg(a);
  }
  w.finish();
  return out;
}

}  // namespace slotgate::limits
