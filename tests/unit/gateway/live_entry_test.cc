// LiveEntry: a request's entry in the live view, and the thread's spare entries that keep their
// names' storage from one request to the next.
#include "gateway/proxy/live_entry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "metrics/live_request_tracker.h"

namespace slotgate::gateway {
namespace {

const std::string kClient = "a-client-id-longer-than-fifteen";
const std::string kModel = "claude-3-5-sonnet-20241022";

LiveEntry::Start start(std::string_view request_id) {
  return {request_id, kClient, kModel, kModel, true, std::chrono::steady_clock::now()};
}

metrics::FinishedRequest finished() {
  metrics::FinishedRequest f;
  f.provider = "anthropic-main";
  f.provider_model = kModel;
  f.status = 200;
  return f;
}

// An entry given back after its end serves the thread's next request, with everything the
// previous request left in it reset, and its names' storage kept.
TEST(LiveEntry, AnEndedEntryServesTheNextRequestFresh) {
  metrics::LiveRequestTracker tracker;
  LiveEntry first;
  first.begin(&tracker, start("req-1"));
  first.route(&tracker, "anthropic-main", kModel, "key-with-a-long-name-0001");
  metrics::TokenUsage usage;
  usage.input_tokens = 5;
  usage.output_tokens = 7;
  first.progress(&tracker, 1234, &usage);
  first.get()->ttft_ms = 12;
  const metrics::ActiveEntry* used = first.get();
  const char* model_storage = used->model.data();
  tracker.end(first.entry(), finished());
  LiveEntry::giveBack(first.entry());
  EXPECT_EQ(first.get(), nullptr);

  LiveEntry second;
  second.begin(&tracker, start("req-2"));
  ASSERT_EQ(second.get(), used);  // the same entry, from the spare list
  EXPECT_EQ(second.get()->model.data(), model_storage);
  const metrics::ActiveEntry& e = *second.get();
  EXPECT_EQ(e.request_id, "req-2");
  EXPECT_EQ(e.client, kClient);
  EXPECT_EQ(e.bytes.load(), 0u);
  EXPECT_EQ(e.input_tokens.load(), 0u);
  EXPECT_EQ(e.output_tokens.load(), 0u);
  EXPECT_EQ(e.provider, "");
  EXPECT_EQ(e.key_id, "");
  EXPECT_EQ(second.ttftMs(), -1.0f);
  const auto views = tracker.active();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].request_id, "req-2");
  EXPECT_EQ(views[0].bytes, 0u);
  EXPECT_EQ(views[0].provider, "");
  tracker.end(second.entry(), finished());
  LiveEntry::giveBack(second.entry());
  EXPECT_EQ(tracker.log().traces().size(), 2u);
}

// An entry someone else still holds is not reused: the next request gets another one.
TEST(LiveEntry, AnEntryStillHeldElsewhereIsNotReused) {
  metrics::LiveRequestTracker tracker;
  LiveEntry first;
  first.begin(&tracker, start("req-1"));
  const metrics::ActiveEntryPtr held = first.entry();
  tracker.end(first.entry(), finished());
  LiveEntry::giveBack(first.entry());
  EXPECT_EQ(first.get(), nullptr);

  LiveEntry second;
  second.begin(&tracker, start("req-2"));
  EXPECT_NE(second.get(), held.get());
  EXPECT_EQ(held->request_id, "req-1");  // untouched
  tracker.end(second.entry(), finished());
  LiveEntry::giveBack(second.entry());
}

TEST(LiveEntry, WithoutATrackerNothingIsPublished) {
  LiveEntry entry;
  entry.begin(nullptr, start("req-1"));
  EXPECT_EQ(entry.get(), nullptr);
  EXPECT_EQ(entry.ttftMs(), -1.0f);
}

}  // namespace
}  // namespace slotgate::gateway
