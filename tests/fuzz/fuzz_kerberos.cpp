// libFuzzer entry point; the target itself is smbsign::fuzz::run_kerberos in harness.hpp.
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    smbsign::fuzz::run_kerberos(data, size);
    return 0;
}
