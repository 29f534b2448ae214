// SMB1 record parsers (smb1.hpp) and the NTLMSSP probe (ntlmssp.hpp) on real byte
// vectors from the public captures (smb_vectors.hpp names capture and frame of each),
// plus the boundary cases: one byte short, exact end, one byte past.
#include "smbsign/ntlmssp.hpp"
#include "smbsign/smb1.hpp"

#include "smb_vectors.hpp"
#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

using namespace smbsign;
using namespace testutil;

// Offsets inside an SMB1 message (MS-CIFS 2.2.3.1, 2.2.3.2).
constexpr std::size_t kWordCountOffset = smb1::kHeaderSize; // 32
constexpr std::size_t kWordsOffset = kWordCountOffset + 1;  // 33
constexpr std::size_t kAndXCommandOffset = kWordsOffset;    // AndXCommand
constexpr std::size_t kAndXOffsetOffset = kWordsOffset + 2; // AndXOffset
// SESSION_SETUP_ANDX request (MS-SMB 2.2.4.6.1): SecurityBlobLength is word 7.
constexpr std::size_t kSetupBlobLengthOffset = kWordsOffset + 14;
// ByteCount of a 13-word SESSION_SETUP_ANDX request and the first byte of its data.
constexpr std::size_t kSetupNtLmByteCountOffset = kWordsOffset + 26;
constexpr std::size_t kSetupNtLmBytesOffset = kSetupNtLmByteCountOffset + 2; // 61, odd
// The 12-word (extended security) request: its data, the security blob, starts at 59.
constexpr std::size_t kSetupExtBytesOffset = kWordsOffset + 24 + 2;

constexpr std::uint8_t kSecMode03 = 0x03;
constexpr std::uint8_t kSecMode07 = 0x07;
constexpr std::uint8_t kSecMode0f = 0x0f;

struct Parsed {
    smb1::Header header;
    smb1::Chain chain;
};

Parsed parse(Bytes msg) {
    Parsed p;
    EXPECT_EQ(smb1::parse_header(msg, p.header), ParseError::None);
    p.chain = smb1::parse_chain(msg, p.header);
    return p;
}

// --- Header -------------------------------------------------------------------------------

// smb1-sm0f-w2k8r2-server-signed.pcap frame 13: a signed SESSION_SETUP_ANDX response.
TEST(Smb1Header, RealSignedSessionSetupResponse) {
    smb1::Header h;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1SetupResponseSigned), h), ParseError::None);
    EXPECT_EQ(h.command, smb1::kCmdSessionSetupAndX);
    EXPECT_TRUE(h.is_reply());
    EXPECT_EQ(h.flags2, 0x6807);
    EXPECT_TRUE(h.nt_status());
    EXPECT_TRUE(h.success());
    EXPECT_EQ(h.uid, 8192);
    EXPECT_EQ(h.mid, 17573);
    const std::array<std::uint8_t, 8> expected_sig = {0x05, 0xd5, 0xf0, 0x38,
                                                      0xc0, 0xab, 0x46, 0x0a};
    EXPECT_EQ(h.signature, expected_sig);
    EXPECT_TRUE(h.has_signature());
}

TEST(Smb1Header, RequestIsNotReply) {
    smb1::Header h;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1NegotiateRequestWin7), h), ParseError::None);
    EXPECT_EQ(h.command, smb1::kCmdNegotiate);
    EXPECT_FALSE(h.is_reply());
    EXPECT_EQ(h.flags2, 0xc053);
    EXPECT_EQ(h.mid, 64);
}

TEST(Smb1Header, Boundaries) {
    const Buf msg = to_buf(vectors::kSmb1SetupResponseSigned);
    smb1::Header h;
    EXPECT_EQ(smb1::parse_header(span(first(msg, smb1::kHeaderSize - 1)), h),
              ParseError::Truncated);
    EXPECT_EQ(smb1::parse_header(span(first(msg, smb1::kHeaderSize)), h), ParseError::None);
    EXPECT_EQ(h.uid, 8192); // the last header field is read at the exact end
    EXPECT_EQ(h.mid, 17573);
    EXPECT_EQ(smb1::parse_header(span(first(msg, smb1::kHeaderSize + 1)), h), ParseError::None);
    EXPECT_EQ(smb1::parse_header(span(first(msg, 3)), h), ParseError::Truncated);
    EXPECT_EQ(smb1::parse_header(Bytes{}, h), ParseError::Truncated);
}

