#include "gateway/downstream/request_recycler.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "tests/unit/support/fresh_thread.h"

namespace slotgate::gateway {
namespace {

using slotgate::testing::onFreshThread;

IncomingRequest sampleRequest() {
  IncomingRequest r;
  r.note.config_version = 7;
  r.method = "POST";
  r.path = "/v1/chat/completions/with/a/long/path";
  r.query = "a=1&and=a-query-longer-than-sso";
  r.body = std::string(1000, 'b');
  r.headers.push_back({"authorization", "Bearer sk-a-key-longer-than-the-small-string"});
  r.headers.push_back({"content-type", "application/json; charset=utf-8"});
  return r;
}

TEST(RequestRecyclerTest, ARecycledRequestComesBackEmptyWithItsCapacity) {
  onFreshThread([] {
    IncomingRequest r = sampleRequest();
    const char* body_buffer = r.body.data();
    const char* path_buffer = r.path.data();
    recycleRequest(std::move(r));
    EXPECT_TRUE(r.headers.empty());
    EXPECT_TRUE(r.body.empty());

    Headers store;
    IncomingRequest next = takeSpareRequest(store);
    EXPECT_EQ(next.note.config_version, 0u);
    EXPECT_TRUE(next.method.empty());
    EXPECT_TRUE(next.path.empty());
    EXPECT_TRUE(next.query.empty());
    EXPECT_TRUE(next.body.empty());
    EXPECT_TRUE(next.headers.empty());         // what refusals before the head see
    EXPECT_EQ(next.body.data(), body_buffer);  // the same buffers, not new ones
    EXPECT_EQ(next.path.data(), path_buffer);
    EXPECT_GE(next.body.capacity(), 1000u);
  });
}

TEST(RequestRecyclerTest, HeaderEntriesComeBackClearedWithTheirBuffers) {
  onFreshThread([] {
    IncomingRequest r = sampleRequest();
    const char* value_buffer = r.headers[0].value.data();
    recycleRequest(std::move(r));
    Headers store;
    IncomingRequest next = takeSpareRequest(store);
    ASSERT_EQ(store.size(), 2u);
    for (const Header& h : store) {
      EXPECT_TRUE(h.name.empty());
      EXPECT_TRUE(h.value.empty());
    }
    EXPECT_EQ(store[0].value.data(), value_buffer);
    EXPECT_GE(store[0].value.capacity(),
              std::string("Bearer sk-a-key-longer-than-the-small-string").size());
  });
}

TEST(RequestRecyclerTest, NothingSpareGivesAFreshRequestAndNoEntries) {
  onFreshThread([] {
    Headers store{{"stale", "entry"}};
    IncomingRequest r = takeSpareRequest(store);
    EXPECT_TRUE(r.path.empty());
    EXPECT_TRUE(r.headers.empty());
    EXPECT_EQ(r.note.route, 0);
    EXPECT_TRUE(store.empty());
  });
}

TEST(RequestRecyclerTest, AMovedFromRequestIsNotKept) {
  onFreshThread([] {
    IncomingRequest r = sampleRequest();
    IncomingRequest taken = std::move(r);
    recycleRequest(std::move(r));  // nothing worth keeping
    recycleRequest(std::move(taken));
    Headers store;
    EXPECT_GE(takeSpareRequest(store).body.capacity(), 1000u);  // not the empty one
    EXPECT_EQ(takeSpareRequest(store).body.capacity(), std::string().capacity());
  });
}

TEST(RequestRecyclerTest, LargeBuffersAreFreedNotKept) {
  onFreshThread([] {
    IncomingRequest r = sampleRequest();
    r.body = std::string(kMaxKeptCapacity + 1, 'x');
    r.headers[0].value = std::string(kMaxKeptCapacity + 1, 'v');
    recycleRequest(std::move(r));
    Headers store;
    IncomingRequest next = takeSpareRequest(store);
    EXPECT_TRUE(next.body.empty());
    EXPECT_LE(next.body.capacity(), kMaxKeptCapacity);
    ASSERT_FALSE(store.empty());
    EXPECT_LE(store[0].value.capacity(), kMaxKeptCapacity);
  });
}

TEST(RequestRecyclerTest, SparesAreBounded) {
  onFreshThread([] {
    for (size_t i = 0; i < kMaxSpareRequests + 3; ++i) {
      recycleRequest(sampleRequest());
    }
    size_t with_capacity = 0;
    Headers store;
    for (size_t i = 0; i < kMaxSpareRequests + 3; ++i) {
      if (takeSpareRequest(store).body.capacity() >= 1000) {
        ++with_capacity;
      }
    }
    EXPECT_EQ(with_capacity, kMaxSpareRequests);
  });
}

TEST(RequestRecyclerTest, SparesAreBoundedByBytes) {
  onFreshThread([] {
    // Each body keeps its buffer (under kMaxKeptCapacity), so the byte bound is what stops them.
    constexpr size_t kBody = kMaxKeptCapacity - 1;
    constexpr size_t kOffered = 2 * kMaxSpareBytes / kBody;
    static_assert(kOffered < kMaxSpareRequests);
    for (size_t i = 0; i < kOffered; ++i) {
      IncomingRequest r = sampleRequest();
      r.body = std::string(kBody, 'b');
      recycleRequest(std::move(r));
    }
    size_t kept_bytes = 0;
    size_t kept = 0;
    Headers store;
    for (size_t i = 0; i < kOffered; ++i) {
      const size_t capacity = takeSpareRequest(store).body.capacity();
      if (capacity >= kBody) {
        kept_bytes += capacity;
        ++kept;
      }
    }
    EXPECT_GT(kept, 0u);
    EXPECT_LT(kept, kOffered / 2 + 1);
    EXPECT_LE(kept_bytes, kMaxSpareBytes);
  });
}

TEST(RequestRecyclerTest, SparesArePerThread) {
  onFreshThread([] {
    recycleRequest(sampleRequest());
    onFreshThread([] {
      Headers store;
      EXPECT_LT(takeSpareRequest(store).body.capacity(), 1000u);
    });
    Headers store;
    EXPECT_GE(takeSpareRequest(store).body.capacity(), 1000u);
  });
}

}  // namespace
}  // namespace slotgate::gateway
