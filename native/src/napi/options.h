// Typed getters for the flat, fully-defaulted option objects JS passes in.
// JS validates every option; a wrong type here is our bug, so it throws.
#pragma once

#include <napi.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "core/socket.h"
#include "core/status.h"

namespace blockcast {

inline Napi::Value requireAttr(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) throw Napi::TypeError::New(o.Env(), std::string("native option missing: ") + name);
  return v;
}

inline double attrNumber(const Napi::Object& o, const char* name) {
  Napi::Value v = requireAttr(o, name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("native option not a number: ") + name);
  return v.As<Napi::Number>().DoubleValue();
}

inline uint32_t attrUint32(const Napi::Object& o, const char* name) {
  double d = attrNumber(o, name);
  if (d < 0 || d > 4294967295.0) throw Napi::RangeError::New(o.Env(), std::string("native option out of range: ") + name);
  return static_cast<uint32_t>(d);
}

inline std::string attrString(const Napi::Object& o, const char* name) {
  Napi::Value v = requireAttr(o, name);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("native option not a string: ") + name);
  return v.As<Napi::String>().Utf8Value();
}

inline bool attrBool(const Napi::Object& o, const char* name) {
  Napi::Value v = requireAttr(o, name);
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), std::string("native option not a boolean: ") + name);
  return v.As<Napi::Boolean>().Value();
}

// The socket options the sender and receiver share; the sender adds TTL
// and loopback.
inline McastOptions readMcastOptions(const Napi::Object& o) {
  McastOptions mo;
  mo.group = attrString(o, "group");
  mo.port = static_cast<uint16_t>(attrUint32(o, "port"));
  mo.ifaddr = attrString(o, "interfaceAddress");
  mo.bufferBytes = static_cast<int>(attrUint32(o, "socketBuffer"));
  return mo;
}

// A failed socket call as a JS error carrying the syscall and errno.
inline Napi::Error socketError(Napi::Env env, const SocketError& err) {
  Napi::Error e = Napi::Error::New(env, err.syscall + ": " + std::strerror(err.err));
  e.Set("syscall", Napi::String::New(env, err.syscall));
  e.Set("errno", Napi::Number::New(env, err.err));
  return e;
}

// A refused core request as the JS error its kind calls for.
inline Napi::Error statusError(Napi::Env env, const Status& s) {
  if (s.kind == Status::kRange) return Napi::RangeError::New(env, s.message);
  return Napi::Error::New(env, s.message);
}

}  // namespace blockcast