TEST(Smb1Header, WrongProtocolIdIsMalformed) {
    Buf msg = to_buf(vectors::kSmb1SetupResponseSigned);
    msg[0] = 0xFE; // an SMB2 id
    smb1::Header h;
    EXPECT_EQ(smb1::parse_header(span(msg), h), ParseError::Malformed);
    // Even when too short for a header, a wrong id is not "need more bytes".
    EXPECT_EQ(smb1::parse_header(span(first(msg, 8)), h), ParseError::Malformed);
}

// smb1-sm03-xp-server-treeconnect-access-denied-xscan.pcap frames 8101 and 7422.
TEST(Smb1Header, AccessDeniedAsNtStatusAndAsDosError) {
    smb1::Header nt;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1TreeConnectResponseAccessDenied), nt),
              ParseError::None);
    EXPECT_TRUE(nt.nt_status());
    EXPECT_EQ(nt.status, smb1::kStatusAccessDenied);
    EXPECT_TRUE(nt.access_denied());
    EXPECT_FALSE(nt.success());

    smb1::Header dos;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1TreeConnectResponseErrnoaccess), dos),
              ParseError::None);
    EXPECT_FALSE(dos.nt_status());
    EXPECT_EQ(dos.status, smb1::kErrClassDos | std::uint32_t{smb1::kErrDosNoAccess} << 16);
    EXPECT_TRUE(dos.access_denied());
    EXPECT_FALSE(dos.success());

    smb1::Header ok;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1SetupResponseWin7), ok), ParseError::None);
    EXPECT_FALSE(ok.access_denied());
    EXPECT_TRUE(ok.success());
}

// --- has_signature --------------------------------------------------------------------------

TEST(Smb1Signature, ZeroIsNotASignature) {
    // smb1-sm03-win7-server-unsigned-treeconnect.pcap frame 5: Flags2 0x0004 set, zero bytes.
    smb1::Header h;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1TreeConnectRequestWin7), h), ParseError::None);
    EXPECT_NE(h.flags2 & smb1::kFlags2SecuritySignature, 0);
    EXPECT_FALSE(h.has_signature());
}

TEST(Smb1Signature, PlaceholderIsNotASignature) {
    // smb1-sm07-xp-client-w2k-server-krb-signed.pcap frame 7: "BSRSPYL ".
    smb1::Header h;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1SetupRequestPlaceholderHeader), h),
              ParseError::None);
    EXPECT_EQ(h.signature, smb1::kPlaceholderSignature);
    EXPECT_FALSE(h.has_signature());
}

TEST(Smb1Signature, RealBytesAreASignature) {
    smb1::Header h;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1SetupResponseSigned), h), ParseError::None);
    EXPECT_TRUE(h.has_signature());
}

TEST(Smb1Signature, AnyNonZeroNonPlaceholderCountsAtThisLayer) {
    // Scanner junk "rver wea" (xscan frame 527): the parser only says "bytes present";
    // telling junk from signatures is the tracker's job.
    smb1::Header h;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1SetupRequestNtlmUser), h), ParseError::None);
    EXPECT_TRUE(h.has_signature());
    // One byte changed from the placeholder is no longer the placeholder.
    Buf msg = to_buf(vectors::kSmb1SetupRequestPlaceholderHeader);
    msg[smb1::kSignatureOffset + smb1::kSignatureSize - 1] = 0;
    ASSERT_EQ(smb1::parse_header(span(msg), h), ParseError::None);
    EXPECT_TRUE(h.has_signature());
}

// --- NEGOTIATE response -----------------------------------------------------------------

struct NegotiateCase {
    const char *name;
    Buf msg;
    std::uint16_t dialect_index;
    std::uint16_t security_mode;
};

class Smb1NegotiateNtLm : public ::testing::TestWithParam<NegotiateCase> {};

TEST_P(Smb1NegotiateNtLm, SecurityModeByte) {
    const auto &c = GetParam();
    const Parsed p = parse(span(c.msg));
    ASSERT_EQ(p.chain.count, 1u);
    EXPECT_EQ(p.chain.error, ParseError::None);
    EXPECT_EQ(p.chain.blocks[0].word_count, smb1::kNegotiateWordCountNtLm);
    smb1::NegotiateResponse r;
    ASSERT_EQ(smb1::parse_negotiate_response(p.chain.blocks[0], r), ParseError::None);
    EXPECT_EQ(r.format, smb1::NegotiateFormat::NtLm);
    EXPECT_EQ(r.dialect_index, c.dialect_index);
    EXPECT_EQ(r.security_mode, c.security_mode);
}

