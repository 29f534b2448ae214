// One-letter policies for the tables of the matrix and what-if tests, which read like the
// KB887429 table they restate: D(isabled), E(nabled), R(equired), U(nknown).
#pragma once

#include "smbsign/matrix.hpp"

namespace testutil {

constexpr smbsign::Policy D = smbsign::Policy::Disabled;
constexpr smbsign::Policy E = smbsign::Policy::Enabled;
constexpr smbsign::Policy R = smbsign::Policy::Required;
constexpr smbsign::Policy U = smbsign::Policy::Unknown;

} // namespace testutil
