#include "limits/cluster/resp_command.h"

#include <charconv>

namespace slotgate::limits {
namespace {

void appendHeader(std::string& out, char kind, size_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.push_back(kind);
  out.append(digits, end);
  out.append("\r\n", 2);
}

}  // namespace

void appendRespCommand(std::string& out, std::span<const std::string_view> argv) {
  size_t size = 16;
  for (std::string_view a : argv) {
    size += a.size() + 16;
  }
  out.reserve(out.size() + size);
  appendHeader(out, '*', argv.size());
  for (std::string_view a : argv) {
    appendHeader(out, '$', a.size());
    out.append(a);
    out.append("\r\n", 2);
  }
}

}  // namespace slotgate::limits
