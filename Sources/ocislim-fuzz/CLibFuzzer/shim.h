// libFuzzer's driver, from the runtime that `-sanitize=fuzzer` links (compiler-rt's FuzzerInterface.h).
// SwiftPM gives each executable its own `main`, which overrides libFuzzer's; the harness's main calls this instead.
#include <stddef.h>
#include <stdint.h>

typedef int (*LLVMFuzzerTestOneInputCallback)(const uint8_t *data, size_t size);

int LLVMFuzzerRunDriver(int *argc, char ***argv, LLVMFuzzerTestOneInputCallback callback);
