// The value of one hexadecimal digit, as config digests (`sha256:<hex>`) and percent-encoded
// request paths spell them. Here, on the ground floor, so that conf/ and the proxy share one
// definition (gateway/http1 keeps its own unchecked one for chunk sizes it has validated).
#pragma once

namespace slotgate::conf {

// 0..15, or -1 when c is not a hex digit.
constexpr int hexValue(char c) {
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

}  // namespace slotgate::conf
