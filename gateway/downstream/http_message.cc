#include "gateway/downstream/http_message.h"

namespace slotgate::gateway {

const std::string* findHeader(const Headers& headers, std::string_view lower_name) {
  for (const auto& h : headers) {
    if (h.name == lower_name) {
      return &h.value;
    }
  }
  return nullptr;
}

}  // namespace slotgate::gateway
