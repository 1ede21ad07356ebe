// Internal to the loader: walks yaml-cpp nodes and collects every problem
// with its YAML path, so one pass reports all errors (SPEC: `--check`
// reports all violations at once). Not thread-safe; one per load.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/config.h"
#include "conf/loader.h"

namespace slotgate::conf::detail {

// Errors with their source position; take() orders them as they appear in
// the document (errors found by cross-checks sort by the node they point at).
class Diagnostics {
 public:
  void add(const YAML::Mark& mark, std::string path, std::string message);
  bool empty() const { return entries_.empty(); }
  [[nodiscard]] std::vector<ConfigError> take();

 private:
  struct Entry {
    int line;
    int column;
    ConfigError error;
  };
  std::vector<Entry> entries_;
};

std::string keyPath(const std::string& base, std::string_view key);
std::string indexPath(const std::string& base, size_t index);

// Position of a node for error ordering; the null mark for absent nodes.
YAML::Mark markOf(const YAML::Node& node);

// The largest size any setting accepts unless it names a smaller one.
inline constexpr uint64_t kMaxSize = 1ull << 30;

// A value quoted for an error message, cut to a readable length: a value of
// 5,000 digits is reported, not echoed.
std::string shownValue(std::string_view text);

// True for a missing key or an explicit `~`/empty value: both mean "not set".
bool isAbsent(const YAML::Node& node);

// A scalar as a string; reports "must be a string" otherwise.
bool readScalar(const YAML::Node& node, const std::string& path, Diagnostics& diag,
                std::string& out);

// Reports "must be a list" unless node is a sequence.
bool expectList(const YAML::Node& node, const std::string& path, Diagnostics& diag);

// Environment variable names are echoed in messages only when they look like
// names: a secret pasted into a *_env field by mistake must not be printed.
bool isEnvVarName(std::string_view name);

// One YAML map with a fixed set of known keys. The constructor reports a
// non-map node and every unknown or duplicate key. The read* functions report
// wrong types and ranges at the key's path and leave `out` untouched on any
// problem (so the default stays); they return true when a valid value was read.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Diagnostics& diag,
            std::initializer_list<std::string_view> known);

  bool isMap() const { return is_map_; }
  const std::string& path() const { return path_; }
  std::string pathOf(std::string_view key) const { return keyPath(path_, key); }
  YAML::Mark mark() const { return mark_; }
  Diagnostics& diag() const { return diag_; }

  // The value of key, or an undefined node when missing.
  YAML::Node get(std::string_view key) const;
  // Present and not null.
  bool has(std::string_view key) const { return !isAbsent(get(key)); }
  // Reports "<path.key>: <message>" at the key's value (or the map when absent).
  void error(std::string_view key, std::string message) const;

  bool readString(std::string_view key, std::string& out, bool required);
  bool readUint(std::string_view key, uint32_t& out, uint32_t min, bool required = false);
  bool readDuration(std::string_view key, Duration& out, bool positive);
  // Sizes above `max` are refused with "must be at most <max>".
  bool readSize(std::string_view key, uint64_t& out, bool positive, uint64_t max = kMaxSize);
  bool readBool(std::string_view key, bool& out);

 private:
  std::string path_;
  Diagnostics& diag_;
  YAML::Mark mark_;
  bool is_map_ = false;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
};

}  // namespace slotgate::conf::detail
