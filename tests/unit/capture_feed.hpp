// A real capture's SMB messages fed to a tracker with a verifier (the path tshark takes),
// for the unit tests on the lab's captures: each frame's signature check and every
// session's view at the end.
#pragma once

#include "smbsign/tracker.hpp"
#include "smbsign/verify/verifier.hpp"

#include "kdc_reader.hpp"
#include "pcap_reader.hpp"

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace testutil {

struct Outcome {
    std::map<std::uint32_t, smbsign::verify::Code> by_frame; // every frame with a signature check
    std::map<std::uint32_t, smbsign::AnomalySet> anomalies;  // every frame with an anomaly
    std::vector<smbsign::SessionView> sessions;
};

// Feeds a capture's messages to a tracker with a verifier holding `secrets`; the KDC
// messages `kdc` (kdc_reader.hpp) go to the verifier in frame order with them, as the plugin
// hands them over.
inline Outcome feed(const pcap_reader::Capture &cap, smbsign::verify::Secrets secrets,
                    const std::vector<kdc_reader::Message> &kdc = {}) {
    using namespace smbsign;
    verify::Verifier verifier(std::move(secrets));
    Tracker tracker;
    tracker.set_verifier(&verifier);
    Outcome r;
    auto next_kdc = kdc.begin();
    for (const auto &m : cap.messages) {
        for (; next_kdc != kdc.end() && next_kdc->frame < m.frame; ++next_kdc)
            (void)verifier.kdc(Bytes(next_kdc->bytes));
        tracker.on_pdu(m.conn, m.side, m.frame, Bytes(cap.bytes).subspan(m.offset, m.size), m.size);
        for (const FrameEntry &e : tracker.frame_entries(m.frame)) {
            if (verify::status_of(e.signature) != verify::Status::None)
                r.by_frame[m.frame] = e.signature;
            if (e.anomalies != 0)
                r.anomalies[m.frame] |= e.anomalies;
        }
    }
    for (std::uint32_t i = 0; i < tracker.session_count(); ++i)
        r.sessions.push_back(tracker.view(i));
    return r;
}

} // namespace testutil
