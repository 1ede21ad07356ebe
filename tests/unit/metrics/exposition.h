// A strict little parser of Prometheus text format 0.0.4 for tests: fails on any
// line that does not match the grammar or a sample that does not follow its
// family's HELP/TYPE lines.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace slotgate::metrics::testing {

struct Sample {
  std::string name;  // full sample name, e.g. foo_bucket
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct ParsedFamily {
  std::string help;
  std::string type;
  std::vector<Sample> samples;
};

struct Exposition {
  std::map<std::string, ParsedFamily> families;
  std::vector<std::string> order;  // family names as they appeared
  std::string error;               // empty when the text parsed
};

Exposition parseExposition(const std::string& text);

// Value of the sample `name` with exactly `labels`; NaN when absent.
double sampleValue(const Exposition& e, const std::string& family, const std::string& name,
                   const std::map<std::string, std::string>& labels);

}  // namespace slotgate::metrics::testing
