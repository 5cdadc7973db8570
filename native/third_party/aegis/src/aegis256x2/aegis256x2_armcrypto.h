#ifndef aegis256x2_armcrypto_H
#define aegis256x2_armcrypto_H

#include "../common/common.h"
#include "implementations.h"

extern struct aegis256x2_implementation aegis256x2_armcrypto_implementation;

#endif