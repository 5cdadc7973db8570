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
  int fd = -1;
  int64_t offset = 0;
};

enum class WriteOutcome : uint8_t { Written, Mismatch, Undecodable, IoError };

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

/** One chunk's whole job on the calling thread; `scratch` grows to the raw size when decoding needs it. */
ChunkWriteResult writeChunk(const ChunkWrite& job, std::vector<uint8_t>& scratch);

class ChunkWriter {
 public:
  /** `ready` runs on a writer thread when results wait and none waited before (one wakeup per batch). */
  ChunkWriter(unsigned threads, std::function<void()> ready);
  ~ChunkWriter();
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  void submit(const ChunkWrite& job);
  /** Every result finished since the last call. */
  std::vector<ChunkWriteResult> take();
  /** Finishes the jobs being worked on, drops the queued ones, joins the threads. */
  void stop();

 private:
  void run();

  std::function<void()> ready_;
  std::mutex mu_;
  std::condition_variable work_;
  std::deque<ChunkWrite> queue_;
  std::vector<ChunkWriteResult> results_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace blockcast
