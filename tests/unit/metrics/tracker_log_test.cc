// EventLog: bounded rings, newest first, JSON shape.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/event_log.h"

namespace slotgate::metrics {
namespace {

LogItem item(int n, bool error) {
  LogItem i;
  i.request_id = "r" + std::to_string(n);
  i.client = "c";
  i.model = "m";
  i.provider = "p";
  i.key_id = "k";
  i.error = error;
  i.status = error ? 502 : 200;
  i.error_type = error ? "upstream_error" : "";
  i.duration_ms = n;
  i.tokens = {1, 2, 3, 4, true};
  i.finished_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(n));
  return i;
}

TEST(EventLog, RingsAreBoundedAt200AndKeepTheNewest) {
  EventLog log;
  for (int n = 0; n < 1000; ++n) {
    log.add(item(n, n % 3 == 0));  // 334 errors
  }
  const auto traces = log.traces();
  ASSERT_EQ(traces.size(), 200u);
  EXPECT_EQ(traces.front().request_id, "r999");
  EXPECT_EQ(traces.back().request_id, "r800");
  const auto errors = log.errors();
  ASSERT_EQ(errors.size(), 200u);
  EXPECT_EQ(errors.front().request_id, "r999");
  EXPECT_EQ(errors.back().request_id, "r402");  // 999 - 3 * 199
}

TEST(EventLog, JsonItems) {
  EventLog log(2);
  log.add(item(1, false));
  log.add(item(2, true));
  log.add(item(3, false));
  const nlohmann::json j = nlohmann::json::parse(log.json());
  ASSERT_EQ(j["traces"].size(), 2u);
  ASSERT_EQ(j["errors"].size(), 1u);
  const auto& e = j["errors"][0];
  EXPECT_EQ(e["request_id"], "r2");
  EXPECT_EQ(e["client"], "c");
  EXPECT_EQ(e["model"], "m");
  EXPECT_EQ(e["provider"], "p");
  EXPECT_EQ(e["key_id"], "k");
  EXPECT_EQ(e["status"], 502);
  EXPECT_EQ(e["error_type"], "upstream_error");
  EXPECT_EQ(e["duration_ms"], 2.0);
  EXPECT_EQ(e["tokens"]["input"], 1);
  EXPECT_EQ(e["tokens"]["output"], 2);
  EXPECT_EQ(e["tokens"]["cache_read"], 3);
  EXPECT_EQ(e["tokens"]["cache_creation"], 4);
  EXPECT_EQ(e["finished_at"], "1970-01-01T00:00:00.002Z");
  EXPECT_EQ(j["traces"][0]["request_id"], "r3");
}

TEST(EventLog, InvalidUtf8InRequestIdDoesNotThrow) {
  EventLog log;
  LogItem i = item(1, true);
  i.request_id = std::string("bad\xff\xfe", 5);
  log.add(i);
  const nlohmann::json j = nlohmann::json::parse(log.json());
  EXPECT_EQ(j["errors"].size(), 1u);
}

// Once a ring is full, a new entry is written into the oldest one's storage (no allocation per
// entry): record() hands the fill the item it replaces.
TEST(EventLog, AFullRingWritesOverItsOldestItem) {
  EventLog log(3);
  for (int n = 0; n < 3; ++n) {
    log.add(item(n, false));
  }
  std::vector<std::string> replaced;
  for (int n = 3; n < 7; ++n) {
    log.record([&](LogItem& slot) {
      replaced.push_back(slot.request_id.str());
      slot = item(n, n == 5);
    });
  }
  EXPECT_EQ(replaced, (std::vector<std::string>{"r0", "r1", "r2", "r3"}));
  const auto traces = log.traces();
  ASSERT_EQ(traces.size(), 3u);
  EXPECT_EQ(traces[0].request_id, "r6");
  EXPECT_EQ(traces[1].request_id, "r5");
  EXPECT_EQ(traces[2].request_id, "r4");
  const auto errors = log.errors();  // an error written in place reaches the error ring too
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].request_id, "r5");
}

TEST(EventLog, ARingOfNoCapacityKeepsNothing) {
  EventLog log(0);
  log.add(item(1, true));
  EXPECT_TRUE(log.traces().empty());
  EXPECT_TRUE(log.errors().empty());
}

}  // namespace
}  // namespace slotgate::metrics
