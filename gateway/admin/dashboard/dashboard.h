// The operator dashboard (GET /dashboard): one self-contained HTML page with
// its CSS, JS and SVG inline, embedded at build time from dashboard.html
// (see CMakeLists.txt in this folder). Immutable; thread-safe.
#pragma once

#include <string_view>

namespace slotgate::gateway {

[[nodiscard]] std::string_view dashboardHtml();

}  // namespace slotgate::gateway
