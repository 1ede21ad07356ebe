// The answer of the model resolver (SPEC section 5) and its metric label.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "conf/config.h"

namespace slotgate::alias {

// Resolution methods in precedence order; the label values are fixed by SPEC section 8.
enum class Method : uint8_t { kDirectMatch, kProviderModelName, kAlias, kNotFound };

// "direct_match", "provider_model_name", "alias", "not_found".
std::string_view methodLabel(Method method);

struct Resolution {
  const conf::Model* model = nullptr;  // null when kNotFound; points into the resolver's Config
  size_t model_index = SIZE_MAX;       // index into Config::models; SIZE_MAX when kNotFound
  Method method = Method::kNotFound;
  bool cache_hit = false;  // the answer came from the resolver's cache
};

}  // namespace slotgate::alias
