#ifndef OCISLIM_CCRYPTO_SHIM_H
#define OCISLIM_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

/* An OSSL_PARAM keeps a pointer to its name until it is used. Swift passes an imported string macro as a temporary
   copy, so these wrappers name the parameters with OpenSSL's own macro literals, which have static storage. */
static inline OSSL_PARAM ocislim_mac_param_size(size_t *value) {
    return OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, value);
}

static inline OSSL_PARAM ocislim_mac_param_c_rounds(unsigned int *value) {
    return OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_C_ROUNDS, value);
}

static inline OSSL_PARAM ocislim_mac_param_d_rounds(unsigned int *value) {
    return OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_D_ROUNDS, value);
}
#endif
