// Whether this test binary allocates with glibc's malloc. Under AddressSanitizer or
// ThreadSanitizer the sanitizer's own allocator serves malloc, and glibc's statistics
// (mallinfo2) and thresholds (mallopt) describe an allocator nobody uses: tests of glibc
// malloc behaviour skip themselves there.
#pragma once

namespace slotgate::testing {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kGlibcMalloc = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kGlibcMalloc = false;
#else
inline constexpr bool kGlibcMalloc = true;
#endif
#else
inline constexpr bool kGlibcMalloc = true;
#endif

}  // namespace slotgate::testing

// First statement of a test that checks glibc malloc itself.
#define SKIP_UNLESS_GLIBC_MALLOC()                                               \
  do {                                                                           \
    if (!::slotgate::testing::kGlibcMalloc) {                                    \
      GTEST_SKIP() << "a sanitizer's allocator serves malloc here, not glibc's"; \
    }                                                                            \
  } while (false)
