#include "conf/digest.h"

#include <openssl/evp.h>

namespace slotgate::conf {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

Sha256 sha256Of(std::string_view data) {
  Sha256 out{};
  unsigned int len = 0;
  // EVP_Digest with a fetched-once static MD: no per-call allocation besides
  // OpenSSL's internal context. Cannot fail for SHA-256 on valid input.
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::optional<Sha256> parseSha256Hex(std::string_view hex) {
  if (hex.size() != 64) {
    return std::nullopt;
  }
  Sha256 out{};
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hexValue(hex[2 * i]);
    int lo = hexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string sha256Hex(const Sha256& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

}  // namespace slotgate::conf
