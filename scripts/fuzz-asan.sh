#!/usr/bin/env bash
# The fuzz run of issue 16 under ASan and UBSan, in a build directory of its
# own (build-asan; build/Release, which the tests use, is left alone):
#  1. the native fuzz driver (test/native/fuzz_test.cc) with PACKETS datagrams;
#  2. a real session on loopback through the sanitizer-built addon while
#     bench/fuzz/inject.ts sends PACKETS mutated live packets to the group and
#     to the sender's control port; the received image must equal the sent one.
# Any sanitizer report aborts (-fno-sanitize-recover, halt_on_error) and fails
# the run. Usage: scripts/fuzz-asan.sh [PACKETS] (default 1000000); SEED=N
# fixes the seeds; IMAGE_MB, RATE, PPS size the session (it must outlast the
# injection); INJECT_ARGS=--spare-semantics leaves out forged control
# packets that decode (see bench/fuzz/inject.ts). KEYS=1 runs the session
# signed and sealed (keys from blockcast keygen): every mutant then fails
# its tag, and the session must complete whatever the injector sends.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${1:-1000000}
SEED=${SEED:-$(( (RANDOM << 15) | RANDOM ))}
IMAGE_MB=${IMAGE_MB:-64}
RATE=${RATE:-24m}
PPS=${PPS:-30000}
BUILD=build-asan
LIBASAN=$(gcc -print-file-name=libasan.so)
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

echo "== building the ASan/UBSan addon and fuzz driver into $BUILD"
npx cmake-js compile --out "$BUILD" --CDBLOCKCAST_SANITIZE=ON >"$BUILD.log" 2>&1 || { tail -30 "$BUILD.log"; exit 1; }
cmake --build "$BUILD" --target blockcast_fuzz_test >>"$BUILD.log" 2>&1
npx tsc -p tsconfig.build.json

echo "== native fuzz driver, $PACKETS datagrams"
[ -n "${SKIP_NATIVE:-}" ] || /usr/bin/time -f "native fuzz: %e s wall, %M KiB max RSS" "$BUILD/blockcast_fuzz_test" --packets "$PACKETS" --seed "$SEED"

echo "== loopback session through the ASan addon, injector sending $PACKETS packets"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# Half random, half zeros and text: compressible and incompressible chunks, and zero chunks never sent.
head -c $((IMAGE_MB / 2 * 1048576)) /dev/urandom >"$work/image"
{ yes "blockcast fuzz $SEED" || true; } | head -c $((IMAGE_MB / 4 * 1048576)) >>"$work/image"
head -c $((IMAGE_MB / 4 * 1048576)) /dev/zero >>"$work/image"
send_keys=()
recv_keys=()
if [ -n "${KEYS:-}" ]; then
  node dist/cli/main.js keygen "$work/site" -q
  node dist/cli/main.js keygen --group-key "$work/group.key" -q
  send_keys=(--sign-key "$work/site.key" --group-key "$work/group.key")
  recv_keys=(--trust "$work/site.pub" --group-key "$work/group.key")
fi
group="239.255.$((SEED % 200 + 20)).$((SEED % 250 + 1))"
port=$((20000 + SEED % 20000))
asan=(env LD_PRELOAD="$LIBASAN" BLOCKCAST_ADDON_PATH="$PWD/$BUILD/Release/blockcast_native.node")
start=$(date +%s.%N)
"${asan[@]}" node dist/cli/main.js receive -i 127.0.0.1 -g "$group" -p "$port" --json --wait-timeout 120 --sender-timeout 60 "${recv_keys[@]}" "$work/target" >"$work/receiver.out" 2>"$work/receiver.err" &
pids+=($!); rpid=$!
npx tsx bench/fuzz/inject.ts --group "$group" --port "$port" --packets "$PACKETS" --pps "$PPS" --seed "$SEED" ${INJECT_ARGS:-} >"$work/injector.out" 2>"$work/injector.err" &
pids+=($!); ipid=$!
sleep 2
"${asan[@]}" node dist/cli/main.js send -i 127.0.0.1 -g "$group" -p "$port" --rate "$RATE" --json --receiver-timeout 60 "${send_keys[@]}" "$work/image" >"$work/sender.out" 2>"$work/sender.err" &
pids+=($!); spid=$!
set +e
wait "$spid"; src=$?
wait "$rpid"; rrc=$?
end=$(date +%s.%N)
# The injection must have finished inside the session.
finished_inside=1
if kill -0 "$ipid" 2>/dev/null; then finished_inside=0; kill "$ipid"; fi
wait "$ipid"; irc=$?
set -e
injected=$(tail -1 "$work/injector.out")
echo "injector: $injected"
echo "session: sender exit $src, receiver exit $rrc, $(echo "$end - $start" | bc) s"
status=0
if grep -l -E "AddressSanitizer|runtime error:|LeakSanitizer" "$work"/*.err; then
  echo "SANITIZER REPORT"; grep -h -A30 -E "AddressSanitizer|runtime error:" "$work"/*.err | head -80; status=1
fi
if [ "$src" != 0 ] || [ "$rrc" != 0 ]; then
  echo "session failed"; tail -n 5 "$work/sender.err" "$work/receiver.err" "$work/receiver.out" "$work/sender.out"; status=1
elif cmp -s "$work/image" "$work/target"; then
  echo "image verified: $(b2sum -l 256 "$work/target" | cut -c1-16)… equals the source"
else
  echo "image differs"; status=1
fi
if [ "$finished_inside" = 0 ]; then echo "the session ended before the injector had sent $PACKETS packets (lower RATE or raise IMAGE_MB)"; status=1; fi
if [ "$irc" != 0 ] || ! echo "$injected" | grep -q '"injector":"done"'; then echo "injector did not finish"; status=1; fi
grep -h '"event":"summary"\|"type":"summary"' "$work/sender.out" "$work/receiver.out" | cut -c1-600 || true
echo "fuzz-asan: $([ $status = 0 ] && echo passed || echo FAILED) (seed $SEED)"
exit $status