INSTANTIATE_TEST_SUITE_P(
    RealServers, Smb1NegotiateNtLm,
    ::testing::Values(
        // smb1-sm03-win7-server-unsigned-treeconnect.pcap frame 2 (Windows 7).
        NegotiateCase{"sm03_win7", to_buf(vectors::kSmb1NegotiateResponseSm03), 5, kSecMode03},
        // smb1-sm07-xp-client-w2k-server-krb-signed.pcap frame 5 (Windows 2000).
        NegotiateCase{"sm07_w2k", to_buf(vectors::kSmb1NegotiateResponseSm07), 5, kSecMode07},
        // smb1-sm0f-w2k8r2-server-signed.pcap frame 7 (Windows Server 2008 R2).
        NegotiateCase{"sm0f_w2k8r2", to_buf(vectors::kSmb1NegotiateResponseSm0f), 3, kSecMode0f}),
    [](const auto &info) { return std::string(info.param.name); });

// smb1-lanman-sm0003-negotiate-only.pcap frame 6: WordCount 13, SecurityMode is 16 bits.
TEST(Smb1Negotiate, LanmanFormat) {
    const Parsed p = parse(span(vectors::kSmb1NegotiateResponseLanman));
    ASSERT_EQ(p.chain.count, 1u);
    EXPECT_EQ(p.chain.blocks[0].word_count, smb1::kNegotiateWordCountLanman);
    smb1::NegotiateResponse r;
    ASSERT_EQ(smb1::parse_negotiate_response(p.chain.blocks[0], r), ParseError::None);
    EXPECT_EQ(r.format, smb1::NegotiateFormat::Lanman);
    EXPECT_EQ(r.dialect_index, 3);
    EXPECT_EQ(r.security_mode, 0x0003);
}

// A "none of these dialects" answer: the Windows 7 response's header with WordCount 1,
// DialectIndex 0xFFFF, ByteCount 0 (MS-CIFS 2.2.4.52.2). No capture has one.
Buf no_dialect_response() {
    Buf msg = first(to_buf(vectors::kSmb1NegotiateResponseSm03), smb1::kHeaderSize);
    append_u8(msg, 1);
    append_u16le(msg, smb1::kNoDialectSelected);
    append_u16le(msg, 0);
    return msg;
}

TEST(Smb1Negotiate, NoDialectSelected) {
    const Buf msg = no_dialect_response();
    const Parsed p = parse(span(msg));
    ASSERT_EQ(p.chain.count, 1u);
    smb1::NegotiateResponse r;
    ASSERT_EQ(smb1::parse_negotiate_response(p.chain.blocks[0], r), ParseError::None);
    EXPECT_EQ(r.format, smb1::NegotiateFormat::None);
    EXPECT_EQ(r.dialect_index, smb1::kNoDialectSelected);
}

TEST(Smb1Negotiate, CoreDialectAndBadWordCounts) {
    Buf msg = no_dialect_response();
    put_u16le(msg, kWordsOffset, 0); // dialect 0 chosen, WordCount 1: a core dialect
    smb1::NegotiateResponse r;
    Parsed p = parse(span(msg));
    ASSERT_EQ(p.chain.count, 1u);
    ASSERT_EQ(smb1::parse_negotiate_response(p.chain.blocks[0], r), ParseError::None);
    EXPECT_EQ(r.format, smb1::NegotiateFormat::Core);

    smb1::Block empty;
    empty.word_count = 0;
    EXPECT_EQ(smb1::parse_negotiate_response(empty, r), ParseError::Malformed);

    // WordCount 5 is none of the formats.
    Buf odd = first(to_buf(vectors::kSmb1NegotiateResponseSm03), smb1::kHeaderSize);
    append_u8(odd, 5);
    append_u16le(odd, 5); // DialectIndex
    append_zeros(odd, 8);
    append_u16le(odd, 0);
    p = parse(span(odd));
    ASSERT_EQ(p.chain.count, 1u);
    smb1::NegotiateResponse r2;
    EXPECT_EQ(smb1::parse_negotiate_response(p.chain.blocks[0], r2), ParseError::Malformed);
}

