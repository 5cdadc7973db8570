# Cross-compiling the addon for linux-arm64 on Debian (scripts/prebuild-cross.mjs):
# the GNU cross toolchain (g++-aarch64-linux-gnu) and the arm64 -dev packages
# of Debian's multiarch (libisal-dev:arm64 …), whose libraries live in
# /usr/lib/aarch64-linux-gnu and whose headers are shared in /usr/include.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Never link the build machine's own (x86-64) libraries.
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu)
