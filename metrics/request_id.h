// A request's id (x-request-id) as a value: at most kMaxSize bytes kept in the object itself,
// so copying one into the live view and the logs allocates nothing (a generated id has 36
// characters, past std::string's small-string buffer: that was one malloc per copy, three per
// request). The gateway decides what an id may contain (gateway/proxy/request_id.h); this type
// only holds the bytes. Thread-safety: a plain value.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <string_view>

namespace slotgate::metrics {

class RequestId {
 public:
  // The longest id kept; a longer one is cut (the gateway never makes or accepts one).
  static constexpr size_t kMaxSize = 128;

  RequestId() = default;
  explicit RequestId(std::string_view id) { assign(id); }
  RequestId(const RequestId& other) { assign(other.view()); }
  RequestId& operator=(const RequestId& other) {
    assign(other.view());
    return *this;
  }
  RequestId& operator=(std::string_view id) {
    assign(id);
    return *this;
  }

  // Copies only the id's own bytes, not the whole array.
  void assign(std::string_view id) {
    size_ = static_cast<uint8_t>(id.size() < kMaxSize ? id.size() : kMaxSize);
    std::memmove(chars_.data(), id.data(), size_);
  }

  [[nodiscard]] std::string_view view() const { return {chars_.data(), size_}; }
  operator std::string_view() const { return view(); }  // NOLINT: a string_view of its bytes
  [[nodiscard]] std::string str() const { return std::string(view()); }
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

  bool operator==(const RequestId& other) const { return view() == other.view(); }
  bool operator==(std::string_view other) const { return view() == other; }
  std::strong_ordering operator<=>(const RequestId& other) const { return view() <=> other.view(); }

 private:
  static_assert(kMaxSize <= UINT8_MAX, "the size is kept in one byte");
  uint8_t size_ = 0;
  std::array<char, kMaxSize> chars_;  // the first size_ bytes are the id
};

inline std::ostream& operator<<(std::ostream& out, const RequestId& id) { return out << id.view(); }

}  // namespace slotgate::metrics
