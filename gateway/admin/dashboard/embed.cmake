# cmake -DINPUT=dashboard.html -DOUTPUT=dashboard_html.cc -P embed.cmake
# Turns the page into a C++ raw string literal. The delimiter below must not
# occur in the page; the check keeps a future edit from breaking the build
# in a confusing way.
file(READ "${INPUT}" content)
string(FIND "${content}" ")sg_dashboard\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )sg_dashboard\"")
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from gateway/admin/dashboard/dashboard.html by embed.cmake. Do not edit.
#include \"gateway/admin/dashboard/dashboard.h\"

namespace slotgate::gateway {

std::string_view dashboardHtml() {
  static constexpr char kHtml[] = R\"sg_dashboard(${content})sg_dashboard\";
  return {kHtml, sizeof kHtml - 1};
}

}  // namespace slotgate::gateway
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
