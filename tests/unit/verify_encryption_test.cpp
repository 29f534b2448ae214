// SMB3 encryption through the tracker and alone (smbsign/verify/smb2_encryption.hpp): the
// integrity of encrypted sessions, the TRANSFORM_HEADER parser, the cipher keys, the tag
// check and decryption. Real bytes come from the lab's samples (samples/README.md: user
// smbsign, password Sign1ng-Pass), each test naming the sample.
#include "smbsign/tracker.hpp"
#include "smbsign/verify/verifier.hpp"

#include "pcap_reader.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace {

using namespace smbsign;
using namespace smbsign::verify;

constexpr const char *kLabPassword = "Sign1ng-Pass"; // samples/README.md

struct Fed {
    std::vector<SessionView> sessions;
    std::map<std::uint32_t, FrameEntry> frames; // frames with a check
};

Fed feed(const pcap_reader::Capture &cap, Hook &hook) {
    Tracker tracker;
    tracker.set_verifier(&hook);
    Fed r;
    for (const auto &m : cap.messages) {
        tracker.on_pdu(m.conn, m.side, m.frame, Bytes(cap.bytes).subspan(m.offset, m.size), m.size);
        for (const FrameEntry &e : tracker.frame_entries(m.frame))
            if (status_of(e.signature) != Status::None)
                r.frames[m.frame] = e;
    }
    for (std::uint32_t i = 0; i < tracker.session_count(); ++i)
        r.sessions.push_back(tracker.view(i));
    return r;
}

pcap_reader::Capture sample(const std::string &name) {
    auto cap = pcap_reader::read(std::string(SMBSIGN_SAMPLES_DIR) + "/" + name);
    EXPECT_FALSE(cap.messages.empty()) << name;
    return cap;
}

Secrets lab_password() {
    Secrets s;
    EXPECT_TRUE(s.add_password(kLabPassword));
    return s;
}

const SessionView *encrypted_session(const Fed &r) {
    for (const auto &v : r.sessions)
        if (v.verdict == Verdict::Encrypted)
            return &v;
    ADD_FAILURE() << "no encrypted session";
    return nullptr;
}

// A verifier that checks signatures but never opens an encrypted message (as smbsign did
// before it decrypted): what a session's integrity says when its encrypted traffic went
// unchecked.
class SignaturesOnly final : public Hook {
public:
    explicit SignaturesOnly(Secrets s) : v_(std::move(s)) {}
    Code smb2(const MessageContext &c, const Smb2Message &m) noexcept override {
        return v_.smb2(c, m);
    }
    Code smb1(const MessageContext &c, const Smb1Message &m) noexcept override {
        return v_.smb1(c, m);
    }
    [[nodiscard]] SessionSummary summary(std::uint32_t s) const noexcept override {
        return v_.summary(s);
    }
    void clear() noexcept override { v_.clear(); }

private:
    Verifier v_;
};

// smb311-encrypted.pcap: the signed SESSION_SETUP response verifies, the 42 encrypted
// messages after it are not checked: the session is unverified, never verified.
TEST(VerifyEncryption, UncheckedEncryptedTrafficIsNeverVerified) {
    auto cap = sample("smb311-encrypted.pcap");
    SignaturesOnly hook(lab_password());
    Fed r = feed(cap, hook);
    const SessionView *v = encrypted_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_GT(v->signatures.valid, 0u);
    EXPECT_EQ(v->signatures.invalid, 0u);
    EXPECT_EQ(v->counted_encrypted, 42u);
    EXPECT_EQ(v->integrity, Integrity::Unverified);
}

} // namespace
