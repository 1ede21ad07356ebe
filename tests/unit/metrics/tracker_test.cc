// LiveRequestTracker: the active set, change sequence and end() bookkeeping.
#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "metrics/live_request_tracker.h"

namespace slotgate::metrics {
namespace {

ActiveEntryPtr entry(const std::string& id, bool streaming = true) {
  auto e = std::make_shared<ActiveEntry>();
  e->request_id = id;
  e->client = "team-a";
  e->model = "mini";
  e->resolved_model = "gpt-4o-mini";
  e->streaming = streaming;
  return e;
}

// "<provider>-key", kept for the test's life: a FinishedRequest holds views of its names.
std::string_view keyOf(const std::string& provider) {
  static std::mutex mu;
  static std::set<std::string> keys;
  std::lock_guard lock(mu);
  return *keys.insert(provider + "-key").first;
}

// Its names are views of the arguments: use it within the call it is passed to.
FinishedRequest outcome(const std::string& provider, const std::string& model, bool error,
                        double ms, TokenUsage usage = {}) {
  FinishedRequest f;
  f.provider = provider;
  f.provider_model = model;
  f.key_id = provider.empty() ? std::string_view() : keyOf(provider);
  f.streaming = true;
  f.error = error;
  f.status = error ? 502 : 200;
  f.error_type = error ? "upstream_error" : "";
  f.duration_ms = ms;
  f.usage = usage;
  return f;
}

TEST(Tracker, BeginRouteEndMovesThroughActiveSet) {
  LiveRequestTracker t;
  auto a = t.begin(entry("req-a"));
  auto b = t.begin(entry("req-b", false));
  EXPECT_EQ(t.activeCount(), 2u);
  t.route(a, "openai", "gpt-4o-mini", "openai-primary");
  a->bytes = 123;
  a->setUsage({10, 4, 2, 1, true});

  nlohmann::json j = nlohmann::json::parse(t.activeJson());
  ASSERT_EQ(j.size(), 2u);
  const auto& ja = j[0]["request_id"] == "req-a" ? j[0] : j[1];
  EXPECT_EQ(ja["client"], "team-a");
  EXPECT_EQ(ja["model"], "mini");
  EXPECT_EQ(ja["resolved_model"], "gpt-4o-mini");
  EXPECT_EQ(ja["provider"], "openai");
  EXPECT_EQ(ja["provider_model"], "gpt-4o-mini");
  EXPECT_EQ(ja["key_id"], "openai-primary");
  EXPECT_EQ(ja["streaming"], true);
  EXPECT_EQ(ja["bytes"], 123);
  EXPECT_EQ(ja["input_tokens"], 10);
  EXPECT_EQ(ja["output_tokens"], 4);
  EXPECT_GE(ja["duration_ms"].get<double>(), 0.0);
  const std::string started = ja["started_at"];
  ASSERT_EQ(started.size(), 24u);  // 2024-05-01T12:34:56.789Z
  EXPECT_EQ(started.back(), 'Z');
  EXPECT_EQ(started[10], 'T');

  t.end(a, outcome("openai", "gpt-4o-mini", false, 40));
  EXPECT_EQ(t.activeCount(), 1u);
  j = nlohmann::json::parse(t.activeJson());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["request_id"], "req-b");
  EXPECT_EQ(j[0]["provider"], "");
  t.end(b, outcome("", "", true, 5));
  EXPECT_EQ(t.activeCount(), 0u);
  EXPECT_EQ(t.activeJson(), "[]");
}

TEST(Tracker, ActiveIsOrderedByStart) {
  LiveRequestTracker t;
  std::vector<ActiveEntryPtr> entries;
  for (int i = 0; i < 20; ++i) {
    auto e = entry("r" + std::to_string(i));
    e->started_at = std::chrono::system_clock::time_point(std::chrono::seconds(1000 - i));
    entries.push_back(t.begin(e));
  }
  auto views = t.active();
  ASSERT_EQ(views.size(), 20u);
  for (size_t i = 0; i < views.size(); ++i) {
    EXPECT_EQ(views[i].request_id, "r" + std::to_string(19 - i));
  }
}

TEST(Tracker, DuplicateRequestIdsAreDistinctEntries) {
  LiveRequestTracker t;
  auto a = t.begin(entry("same"));
  auto b = t.begin(entry("same"));
  EXPECT_EQ(t.activeCount(), 2u);
  t.end(a, outcome("p", "m", false, 1));
  EXPECT_EQ(t.activeCount(), 1u);
  t.end(b, outcome("p", "m", false, 1));
  EXPECT_EQ(t.activeCount(), 0u);
}

TEST(Tracker, SecondEndIsIgnored) {
  LiveRequestTracker t;
  auto a = t.begin(entry("a"));
  t.end(a, outcome("p", "m", false, 10, {1, 2, 0, 0, true}));
  t.end(a, outcome("p", "m", false, 10, {1, 2, 0, 0, true}));
  const TotalsView v = t.totals({});
  EXPECT_EQ(v.top.requests, 1u);
  EXPECT_EQ(v.top.input_tokens, 1u);
  EXPECT_EQ(t.log().traces().size(), 1u);
}

TEST(Tracker, ChangeSeqMovesOnEveryStepAndOnceForManyProgressCalls) {
  LiveRequestTracker t;
  uint64_t s0 = t.changeSeq();
  auto a = t.begin(entry("a"));
  uint64_t s1 = t.changeSeq();
  EXPECT_GT(s1, s0);
  EXPECT_EQ(t.changeSeq(), s1);  // nothing happened
  t.route(a, "p", "m", "k");
  uint64_t s2 = t.changeSeq();
  EXPECT_GT(s2, s1);
  for (int i = 0; i < 100; ++i) {
    t.progress(a);
  }
  uint64_t s3 = t.changeSeq();
  EXPECT_EQ(s3, s2 + 1);         // coalesced into one change
  EXPECT_EQ(t.changeSeq(), s3);  // flag consumed
  t.end(a, outcome("p", "m", false, 1));
  EXPECT_GT(t.changeSeq(), s3);
}

TEST(Tracker, EndFeedsLogsAndHistory) {
  LiveRequestTracker t;
  auto a = t.begin(entry("ok-1"));
  t.end(a, outcome("p", "m", false, 20, {3, 4, 0, 0, true}));
  auto b = t.begin(entry("err-1"));
  t.end(b, outcome("p", "m", true, 30));
  const auto traces = t.log().traces();
  ASSERT_EQ(traces.size(), 2u);
  EXPECT_EQ(traces[0].request_id, "err-1");  // newest first
  EXPECT_EQ(traces[1].request_id, "ok-1");
  EXPECT_EQ(traces[1].client, "team-a");
  EXPECT_EQ(traces[1].model, "mini");
  EXPECT_EQ(traces[1].key_id, "p-key");
  EXPECT_EQ(traces[1].tokens.output_tokens, 4u);
  const auto errors = t.log().errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].status, 502);
  EXPECT_EQ(errors[0].error_type, "upstream_error");

  const auto start = std::chrono::steady_clock::now();
  const HistoryPoint p = t.history().sample(std::chrono::system_clock::now(),
                                            start + std::chrono::seconds(3600), {}, {});
  EXPECT_EQ(p.p50_ms, 20);
  EXPECT_EQ(p.p99_ms, 30);
}

