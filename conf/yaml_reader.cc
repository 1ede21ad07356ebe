#include "conf/yaml_reader.h"

#include <algorithm>
#include <limits>

#include "conf/duration.h"

namespace slotgate::conf::detail {

void Diagnostics::add(const YAML::Mark& mark, std::string path, std::string message) {
  entries_.push_back({mark.line, mark.column, ConfigError{std::move(path), std::move(message)}});
}

std::vector<ConfigError> Diagnostics::take() {
  // Null marks (-1) sort first: they are document-level problems.
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  std::vector<ConfigError> out;
  out.reserve(entries_.size());
  for (auto& e : entries_) {
    out.push_back(std::move(e.error));
  }
  entries_.clear();
  return out;
}

std::string keyPath(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}

std::string indexPath(const std::string& base, size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

YAML::Mark markOf(const YAML::Node& node) {
  // Node::Mark() throws on an invalid (zombie) node; absent nodes have no position.
  if (!node.IsDefined()) {
    return YAML::Mark::null_mark();
  }
  return node.Mark();
}

std::string shownValue(std::string_view text) {
  constexpr size_t kShown = 40;
  // Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.
  std::string shown = "\"";
  shown.append(text.substr(0, kShown));
  if (text.size() <= kShown) {
    shown += '"';
    return shown;
  }
  shown.append("...\" (").append(std::to_string(text.size())).append(" bytes)");
  return shown;
}

bool isAbsent(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

bool readScalar(const YAML::Node& node, const std::string& path, Diagnostics& diag,
                std::string& out) {
  if (!node.IsScalar()) {
    diag.add(markOf(node), path, "must be a string");
    return false;
  }
  out = node.Scalar();
  return true;
}

bool expectList(const YAML::Node& node, const std::string& path, Diagnostics& diag) {
  if (!node.IsSequence()) {
    diag.add(markOf(node), path, "must be a list");
    return false;
  }
  return true;
}

bool isEnvVarName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

MapReader::MapReader(const YAML::Node& node, std::string path, Diagnostics& diag,
                     std::initializer_list<std::string_view> known)
    : path_(std::move(path)), diag_(diag), mark_(markOf(node)) {
  if (!node.IsMap()) {
    diag_.add(mark_, path_.empty() ? "(root)" : path_, "must be a map");
    return;
  }
  is_map_ = true;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      diag_.add(markOf(kv.first), path_, "keys must be strings");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      diag_.add(markOf(kv.first), pathOf(key), "unknown key");
      continue;
    }
    bool duplicate = std::any_of(entries_.begin(), entries_.end(),
                                 [&](const auto& e) { return e.first == key; });
    if (duplicate) {
      diag_.add(markOf(kv.first), pathOf(key), "duplicate key");
      continue;
    }
    entries_.emplace_back(key, kv.second);
  }
}

YAML::Node MapReader::get(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.first == key) {
      return e.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

void MapReader::error(std::string_view key, std::string message) const {
  YAML::Node value = get(key);
  YAML::Mark mark = value.IsDefined() ? markOf(value) : mark_;
  diag_.add(mark, pathOf(key), std::move(message));
}

bool MapReader::readString(std::string_view key, std::string& out, bool required) {
  YAML::Node value = get(key);
  if (isAbsent(value)) {
    if (required) {
      error(key, "is required");
    }
    return false;
  }
  std::string text;
  if (!readScalar(value, pathOf(key), diag_, text)) {
    return false;
  }
  if (required && text.empty()) {
    error(key, "must not be empty");
    return false;
  }
  out = std::move(text);
  return true;
}

bool MapReader::readUint(std::string_view key, uint32_t& out, uint32_t min, bool required) {
  YAML::Node value = get(key);
  if (isAbsent(value)) {
    if (required) {
      error(key, "is required");
    }
    return false;
  }
  std::string text = value.IsScalar() ? value.Scalar() : std::string();
  bool negative = text.starts_with('-');
  std::string_view digits = text;
  if (negative || text.starts_with('+')) {
    digits.remove_prefix(1);
  }
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    error(key, "must be an integer");
    return false;
  }
  bool zero = std::all_of(digits.begin(), digits.end(), [](char c) { return c == '0'; });
  uint64_t parsed = 0;
  bool too_large = false;
  for (char c : digits) {
    parsed = parsed * 10 + static_cast<uint64_t>(c - '0');
    if (parsed > std::numeric_limits<uint32_t>::max()) {
      too_large = true;
      break;
    }
  }
  if ((negative && !zero) || (!too_large && parsed < min)) {
    error(key, min == 1 ? "must be > 0" : "must be >= " + std::to_string(min));
    return false;
  }
  if (too_large) {
    error(key, "must be <= " + std::to_string(std::numeric_limits<uint32_t>::max()));
    return false;
  }
  out = static_cast<uint32_t>(parsed);
  return true;
}

bool MapReader::readDuration(std::string_view key, Duration& out, bool positive) {
  YAML::Node value = get(key);
  if (isAbsent(value)) {
    return false;
  }
  static const std::string kHint =
      "a number with a unit: ms, s, m or h (e.g. \"250ms\", \"30s\", \"5m\")";
  if (!value.IsScalar()) {
    error(key, "must be a duration: " + kHint);
    return false;
  }
  bool too_long = false;
  auto parsed = parseDuration(value.Scalar(), &too_long);
  if (!parsed) {
    error(key, too_long ? "must be at most " + formatDuration(kMaxDuration)
                        : "invalid duration " + shownValue(value.Scalar()) + ": use " + kHint);
    return false;
  }
  if (positive && parsed->count() <= 0) {
    error(key, "must be > 0");
    return false;
  }
  out = *parsed;
  return true;
}

bool MapReader::readSize(std::string_view key, uint64_t& out, bool positive, uint64_t max) {
  YAML::Node value = get(key);
  if (isAbsent(value)) {
    return false;
  }
  static const std::string kHint =
      "bytes, or a number with B, KiB, MiB or GiB (e.g. 65536, \"64KiB\", \"10MiB\")";
  if (!value.IsScalar()) {
    error(key, "must be a size: " + kHint);
    return false;
  }
  bool too_large = false;
  auto parsed = parseSize(value.Scalar(), &too_large);
  if (!parsed && !too_large) {
    error(key, "invalid size " + shownValue(value.Scalar()) + ": use " + kHint);
    return false;
  }
  if (too_large || *parsed > max) {
    error(key, "must be at most " + formatSize(max));
    return false;
  }
  if (positive && *parsed == 0) {
    error(key, "must be > 0");
    return false;
  }
  out = *parsed;
  return true;
}

bool MapReader::readBool(std::string_view key, bool& out) {
  YAML::Node value = get(key);
  if (isAbsent(value)) {
    return false;
  }
  bool parsed = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, parsed)) {
    error(key, "must be true or false");
    return false;
  }
  out = parsed;
  return true;
}

}  // namespace slotgate::conf::detail
