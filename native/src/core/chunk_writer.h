// Verified chunk writes on native threads: decode a chunk's wire bytes,
// hash the raw bytes (BLAKE3), compare with the manifest's hash and pwrite
// them only if they match. One job per chunk, results collected in batches,
// so a chunk costs no JS buffers, no worker messages and no copies.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace blockcast {

using Digest = std::array<uint8_t, 32>;

struct ChunkWrite {
  uint64_t id = 0;
  /** The chunk's wire bytes; must stay valid and unwritten until its result is taken. */
  const uint8_t* wire = nullptr;
  size_t wireLength = 0;
  uint8_t coding = 0;
  size_t rawLength = 0;
  Digest expected{};
  /** The target, or -1 for a verify-only job (an in-order receiver writes the bytes itself, later). */
  int fd = -1;
  int64_t offset = 0;
  /** Verify-only: where a coded chunk is decoded (a buffer the caller reuses); must stay valid until the result is taken. */
  uint8_t* out = nullptr;
  size_t outCapacity = 0;
};

/** Verified: a verify-only job's bytes matched (nothing was written). */
enum class WriteOutcome : uint8_t { Written, Mismatch, Undecodable, IoError, Verified };

struct ChunkWriteResult {
  uint64_t id = 0;
  WriteOutcome outcome = WriteOutcome::Written;
  /** errno of a failed write. */
  int err = 0;
  /** Written: the raw bytes' hash. Mismatch, Undecodable: the wire bytes' hash (the same bytes failing again are the sender's). */
  Digest digest{};
  std::string message;
};

/** BLAKE3-256 of `data` (the official C implementation, SIMD chosen at run time). */
Digest blake3Digest(const uint8_t* data, size_t length);

/**
 * Memory for decoded chunks, aligned for O_DIRECT (4 KiB), reused for every
 * chunk a thread handles: a fresh buffer per chunk would fault its pages in
 * every time. Sizes of 1 MiB and more are rounded to 2 MiB huge pages
 * (MADV_HUGEPAGE, where the kernel offers them): an O_DIRECT write then pins
 * one page instead of 256, and the decoder and BLAKE3 miss the TLB less.
 */
class AlignedScratch {
 public:
  static constexpr size_t kAlign = 4096;
  static constexpr size_t kHugePage = size_t(2) << 20;
  AlignedScratch() = default;
  ~AlignedScratch();
  AlignedScratch(const AlignedScratch&) = delete;
  AlignedScratch& operator=(const AlignedScratch&) = delete;
  /** At least `length` bytes (false if memory ran out). */
  bool reserve(size_t length);
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

/**
 * One chunk's whole job on the calling thread. `directFd` (or -1): the same
 * file opened O_DIRECT, used for writes that are 4 KiB-aligned in offset and
 * length, so that the bytes go to the disk without a copy into the page cache
 * (on this project's VMs that copy into never-touched memory cost more than
 * decoding and hashing together); `*directFailed` is set when the kernel
 * refuses it, and the write is then done through `fd`.
 */
ChunkWriteResult writeChunk(const ChunkWrite& job, AlignedScratch& scratch, int directFd = -1, bool* directFailed = nullptr);

/**
 * A verify-only job (fd -1): decodes into `job.out` (a raw chunk is hashed
 * where it lies), hashes and compares; nothing is written. An `out` smaller
 * than rawLength makes the chunk undecodable, never an overrun.
 */
ChunkWriteResult verifyChunk(const ChunkWrite& job);

class ChunkWriter {
 public:
  /**
   * `ready` runs on a writer thread when results wait to be taken: at once
   * when no other job is queued or running (the caller may be waiting for
   * its last chunks), else once kResultBatch results wait or the oldest has
   * waited kResultDelayNs, so that a busy writer wakes the caller once per
   * several chunks, not per chunk. `direct`: write aligned chunks through an
   * O_DIRECT descriptor of each target (opened once per fd from /proc/self/fd).
   */
  ChunkWriter(unsigned threads, std::function<void()> ready, bool direct = false);
  ~ChunkWriter();
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  static constexpr size_t kResultBatch = 4;  // half the writes a receiver keeps in flight (writer.ts): no stall while it refills
  static constexpr uint64_t kResultDelayNs = 5000000;

  void submit(const ChunkWrite& job);
  /** Every result finished since the last call. */
  std::vector<ChunkWriteResult> take();
  /** Finishes the jobs being worked on, drops the queued ones, joins the threads. */
  void stop();

 private:
  void run();
  /** The O_DIRECT descriptor for `fd`, opened on first use; -1 where there is none. */
  int directFor(int fd);
  void directFailed(int fd);

  std::function<void()> ready_;
  bool direct_;
  struct DirectTwin {
    int fd;
    /** The kernel refused a direct write (EINVAL): buffered writes from now on. */
    bool refused;
  };
  /** Per target fd: its O_DIRECT twin. Guarded by mu_, as is retired_ (twins of fds since reused, closed in stop()). */
  std::unordered_map<int, DirectTwin> directFds_;
  std::vector<int> retired_;
  std::mutex mu_;
  std::condition_variable work_;
  std::deque<ChunkWrite> queue_;
  std::vector<ChunkWriteResult> results_;
  /** Jobs taken from the queue and not yet in results_. */
  unsigned running_ = 0;
  /** `ready` ran and take() has not emptied results_ since. */
  bool signalled_ = false;
  /** When the oldest result not yet signalled was added. */
  uint64_t firstResultNs_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace blockcast
