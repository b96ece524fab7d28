#ifndef OCISLIM_CCRYPTO_SHIM_H
#define OCISLIM_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#endif