TEST(Smb1Negotiate, Boundaries) {
    const Buf full = to_buf(vectors::kSmb1NegotiateResponseSm0f);
    // Exact end.
    {
        smb1::Block b;
        EXPECT_EQ(smb1::parse_block(span(full), kWordCountOffset, smb1::kCmdNegotiate, b),
                  ParseError::None);
        EXPECT_EQ(b.bytes_offset + b.bytes.size(), full.size());
    }
    // One byte short: the byte block is cut, the parameter words (and so the
    // SecurityMode) are all there and still parse.
    {
        const Buf cut = first(full, full.size() - 1);
        const Parsed p = parse(span(cut));
        EXPECT_EQ(p.chain.error, ParseError::Truncated);
        ASSERT_EQ(p.chain.count, 1u);
        EXPECT_EQ(p.chain.blocks[0].bytes.size(), full.size() - 1 - p.chain.blocks[0].bytes_offset);
        smb1::NegotiateResponse r;
        ASSERT_EQ(smb1::parse_negotiate_response(p.chain.blocks[0], r), ParseError::None);
        EXPECT_EQ(r.security_mode, kSecMode0f);
    }
    // One byte past: a trailing byte is ignored.
    {
        Buf longer = full;
        longer.push_back(0xAA);
        const Parsed p = parse(span(longer));
        EXPECT_EQ(p.chain.error, ParseError::None);
        ASSERT_EQ(p.chain.count, 1u);
        EXPECT_EQ(p.chain.blocks[0].bytes.size(), full.size() - p.chain.blocks[0].bytes_offset);
    }
    // Cut inside the parameter words: no block at all.
    {
        const std::size_t words_end = kWordsOffset + 2 * smb1::kNegotiateWordCountNtLm;
        const Buf cut = first(full, words_end - 1);
        const Parsed p = parse(span(cut));
        EXPECT_EQ(p.chain.error, ParseError::Truncated);
        EXPECT_EQ(p.chain.count, 0u);
    }
}

// --- SESSION_SETUP_ANDX request -----------------------------------------------------------

smb1::SessionSetupRequest setup_request(Bytes msg, ParseError expect = ParseError::None) {
    const Parsed p = parse(msg);
    smb1::SessionSetupRequest r;
    EXPECT_GE(p.chain.count, 1u);
    if (p.chain.count == 0)
        return r;
    EXPECT_EQ(smb1::parse_session_setup_request(p.header, p.chain.blocks[0], r), expect);
    return r;
}

// smb1-sm03-win7-and-sm0f-w2012r2-wannacry.pcap frame 321.
TEST(Smb1SessionSetupRequest, ExtendedSecurityEmptyBlobIsAnonymous) {
    ASSERT_EQ(get_u16le(to_buf(vectors::kSmb1SetupRequestEmptyBlob), kSetupBlobLengthOffset), 0);
    const auto r = setup_request(span(vectors::kSmb1SetupRequestEmptyBlob));
    EXPECT_TRUE(r.extended_security);
    EXPECT_TRUE(r.anonymous);
}

// xscan frame 507: NTLMSSP AUTHENTICATE, user name empty (and the ANONYMOUS flag set).
TEST(Smb1SessionSetupRequest, NtlmAuthenticateWithEmptyUserIsAnonymous) {
    const auto r = setup_request(span(vectors::kSmb1SetupRequestNtlmNullUser));
    EXPECT_TRUE(r.extended_security);
    EXPECT_TRUE(r.anonymous);
}

// xscan frame 527: NTLMSSP AUTHENTICATE for "world".
TEST(Smb1SessionSetupRequest, NtlmAuthenticateWithUserIsNotAnonymous) {
    const auto r = setup_request(span(vectors::kSmb1SetupRequestNtlmUser));
    EXPECT_TRUE(r.extended_security);
    EXPECT_FALSE(r.anonymous);
}

// smb1-sm03-win7-server-unsigned-treeconnect.pcap frame 3: WordCount 13, Unicode,
// OEMPasswordLen 1 (a single zero byte), empty account name.
TEST(Smb1SessionSetupRequest, EmptyAccountWithOnePasswordByteIsAnonymous) {
    const auto r = setup_request(span(vectors::kSmb1SetupRequestAnonymousWct13));
    EXPECT_FALSE(r.extended_security);
    EXPECT_TRUE(r.anonymous);
}

// smb1-sm02-samba-share-level.pcap frame 8: Unicode, 2 password bytes, a pad byte to
// align the Unicode account name "user".
TEST(Smb1SessionSetupRequest, UnicodeAccountAfterPadIsNotAnonymous) {
    const auto r = setup_request(span(vectors::kSmb1SetupRequestUnicodePadded));
    EXPECT_FALSE(r.extended_security);
    EXPECT_FALSE(r.anonymous);
}

