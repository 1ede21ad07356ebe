#include "gateway/proxy/sse_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace slotgate::gateway {
namespace {

using Events = std::vector<std::pair<std::string, std::string>>;

Events parseInChunks(std::string_view stream, const std::vector<size_t>& cuts,
                     size_t max_event_bytes = SseParser::kDefaultMaxEventBytes,
                     size_t* dropped = nullptr) {
  SseParser parser(max_event_bytes);
  Events events;
  auto collect = [&](std::string_view event, std::string_view data) {
    events.emplace_back(std::string(event), std::string(data));
  };
  size_t pos = 0;
  for (size_t cut : cuts) {
    parser.feed(stream.substr(pos, cut - pos), collect);
    pos = cut;
  }
  parser.feed(stream.substr(pos), collect);
  if (dropped != nullptr) {
    *dropped = parser.droppedEvents();
  }
  return events;
}

Events parseWhole(std::string_view stream) { return parseInChunks(stream, {}); }

Events parseByteByByte(std::string_view stream) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) {
    cuts.push_back(i);
  }
  return parseInChunks(stream, cuts);
}

Events parseRandomSplits(std::string_view stream, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<size_t> cuts;
  size_t pos = 0;
  while (true) {
    pos += 1 + rng() % 17;
    if (pos >= stream.size()) {
      break;
    }
    cuts.push_back(pos);
  }
  return parseInChunks(stream, cuts);
}

const Events kExpected = {
    {"message_start", "{\"a\":1}"},
    {"", "line1\nline2"},
    {"ping", ""},
    {"", "[DONE]"},
};

std::string withLineEnd(std::string_view eol) {
  std::string s;
  for (std::string_view line :
       {"event: message_start", "data: {\"a\":1}", "", ": keep-alive comment", "", "data:line1",
        "data: line2", "id: 7", "retry: 100", "", "event: ping", "data", "", "event: orphan", "",
        "data: [DONE]", ""}) {
    s.append(line);
    s.append(eol);
  }
  return s;
}

TEST(SseParserTest, ParsesFieldsCommentsAndTerminators) {
  for (std::string_view eol : {"\n", "\r\n", "\r"}) {
    const std::string stream = withLineEnd(eol);
    EXPECT_EQ(parseWhole(stream), kExpected) << "eol size " << eol.size();
  }
}

TEST(SseParserTest, SplitsAnywhereGiveTheSameEvents) {
  for (std::string_view eol : {"\n", "\r\n", "\r"}) {
    const std::string stream = withLineEnd(eol);
    EXPECT_EQ(parseByteByByte(stream), kExpected);
    for (uint32_t seed = 0; seed < 50; ++seed) {
      EXPECT_EQ(parseRandomSplits(stream, seed), kExpected) << seed;
    }
  }
}

TEST(SseParserTest, CrlfSplitBetweenCrAndLf) {
  // "\r" ends a chunk and "\n" starts the next: one line end, not two (no spurious dispatch).
  const std::string stream = "data: a\r\ndata: b\r\n\r\n";
  const size_t cr = stream.find('\r');
  EXPECT_EQ(parseInChunks(stream, {cr + 1}), (Events{{"", "a\nb"}}));
  const size_t second = stream.find("\r\n\r\n");
  EXPECT_EQ(parseInChunks(stream, {second + 1, second + 3}), (Events{{"", "a\nb"}}));
}

TEST(SseParserTest, IncompleteEventIsNotDispatched) {
  SseParser parser;
  int calls = 0;
  auto count = [&](std::string_view, std::string_view) { ++calls; };
  parser.feed("data: partial\n", count);
  EXPECT_EQ(calls, 0);
  parser.feed("\n", count);
  EXPECT_EQ(calls, 1);
}

TEST(SseParserTest, OversizedEventDroppedAndParserContinues) {
  const std::string big(5000, 'x');
  const std::string stream = "data: small1\n\ndata: " + big + "\ndata: more\n\ndata: small2\n\n";
  size_t dropped = 0;
  EXPECT_EQ(parseInChunks(stream, {}, 1024, &dropped), (Events{{"", "small1"}, {"", "small2"}}));
  EXPECT_EQ(dropped, 1u);
  // Same when the big line arrives in many small reads.
  std::vector<size_t> cuts;
  for (size_t i = 7; i < stream.size(); i += 100) {
    cuts.push_back(i);
  }
  EXPECT_EQ(parseInChunks(stream, cuts, 1024, &dropped), (Events{{"", "small1"}, {"", "small2"}}));
  EXPECT_EQ(dropped, 1u);
}

TEST(SseParserTest, LongLineOfAnyFieldDropsItsEventHoweverTheStreamIsCut) {
  // A comment or unknown field line over the bound drops its event in one read as in many
  // (found by the sse_usage fuzz target: whole, the line was ignored; cut, it dropped the event).
  for (const std::string& line :
       {": " + std::string(600, 'c'), "x-field: " + std::string(600, 'f')}) {
    const std::string stream = "data: a\n" + line + "\n\ndata: b\n\n";
    size_t dropped = 0;
    EXPECT_EQ(parseInChunks(stream, {}, 512, &dropped), (Events{{"", "b"}}));
    EXPECT_EQ(dropped, 1u);
    EXPECT_EQ(parseInChunks(stream, {20, 300}, 512, &dropped), (Events{{"", "b"}}));
    EXPECT_EQ(dropped, 1u);
  }
}

TEST(SseParserTest, ManySmallLinesOverTheLimitAreDropped) {
  std::string stream = "data: a\n\n";
  for (int i = 0; i < 200; ++i) {
    stream += "data: 0123456789\n";
  }
  stream += "\ndata: b\n\n";
  size_t dropped = 0;
  EXPECT_EQ(parseInChunks(stream, {}, 1000, &dropped), (Events{{"", "a"}, {"", "b"}}));
  EXPECT_EQ(dropped, 1u);
}

TEST(SseParserTest, MemoryStaysBoundedWithoutLineEnds) {
  SseParser parser(4096);
  int calls = 0;
  auto count = [&](std::string_view, std::string_view) { ++calls; };
  const std::string chunk(1000, 'y');
  parser.feed("data: ", count);
  for (int i = 0; i < 10000; ++i) {  // 10 MB with no line end
    parser.feed(chunk, count);
    ASSERT_LE(parser.bufferedBytes(), 4096u);
  }
  parser.feed("\n\ndata: after\n\n", [&](std::string_view, std::string_view data) {
    EXPECT_EQ(data, "after");
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(parser.droppedEvents(), 1u);
}

TEST(SseParserTest, EmptyLineWhileDiscardingOnlyAfterLineEnd) {
  // The oversized line's own bytes must not look like a blank line when a read ends there.
  const std::string stream = "data: " + std::string(300, 'z') + "\ndata: tail\n\ndata: ok\n\n";
  size_t dropped = 0;
  EXPECT_EQ(parseInChunks(stream, {100, 200, 307}, 128, &dropped), (Events{{"", "ok"}}));
  EXPECT_EQ(dropped, 1u);
}

}  // namespace
}  // namespace slotgate::gateway
