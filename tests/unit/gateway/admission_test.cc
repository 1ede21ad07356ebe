// Admission on its own: a local SlotPool, the waiting queue and its timeout on a real loop
// (no cluster), with a recording Owner.
#include "gateway/proxy/admission.h"

#include <event2/event.h>
#include <gtest/gtest.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;

class RecordingOwner : public Admission::Owner {
 public:
  void onSlotWaitBegins() override { events.push_back("wait"); }
  void onSlotWaitEnds() override { events.push_back("wait_over"); }
  void onClientAdmitted() override { events.push_back("admitted"); }
  void onProviderAdmitted(const routing::Candidate&) override { events.push_back("provider"); }
  void onProviderFull() override { events.push_back("provider_full"); }
  void onRefused(metrics::ErrorType error, std::string_view message, int retry_after_s) override {
    events.push_back("refused:" + std::string(metrics::errorTypeLabel(error)) + ":" +
                     std::to_string(retry_after_s));
    refused_message = message;
  }
  void onSlotLost() override { events.push_back("lost"); }

  std::vector<std::string> events;
  std::string refused_message;
};

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionTest()
      : pool_(limits::SlotPool::create("client-a", 1)),
        gauge_(prometheus::BuildGauge().Name("queue_depth").Register(registry_).Add({})) {
    client_.id = "client-a";
    client_.max_concurrency = 1;
  }

  Admission::ClientSlot slot() const {
    return {client_, *pool_, gauge_, std::chrono::steady_clock::now()};
  }
  void withQueue(uint32_t max_waiting, std::chrono::milliseconds timeout) {
    client_.queue = conf::QueueConfig{};
    client_.queue->max_waiting = max_waiting;
    client_.queue->timeout = timeout;
  }
  // Runs the loop until `done` (a generous bound: never a timing assertion).
  bool runUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      event_base_loop(worker_.base(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
    }
    return done();
  }

  Dispatcher worker_;
  prometheus::Registry registry_;
  std::shared_ptr<limits::SlotPool> pool_;
  prometheus::Gauge& gauge_;
  conf::Client client_;
  RecordingOwner owner_;
};

TEST_F(AdmissionTest, AFreeSlotAdmitsAtOnceAndIsGivenBackOnRelease) {
  {
    Admission admission(owner_);
    admission.admitClient(worker_, nullptr, slot());
    EXPECT_EQ(owner_.events, std::vector<std::string>{"admitted"});
    EXPECT_EQ(pool_->inUse(), 1u);
    admission.release();
    EXPECT_EQ(pool_->inUse(), 0u);
    admission.admitClient(worker_, nullptr, slot());
    EXPECT_EQ(pool_->inUse(), 1u);
  }  // destruction releases too
  EXPECT_EQ(pool_->inUse(), 0u);
}

TEST_F(AdmissionTest, AFullPoolWithoutQueueIsRefusedWith429) {
  limits::SlotLease held = pool_->tryAcquire();
  ASSERT_TRUE(held);
  Admission admission(owner_);
  admission.admitClient(worker_, nullptr, slot());
  EXPECT_EQ(owner_.events, std::vector<std::string>{"refused:concurrency_limit_exceeded:1"});
  EXPECT_EQ(owner_.refused_message, "concurrency limit of 1 reached for this key");
  EXPECT_EQ(gauge_.Value(), 0);
}

TEST_F(AdmissionTest, AWaiterGetsTheSlotWhenItFrees) {
  withQueue(4, 60s);
  limits::SlotLease held = pool_->tryAcquire();
  Admission admission(owner_);
  admission.admitClient(worker_, nullptr, slot());
  EXPECT_EQ(owner_.events, std::vector<std::string>{"wait"});
  EXPECT_EQ(gauge_.Value(), 1);
  held = limits::SlotLease();  // the slot goes to the waiter, on its loop
  ASSERT_TRUE(runUntil([&] { return owner_.events.size() == 3; }));
  EXPECT_EQ(owner_.events, (std::vector<std::string>{"wait", "wait_over", "admitted"}));
  EXPECT_EQ(gauge_.Value(), 0);
  EXPECT_EQ(pool_->inUse(), 1u);
  EXPECT_EQ(pool_->waiting(), 0u);
}

TEST_F(AdmissionTest, AFullQueueIsRefusedAndCountsNothing) {
  withQueue(1, 60s);
  limits::SlotLease held = pool_->tryAcquire();
  RecordingOwner first_owner;
  Admission first(first_owner);
  first.admitClient(worker_, nullptr, slot());  // takes the one place in the queue
  Admission second(owner_);
  second.admitClient(worker_, nullptr, slot());
  EXPECT_EQ(owner_.events,
            (std::vector<std::string>{"wait", "refused:concurrency_limit_exceeded:1"}));
  EXPECT_EQ(owner_.refused_message, "concurrency limit reached and the waiting queue is full");
  EXPECT_EQ(gauge_.Value(), 1);  // the first waiter only
}

TEST_F(AdmissionTest, TheQueueTimeoutRefusesWithItsSecondsAsRetryAfter) {
  withQueue(4, 20ms);
  limits::SlotLease held = pool_->tryAcquire();
  Admission admission(owner_);
  admission.admitClient(worker_, nullptr, slot());
  ASSERT_TRUE(runUntil([&] { return owner_.events.size() == 3; }));
  // Under a second rounds up to 1 s.
  EXPECT_EQ(owner_.events, (std::vector<std::string>{"wait", "wait_over",
                                                     "refused:concurrency_limit_exceeded:1"}));
  EXPECT_EQ(owner_.refused_message, "no slot became free within the queue timeout");
  EXPECT_EQ(gauge_.Value(), 0);
  EXPECT_EQ(pool_->waiting(), 0u);
  // A slot freed later goes to nobody here.
  held = limits::SlotLease();
  for (int i = 0; i < 20; ++i) {  // run whatever the release posted
    event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
  }
  EXPECT_EQ(pool_->inUse(), 0u);
}

TEST_F(AdmissionTest, LeavingWhileQueuedGivesThePlaceBack) {
  withQueue(4, 60s);
  limits::SlotLease held = pool_->tryAcquire();
  {
    Admission admission(owner_);
    admission.admitClient(worker_, nullptr, slot());
    EXPECT_EQ(pool_->waiting(), 1u);
    EXPECT_EQ(gauge_.Value(), 1);
  }  // the client went away
  EXPECT_EQ(pool_->waiting(), 0u);
  EXPECT_EQ(gauge_.Value(), 0);
  held = limits::SlotLease();
  EXPECT_EQ(pool_->inUse(), 0u);
  EXPECT_EQ(owner_.events, std::vector<std::string>{"wait"});
}

}  // namespace
}  // namespace slotgate::gateway
