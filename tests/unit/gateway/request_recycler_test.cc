#include "gateway/downstream/request_recycler.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/unit/support/fresh_thread.h"

namespace slotgate::gateway {
namespace {

using slotgate::testing::onFreshThread;

IncomingRequestPtr sampleRequest() {
  IncomingRequestPtr r(new IncomingRequest);
  r->note.config_version = 7;
  r->method = "POST";
  r->path = "/v1/chat/completions/with/a/long/path";
  r->query = "a=1&and=a-query-longer-than-sso";
  r->body = std::string(1000, 'b');
  r->headers.push_back({"authorization", "Bearer sk-a-key-longer-than-the-small-string"});
  r->headers.push_back({"content-type", "application/json; charset=utf-8"});
  return r;
}

TEST(RequestRecyclerTest, ARecycledRequestComesBackEmptyWithItsCapacity) {
  onFreshThread([] {
    IncomingRequestPtr r = sampleRequest();
    const IncomingRequest* object = r.get();
    const char* body_buffer = r->body.data();
    const char* path_buffer = r->path.data();
    r.reset();  // given back

    Headers store;
    IncomingRequestPtr next = takeSpareRequest(store);
    EXPECT_EQ(next.get(), object);  // the same request, not a new one
    EXPECT_EQ(next->note.config_version, 0u);
    EXPECT_TRUE(next->method.empty());
    EXPECT_TRUE(next->path.empty());
    EXPECT_TRUE(next->query.empty());
    EXPECT_TRUE(next->body.empty());
    EXPECT_TRUE(next->headers.empty());         // what refusals before the head see
    EXPECT_EQ(next->body.data(), body_buffer);  // the same buffers, not new ones
    EXPECT_EQ(next->path.data(), path_buffer);
    EXPECT_GE(next->body.capacity(), 1000u);
  });
}

TEST(RequestRecyclerTest, HeaderEntriesComeBackClearedWithTheirBuffers) {
  onFreshThread([] {
    IncomingRequestPtr r = sampleRequest();
    const char* value_buffer = r->headers[0].value.data();
    r.reset();
    Headers store;
    IncomingRequestPtr next = takeSpareRequest(store);
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
    IncomingRequestPtr r = takeSpareRequest(store);
    ASSERT_NE(r, nullptr);
    EXPECT_TRUE(r->path.empty());
    EXPECT_TRUE(r->headers.empty());
    EXPECT_EQ(r->note.route, 0);
    EXPECT_TRUE(store.empty());
  });
}

// Each spare is handed out once: the last given back comes first, then the one before, then a
// new one.
TEST(RequestRecyclerTest, EachSpareIsTakenOnce) {
  onFreshThread([] {
    IncomingRequestPtr a = sampleRequest();
    IncomingRequestPtr b = sampleRequest();
    const IncomingRequest* first = a.get();
    const IncomingRequest* second = b.get();
    a.reset();
    b.reset();
    Headers store;
    IncomingRequestPtr x = takeSpareRequest(store);
    IncomingRequestPtr y = takeSpareRequest(store);
    IncomingRequestPtr z = takeSpareRequest(store);
    EXPECT_EQ(x.get(), second);
    EXPECT_EQ(y.get(), first);
    EXPECT_NE(z.get(), first);
    EXPECT_NE(z.get(), second);
    EXPECT_LT(z->body.capacity(), 1000u);
  });
}

TEST(RequestRecyclerTest, LargeBuffersAreFreedNotKept) {
  onFreshThread([] {
    IncomingRequestPtr r = sampleRequest();
    r->body = std::string(kMaxKeptCapacity + 1, 'x');
    r->headers[0].value = std::string(kMaxKeptCapacity + 1, 'v');
    r.reset();
    Headers store;
    IncomingRequestPtr next = takeSpareRequest(store);
    EXPECT_TRUE(next->body.empty());
    EXPECT_LE(next->body.capacity(), kMaxKeptCapacity);
    ASSERT_FALSE(store.empty());
    EXPECT_LE(store[0].value.capacity(), kMaxKeptCapacity);
  });
}

TEST(RequestRecyclerTest, SparesAreBounded) {
  onFreshThread([] {
    for (size_t i = 0; i < kMaxSpareRequests + 3; ++i) {
      sampleRequest();  // given back at once
    }
    size_t with_capacity = 0;
    Headers store;
    std::vector<IncomingRequestPtr> taken;  // held, so that each take finds the next spare
    for (size_t i = 0; i < kMaxSpareRequests + 3; ++i) {
      taken.push_back(takeSpareRequest(store));
      if (taken.back()->body.capacity() >= 1000) {
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
      IncomingRequestPtr r = sampleRequest();
      r->body = std::string(kBody, 'b');
    }
    size_t kept_bytes = 0;
    size_t kept = 0;
    Headers store;
    std::vector<IncomingRequestPtr> taken;  // held, so that each take finds the next spare
    for (size_t i = 0; i < kOffered; ++i) {
      taken.push_back(takeSpareRequest(store));
      const size_t capacity = taken.back()->body.capacity();
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
    sampleRequest();
    onFreshThread([] {
      Headers store;
      EXPECT_LT(takeSpareRequest(store)->body.capacity(), 1000u);
    });
    Headers store;
    EXPECT_GE(takeSpareRequest(store)->body.capacity(), 1000u);
  });
}

// A request given back while its thread exits, after the thread's spares are gone, is freed
// (the sanitizer builds see a use after free or a leak otherwise).
TEST(RequestRecyclerTest, ARequestGivenBackAfterTheSparesWentIsFreed) {
  onFreshThread([] {
    struct Holder {
      IncomingRequestPtr request;
    };
    // Constructed before the spares are first used, so destroyed after them.
    thread_local Holder holder;
    Headers store;
    holder.request = takeSpareRequest(store);
    holder.request->body = std::string(1000, 'b');
    sampleRequest();  // one spare in the list when the thread exits, freed with it
  });
}

}  // namespace
}  // namespace slotgate::gateway
