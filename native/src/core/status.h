// How a core call reports a refused request without knowing about JS: the
// binding turns a Range status into a RangeError and a State status into an
// Error, with the same message.
#pragma once

namespace blockcast {

struct Status {
  enum Kind { kOk, kRange, kState };
  Kind kind = kOk;
  const char* message = "";

  bool ok() const { return kind == kOk; }
  static Status Ok() { return {}; }
  static Status Range(const char* m) { return {kRange, m}; }
  static Status State(const char* m) { return {kState, m}; }
};

}  // namespace blockcast