// The active set is a list through the entries: ending entries anywhere in it (first, middle,
// last of a shard's list) leaves exactly the others, in any order of ends.
TEST(Tracker, EndingEntriesAnywhereLeavesExactlyTheRest) {
  LiveRequestTracker t;
  std::vector<ActiveEntryPtr> entries;
  for (int i = 0; i < 64; ++i) {  // several per shard
    entries.push_back(t.begin(entry("r" + std::to_string(i))));
  }
  std::set<std::string> left;
  for (int i = 0; i < 64; ++i) {
    left.insert("r" + std::to_string(i));
  }
  for (int i : {0, 63, 31, 1, 62, 17, 40, 2, 5, 33}) {
    t.end(entries[i], outcome("p", "m", false, 1));
    left.erase("r" + std::to_string(i));
    std::set<std::string> shown;
    for (const ActiveView& v : t.active()) {
      EXPECT_TRUE(shown.insert(v.request_id.str()).second) << v.request_id;
    }
    EXPECT_EQ(shown, left);
    EXPECT_EQ(t.activeCount(), left.size());
  }
}

// The set holds an entry while it is in flight, whoever else lets go of it, and lets go at end().
TEST(Tracker, TheSetKeepsAnEntryAliveUntilItEnds) {
  LiveRequestTracker t;
  std::weak_ptr<ActiveEntry> watched;
  {
    auto e = t.begin(entry("held"));
    watched = e;
  }
  ASSERT_FALSE(watched.expired());
  ASSERT_EQ(t.activeCount(), 1u);
  EXPECT_EQ(t.active()[0].request_id, "held");
  t.end(watched.lock(), outcome("p", "m", false, 1));
  EXPECT_EQ(t.activeCount(), 0u);
  EXPECT_TRUE(watched.expired());
}

TEST(Tracker, BeginningAnEntryTwiceShowsItOnce) {
  LiveRequestTracker t;
  auto a = t.begin(entry("a"));
  t.begin(a);
  EXPECT_EQ(t.activeCount(), 1u);
  EXPECT_EQ(t.active().size(), 1u);
  t.end(a, outcome("p", "m", false, 1));
  EXPECT_EQ(t.activeCount(), 0u);
  EXPECT_EQ(t.log().traces().size(), 1u);
}

TEST(Tracker, ATrackerGoneLetsGoOfEntriesStillInFlight) {
  std::weak_ptr<ActiveEntry> watched;
  {
    LiveRequestTracker t;
    watched = t.begin(entry("in-flight"));
    EXPECT_FALSE(watched.expired());
  }
  EXPECT_TRUE(watched.expired());
}

TEST(Tracker, ConcurrentBeginEndKeepsCountsExact) {
  LiveRequestTracker t;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&t, i] {
      for (int n = 0; n < kPerThread; ++n) {
        auto e = t.begin(entry("t" + std::to_string(i) + "-" + std::to_string(n)));
        t.route(e, "p" + std::to_string(i % 2), "m", "k");
        t.progress(e);
        t.end(e, outcome("p" + std::to_string(i % 2), "m", n % 10 == 0, 1, {1, 1, 0, 0, true}));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(t.activeCount(), 0u);
  const TotalsView v = t.totals({});
  EXPECT_EQ(v.top.requests, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(v.top.errors, uint64_t{kThreads * kPerThread / 10});
  EXPECT_EQ(v.providers.at("p0").sum.requests, uint64_t{2 * kPerThread});
  EXPECT_EQ(t.log().traces().size(), 200u);
}

}  // namespace
}  // namespace slotgate::metrics
