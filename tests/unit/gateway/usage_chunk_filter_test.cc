// The usage-only chunk slotgate asked for is removed; everything else passes unchanged, split
// at any byte (issue 14).
#include "gateway/proxy/usage_chunk_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace slotgate::gateway {
namespace {

const std::string kContent1 =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\"tok0 \"}}],\"usage\":null}\n\n";
const std::string kContent2 =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
    "\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n";
const std::string kUsage =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"
    "{\"prompt_tokens\":10,\"completion_tokens\":3,\"total_tokens\":13}}\n\n";
const std::string kDone = "data: [DONE]\n\n";

// Everything the filter lets through when `stream` arrives in pieces cut at `cuts`.
std::string run(const std::string& stream, const std::vector<size_t>& cuts, size_t* removed) {
  UsageChunkFilter filter;
  std::string out;
  size_t at = 0;
  for (size_t cut : cuts) {
    out.append(filter.filter(std::string_view(stream).substr(at, cut - at)));
    at = cut;
  }
  out.append(filter.filter(std::string_view(stream).substr(at)));
  out.append(filter.finish());
  if (removed != nullptr) {
    *removed = filter.removedChunks();
  }
  return out;
}

TEST(UsageChunkFilter, RemovesOnlyTheUsageChunkAtEverySplit) {
  const std::string stream = kContent1 + kContent2 + kUsage + kDone;
  const std::string expected = kContent1 + kContent2 + kDone;
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    size_t removed = 0;
    EXPECT_EQ(run(stream, {cut}, &removed), expected) << "cut at " << cut;
    EXPECT_EQ(removed, 1u) << "cut at " << cut;
  }
  // Two cuts: every pair around the usage chunk.
  const size_t start = kContent1.size() + kContent2.size() - 3;
  for (size_t a = start; a <= start + kUsage.size() + 4; ++a) {
    for (size_t b = a; b <= start + kUsage.size() + 6; ++b) {
      EXPECT_EQ(run(stream, {a, b}, nullptr), expected) << a << "," << b;
    }
  }
  // Byte by byte.
  std::vector<size_t> every;
  for (size_t i = 1; i < stream.size(); ++i) {
    every.push_back(i);
  }
  EXPECT_EQ(run(stream, every, nullptr), expected);
}

TEST(UsageChunkFilter, HandlesCrlfAndCrLineEndsAtEverySplit) {
  for (const std::string eol : {"\r\n", "\r"}) {
    auto convert = [&](std::string s) {
      std::string out;
      for (char c : s) {
        if (c == '\n') {
          out += eol;
        } else {
          out += c;
        }
      }
      return out;
    };
    const std::string stream = convert(kContent1 + kUsage + kDone);
    const std::string expected = convert(kContent1 + kDone);
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
      EXPECT_EQ(run(stream, {cut}, nullptr), expected)
          << "cut at " << cut << " eol size " << eol.size();
    }
  }
}

TEST(UsageChunkFilter, CompleteEventsGoOutInTheCallThatCompletesThem) {
  UsageChunkFilter filter;
  // A whole content chunk is passed through as the same bytes, nothing held.
  EXPECT_EQ(filter.filter(kContent1), kContent1);
  // A partial content chunk whose choices show an element is not held either.
  const std::string head = kContent2.substr(0, kContent2.find("\"index\"") + 3);
  EXPECT_EQ(filter.filter(head), head);
  EXPECT_EQ(filter.filter(kContent2.substr(head.size())), kContent2.substr(head.size()));
  // A partial usage chunk is held until its end, then dropped; [DONE] passes.
  EXPECT_EQ(filter.filter(kUsage.substr(0, 40)), "");
  EXPECT_EQ(filter.filter(kUsage.substr(40) + kDone), kDone);
  EXPECT_EQ(filter.finish(), "");
}

TEST(UsageChunkFilter, KeepsEverythingThatIsNotAUsageOnlyChunk) {
  const std::string others =
      // choices not empty, with usage
      "data: {\"choices\":[{\"index\":0}],\"usage\":{\"prompt_tokens\":1}}\n\n"
      // choices empty, usage null
      "data: {\"choices\":[],\"usage\":null}\n\n"
      // empty choices only inside a nested object
      "data: {\"x\":{\"choices\":[]},\"usage\":{\"prompt_tokens\":1}}\n\n"
      // not JSON
      "data: {\"choices\":[],\"usage\":{} oops\n\n"
      // comments and blank lines
      ": keep-alive\n\n\n"
      // text that mentions the pattern inside a string
      "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"choices\\\":[]\"}}]}\n\n";
  size_t removed = 9;
  EXPECT_EQ(run(others, {}, &removed), others);
  EXPECT_EQ(removed, 0u);
  // An unterminated last event is given back at the end, unchanged.
  EXPECT_EQ(run(kContent1 + "data: {\"choices\":[]", {}, nullptr),
            kContent1 + "data: {\"choices\":[]");
}

TEST(UsageChunkFilter, AnOversizedPartialEventIsPassedOn) {
  UsageChunkFilter filter;
  const std::string big =
      "data: {\"choices\":[" + std::string(UsageChunkFilter::kMaxHeldBytes, ' ');
  EXPECT_EQ(filter.filter(big), big);
  EXPECT_EQ(filter.filter("],\"usage\":{\"prompt_tokens\":1}}\n\n"),
            "],\"usage\":{\"prompt_tokens\":1}}\n\n");
  EXPECT_EQ(filter.removedChunks(), 0u);
}

TEST(UsageChunkFilter, RecognisesTheUsageOnlyChunk) {
  EXPECT_TRUE(UsageChunkFilter::isUsageOnlyChunk(
      "data: {\"choices\" : [ ] , \"usage\" : {\"prompt_tokens\":1}}"));
  EXPECT_TRUE(UsageChunkFilter::isUsageOnlyChunk(
      "data: {\"choices\":[],\ndata: \"usage\":{\"prompt_tokens\":1}}"));  // two data lines
  EXPECT_FALSE(UsageChunkFilter::isUsageOnlyChunk("data: {\"choices\":[]}"));
  EXPECT_FALSE(UsageChunkFilter::isUsageOnlyChunk("data: [DONE]"));
  EXPECT_FALSE(UsageChunkFilter::isUsageOnlyChunk("event: x"));
}

}  // namespace
}  // namespace slotgate::gateway