// xscan frame 3217: OEM strings, 24 password bytes, account "nessus...".
TEST(Smb1SessionSetupRequest, OemAccountIsNotAnonymous) {
    const auto r = setup_request(span(vectors::kSmb1SetupRequestOemUser));
    EXPECT_FALSE(r.anonymous);
}

// A 13-word request built after the Windows 7 one (frame 3) with chosen password
// length, pad byte and account name, to pin down the Unicode alignment rule: the
// account name starts at an even offset from the SMB header (MS-CIFS 2.2.4.53.1).
Buf ntlm013_request(std::uint16_t password_len, bool pad, std::uint8_t pad_byte,
                    const Buf &account_utf16) {
    Buf msg = first(to_buf(vectors::kSmb1SetupRequestAnonymousWct13), kSetupNtLmByteCountOffset);
    put_u16le(msg, kWordsOffset + 14, password_len); // OEMPasswordLen
    put_u16le(msg, kWordsOffset + 16, 0);            // UnicodePasswordLen
    Buf data(password_len, 0x00);
    if (pad)
        data.push_back(pad_byte);
    append(data, account_utf16);
    append_u16le(data, 0); // terminator
    append_u16le(msg, static_cast<std::uint16_t>(data.size()));
    append(msg, data);
    return msg;
}

const Buf kNameX = {'x', 0};
const Buf kNameEmpty = {};

TEST(Smb1SessionSetupRequest, UnicodePadIsSkippedWhenNameWouldBeOdd) {
    // Data starts at offset 61: with no password the name needs a pad byte. A non-zero
    // pad must not be read as the first character.
    static_assert(kSetupNtLmBytesOffset % 2 == 1);
    EXPECT_TRUE(setup_request(span(ntlm013_request(0, true, 0xAA, kNameEmpty))).anonymous);
    EXPECT_FALSE(setup_request(span(ntlm013_request(0, true, 0x00, kNameX))).anonymous);
}

TEST(Smb1SessionSetupRequest, NoPadWhenNameIsAlreadyEven) {
    // One password byte: the name starts at 62, even. Skipping a byte here would read
    // the tail of "x" and its terminator as an empty name.
    EXPECT_FALSE(setup_request(span(ntlm013_request(1, false, 0, kNameX))).anonymous);
    EXPECT_TRUE(setup_request(span(ntlm013_request(1, false, 0, kNameEmpty))).anonymous);
}

TEST(Smb1SessionSetupRequest, TwoPasswordBytesAreNotAnonymous) {
    // An empty name with a real (2-byte) password is not a null session.
    EXPECT_FALSE(setup_request(span(ntlm013_request(2, true, 0, kNameEmpty))).anonymous);
}

TEST(Smb1SessionSetupRequest, Boundaries) {
    // A 13-word request whose data ends exactly after the 1-byte password and the
    // 2-byte empty name; then one byte past and one byte short.
    const Buf full = ntlm013_request(1, false, 0, kNameEmpty);
    EXPECT_TRUE(setup_request(span(full)).anonymous);
    Buf longer = full;
    longer.push_back(0x55);
    EXPECT_TRUE(setup_request(span(longer)).anonymous);
    // One byte short: the byte block no longer matches ByteCount.
    const Buf cut = first(full, full.size() - 1);
    const Parsed p = parse(span(cut));
    EXPECT_EQ(p.chain.error, ParseError::Truncated);
    // The empty-blob extended request cut inside its parameter words: nothing to parse.
    const Buf ext = first(to_buf(vectors::kSmb1SetupRequestEmptyBlob), kSetupBlobLengthOffset + 1);
    EXPECT_EQ(parse(span(ext)).chain.count, 0u);
}

TEST(Smb1SessionSetupRequest, ExtendedBlobCutShortIsTruncated) {
    // xscan frame 507 with its byte block cut in the middle of the security blob.
    const Buf full = to_buf(vectors::kSmb1SetupRequestNtlmNullUser);
    const Buf cut = first(full, kSetupExtBytesOffset + 10);
    const Parsed p = parse(span(cut));
    ASSERT_EQ(p.chain.count, 1u); // words complete, bytes cut
    smb1::SessionSetupRequest r;
    EXPECT_EQ(smb1::parse_session_setup_request(p.header, p.chain.blocks[0], r),
              ParseError::Truncated);
}

TEST(Smb1SessionSetupRequest, UnknownWordCountIsMalformed) {
    smb1::Header h;
    ASSERT_EQ(smb1::parse_header(span(vectors::kSmb1SetupRequestAnonymousWct13), h),
              ParseError::None);
    smb1::Block b;
    b.command = smb1::kCmdSessionSetupAndX;
    b.word_count = 4; // the response's WordCount on a request
    smb1::SessionSetupRequest r;
    EXPECT_EQ(smb1::parse_session_setup_request(h, b, r), ParseError::Malformed);
}

