// The JS ChunkWriter: verified chunk writes on native threads
// (core/chunk_writer), results delivered to one JS callback in batches.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "core/chunk_writer.h"

namespace blockcast {

class ChunkWriterJs;
void callWriteResults(Napi::Env env, Napi::Function cb, ChunkWriterJs* self, int* unused);

class ChunkWriterJs : public Napi::ObjectWrap<ChunkWriterJs> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit ChunkWriterJs(const Napi::CallbackInfo& info);
  ~ChunkWriterJs() override;

 private:
  friend void callWriteResults(Napi::Env, Napi::Function, ChunkWriterJs*, int*);
  using ResultsTsfn = Napi::TypedThreadSafeFunction<ChunkWriterJs, int, callWriteResults>;

  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Verify(const Napi::CallbackInfo& info);
  /** Holds the job's buffers alive until its result is delivered, and queues it. */
  void submit(Napi::Env env, const ChunkWrite& job, Napi::Uint8Array wire, Napi::Value out);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void stop();

  std::unique_ptr<ChunkWriter> writer_;
  ResultsTsfn tsfn_;
  struct Held {
    Napi::ObjectReference wire;
    /** A verify-only job's decode buffer (empty otherwise). */
    Napi::ObjectReference out;
  };
  /** Each job's buffers, held alive until its result is delivered. */
  std::unordered_map<uint64_t, Held> pending_;
  bool closed_ = false;
};

/** { ChunkWriter, blake3(data) -> Buffer, decodes(coding) -> boolean } */
Napi::Object ChunkExports(Napi::Env env);

}  // namespace blockcast
