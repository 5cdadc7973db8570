#include "core/chunk_writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "blake3.h"
#include "core/chunk_codec.h"
#include "core/clock.h"
#include "core/thread.h"
#include "core/wire.h"

namespace blockcast {

Digest blake3Digest(const uint8_t* data, size_t length) {
  blake3_hasher h;
  blake3_hasher_init(&h);
  blake3_hasher_update(&h, data, length);
  Digest d;
  blake3_hasher_finalize(&h, d.data(), d.size());
  return d;
}

namespace {

// pwrite until every byte is down: a short write continues where it stopped.
int writeAll(int fd, const uint8_t* data, size_t length, int64_t offset) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = pwrite(fd, data + done, length - done, off_t(offset + int64_t(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // no progress and no error: never spin
    done += size_t(n);
  }
  return 0;
}

// Decodes job's wire bytes (into `buf`, or in place for a raw chunk) and
// checks their BLAKE3 against job.expected. On failure fills *r (outcome,
// message, and the digest of the wire bytes, which the caller reports) and
// returns false.
bool decodeAndCheck(const ChunkWrite& job, uint8_t* buf, size_t capacity, DecodedChunk* raw, ChunkWriteResult* r) {
  *raw = decodeChunk(job.coding, job.wire, job.wireLength, buf, capacity, job.rawLength);
  if (!raw->ok()) {
    r->outcome = WriteOutcome::Undecodable;
    r->message = raw->error;
    r->digest = blake3Digest(job.wire, job.wireLength);
    return false;
  }
  r->digest = blake3Digest(raw->data, job.rawLength);
  if (r->digest != job.expected) {
    r->outcome = WriteOutcome::Mismatch;
    r->message = "hash mismatch";
    if (raw->data != job.wire) r->digest = blake3Digest(job.wire, job.wireLength);  // a raw chunk's wire bytes were just hashed
    return false;
  }
  return true;
}

}  // namespace

AlignedScratch::~AlignedScratch() { std::free(data_); }

bool AlignedScratch::reserve(size_t length) {
  if (length <= size_) return true;
  size_t align = length >= (kHugePage >> 1) ? kHugePage : kAlign;
  size_t rounded = (length + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded);
  if (!p) return false;
  if (align == kHugePage) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: without THP it stays 4 KiB pages
  std::free(data_);
  data_ = static_cast<uint8_t*>(p);
  size_ = rounded;
  return true;
}

ChunkWriteResult writeChunk(const ChunkWrite& job, AlignedScratch& scratch, int directFd, bool* directFailed) {
  ChunkWriteResult r;
  r.id = job.id;
  constexpr size_t kAlign = AlignedScratch::kAlign;
  bool decodes = job.coding != kCodingRaw && decodesNatively(job.coding);
  bool direct = directFd >= 0 && job.rawLength > 0 && job.offset % int64_t(kAlign) == 0 && job.rawLength % kAlign == 0;
  if ((decodes || direct) && !scratch.reserve(job.rawLength)) {
    r.outcome = WriteOutcome::IoError;
    r.err = ENOMEM;
    r.message = strerror(ENOMEM);
    return r;
  }
  DecodedChunk raw;
  if (!decodeAndCheck(job, scratch.data(), scratch.size(), &raw, &r)) return r;
  int err = EINVAL;
  if (direct) {
    // O_DIRECT wants an aligned buffer too: a raw chunk sits in JS memory.
    const uint8_t* out = raw.data;
    if (reinterpret_cast<uintptr_t>(out) % kAlign != 0) {
      std::memcpy(scratch.data(), out, job.rawLength);
      out = scratch.data();
    }
    err = writeAll(directFd, out, job.rawLength, job.offset);
    if (err == EINVAL && directFailed) *directFailed = true;  // this file or device takes no direct I/O
  }
  if (err == EINVAL) err = writeAll(job.fd, raw.data, job.rawLength, job.offset);
  if (err) {
    r.outcome = WriteOutcome::IoError;
    r.err = err;
    r.message = strerror(err);
  }
  return r;
}

ChunkWriteResult verifyChunk(const ChunkWrite& job) {
  ChunkWriteResult r;
  r.id = job.id;
  DecodedChunk raw;
  if (!decodeAndCheck(job, job.out, job.out ? job.outCapacity : 0, &raw, &r)) return r;
  r.outcome = WriteOutcome::Verified;
  return r;
}

ChunkWriter::ChunkWriter(unsigned threads, std::function<void()> ready, bool direct) : ready_(std::move(ready)), direct_(direct) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; i++) threads_.push_back(namedThread("blockcast-wr", [this] { run(); }));
}

ChunkWriter::~ChunkWriter() { stop(); }

void ChunkWriter::submit(const ChunkWrite& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    queue_.push_back(job);
  }
  work_.notify_one();
}

std::vector<ChunkWriteResult> ChunkWriter::take() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ChunkWriteResult> out;
  out.swap(results_);
  signalled_ = false;
  return out;
}

void ChunkWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();
  }
  work_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [fd, twin] : directFds_) close(twin.fd);
  for (int fd : retired_) close(fd);
  directFds_.clear();
  retired_.clear();
}

// Called with mu_ held. A descriptor number can be closed and reused for
// another file between sessions: a twin is used only while both name the
// same inode. Twins are closed only in stop(), never while a writer thread
// may hold one (its number could be reused under it).
int ChunkWriter::directFor(int fd) {
  if (!direct_) return -1;
  struct stat want {};
  if (fstat(fd, &want) != 0) return -1;
  auto it = directFds_.find(fd);
  if (it != directFds_.end()) {
    struct stat have {};
    if (it->second.refused) return -1;
    if (fstat(it->second.fd, &have) == 0 && have.st_dev == want.st_dev && have.st_ino == want.st_ino) return it->second.fd;
    retired_.push_back(it->second.fd);
    directFds_.erase(it);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  int direct = open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
  if (direct < 0) return -1;  // not marked refused: a later fd with this number may take it
  directFds_[fd] = DirectTwin{direct, false};
  return direct;
}

// Called with mu_ held.
void ChunkWriter::directFailed(int fd) {
  auto it = directFds_.find(fd);
  if (it != directFds_.end()) it->second.refused = true;
}

void ChunkWriter::run() {
  AlignedScratch scratch;  // per thread, reused for every chunk it decodes
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    ChunkWrite job = queue_.front();
    queue_.pop_front();
    running_++;
    int directFd = job.fd >= 0 ? directFor(job.fd) : -1;
    lock.unlock();
    bool refused = false;
    ChunkWriteResult r = job.fd >= 0 ? writeChunk(job, scratch, directFd, &refused) : verifyChunk(job);
    lock.lock();
    running_--;
    if (refused) directFailed(job.fd);
    uint64_t now = monotonicNs();
    if (results_.empty() || signalled_) firstResultNs_ = now;
    results_.push_back(std::move(r));
    // Idle, a full batch, or a result kept waiting long enough: wake the
    // caller. A result is never stranded: the last job to finish always wakes it.
    bool due = (queue_.empty() && running_ == 0) || results_.size() >= kResultBatch || now - firstResultNs_ >= kResultDelayNs;
    if (due && !signalled_ && !stopping_) {
      signalled_ = true;
      lock.unlock();
      ready_();
      lock.lock();
    }
  }
}

}  // namespace blockcast
