// The bodies of the libFuzzer targets, as plain functions over a byte buffer, so that
// the fuzz_*.cpp entry points stay one line and a normal test can replay the inputs
// kept in tests/fuzz/regressions/ through exactly the same code:
//
//     #include "../fuzz/harness.hpp"
//     smbsign::fuzz::run_all(data, size);   // or run_smb1 / run_smb2 / ...
//
// A broken invariant ends the process with __builtin_trap(), which libFuzzer and the
// unit-test runner both report as a crash. Only properties that hold by construction
// (see tracker.hpp) are checked; anything else belongs in a unit test.
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/bytes.hpp"
#include "smbsign/hints.hpp"
#include "smbsign/krb/kdc.hpp"
#include "smbsign/krb/kerberos.hpp"
#include "smbsign/matrix.hpp"
#include "smbsign/ntlmssp.hpp"
#include "smbsign/smb1.hpp"
#include "smbsign/smb2.hpp"
#include "smbsign/tracker.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string_view>

namespace smbsign::fuzz {

#define SMBSIGN_FUZZ_CHECK(cond)                                                                   \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

// Keeps the optimiser from dropping a parser whose result is otherwise unused.
template <typename T> inline void consume(const T &value) noexcept {
    asm volatile("" : : "r"(&value) : "memory");
}

inline void check_parse_error(ParseError e) noexcept {
    SMBSIGN_FUZZ_CHECK(e == ParseError::None || e == ParseError::Truncated ||
                       e == ParseError::Malformed);
}

// Every span a parser hands back must lie inside the buffer it was given.
inline bool within(Bytes outer, Bytes inner) noexcept {
    if (inner.empty())
        return true;
    const auto *lo = outer.data();
    const auto *hi = outer.data() + outer.size();
    return inner.data() >= lo && inner.data() + inner.size() <= hi;
}

// --- fuzz_smb1 ---------------------------------------------------------------------------

inline void run_smb1(const std::uint8_t *data, std::size_t size) noexcept {
    const Bytes msg(data, size);
    smb1::Header h;
    const ParseError he = smb1::parse_header(msg, h);
    check_parse_error(he);
    if (he != ParseError::None) {
        // Truncated means short of a header; Malformed means a wrong protocol id.
        SMBSIGN_FUZZ_CHECK(he != ParseError::Truncated || size < smb1::kHeaderSize);
        SMBSIGN_FUZZ_CHECK(he != ParseError::Malformed || size < smb1::kProtocolId.size() ||
                           !std::equal(smb1::kProtocolId.begin(), smb1::kProtocolId.end(), data));
        return;
    }
    SMBSIGN_FUZZ_CHECK(size >= smb1::kHeaderSize);
    consume(h.is_reply());
    consume(h.success());
    consume(h.access_denied());
    consume(h.has_signature());

    const smb1::Chain chain = smb1::parse_chain(msg, h);
    check_parse_error(chain.error);
    SMBSIGN_FUZZ_CHECK(chain.count <= smb1::Chain::kMax);
    for (std::size_t i = 0; i < chain.count; ++i) {
        const smb1::Block &b = chain.blocks[i];
        SMBSIGN_FUZZ_CHECK(b.words.size() == std::size_t{b.word_count} * 2);
        SMBSIGN_FUZZ_CHECK(within(msg, b.words));
        SMBSIGN_FUZZ_CHECK(within(msg, b.bytes));
        SMBSIGN_FUZZ_CHECK(b.bytes_offset <= size);
        consume(smb1::is_andx(b.command));

        smb1::NegotiateResponse nr;
        check_parse_error(smb1::parse_negotiate_response(b, nr));
        consume(nr);

        smb1::SessionSetupRequest sr;
        check_parse_error(smb1::parse_session_setup_request(h, b, sr));
        consume(sr);

        consume(smb1::session_setup_response_guest(b));
        std::uint16_t sub = 0;
        consume(smb1::trans2_subcommand(b, sub));
        consume(sub);
        consume(smb1::is_oplock_break(h, b));
    }
    // The first block parsed from an arbitrary offset as well (the AndX offsets a
    // hostile peer chooses), with the command taken from the header.
    if (size > smb1::kHeaderSize) {
        smb1::Block b;
        const std::size_t off = smb1::kHeaderSize + (data[size - 1] % (size - smb1::kHeaderSize));
        check_parse_error(smb1::parse_block(msg, off, h.command, b));
        SMBSIGN_FUZZ_CHECK(within(msg, b.words));
        SMBSIGN_FUZZ_CHECK(within(msg, b.bytes));
    }
}

// --- fuzz_smb2 ---------------------------------------------------------------------------

inline void run_smb2_message(Bytes msg, const smb2::Header &h) noexcept {
    consume(h.is_interim());
    consume(smb2::is_error(h.status));

    smb2::NegotiateRequest nq;
    check_parse_error(smb2::parse_negotiate_request(msg, nq));
    consume(nq);

    smb2::NegotiateResponse nr;
    check_parse_error(smb2::parse_negotiate_response(msg, nr));
    consume(smb2::signing_algorithm_from_id(nr.signing_algorithm_id));
    consume(to_string(nr.cipher));

    smb2::SessionSetupRequest sq;
    check_parse_error(smb2::parse_session_setup_request(msg, sq));
    consume(sq);

    smb2::SessionSetupResponse ss;
    check_parse_error(smb2::parse_session_setup_response(msg, ss));
    consume(ss.session_flags);
    consume(ss.security_blob.size());

    std::uint32_t code = 0;
    consume(smb2::ioctl_code(msg, false, code));
    consume(smb2::ioctl_code(msg, true, code));
    consume(code);
}

// Walks a compound chain the way Tracker::smb2_chain does.
inline void run_smb2(const std::uint8_t *data, std::size_t size) noexcept {
    const Bytes all(data, size);
    std::size_t off = 0;
    for (std::size_t steps = 0;; ++steps) {
        SMBSIGN_FUZZ_CHECK(off < size || size == 0);
        // NextCommand is at least 64 and only moves forward: the walk ends.
        SMBSIGN_FUZZ_CHECK(steps <= size / smb2::kHeaderSize + 1);
        const Bytes rest = all.subspan(off);
        smb2::Header h;
        const ParseError e = smb2::parse_header(rest, h);
        check_parse_error(e);
        if (e != ParseError::None)
            return;
        SMBSIGN_FUZZ_CHECK(rest.size() >= smb2::kHeaderSize);
        SMBSIGN_FUZZ_CHECK(h.next_command == 0 || (h.next_command >= smb2::kHeaderSize &&
                                                   h.next_command % smb2::kChainAlignment == 0));
        const Bytes msg = smb2::message_bytes(rest, h);
        SMBSIGN_FUZZ_CHECK(within(rest, msg));
        SMBSIGN_FUZZ_CHECK(msg.data() == rest.data() && msg.size() >= smb2::kHeaderSize);
        run_smb2_message(msg, h);
        if (h.next_command == 0 || h.next_command >= rest.size())
            return;
        off += h.next_command;
    }
}

// --- fuzz_transform ----------------------------------------------------------------------

inline void run_transform(const std::uint8_t *data, std::size_t size) noexcept {
    const Bytes msg(data, size);
    smb2::TransformHeader t;
    const ParseError e = smb2::parse_transform_header(msg, t);
    check_parse_error(e);
    if (e == ParseError::None)
        SMBSIGN_FUZZ_CHECK(size >= smb2::kTransformHeaderSize); // SessionId ends the header
    consume(t);
    const NtlmAuth a = find_ntlm_authenticate(msg);
    SMBSIGN_FUZZ_CHECK(a == NtlmAuth::None || a == NtlmAuth::User || a == NtlmAuth::Anonymous);
    // The same blob seen from every offset, as a SESSION_SETUP security buffer may start anywhere.
    if (size > 0)
        consume(find_ntlm_authenticate(msg.subspan(data[0] % size)));
}

// --- fuzz_tracker ------------------------------------------------------------------------
//
// Input: a sequence of records.
//   byte 0, flags:  bit 0     side (TCP endpoint) that sent the record
//                   bit 1     TCP close (FIN/RST) from that side: the record is this one byte
//                   bits 2-3  connection id (0..3; the tracker below admits 3 connections)
//                   bit 4     the capture cut the PDU short: reported_size = length + 10
//                   bit 5     same frame as the previous record (several PDUs in one frame)
//   bytes 1-2:      payload length, little endian (PDU records only)
//   then            the PDU, starting at its FF/FE/FD/FC 'SMB' protocol id
// A record whose length runs past the end of the input takes what is there.

inline constexpr std::uint8_t kRecSide = 0x01;
inline constexpr std::uint8_t kRecClose = 0x02;
inline constexpr unsigned kRecConnShift = 2;
inline constexpr std::uint8_t kRecConnMask = 0x03;
inline constexpr std::uint8_t kRecTruncated = 0x10;
inline constexpr std::uint8_t kRecSameFrame = 0x20;
inline constexpr std::size_t kRecTruncatedExtra = 10;

inline constexpr Limits kTrackerLimits = [] {
    Limits l;
    l.max_connections = 3;
    l.max_sessions = 64;
    l.max_sessions_per_connection = 8;
    l.max_pending_per_connection = 4;
    return l;
}();

inline constexpr std::size_t kItemLabelLength = 240; // Wireshark's ITEM_LABEL_LENGTH

inline void check_view(const Tracker &t, std::uint32_t index, std::uint32_t frame) noexcept {
    const SessionView v = t.view(index);
    SMBSIGN_FUZZ_CHECK(v.number == index + 1);
    // Counts: every signed message was counted, encrypted ones are counted apart.
    SMBSIGN_FUZZ_CHECK(v.counted_encrypted <= v.counted);
    SMBSIGN_FUZZ_CHECK(v.counted_signed <= v.counted - v.counted_encrypted);
    switch (v.verdict) {
    case Verdict::Signed:
        SMBSIGN_FUZZ_CHECK(v.counted > 0 && v.counted_encrypted == 0);
        SMBSIGN_FUZZ_CHECK(v.counted_signed == v.counted - v.counted_encrypted);
        break;
    case Verdict::Encrypted:
        SMBSIGN_FUZZ_CHECK(v.counted_encrypted > 0);
        SMBSIGN_FUZZ_CHECK(v.counted_signed == v.counted - v.counted_encrypted);
        break;
    case Verdict::Unsigned: // or a key-less (guest/anonymous) grant: doc/DEFINITIONS.md
        SMBSIGN_FUZZ_CHECK(v.counted > 0 || v.guest || v.anonymous);
        break;
    case Verdict::NotEstablished:
    case Verdict::Unknown:
        break;
    default:
        __builtin_trap();
    }
    if (v.malformed)
        SMBSIGN_FUZZ_CHECK(v.verdict == Verdict::Unknown);
    SMBSIGN_FUZZ_CHECK(!v.verdict_reason.empty());
    SMBSIGN_FUZZ_CHECK(v.counted_signed == 0 || v.first_signed_frame != kNoFrame);
    SMBSIGN_FUZZ_CHECK(v.counted_signed == v.counted - v.counted_encrypted ||
                       v.first_unsigned_frame != kNoFrame);
    // Every frame a view names was fed already.
    for (std::uint32_t f : {v.negotiate_frame, v.setup_frame, v.outcome_frame, v.prediction_frame,
                            v.first_signed_frame, v.first_unsigned_frame})
        SMBSIGN_FUZZ_CHECK(f <= frame);
    SMBSIGN_FUZZ_CHECK((v.observed == Observed::Incomplete) == (v.outcome_frame == kNoFrame));
    // Integrity follows the session's signature counts (doc/DEFINITIONS.md).
    const auto &sig = v.signatures;
    SMBSIGN_FUZZ_CHECK((v.integrity == verify::Integrity::Invalid) ==
                       (sig.invalid + sig.encrypted_invalid > 0));
    if (v.integrity == verify::Integrity::Verified)
        SMBSIGN_FUZZ_CHECK(sig.valid + sig.encrypted_valid > 0 && sig.unverifiable == 0 &&
                           sig.encrypted_unverifiable == 0 &&
                           sig.encrypted_valid == v.counted_encrypted);
    consume(verify::to_string(v.integrity));
    if (v.client_inferred)
        SMBSIGN_FUZZ_CHECK(v.client == Policy::Required);
    if (auto side = t.server_side(index))
        SMBSIGN_FUZZ_CHECK(*side <= 1);
    SMBSIGN_FUZZ_CHECK(t.session_connection(index) <= kRecConnMask);
    // The strings the plugin prints.
    consume(to_string(v.dialect));
    consume(to_string(v.signing_algorithm));
    consume(to_string(v.cipher));
    consume(to_string(v.verdict));
    consume(to_string(v.predicted));
    consume(to_string(v.observed));
    consume(to_string(v.client));
    consume(to_string(v.server));
    consume(client_error_text(v.predicted));
    consume(v.consistent);
    // hints.hpp: every text fits one Wireshark item label.
    for (const Hint &h : {server_hint(v.server, v.family), client_hint(v.client, v.family)})
        SMBSIGN_FUZZ_CHECK(h.group_policy.size() < kItemLabelLength &&
                           h.registry.size() < kItemLabelLength);
    SMBSIGN_FUZZ_CHECK(fix_hint(v.predicted, v.observed, v.guest || v.anonymous, v.family).size() <
                       kItemLabelLength);
}

inline void check_tracker(const Tracker &t, std::uint32_t frame) noexcept {
    const std::size_t n = t.session_count();
    SMBSIGN_FUZZ_CHECK(n <= kTrackerLimits.max_sessions);
    SMBSIGN_FUZZ_CHECK(t.connection_count() <= kTrackerLimits.max_connections);
    std::array<std::uint32_t, kRecConnMask + 1> per_conn{};
    for (std::uint32_t i = 0; i < n; ++i) {
        check_view(t, i, frame);
        per_conn[t.session_connection(i) & kRecConnMask]++;
    }
    for (auto c : per_conn)
        SMBSIGN_FUZZ_CHECK(c <= kTrackerLimits.max_sessions_per_connection);
    // Out of range: an empty view, never a read past the session table.
    SMBSIGN_FUZZ_CHECK(t.view(static_cast<std::uint32_t>(n)).number == 0);
    SMBSIGN_FUZZ_CHECK(!t.server_side(static_cast<std::uint32_t>(n)).has_value());

    const auto entries = t.frame_entries(frame);
    for (const FrameEntry &e : entries) {
        SMBSIGN_FUZZ_CHECK(e.frame == frame);
        SMBSIGN_FUZZ_CHECK(e.session == kNoSession || e.session < n);
        SMBSIGN_FUZZ_CHECK(e.anomalies < (1u << static_cast<unsigned>(Anomaly::Count)));
        // A signature check names a reason only when unverifiable.
        SMBSIGN_FUZZ_CHECK((e.signature >> 2) < static_cast<unsigned>(verify::Reason::Count));
        SMBSIGN_FUZZ_CHECK(verify::status_of(e.signature) == verify::Status::Unverifiable ||
                           verify::reason_of(e.signature) == verify::Reason::None);
        // The plugin shows this session's tree for the entry.
        if (e.session != kNoSession)
            SMBSIGN_FUZZ_CHECK(t.view(e.session).number == e.session + 1);
        for (unsigned a = 0; a < static_cast<unsigned>(Anomaly::Count); ++a)
            if (has(e.anomalies, static_cast<Anomaly>(a)))
                consume(describe(static_cast<Anomaly>(a)));
    }
    // Entries of a frame are merged per session: no session appears twice.
    for (std::size_t i = 0; i < entries.size(); ++i)
        for (std::size_t j = i + 1; j < entries.size(); ++j)
            SMBSIGN_FUZZ_CHECK(entries[i].session != entries[j].session);
    SMBSIGN_FUZZ_CHECK(t.frame_entries(frame + 1).empty());
}

// `verifier`, if given, is fed every message (fuzz_verify's use).
inline void run_tracker(const std::uint8_t *data, std::size_t size,
                        verify::Hook *verifier = nullptr) noexcept {
    Tracker t(kTrackerLimits);
    t.set_verifier(verifier);
    std::size_t pos = 0;
    std::uint32_t frame = 0;
    while (pos < size) {
        const std::uint8_t flags = data[pos++];
        const auto side = static_cast<std::uint8_t>(flags & kRecSide);
        const std::uint32_t conn = (flags >> kRecConnShift) & kRecConnMask;
        if (frame == 0 || !(flags & kRecSameFrame))
            ++frame;
        if (flags & kRecClose) {
            t.on_tcp_close(conn, side, frame);
        } else {
            std::size_t len = 0;
            if (pos < size)
                len = data[pos++];
            if (pos < size)
                len |= std::size_t{data[pos++]} << 8;
            len = std::min(len, size - pos);
            const Bytes pdu(data + pos, len);
            pos += len;
            const std::size_t reported = len + ((flags & kRecTruncated) ? kRecTruncatedExtra : 0);
            const std::size_t used = t.on_pdu(conn, side, frame, pdu, reported);
            SMBSIGN_FUZZ_CHECK(used <= pdu.size());
        }
        check_tracker(t, frame);
    }
    t.clear();
    SMBSIGN_FUZZ_CHECK(t.session_count() == 0 && t.connection_count() == 0);
}

// fuzz_kerberos: the DER reader and the Kerberos/SPNEGO reader (krb/kerberos.hpp) over a
// security blob. Seeds are whole SMB messages, so the blob is tried at each offset where a
// DER element of the kinds it starts with could begin (bounded: kMaxKerberosStarts), and the
// input is also read as the plaintext of each decrypted part. Every span a parse returns
// must lie inside the input.
inline constexpr std::size_t kMaxKerberosStarts = 64;
inline void check_inside(Bytes outer, Bytes inner) noexcept {
    if (inner.empty())
        return;
    SMBSIGN_FUZZ_CHECK(inner.data() >= outer.data() &&
                       inner.data() + inner.size() <= outer.data() + outer.size());
}
inline void run_kerberos_blob(Bytes blob) noexcept {
    const krb::Token t = krb::find_kerberos(blob);
    if (t.ap_req) {
        check_inside(blob, t.ap_req->ticket.cipher);
        check_inside(blob, t.ap_req->authenticator.cipher);
    }
    if (t.ap_rep)
        check_inside(blob, t.ap_rep->enc_part.cipher);
    for (const auto &k :
         {krb::ticket_session_key(blob), krb::authenticator_subkey(blob), krb::ap_rep_subkey(blob)})
        if (k)
            SMBSIGN_FUZZ_CHECK(k->size > 0 && k->size <= krb::kMaxKeySize);
}
// A KDC message (krb/kdc.hpp): every part it names lies inside it, every key a decrypted part
// would give has a key's size. Allocation failure (names, lists) is not a finding here.
inline void run_kdc_message(Bytes in) noexcept {
    try {
        krb::KdcMessage m;
        if (krb::parse_kdc_message(in, m) == ParseError::None) {
            check_inside(in, m.ticket.cipher);
            check_inside(in, m.enc_part.cipher);
            if (m.tgs_ap_req)
                check_inside(in, m.tgs_ap_req->authenticator.cipher);
            if (m.fast_rep)
                check_inside(in, m.fast_rep->cipher);
            if (m.fast_armor) {
                check_inside(in, m.fast_armor->ticket.cipher);
                check_inside(in, m.fast_armor->authenticator.cipher);
            }
            for (const auto &e : m.etype_info)
                if (e.salt)
                    check_inside(in, *e.salt);
            SMBSIGN_FUZZ_CHECK(m.client.size() <= krb::kMaxNameSize &&
                               m.realm.size() <= krb::kMaxNameSize &&
                               m.etype_info.size() <= krb::kMaxEntries);
        }
        if (const auto f = krb::fast_response(in)) {
            SMBSIGN_FUZZ_CHECK(f->etype_info.size() <= krb::kMaxEntries);
            if (f->strengthen)
                SMBSIGN_FUZZ_CHECK(f->strengthen->size > 0 &&
                                   f->strengthen->size <= krb::kMaxKeySize);
            for (const auto &e : f->etype_info)
                if (e.salt)
                    check_inside(in, *e.salt);
        }
        if (const auto k = krb::kdc_rep_session_key(in))
            SMBSIGN_FUZZ_CHECK(k->size > 0 && k->size <= krb::kMaxKeySize);
    } catch (const std::bad_alloc &) {
    }
}

inline void run_kerberos(const std::uint8_t *data, std::size_t size) noexcept {
    const Bytes in(data, size);
    run_kerberos_blob(in);
    run_kdc_message(in);
    std::size_t starts = 0;
    for (std::size_t i = 1; i < size && starts < kMaxKerberosStarts; ++i) {
        const std::uint8_t b = data[i];
        if (b != 0x60 && b != 0xa0 && b != 0xa1 && b != 0x6e && b != 0x6f)
            continue;
        ++starts;
        run_kerberos_blob(in.subspan(i));
    }
}

// Every target over one input: what a regression replay calls.
inline void run_all(const std::uint8_t *data, std::size_t size) noexcept {
    run_smb1(data, size);
    run_smb2(data, size);
    run_transform(data, size);
    run_tracker(data, size);
    run_kerberos(data, size);
}

} // namespace smbsign::fuzz
