#include "exposition.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace slotgate::metrics::testing {

namespace {

bool isNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool isNameChar(char c) { return isNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

bool parseName(const std::string& s, size_t& i, std::string& out) {
  if (i >= s.size() || !isNameStart(s[i])) {
    return false;
  }
  size_t start = i;
  while (i < s.size() && isNameChar(s[i])) {
    ++i;
  }
  out = s.substr(start, i - start);
  return true;
}

bool parseValue(const std::string& s, double& out) {
  if (s == "+Inf") {
    out = INFINITY;
    return true;
  }
  if (s == "-Inf") {
    out = -INFINITY;
    return true;
  }
  if (s == "NaN") {
    out = NAN;
    return true;
  }
  if (s.empty()) {
    return false;
  }
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// name{a="x",b="y"} value
bool parseSample(const std::string& line, Sample& sample) {
  size_t i = 0;
  if (!parseName(line, i, sample.name)) {
    return false;
  }
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      std::string label;
      if (!parseName(line, i, label) || i + 1 >= line.size() || line[i] != '=' ||
          line[i + 1] != '"') {
        return false;
      }
      i += 2;
      std::string value;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\') {
          if (i + 1 >= line.size()) {
            return false;
          }
          char e = line[i + 1];
          if (e == 'n') {
            value.push_back('\n');
          } else if (e == '\\' || e == '"') {
            value.push_back(e);
          } else {
            return false;
          }
          i += 2;
        } else {
          value.push_back(line[i++]);
        }
      }
      if (i >= line.size()) {
        return false;
      }
      ++i;  // closing quote
      if (!sample.labels.emplace(label, value).second) {
        return false;  // duplicate label
      }
      if (i < line.size() && line[i] == ',') {
        ++i;
      }
    }
    if (i >= line.size()) {
      return false;
    }
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') {
    return false;
  }
  return parseValue(line.substr(i + 1), sample.value);
}

std::string familyOf(const std::string& sample, const std::string& current,
                     const std::string& type) {
  if (type == "histogram" || type == "summary") {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (sample == current + suffix) {
        return current;
      }
    }
  }
  return sample;
}

}  // namespace

Exposition parseExposition(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  std::string current;  // family whose TYPE came last
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "line " + std::to_string(n) + ": " + line;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      size_t i = 7;
      std::string name;
      if (!parseName(line, i, name) || i >= line.size() || line[i] != ' ') {
        e.error = "bad comment " + where;
        return e;
      }
      auto& family = e.families[name];
      if (line[2] == 'H') {
        if (family.samples.size() || !family.type.empty() || !family.help.empty()) {
          e.error = "HELP after TYPE or repeated " + where;
          return e;
        }
        family.help = line.substr(i + 1);
        e.order.push_back(name);
      } else {
        static const char* kTypes[] = {"counter", "gauge", "histogram", "summary", "untyped"};
        family.type = line.substr(i + 1);
        bool known = false;
        for (const char* t : kTypes) {
          known = known || family.type == t;
        }
        if (!known) {
          e.error = "unknown type " + where;
          return e;
        }
        current = name;
      }
      continue;
    }
    if (line.empty() || line[0] == '#') {
      e.error = "unexpected " + where;
      return e;
    }
    Sample sample;
    if (!parseSample(line, sample)) {
      e.error = "bad sample " + where;
      return e;
    }
    if (current.empty() || familyOf(sample.name, current, e.families[current].type) != current) {
      e.error = "sample outside its family " + where;
      return e;
    }
    e.families[current].samples.push_back(std::move(sample));
  }
  return e;
}

double sampleValue(const Exposition& e, const std::string& family, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  auto it = e.families.find(family);
  if (it == e.families.end()) {
    return NAN;
  }
  for (const auto& s : it->second.samples) {
    if (s.name == name && s.labels == labels) {
      return s.value;
    }
  }
  return NAN;
}

}  // namespace slotgate::metrics::testing
