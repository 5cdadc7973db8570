// core/seal for the packets TypeScript seals and opens (every type but DATA):
// the same code as the engines', for every cipher, AEGIS included (Node's
// crypto has no AEGIS).
#pragma once

#include <napi.h>

namespace blockcast {

// { ciphers(), seal(cipher, key, origin, seq, packet, aadLength),
//   open(cipher, key, origin, packet, aadLength) }.
Napi::Object SealExports(Napi::Env env);

}  // namespace blockcast
