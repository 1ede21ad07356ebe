#include "gateway/proxy/usage_chunk_filter.h"

#include <simdjson.h>

namespace slotgate::gateway {
namespace {

namespace od = simdjson::ondemand;

size_t skipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
    ++i;
  }
  return i;
}

// Where `"choices"` is followed by `: [`, the index just after the '['; npos otherwise.
size_t choicesArrayBody(std::string_view s) {
  constexpr std::string_view kKey = "\"choices\"";
  for (size_t at = s.find(kKey); at != std::string_view::npos; at = s.find(kKey, at + 1)) {
    size_t i = skipSpace(s, at + kKey.size());
    if (i < s.size() && s[i] == ':') {
      i = skipSpace(s, i + 1);
      if (i < s.size() && s[i] == '[') {
        return i + 1;
      }
    }
  }
  return std::string_view::npos;
}

// The bytes so far of an incomplete event show a `choices` array with an element: it stays.
bool cannotBeUsageOnly(std::string_view partial) {
  const size_t body = choicesArrayBody(partial);
  if (body == std::string_view::npos) {
    return false;
  }
  const size_t i = skipSpace(partial, body);
  return i < partial.size() && partial[i] != ']';
}

// The event's data lines joined with '\n' (the SSE rule), into `out`.
void eventData(std::string_view event, std::string& out) {
  out.clear();
  bool first = true;
  size_t pos = 0;
  while (pos < event.size()) {
    size_t eol = event.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) {
      eol = event.size();
    }
    std::string_view line = event.substr(pos, eol - pos);
    pos = eol + 1;
    if (eol < event.size() && event[eol] == '\r' && pos < event.size() && event[pos] == '\n') {
      ++pos;
    }
    if (line.substr(0, 5) != "data:") {
      continue;
    }
    line.remove_prefix(5);
    if (!line.empty() && line[0] == ' ') {
      line.remove_prefix(1);
    }
    if (!first) {
      out += '\n';
    }
    out.append(line);
    first = false;
  }
}

}  // namespace

bool UsageChunkFilter::isUsageOnlyChunk(std::string_view event) {
  // Content chunks fail here without a parse: their `choices` has an element.
  const size_t body = choicesArrayBody(event);
  if (body == std::string_view::npos) {
    return false;
  }
  const size_t close = skipSpace(event, body);
  if (close >= event.size() || event[close] != ']') {
    return false;
  }
  thread_local std::string data;
  eventData(event, data);
  data.reserve(data.size() + simdjson::SIMDJSON_PADDING);
  thread_local od::parser parser;
  od::document doc;
  od::object root;
  if (parser.iterate(simdjson::padded_string_view(data.data(), data.size(), data.capacity()))
              .get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(root) != simdjson::SUCCESS) {
    return false;
  }
  bool empty_choices = false;
  bool usage_object = false;
  for (auto member : root) {
    std::string_view key;
    od::value value;
    if (member.unescaped_key().get(key) != simdjson::SUCCESS ||
        member.value().get(value) != simdjson::SUCCESS) {
      return false;
    }
    if (key == "choices") {
      od::array choices;
      size_t n = 1;
      empty_choices = value.get_array().get(choices) == simdjson::SUCCESS &&
                      choices.count_elements().get(n) == simdjson::SUCCESS && n == 0;
    } else if (key == "usage") {
      od::json_type type;
      usage_object = value.type().get(type) == simdjson::SUCCESS && type == od::json_type::object;
    }
  }
  // Once the root object is consumed, current_location() is OUT_OF_BOUNDS exactly when nothing
  // follows it (simdjson 3.0 has no document::at_end()).
  return empty_choices && usage_object && doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

std::string_view UsageChunkFilter::filter(std::string_view in) {
  const bool was_holding = !held_.empty();
  std::string_view buf = in;
  size_t pos = 0;
  if (was_holding) {
    pos = held_.size();
    held_.append(in);
    buf = held_;
  }
  // Output is buf[0, copied) as is while !copying; once something is removed (or the input
  // began with held bytes) it is out_, and `copied` is how far buf was consumed.
  bool copying = was_holding;
  size_t copied = 0;
  out_.clear();
  auto emitTo = [&](size_t to) {
    if (copying) {
      out_.append(buf.substr(copied, to - copied));
    }
    copied = to;
  };
  auto skipTo = [&](size_t to) {
    if (!copying) {
      out_.assign(buf.substr(0, copied));
      copying = true;
    }
    copied = to;
  };

  size_t event_start = 0;
  if (prev_cr_) {
    prev_cr_ = false;
    if (pos < buf.size() && buf[pos] == '\n') {
      ++pos;  // the second half of a CRLF split across reads
      if (!was_holding && !passing_) {
        // The CR ended an event: its LF goes (or stays) with it.
        if (cr_ended_removed_) {
          skipTo(pos);
        }
        event_start = pos;
      }
    }
  }
  cr_ended_removed_ = false;

  while (pos < buf.size()) {
    const size_t eol = buf.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) {
      line_has_bytes_ = true;
      pos = buf.size();
      break;
    }
    const bool blank = eol == pos && !line_has_bytes_;
    line_has_bytes_ = false;
    size_t next = eol + 1;
    bool cr_at_end = false;
    if (buf[eol] == '\r') {
      if (next < buf.size()) {
        next += buf[next] == '\n' ? 1 : 0;
      } else {
        cr_at_end = true;
      }
    }
    pos = next;
    prev_cr_ = cr_at_end;
    if (!blank) {
      continue;
    }
    // A blank line: the event [event_start, eol) is complete.
    if (!passing_ && eol > event_start &&
        isUsageOnlyChunk(buf.substr(event_start, eol - event_start))) {
      emitTo(event_start);
      skipTo(pos);
      ++removed_;
      cr_ended_removed_ = cr_at_end;
    } else {
      emitTo(pos);
    }
    passing_ = false;
    event_start = pos;
  }

  // What is left is the start of an incomplete event.
  const std::string_view partial = buf.substr(event_start);
  if (!partial.empty() && !passing_ &&
      (partial.size() > kMaxHeldBytes || cannotBeUsageOnly(partial))) {
    passing_ = true;
  }
  if (partial.empty() || passing_) {
    emitTo(buf.size());
    held_.clear();
  } else {
    emitTo(event_start);
    if (was_holding) {
      held_.erase(0, event_start);
    } else {
      held_.assign(partial);
    }
  }
  if (held_.capacity() > kMaxHeldBytes * 2 && held_.empty()) {
    std::string().swap(held_);
  }
  return copying ? std::string_view(out_) : buf.substr(0, copied);
}

std::string_view UsageChunkFilter::finish() {
  out_.swap(held_);
  held_.clear();
  return out_;
}

}  // namespace slotgate::gateway