// --- NTLMSSP ------------------------------------------------------------------------------

// The security blob of a 12-word SESSION_SETUP_ANDX request.
Bytes security_blob(const Buf &msg) {
    const std::uint16_t len = get_u16le(msg, kSetupBlobLengthOffset);
    return Bytes(msg.data() + kSetupExtBytesOffset, len);
}

std::size_t ntlmssp_offset(const Buf &msg) {
    const auto it =
        std::search(msg.begin(), msg.end(), ntlm::kSignature.begin(), ntlm::kSignature.end());
    return static_cast<std::size_t>(it - msg.begin());
}

TEST(Ntlmssp, RealAuthenticateMessages) {
    const Buf anon = to_buf(vectors::kSmb1SetupRequestNtlmNullUser);
    const Buf user = to_buf(vectors::kSmb1SetupRequestNtlmUser);
    EXPECT_EQ(find_ntlm_authenticate(security_blob(anon)), NtlmAuth::Anonymous);
    EXPECT_EQ(find_ntlm_authenticate(security_blob(user)), NtlmAuth::User);
    // smb311-client-sec03-requires-signing-samba.pcap frame 8 carries a NEGOTIATE (type 1).
    EXPECT_EQ(find_ntlm_authenticate(span(vectors::kSmb2SessionSetupRequestSamba)), NtlmAuth::None);
    EXPECT_EQ(find_ntlm_authenticate(Bytes{}), NtlmAuth::None);
}

TEST(Ntlmssp, EmptyUserNameAloneIsAnonymous) {
    // xscan frame 507 with the NTLMSSP_NEGOTIATE_ANONYMOUS flag cleared: the empty user
    // name is enough.
    Buf msg = to_buf(vectors::kSmb1SetupRequestNtlmNullUser);
    const std::size_t flags_at = ntlmssp_offset(msg) + ntlm::kAuthenticateFlagsOffset;
    msg.at(flags_at + 1) = static_cast<std::uint8_t>(msg.at(flags_at + 1) & ~0x08); // 0x0800
    EXPECT_EQ(find_ntlm_authenticate(security_blob(msg)), NtlmAuth::Anonymous);
}

TEST(Ntlmssp, AnonymousFlagWithUserNameIsAnonymous) {
    // xscan frame 527 ("world") with NTLMSSP_NEGOTIATE_ANONYMOUS set.
    Buf msg = to_buf(vectors::kSmb1SetupRequestNtlmUser);
    const std::size_t flags_at = ntlmssp_offset(msg) + ntlm::kAuthenticateFlagsOffset;
    msg.at(flags_at + 1) = static_cast<std::uint8_t>(msg.at(flags_at + 1) | 0x08);
    EXPECT_EQ(find_ntlm_authenticate(security_blob(msg)), NtlmAuth::Anonymous);
}

TEST(Ntlmssp, CutBeforeUserNameIsNotAnAuthenticate) {
    const Buf msg = to_buf(vectors::kSmb1SetupRequestNtlmNullUser);
    const std::size_t at = ntlmssp_offset(msg);
    // The user-name length field ends at +38: one byte short, exact end.
    EXPECT_EQ(find_ntlm_authenticate(Bytes(msg.data() + at, ntlm::kUserFieldsOffset + 1)),
              NtlmAuth::None);
    EXPECT_EQ(find_ntlm_authenticate(Bytes(msg.data() + at, ntlm::kUserFieldsOffset + 2)),
              NtlmAuth::Anonymous);
}

// --- SESSION_SETUP_ANDX response ----------------------------------------------------------

TEST(Smb1SessionSetupResponse, GuestBit) {
    // xscan frame 529: Action 0x0001.
    Parsed p = parse(span(vectors::kSmb1SetupResponseGuest));
    ASSERT_GE(p.chain.count, 1u);
    EXPECT_TRUE(smb1::session_setup_response_guest(p.chain.blocks[0]));
    // smb1-sm0f-w2k8r2-server-signed.pcap frame 13: Action 0.
    p = parse(span(vectors::kSmb1SetupResponseSigned));
    ASSERT_GE(p.chain.count, 1u);
    EXPECT_FALSE(smb1::session_setup_response_guest(p.chain.blocks[0]));
    // smb1-sm03-win7-server-unsigned-treeconnect.pcap frame 4: the 3-word format, Action 0.
    p = parse(span(vectors::kSmb1SetupResponseWin7));
    ASSERT_GE(p.chain.count, 1u);
    EXPECT_FALSE(smb1::session_setup_response_guest(p.chain.blocks[0]));
    // An error response has no words, so no Action.
    p = parse(span(vectors::kSmb1TreeConnectResponseAccessDenied));
    ASSERT_GE(p.chain.count, 1u);
    EXPECT_FALSE(smb1::session_setup_response_guest(p.chain.blocks[0]));
}

