// The SMB2/3 signing state (MS-SMB2 3.1.4.1, 3.2.5.3, 3.3.5.5.3), in two parts as Samba's
// smb2_signing.c keeps them:
//   Smb2NegotiateHash  per connection: the SMB 3.1.1 preauth integrity hash of the
//                      NEGOTIATE request and response (MS-SMB2 3.2.5.2, 3.3.5.4);
//   Smb2SigningState   per session (and channel): the session's preauth hash, taken on from
//                      its connection's over the SESSION_SETUP exchange, and one keyed
//                      signer made from the session key once the set-up is complete.
// Keys derive in smb2_keys.hpp; the MAC is sign.hpp's Smb2Signer.
#pragma once

#include "smbsign/dialect.hpp"
#include "smbsign/verify/result.hpp"
#include "smbsign/verify/sign.hpp"
#include "smbsign/verify/smb2_keys.hpp"

#include <memory>

namespace smbsign::verify {

class Smb2NegotiateHash {
public:
    // A NEGOTIATE request starts the connection's hash again from zero.
    void request(Bytes message) noexcept {
        hash_ = PreauthHash{};
        request_ = hash_.update(message);
        response_ = false;
    }
    // A successful NEGOTIATE response.
    void response(Bytes message) noexcept { response_ = hash_.update(message); }

    // Both messages are in the hash.
    [[nodiscard]] bool whole() const noexcept { return request_ && response_; }
    [[nodiscard]] const PreauthHash &hash() const noexcept { return hash_; }

private:
    PreauthHash hash_;
    bool request_ = false;
    bool response_ = false;
};

class Smb2SigningState {
public:
    // A SESSION_SETUP request. The first one takes the connection's hash; it is whole when
    // the NEGOTIATE pair and the session's very first request (SessionId 0, MS-SMB2
    // 3.2.4.2.3) are in it. `binding`: SMB2_SESSION_FLAG_BINDING (2.2.5), a channel whose
    // key comes from another connection.
    void setup_request(const Smb2NegotiateHash &connection, bool first_of_session, bool binding,
                       bool is_311, Bytes message) noexcept {
        if (!started_) {
            preauth_ = connection.hash();
            started_ = true;
            whole_ = connection.whole() && first_of_session;
        }
        bound_ = bound_ || binding;
        if (is_311 && !final_)
            preauth_.update(message);
    }
    // A STATUS_MORE_PROCESSING_REQUIRED response: in the hash too (3.1.1).
    void setup_continues(bool is_311, Bytes message) noexcept {
        if (is_311 && started_ && !final_)
            preauth_.update(message);
    }
    // The final success response: not in the hash; the signing key can be derived.
    void setup_succeeded() noexcept {
        if (started_)
            final_ = true;
    }

    [[nodiscard]] bool bound() const noexcept { return bound_; }
    // The session's 3.1.1 preauth hash when the whole exchange is in it (the context of
    // the 3.1.1 cipher keys, smb2_encryption.hpp); nullptr otherwise.
    [[nodiscard]] const Digest64 *complete_preauth_hash(bool mid_capture) const noexcept {
        if (mid_capture || !final_ || !whole_ || !preauth_.ok())
            return nullptr;
        return &preauth_.value();
    }
    [[nodiscard]] Smb2Signer *signer() noexcept { return signer_.get(); }
    void drop_signer() noexcept { signer_.reset(); }

    // Makes the session's signer from its session key: the key this dialect signs with
    // (smb2_keys.hpp) under the connection's algorithm. Reason::None when made.
    Reason make_signer(Dialect dialect, smb2::SigningAlgorithm algorithm, const Key16 &session_key,
                       bool mid_capture) {
        if (!smb2_keys::derives_signing_key(dialect))
            return mid_capture ? Reason::NoSetup : Reason::UnknownDialect;
        // Without every message of the hash the 3.1.1 key would be wrong and every
        // signature "invalid": say what is missing instead.
        if (dialect == Dialect::Smb311 && (mid_capture || !final_ || !whole_ || !preauth_.ok()))
            return Reason::NoSetup;
        const auto key = smb2_signing_key(dialect, session_key, preauth_.value());
        // The connection's MAC (smb2::signing_algorithm_of); an id MS-SMB2 does not define
        // signs nothing.
        if (!key || !Smb2Signer::signs_smb2(algorithm))
            return Reason::UnknownDialect;
        auto signer = std::make_unique<Smb2Signer>(algorithm, *key);
        if (!signer->ok())
            return Reason::NoKey;
        signer_ = std::move(signer);
        return Reason::None;
    }

private:
    PreauthHash preauth_;
    bool started_ = false;
    bool whole_ = false; // from the NEGOTIATE pair and the session's first request
    bool final_ = false; // the final SESSION_SETUP response was reached
    bool bound_ = false;
    std::unique_ptr<Smb2Signer> signer_;
};

} // namespace smbsign::verify
