// libFuzzer entry point; the target itself is smbsign::fuzz::run_verify in verify_harness.hpp.
#include "verify_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    smbsign::fuzz::run_verify(data, size);
    return 0;
}