// --- AndX chains --------------------------------------------------------------------------

// The Windows 7 SESSION_SETUP_ANDX request (frame 3) followed by its TREE_CONNECT_ANDX
// request (frame 5), chained as a client would batch them (MS-CIFS 2.2.3.4).
Buf setup_and_tree_connect() {
    Buf msg = to_buf(vectors::kSmb1SetupRequestAnonymousWct13);
    const auto tree_at = static_cast<std::uint16_t>(msg.size());
    put_u8(msg, kAndXCommandOffset, smb1::kCmdTreeConnectAndX);
    put_u16le(msg, kAndXOffsetOffset, tree_at);
    const Buf tree = to_buf(vectors::kSmb1TreeConnectRequestWin7);
    msg.insert(msg.end(), tree.begin() + smb1::kHeaderSize, tree.end());
    return msg;
}

TEST(Smb1AndX, SingleBlock) {
    const Parsed p = parse(span(vectors::kSmb1SetupRequestAnonymousWct13));
    EXPECT_EQ(p.chain.error, ParseError::None);
    ASSERT_EQ(p.chain.count, 1u);
    EXPECT_EQ(p.chain.blocks[0].command, smb1::kCmdSessionSetupAndX);
    EXPECT_EQ(p.chain.blocks[0].word_count, smb1::kSetupWordCountNtLm);
    EXPECT_EQ(p.chain.blocks[0].bytes_offset, kSetupNtLmBytesOffset);
}

TEST(Smb1AndX, SessionSetupPlusTreeConnect) {
    const Buf msg = setup_and_tree_connect();
    const Parsed p = parse(span(msg));
    EXPECT_EQ(p.chain.error, ParseError::None);
    ASSERT_EQ(p.chain.count, 2u);
    EXPECT_EQ(p.chain.blocks[0].command, smb1::kCmdSessionSetupAndX);
    EXPECT_EQ(p.chain.blocks[1].command, smb1::kCmdTreeConnectAndX);
    EXPECT_EQ(p.chain.blocks[1].word_count, 4);
    // The setup block still parses as an anonymous request.
    smb1::SessionSetupRequest r;
    EXPECT_EQ(smb1::parse_session_setup_request(p.header, p.chain.blocks[0], r), ParseError::None);
    EXPECT_TRUE(r.anonymous);
}

TEST(Smb1AndX, BackwardsOffsetIsMalformed) {
    Buf msg = setup_and_tree_connect();
    put_u16le(msg, kAndXOffsetOffset, static_cast<std::uint16_t>(smb1::kHeaderSize));
    Parsed p = parse(span(msg));
    EXPECT_EQ(p.chain.error, ParseError::Malformed);
    EXPECT_EQ(p.chain.count, 1u);         // the first block is still there
    put_u16le(msg, kAndXOffsetOffset, 4); // inside the header
    p = parse(span(msg));
    EXPECT_EQ(p.chain.error, ParseError::Malformed);
}

TEST(Smb1AndX, OffsetPastTheEndIsTruncated) {
    Buf msg = setup_and_tree_connect();
    put_u16le(msg, kAndXOffsetOffset, static_cast<std::uint16_t>(msg.size()));
    const Parsed p = parse(span(msg));
    EXPECT_EQ(p.chain.error, ParseError::Truncated);
    EXPECT_EQ(p.chain.count, 1u);
}

TEST(Smb1AndX, SecondBlockBoundaries) {
    const Buf full = setup_and_tree_connect();
    // One byte short: the tree connect's byte block is cut, its words are there.
    Parsed p = parse(span(first(full, full.size() - 1)));
    EXPECT_EQ(p.chain.error, ParseError::Truncated);
    EXPECT_EQ(p.chain.count, 2u);
    // One byte past: fine.
    Buf longer = full;
    longer.push_back(0);
    p = parse(span(longer));
    EXPECT_EQ(p.chain.error, ParseError::None);
    EXPECT_EQ(p.chain.count, 2u);
}

