// Replies read off a Redis connection: hiredis's protocol reader (read.h, its public API) building
// reply objects this reader owns and reuses.
//
// hiredis's own reply objects cost a calloc per reply and per array element, a malloc per string
// and a recursive free after the callback (~400 instructions for the one integer an admission
// script returns). Here the reader's object functions (redisReplyObjectFunctions) take the
// objects from blocks the reader keeps: a reply lives until the next one is read, and reading
// the next one reuses its memory. No allocation per reply once warm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

struct redisReader;
struct redisReply;
struct redisReadTask;
struct redisReplyObjectFunctions;

namespace slotgate::limits {

// One connection's replies, on the thread that reads them (not thread-safe).
class RedisReplyReader {
 public:
  RedisReplyReader();  // std::bad_alloc when hiredis cannot create its reader
  ~RedisReplyReader();
  RedisReplyReader(const RedisReplyReader&) = delete;
  RedisReplyReader& operator=(const RedisReplyReader&) = delete;

  // Bytes read off the connection; false when the reader cannot take them (out of memory).
  [[nodiscard]] bool feed(const char* data, size_t len);

  enum class Status { kReply, kIncomplete, kError };
  // The next complete reply, valid until the next call of next() (or the reader's end);
  // kIncomplete: more bytes are needed; kError: not RESP (the reader is unusable after that).
  Status next(const redisReply*& reply);

 private:
  struct Block {
    char* data;
    size_t size;
  };
  static constexpr size_t kBlockSize = 4096;
  static constexpr size_t kKeptBlocks = 4;  // past these, blocks are freed when a reply is done

  // The reader's object functions (noexcept: they run inside hiredis's C code).
  static redisReplyObjectFunctions* functions();
  static void* createString(const redisReadTask* task, char* str, size_t len) noexcept;
  static void* createArray(const redisReadTask* task, int elements) noexcept;
  static void* createInteger(const redisReadTask* task, long long value) noexcept;
  static void* createNil(const redisReadTask* task) noexcept;
  static void freeObject(void* reply) noexcept;

  // A zeroed reply of `type`, linked into its parent array; nullptr when out of memory.
  redisReply* node(const redisReadTask* task, int type);
  // `bytes` from the blocks, 8-aligned; nullptr when out of memory.
  void* allocate(size_t bytes);
  void* allocateSlow(size_t bytes);
  // Everything allocated so far is free again (the last reply was handed out and is done).
  void rewind();

  redisReader* reader_;
  std::vector<Block> blocks_;
  std::vector<void*> large_;  // allocations larger than a block: freed on rewind
  size_t block_ = 0;          // the block being filled
  size_t used_ = 0;           // bytes of it taken
  bool handed_out_ = false;   // next() returned a reply that rewind() has not reclaimed yet
};

}  // namespace slotgate::limits
