#include "limits/cluster/redis_reply_reader.h"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace slotgate::limits {

RedisReplyReader::RedisReplyReader() : reader_(redisReaderCreateWithFunctions(functions())) {
  if (reader_ == nullptr) {
    throw std::bad_alloc();
  }
  reader_->privdata = this;  // handed to the object functions as task->privdata
}

RedisReplyReader::~RedisReplyReader() {
  redisReaderFree(reader_);  // a partial reply's objects are ours: freeObject frees nothing
  for (const Block& b : blocks_) {
    std::free(b.data);
  }
  for (void* p : large_) {
    std::free(p);
  }
}

bool RedisReplyReader::feed(const char* data, size_t len) {
  return redisReaderFeed(reader_, data, len) == REDIS_OK;
}

RedisReplyReader::Status RedisReplyReader::next(const redisReply*& reply) {
  if (handed_out_) {
    // The reply handed out last is done with, and no other is half built (hiredis builds one
    // reply at a time, and that one was complete).
    handed_out_ = false;
    rewind();
  }
  void* out = nullptr;
  if (redisReaderGetReply(reader_, &out) != REDIS_OK) {
    return Status::kError;
  }
  if (out == nullptr) {
    return Status::kIncomplete;
  }
  handed_out_ = true;
  reply = static_cast<const redisReply*>(out);
  return Status::kReply;
}

redisReply* RedisReplyReader::node(const redisReadTask* task, int type) {
  void* p = allocate(sizeof(redisReply));
  if (p == nullptr) {
    return nullptr;
  }
  auto* r = new (p) redisReply{};
  r->type = type;
  if (task->parent != nullptr) {
    // hiredis made the parent with createArray, so its element array has room for task->idx.
    static_cast<redisReply*>(task->parent->obj)->element[task->idx] = r;
  }
  return r;
}

void* RedisReplyReader::allocate(size_t bytes) {
  bytes = (bytes + 7) & ~size_t{7};
  if (block_ < blocks_.size() && blocks_[block_].size - used_ >= bytes) [[likely]] {
    void* p = blocks_[block_].data + used_;
    used_ += bytes;
    return p;
  }
  return allocateSlow(bytes);
}

void* RedisReplyReader::allocateSlow(size_t bytes) {
  if (bytes > kBlockSize / 4) {
    large_.reserve(large_.size() + 1);  // may throw here, before malloc, not after
    void* p = std::malloc(bytes);
    if (p != nullptr) {
      large_.push_back(p);
    }
    return p;
  }
  if (block_ < blocks_.size()) {
    ++block_;  // the rest of this block is too small: the next one
    used_ = 0;
  }
  if (block_ == blocks_.size()) {
    blocks_.reserve(blocks_.size() + 1);
    char* data = static_cast<char*>(std::malloc(kBlockSize));
    if (data == nullptr) {
      return nullptr;
    }
    blocks_.push_back(Block{data, kBlockSize});
  }
  void* p = blocks_[block_].data + used_;
  used_ += bytes;
  return p;
}

void RedisReplyReader::rewind() {
  block_ = 0;
  used_ = 0;
  if (!large_.empty()) [[unlikely]] {
    for (void* p : large_) {
      std::free(p);
    }
    large_.clear();
  }
  while (blocks_.size() > kKeptBlocks) [[unlikely]] {
      std::free(blocks_.back().data);
      blocks_.pop_back();
    }
}

// The object functions hiredis's reader calls while it parses (privdata: the RedisReplyReader).
// Each returns nullptr when out of memory, which the reader reports as an error.
void* RedisReplyReader::createString(const redisReadTask* task, char* str, size_t len) noexcept {
  auto* self = static_cast<RedisReplyReader*>(task->privdata);
  redisReply* r = self->node(task, task->type);  // string, status or error
  char* copy = r != nullptr ? static_cast<char*>(self->allocate(len + 1)) : nullptr;
  if (copy == nullptr) {
    return nullptr;
  }
  std::memcpy(copy, str, len);
  copy[len] = '\0';  // as hiredis's own objects: str is NUL-terminated
  r->str = copy;
  r->len = len;
  return r;
}

void* RedisReplyReader::createArray(const redisReadTask* task, int elements) noexcept {
  auto* self = static_cast<RedisReplyReader*>(task->privdata);
  redisReply* r = self->node(task, task->type);
  if (r == nullptr) {
    return nullptr;
  }
  if (elements > 0) {
    const size_t bytes = static_cast<size_t>(elements) * sizeof(redisReply*);
    void* element = self->allocate(bytes);
    if (element == nullptr) {
      return nullptr;
    }
    std::memset(element, 0, bytes);
    r->element = static_cast<redisReply**>(element);
    r->elements = static_cast<size_t>(elements);
  }
  return r;
}

void* RedisReplyReader::createInteger(const redisReadTask* task, long long value) noexcept {
  auto* self = static_cast<RedisReplyReader*>(task->privdata);
  redisReply* r = self->node(task, REDIS_REPLY_INTEGER);
  if (r != nullptr) {
    r->integer = value;
  }
  return r;
}

void* RedisReplyReader::createNil(const redisReadTask* task) noexcept {
  auto* self = static_cast<RedisReplyReader*>(task->privdata);
  return self->node(task, REDIS_REPLY_NIL);
}

// Replies are the blocks' memory, reclaimed by rewind(): hiredis's calls to free one (a partial
// reply on an error, or when the reader is freed) have nothing to do.
void RedisReplyReader::freeObject(void* /*reply*/) noexcept {}

redisReplyObjectFunctions* RedisReplyReader::functions() {
  // hiredis takes a non-const pointer and only reads it.
  static redisReplyObjectFunctions table{&createString, &createArray, &createInteger, &createNil,
                                         &freeObject};
  return &table;
}

}  // namespace slotgate::limits
