#include "core/chunk_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "blake3.h"
#include "core/chunk_codec.h"
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

}  // namespace

ChunkWriteResult writeChunk(const ChunkWrite& job, std::vector<uint8_t>& scratch) {
  ChunkWriteResult r;
  r.id = job.id;
  if (job.coding != kCodingRaw && decodesNatively(job.coding) && scratch.size() < job.rawLength) scratch.resize(job.rawLength);
  DecodedChunk raw = decodeChunk(job.coding, job.wire, job.wireLength, scratch.data(), scratch.size(), job.rawLength);
  if (!raw.ok()) {
    r.outcome = WriteOutcome::Undecodable;
    r.message = raw.error;
    r.digest = blake3Digest(job.wire, job.wireLength);
    return r;
  }
  r.digest = blake3Digest(raw.data, job.rawLength);
  if (r.digest != job.expected) {
    r.outcome = WriteOutcome::Mismatch;
    r.message = "hash mismatch";
    if (raw.data != job.wire) r.digest = blake3Digest(job.wire, job.wireLength);  // a raw chunk's wire bytes were just hashed
    return r;
  }
  if (int err = writeAll(job.fd, raw.data, job.rawLength, job.offset)) {
    r.outcome = WriteOutcome::IoError;
    r.err = err;
    r.message = strerror(err);
  }
  return r;
}

ChunkWriter::ChunkWriter(unsigned threads, std::function<void()> ready) : ready_(std::move(ready)) {
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
}

void ChunkWriter::run() {
  std::vector<uint8_t> scratch;  // per thread, reused for every chunk it decodes
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    ChunkWrite job = queue_.front();
    queue_.pop_front();
    lock.unlock();
    ChunkWriteResult r = writeChunk(job, scratch);
    lock.lock();
    bool first = results_.empty();
    results_.push_back(std::move(r));
    if (first && !stopping_) {
      lock.unlock();
      ready_();
      lock.lock();
    }
  }
}

}  // namespace blockcast
