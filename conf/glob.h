// Shell-style glob over names: `*` matches any run of characters (also empty),
// `?` exactly one character; everything else matches itself, case-sensitively.
// Used for a client's `models` list and the admin endpoints' filters.
// Pure function, thread-safe; O(pattern * text) worst case, no recursion.
#pragma once

#include <string_view>

namespace slotgate::conf {

[[nodiscard]] bool globMatch(std::string_view pattern, std::string_view text);

}  // namespace slotgate::conf