TEST(Smb1AndX, NonAndXCommandEndsTheChain) {
    // A TRANS2 request is not an AndX command: its first words are not a link.
    const Parsed p = parse(span(vectors::kSmb1Trans2RequestWin7));
    EXPECT_EQ(p.chain.error, ParseError::None);
    EXPECT_EQ(p.chain.count, 1u);
}

// --- TRANS2 and oplock breaks -------------------------------------------------------------

// smb1-sm03-win7-server-unsigned-treeconnect.pcap frame 7: subcommand 0x000e.
TEST(Smb1Trans2, Subcommand) {
    const Parsed p = parse(span(vectors::kSmb1Trans2RequestWin7));
    ASSERT_EQ(p.chain.count, 1u);
    std::uint16_t sub = 0;
    ASSERT_TRUE(smb1::trans2_subcommand(p.chain.blocks[0], sub));
    EXPECT_EQ(sub, 0x000e);
    EXPECT_NE(sub, smb1::kTrans2GetDfsReferral);
}

TEST(Smb1Trans2, SubcommandNeedsItsSetupWord) {
    smb1::Block b;
    const Buf words(smb1::kTrans2SetupOffset + 2, 0);
    b.words = span(words);
    b.word_count = static_cast<std::uint8_t>(words.size() / 2);
    std::uint16_t sub = 0xBEEF;
    EXPECT_TRUE(smb1::trans2_subcommand(b, sub)); // exact end
    EXPECT_EQ(sub, 0);
    b.words = b.words.first(smb1::kTrans2SetupOffset + 1); // one byte short
    EXPECT_FALSE(smb1::trans2_subcommand(b, sub));
}

TEST(Smb1Oplock, BreakByMidOrReleaseFlag) {
    smb1::Header h;
    h.command = smb1::kCmdLockingAndX;
    Buf words(16, 0);
    smb1::Block b;
    b.words = span(words);
    h.mid = smb1::kOplockBreakMid;
    EXPECT_TRUE(smb1::is_oplock_break(h, b));
    h.mid = 7;
    EXPECT_FALSE(smb1::is_oplock_break(h, b));
    words[smb1::kLockingTypeOffset] = smb1::kLockingOplockRelease;
    EXPECT_TRUE(smb1::is_oplock_break(h, b));
    h.command = smb1::kCmdReadAndX;
    EXPECT_FALSE(smb1::is_oplock_break(h, b));
}

} // namespace

namespace {

using namespace smbsign;
using namespace testutil;

// The security blobs the record parsers hand to verification (MS-SMB 2.2.4.6.1, 2.2.4.6.2).
TEST(Smb1SessionSetup, SecurityBlobs) {
    // kSmb1SetupRequestNtlmUser: the blob SecurityBlobLength names, with the AUTHENTICATE.
    const Buf req = to_buf(vectors::kSmb1SetupRequestNtlmUser);
    const Parsed p = parse(span(req));
    smb1::SessionSetupRequest r;
    ASSERT_EQ(smb1::parse_session_setup_request(p.header, p.chain.blocks[0], r), ParseError::None);
    EXPECT_EQ(r.security_blob.data(), security_blob(req).data());
    EXPECT_EQ(r.security_blob.size(), security_blob(req).size());
    EXPECT_TRUE(find_ntlmssp(r.security_blob, ntlm::kMessageAuthenticate));
    // smb1-sm0f-w2k8r2-server-signed.pcap frame 13: a 4-word response; its blob opens the
    // byte block, SecurityBlobLength (after Action) long.
    const Parsed q = parse(span(vectors::kSmb1SetupResponseSigned));
    const smb1::Block &b = q.chain.blocks[0];
    ASSERT_EQ(b.word_count, smb1::kSetupResponseWordCountExtended);
    const Bytes blob = smb1::session_setup_response_blob(b);
    EXPECT_EQ(blob.data(), b.bytes.data());
    EXPECT_EQ(blob.size(), static_cast<std::size_t>(b.words[6] | b.words[7] << 8));
    EXPECT_FALSE(blob.empty());
    // smb1-sm03-win7-server-unsigned-treeconnect.pcap frame 4: no extended security, no blob.
    const Parsed w = parse(span(vectors::kSmb1SetupResponseWin7));
    EXPECT_NE(w.chain.blocks[0].word_count, smb1::kSetupResponseWordCountExtended);
    EXPECT_TRUE(smb1::session_setup_response_blob(w.chain.blocks[0]).empty());
}

} // namespace
