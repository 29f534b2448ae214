// SMB2/3 record parsers (smb2.hpp) on real byte vectors from the public captures
// (smb_vectors.hpp names capture and frame of each), plus the boundary cases: one
// byte short, exact end, one byte past.
#include "smbsign/smb2.hpp"

#include "smb_vectors.hpp"
#include "test_bytes.hpp"

#include <gtest/gtest.h>

namespace {

using namespace smbsign;
using namespace testutil;

// MS-SMB2 2.2.1 header offsets: smb2::kStatusOffset and siblings.
using smb2::kAsyncIdOffset;
using smb2::kFlagsOffset;
using smb2::kNextCommandOffset;
using smb2::kStatusOffset;
using smb2::kStructureSizeOffset;
constexpr std::size_t kBody = smb2::kHeaderSize;
// NEGOTIATE response (2.2.4).
constexpr std::size_t kNegRespDialectOffset = kBody + 4;
constexpr std::size_t kNegRespContextCountOffset = kBody + 6;
constexpr std::size_t kNegRespContextOffsetOffset = kBody + 60;
// NEGOTIATE request (2.2.3): SecurityMode is its last field we read.
constexpr std::size_t kNegReqSecurityModeEnd = kBody + 6;
// SESSION_SETUP request (2.2.5) and response (2.2.6).
constexpr std::size_t kSetupReqBlobOffsetOffset = kBody + 12;
constexpr std::size_t kSetupRespFlagsOffset = kBody + 2;
// TRANSFORM_HEADER (2.2.41).
constexpr std::size_t kTransformOriginalSizeOffset = 36;

constexpr std::uint64_t kSambaSessionId = 0xf0849809;
constexpr std::uint64_t kW2016SessionId = 0x0000281cac000069;
constexpr std::uint16_t kCmdCreate = 0x0005;
constexpr std::uint16_t kCmdQueryDirectory = 0x000E;
constexpr std::uint16_t kCtxPreauthIntegrity = 0x0001;
constexpr std::uint16_t kSigningIdAesGmac = 2;

smb2::Header header(Bytes msg) {
    smb2::Header h;
    EXPECT_EQ(smb2::parse_header(msg, h), ParseError::None);
    return h;
}

// --- Header -------------------------------------------------------------------------------

// smb311-client-sec03-requires-signing-samba.pcap frame 14: the signed final
// SESSION_SETUP response.
TEST(Smb2Header, RealSyncResponse) {
    const smb2::Header h = header(span(vectors::kSmb2SessionSetupResponseSamba));
    EXPECT_EQ(h.command, smb2::kCmdSessionSetup);
    EXPECT_EQ(h.status, smb2::kStatusSuccess);
    EXPECT_TRUE(h.is_response());
    EXPECT_TRUE(h.is_signed());
    EXPECT_FALSE(h.is_async());
    EXPECT_FALSE(h.is_related());
    EXPECT_FALSE(h.is_interim());
    EXPECT_EQ(h.next_command, 0u);
    EXPECT_EQ(h.message_id, 2u);
    EXPECT_EQ(h.session_id, kSambaSessionId);
    EXPECT_FALSE(h.zero_signature);
}

// Same capture, frame 18: TREE_CONNECT response carrying TreeId 0x211b8896.
TEST(Smb2Header, SyncTreeIdAndAsyncId) {
    Buf msg = to_buf(vectors::kSmb2TreeConnectResponseSamba);
    EXPECT_EQ(header(span(msg)).tree_id, 0x211b8896u);
    // The same bytes marked ASYNC: offset 32 is now AsyncId, there is no TreeId.
    put_u32le(msg, kFlagsOffset, smb2::kFlagServerToRedir | smb2::kFlagAsync);
    const smb2::Header async = header(span(msg));
    EXPECT_TRUE(async.is_async());
    EXPECT_EQ(async.tree_id, 0u);
    EXPECT_EQ(async.session_id, kSambaSessionId);
    EXPECT_FALSE(async.is_interim()); // async, but not STATUS_PENDING
}

TEST(Smb2Header, InterimResponse) {
    Buf msg = to_buf(vectors::kSmb2TreeConnectResponseSamba);
    put_u32le(msg, kFlagsOffset, smb2::kFlagServerToRedir | smb2::kFlagAsync);
    put_u64le(msg, kAsyncIdOffset, 0x42);
    put_u32le(msg, kStatusOffset, smb2::kStatusPending);
    EXPECT_TRUE(header(span(msg)).is_interim());
    // STATUS_PENDING on a sync response is not an interim response.
    put_u32le(msg, kFlagsOffset, smb2::kFlagServerToRedir);
    EXPECT_FALSE(header(span(msg)).is_interim());
    // Nor on a request.
    put_u32le(msg, kFlagsOffset, smb2::kFlagAsync);
    EXPECT_FALSE(header(span(msg)).is_interim());
}

TEST(Smb2Header, ZeroSignature) {
    // smb311-w2016-sec03-encrypted.pcap frame 3: a request before signing starts.
    const smb2::Header h = header(span(vectors::kSmb2SessionSetupRequestW2016));
    EXPECT_TRUE(h.zero_signature);
    EXPECT_FALSE(h.is_signed());
    EXPECT_FALSE(h.is_response());
}

TEST(Smb2Header, Boundaries) {
    const Buf msg = to_buf(vectors::kSmb2TreeConnectRequestSamba);
    smb2::Header h;
    EXPECT_EQ(smb2::parse_header(span(first(msg, smb2::kHeaderSize - 1)), h),
              ParseError::Truncated);
    EXPECT_EQ(smb2::parse_header(span(first(msg, smb2::kHeaderSize)), h), ParseError::None);
    EXPECT_FALSE(h.zero_signature); // the signature ends the header: read at the exact end
    EXPECT_EQ(smb2::parse_header(span(first(msg, smb2::kHeaderSize + 1)), h), ParseError::None);
    EXPECT_EQ(smb2::parse_header(span(first(msg, 5)), h), ParseError::Truncated);
    EXPECT_EQ(smb2::parse_header(span(first(msg, 3)), h), ParseError::Truncated);
}

TEST(Smb2Header, BadStructureSizeIsMalformed) {
    Buf msg = to_buf(vectors::kSmb2TreeConnectRequestSamba);
    put_u16le(msg, kStructureSizeOffset, 63);
    smb2::Header h;
    EXPECT_EQ(smb2::parse_header(span(msg), h), ParseError::Malformed);
    // Malformed wins over truncated once StructureSize is readable.
    EXPECT_EQ(smb2::parse_header(span(first(msg, 8)), h), ParseError::Malformed);
}

TEST(Smb2Header, WrongProtocolIdIsMalformed) {
    smb2::Header h;
    EXPECT_EQ(smb2::parse_header(span(vectors::kSmb1SetupResponseSigned), h),
              ParseError::Malformed);
    EXPECT_EQ(smb2::parse_header(span(vectors::kSmb2TransformW2016), h), ParseError::Malformed);
}

TEST(Smb2Header, NextCommandMustBeAlignedAndPastTheHeader) {
    Buf msg = to_buf(vectors::kSmb2TreeConnectRequestSamba);
    smb2::Header h;
    put_u32le(msg, kNextCommandOffset, 100); // not a multiple of 8
    EXPECT_EQ(smb2::parse_header(span(msg), h), ParseError::Malformed);
    put_u32le(msg, kNextCommandOffset, 32); // aligned, but inside this header
    EXPECT_EQ(smb2::parse_header(span(msg), h), ParseError::Malformed);
    put_u32le(msg, kNextCommandOffset, 104); // aligned and past the header
    EXPECT_EQ(smb2::parse_header(span(msg), h), ParseError::None);
    EXPECT_EQ(h.next_command, 104u);
}

// --- Compound chains ----------------------------------------------------------------------

struct ChainMsg {
    std::size_t offset;
    smb2::Header header;
    std::size_t size;
};

// Walks a compound chain the way the tracker does.
std::vector<ChainMsg> walk(Bytes data, ParseError *error = nullptr) {
    std::vector<ChainMsg> out;
    std::size_t off = 0;
    for (;;) {
        Bytes rest = data.subspan(off);
        smb2::Header h;
        const ParseError e = smb2::parse_header(rest, h);
        if (error)
            *error = e;
        if (e != ParseError::None)
            return out;
        out.push_back({off, h, smb2::message_bytes(rest, h).size()});
        if (h.next_command == 0 || h.next_command >= rest.size())
            return out;
        off += h.next_command;
    }
}

// smb21-win7-sec01-unsigned-after-sesssetup.pcap frame 22: CREATE + QUERY_DIRECTORY x2.
TEST(Smb2Compound, RealResponseChain) {
    const auto chain = walk(span(vectors::kSmb2CompoundResponseWin7));
    ASSERT_EQ(chain.size(), 3u);
    EXPECT_EQ(chain[0].offset, 0u);
    EXPECT_EQ(chain[1].offset, 240u);
    EXPECT_EQ(chain[2].offset, 1768u);
    EXPECT_EQ(chain[0].header.command, kCmdCreate);
    EXPECT_EQ(chain[1].header.command, kCmdQueryDirectory);
    EXPECT_EQ(chain[2].header.command, kCmdQueryDirectory);
    EXPECT_FALSE(chain[0].header.is_related());
    EXPECT_TRUE(chain[1].header.is_related());
    EXPECT_TRUE(chain[2].header.is_related());
    EXPECT_EQ(chain[0].size, 240u);
    EXPECT_EQ(chain[1].size, 1528u);
    EXPECT_EQ(chain[2].size, vectors::kSmb2CompoundResponseWin7.size() - 1768u);
    for (const auto &m : chain)
        EXPECT_EQ(m.header.session_id, 0x0000040000000011u);
}

// Two real requests concatenated: the Samba TREE_CONNECT (frame 16 of
// smb311-client-sec03-requires-signing-samba.pcap, 104 bytes, a multiple of 8) and the
// Windows 10 IOCTL (frame 864 of smb-multiproto-win10-win81-negclose-logonfail.pcap).
Buf built_compound() {
    Buf msg = to_buf(vectors::kSmb2TreeConnectRequestSamba);
    put_u32le(msg, kNextCommandOffset, static_cast<std::uint32_t>(msg.size()));
    append(msg, to_buf(vectors::kSmb2IoctlRequestWin10));
    return msg;
}

TEST(Smb2Compound, BuiltFromTwoRealMessages) {
    static_assert(vectors::kSmb2TreeConnectRequestSamba.size() % smb2::kChainAlignment == 0);
    const Buf msg = built_compound();
    const auto chain = walk(span(msg));
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(chain[0].header.command, smb2::kCmdTreeConnect);
    EXPECT_EQ(chain[0].size, vectors::kSmb2TreeConnectRequestSamba.size());
    EXPECT_EQ(chain[1].header.command, smb2::kCmdIoctl);
    EXPECT_EQ(chain[1].offset, vectors::kSmb2TreeConnectRequestSamba.size());
    EXPECT_EQ(chain[1].size, vectors::kSmb2IoctlRequestWin10.size());
    EXPECT_EQ(chain[0].header.session_id, kSambaSessionId);
    EXPECT_EQ(chain[1].header.session_id, 0x0000740000000015u);
}

TEST(Smb2Compound, SecondHeaderCutShort) {
    const Buf full = built_compound();
    const std::size_t second = vectors::kSmb2TreeConnectRequestSamba.size();
    ParseError e = ParseError::None;
    auto chain = walk(span(first(full, second + smb2::kHeaderSize - 1)), &e);
    EXPECT_EQ(chain.size(), 1u);
    EXPECT_EQ(e, ParseError::Truncated);
    chain = walk(span(first(full, second + smb2::kHeaderSize)), &e);
    EXPECT_EQ(chain.size(), 2u);
    EXPECT_EQ(e, ParseError::None);
}

TEST(Smb2Compound, MessageBytesStopAtNextCommand) {
    const Buf msg = built_compound();
    smb2::Header h;
    ASSERT_EQ(smb2::parse_header(span(msg), h), ParseError::None);
    EXPECT_EQ(smb2::message_bytes(span(msg), h).size(), h.next_command);
    // A NextCommand past the located bytes leaves the message as it is.
    const Buf cut = first(msg, 80);
    ASSERT_EQ(smb2::parse_header(span(cut), h), ParseError::None);
    EXPECT_EQ(smb2::message_bytes(span(cut), h).size(), 80u);
}

// --- NEGOTIATE ----------------------------------------------------------------------------

TEST(Smb2NegotiateRequest, SecurityMode) {
    smb2::NegotiateRequest r;
    // smb311-client-sec03-requires-signing-samba.pcap frame 4: the client requires signing.
    ASSERT_EQ(smb2::parse_negotiate_request(span(vectors::kSmb2NegotiateRequestSamba), r),
              ParseError::None);
    EXPECT_EQ(r.security_mode, smb2::kSigningEnabled | smb2::kSigningRequired);
    // smb311-w2016-sec03-encrypted.pcap frame 1: enabled only.
    ASSERT_EQ(smb2::parse_negotiate_request(span(vectors::kSmb2NegotiateRequestW2016), r),
              ParseError::None);
    EXPECT_EQ(r.security_mode, smb2::kSigningEnabled);
}

TEST(Smb2NegotiateRequest, Boundaries) {
    const Buf msg = to_buf(vectors::kSmb2NegotiateRequestSamba);
    smb2::NegotiateRequest r;
    EXPECT_EQ(smb2::parse_negotiate_request(span(first(msg, kNegReqSecurityModeEnd - 1)), r),
              ParseError::Truncated);
    EXPECT_EQ(smb2::parse_negotiate_request(span(first(msg, kNegReqSecurityModeEnd)), r),
              ParseError::None);
    EXPECT_EQ(r.security_mode, 0x03);
    EXPECT_EQ(smb2::parse_negotiate_request(span(first(msg, kNegReqSecurityModeEnd + 1)), r),
              ParseError::None);
    EXPECT_EQ(smb2::parse_negotiate_request(span(first(msg, smb2::kHeaderSize)), r),
              ParseError::Truncated);
    // A response body is not a request body.
    EXPECT_EQ(smb2::parse_negotiate_request(span(vectors::kSmb2NegotiateResponseSamba), r),
              ParseError::Malformed);
}

// smb311-client-sec03-requires-signing-samba.pcap frame 6: 3.1.1, SecurityMode 0x01,
// PREAUTH_INTEGRITY and ENCRYPTION (AES-128-GCM) contexts, no SIGNING context.
TEST(Smb2NegotiateResponse, SambaEncryptionContext) {
    smb2::NegotiateResponse r;
    ASSERT_EQ(smb2::parse_negotiate_response(span(vectors::kSmb2NegotiateResponseSamba), r),
              ParseError::None);
    EXPECT_EQ(r.security_mode, smb2::kSigningEnabled);
    EXPECT_EQ(r.dialect, smb2::kDialect311);
    EXPECT_FALSE(r.has_signing_context);
    EXPECT_EQ(r.cipher, smb2::Cipher::Aes128Gcm);
}

// smb311-w2016-sec03-encrypted.pcap frame 2: SecurityMode 0x03, AES-128-CCM.
TEST(Smb2NegotiateResponse, W2016EncryptionContext) {
    smb2::NegotiateResponse r;
    ASSERT_EQ(smb2::parse_negotiate_response(span(vectors::kSmb2NegotiateResponseW2016), r),
              ParseError::None);
    EXPECT_EQ(r.security_mode, smb2::kSigningEnabled | smb2::kSigningRequired);
    EXPECT_EQ(r.dialect, smb2::kDialect311);
    EXPECT_FALSE(r.has_signing_context);
    EXPECT_EQ(r.cipher, smb2::Cipher::Aes128Ccm);
}

// No capture has a server selecting a signing algorithm. This is the Samba response
// (frame 6) with a SIGNING_CAPABILITIES context appended (8-aligned, as 2.2.3.1 wants),
// selecting `algorithms` (a response selects exactly one).
Buf samba_response_with_signing(const std::vector<std::uint16_t> &algorithms) {
    Buf msg = to_buf(vectors::kSmb2NegotiateResponseSamba);
    while (msg.size() % smb2::kChainAlignment != 0)
        msg.push_back(0);
    append_u16le(msg, smb2::kCtxSigningCapabilities);
    append_u16le(msg, static_cast<std::uint16_t>(2 + 2 * algorithms.size()));
    append_u32le(msg, 0); // Reserved
    append_u16le(msg, static_cast<std::uint16_t>(algorithms.size()));
    for (auto a : algorithms)
        append_u16le(msg, a);
    put_u16le(msg, kNegRespContextCountOffset,
              static_cast<std::uint16_t>(get_u16le(msg, kNegRespContextCountOffset) + 1));
    return msg;
}

TEST(Smb2NegotiateResponse, SigningCapabilitiesAesGmac) {
    const Buf msg = samba_response_with_signing({kSigningIdAesGmac});
    smb2::NegotiateResponse r;
    ASSERT_EQ(smb2::parse_negotiate_response(span(msg), r), ParseError::None);
    EXPECT_TRUE(r.has_signing_context);
    EXPECT_EQ(r.signing_algorithm_id, kSigningIdAesGmac);
    EXPECT_EQ(smb2::signing_algorithm_from_id(r.signing_algorithm_id),
              smb2::SigningAlgorithm::AesGmac);
    EXPECT_EQ(r.cipher, smb2::Cipher::Aes128Gcm); // the earlier context still counts
}

TEST(Smb2NegotiateResponse, SigningContextWithTwoAlgorithmsIsMalformed) {
    const Buf msg = samba_response_with_signing({kSigningIdAesGmac, 1});
    smb2::NegotiateResponse r;
    EXPECT_EQ(smb2::parse_negotiate_response(span(msg), r), ParseError::Malformed);
}

TEST(Smb2NegotiateResponse, AlgorithmAndCipherIds) {
    EXPECT_EQ(smb2::signing_algorithm_from_id(0), smb2::SigningAlgorithm::HmacSha256);
    EXPECT_EQ(smb2::signing_algorithm_from_id(1), smb2::SigningAlgorithm::AesCmac);
    EXPECT_EQ(smb2::signing_algorithm_from_id(2), smb2::SigningAlgorithm::AesGmac);
    EXPECT_EQ(smb2::signing_algorithm_from_id(3), smb2::SigningAlgorithm::Unknown);
    EXPECT_EQ(smb2::cipher_from_id(1), smb2::Cipher::Aes128Ccm);
    EXPECT_EQ(smb2::cipher_from_id(2), smb2::Cipher::Aes128Gcm);
    EXPECT_EQ(smb2::cipher_from_id(3), smb2::Cipher::Aes256Ccm);
    EXPECT_EQ(smb2::cipher_from_id(4), smb2::Cipher::Aes256Gcm);
    EXPECT_EQ(smb2::cipher_from_id(9), smb2::Cipher::Unknown);
}

TEST(Smb2NegotiateResponse, Boundaries) {
    // The Samba response's last context ends exactly at the end of the message.
    const Buf msg = to_buf(vectors::kSmb2NegotiateResponseSamba);
    smb2::NegotiateResponse r;
    EXPECT_EQ(smb2::parse_negotiate_response(span(msg), r), ParseError::None);
    r = {};
    EXPECT_EQ(smb2::parse_negotiate_response(span(first(msg, msg.size() - 1)), r),
              ParseError::Truncated);
    EXPECT_EQ(r.security_mode, smb2::kSigningEnabled); // read before the cut
    Buf longer = msg;
    longer.push_back(0);
    r = {};
    EXPECT_EQ(smb2::parse_negotiate_response(span(longer), r), ParseError::None);
    EXPECT_EQ(r.cipher, smb2::Cipher::Aes128Gcm);
    // Cut before the dialect.
    EXPECT_EQ(smb2::parse_negotiate_response(span(first(msg, kNegRespDialectOffset + 1)), r),
              ParseError::Truncated);
}

TEST(Smb2NegotiateResponse, ContextsOnlyFor311) {
    Buf msg = to_buf(vectors::kSmb2NegotiateResponseSamba);
    put_u16le(msg, kNegRespDialectOffset, smb2::kDialect302);
    smb2::NegotiateResponse r;
    ASSERT_EQ(smb2::parse_negotiate_response(span(msg), r), ParseError::None);
    EXPECT_EQ(r.dialect, smb2::kDialect302);
    EXPECT_EQ(r.cipher, smb2::Cipher::None);
}

TEST(Smb2NegotiateResponse, BadContextOffsetOrCountIsMalformed) {
    Buf msg = to_buf(vectors::kSmb2NegotiateResponseSamba);
    put_u32le(msg, kNegRespContextOffsetOffset, 16); // inside the header
    smb2::NegotiateResponse r;
    EXPECT_EQ(smb2::parse_negotiate_response(span(msg), r), ParseError::Malformed);
    msg = to_buf(vectors::kSmb2NegotiateResponseSamba);
    put_u16le(msg, kNegRespContextCountOffset,
              static_cast<std::uint16_t>(smb2::kMaxNegotiateContexts + 1));
    EXPECT_EQ(smb2::parse_negotiate_response(span(msg), r), ParseError::Malformed);
    // More contexts announced than present: the walk runs off the end.
    msg = to_buf(vectors::kSmb2NegotiateResponseSamba);
    put_u16le(msg, kNegRespContextCountOffset, 3);
    EXPECT_EQ(smb2::parse_negotiate_response(span(msg), r), ParseError::Truncated);
}

TEST(Smb2NegotiateResponse, UnknownContextTypesAreSkipped) {
    // The Samba response with its ENCRYPTION context relabelled: skipped, no cipher.
    Buf msg = to_buf(vectors::kSmb2NegotiateResponseSamba);
    const std::size_t ctx0 = get_u16le(msg, kNegRespContextOffsetOffset);
    ASSERT_EQ(get_u16le(msg, ctx0), kCtxPreauthIntegrity);
    const std::size_t ctx1 = (ctx0 + 8 + get_u16le(msg, ctx0 + 2) + 7) / 8 * 8;
    ASSERT_EQ(get_u16le(msg, ctx1), smb2::kCtxEncryptionCapabilities);
    put_u16le(msg, ctx1, 0x0100);
    smb2::NegotiateResponse r;
    ASSERT_EQ(smb2::parse_negotiate_response(span(msg), r), ParseError::None);
    EXPECT_EQ(r.cipher, smb2::Cipher::None);
}

// --- SESSION_SETUP ------------------------------------------------------------------------

TEST(Smb2SessionSetupRequest, SecurityMode) {
    smb2::SessionSetupRequest r;
    // smb311-client-sec03-requires-signing-samba.pcap frame 8: 0x03, NTLMSSP NEGOTIATE.
    ASSERT_EQ(smb2::parse_session_setup_request(span(vectors::kSmb2SessionSetupRequestSamba), r),
              ParseError::None);
    EXPECT_EQ(r.security_mode, smb2::kSigningEnabled | smb2::kSigningRequired);
    EXPECT_EQ(r.auth, NtlmAuth::None);
    // smb311-w2016-sec03-encrypted.pcap frame 3: 0x02 (REQUIRED only, as Windows sends it).
    r = {};
    ASSERT_EQ(smb2::parse_session_setup_request(span(vectors::kSmb2SessionSetupRequestW2016), r),
              ParseError::None);
    EXPECT_EQ(r.security_mode, smb2::kSigningRequired);
}

// An SMB2 SESSION_SETUP request carrying `blob`: the W2016 request's header and fixed
// body (frame 3), its buffer replaced.
Buf setup_request_with_blob(Bytes blob) {
    Buf msg = to_buf(vectors::kSmb2SessionSetupRequestW2016);
    const std::uint16_t off = get_u16le(msg, kSetupReqBlobOffsetOffset);
    // Cut, never grow (resize() would let GCC 16 warn about growing past the vector).
    msg.erase(msg.begin() + std::min<std::ptrdiff_t>(off, std::ssize(msg)), msg.end());
    msg.insert(msg.end(), blob.begin(), blob.end());
    put_u16le(msg, kSetupReqBlobOffsetOffset + 2, static_cast<std::uint16_t>(blob.size()));
    return msg;
}

// The NTLMSSP AUTHENTICATE with an empty user name from xscan frame 507 (an SMB1
// capture; its blob starts at offset 59 of the SMB1 message).
Bytes anonymous_authenticate_blob() {
    constexpr std::size_t kSmb1BlobOffset = 59;
    constexpr std::size_t kSmb1BlobLength = 95;
    return Bytes(vectors::kSmb1SetupRequestNtlmNullUser.data() + kSmb1BlobOffset, kSmb1BlobLength);
}

TEST(Smb2SessionSetupRequest, AnonymousAuthenticate) {
    const Buf msg = setup_request_with_blob(anonymous_authenticate_blob());
    smb2::SessionSetupRequest r;
    ASSERT_EQ(smb2::parse_session_setup_request(span(msg), r), ParseError::None);
    EXPECT_EQ(r.auth, NtlmAuth::Anonymous);
}

TEST(Smb2SessionSetupRequest, Boundaries) {
    // The Samba request's blob ends exactly at the end of the message.
    const Buf msg = to_buf(vectors::kSmb2SessionSetupRequestSamba);
    smb2::SessionSetupRequest r;
    EXPECT_EQ(smb2::parse_session_setup_request(span(msg), r), ParseError::None);
    Buf longer = msg;
    longer.push_back(0);
    EXPECT_EQ(smb2::parse_session_setup_request(span(longer), r), ParseError::None);
    r = {};
    EXPECT_EQ(smb2::parse_session_setup_request(span(first(msg, msg.size() - 1)), r),
              ParseError::Truncated);
    EXPECT_EQ(r.security_mode, 0x03); // the fixed part was read
    // Cut inside the fixed part, before SecurityBufferLength.
    EXPECT_EQ(smb2::parse_session_setup_request(span(first(msg, kSetupReqBlobOffsetOffset + 3)), r),
              ParseError::Truncated);
}

TEST(Smb2SessionSetupRequest, CutBlobStillShowsAnonymous) {
    const Buf full = setup_request_with_blob(anonymous_authenticate_blob());
    const Buf cut = first(full, full.size() - 20); // past the NTLMSSP user-name field
    smb2::SessionSetupRequest r;
    EXPECT_EQ(smb2::parse_session_setup_request(span(cut), r), ParseError::Truncated);
    EXPECT_EQ(r.auth, NtlmAuth::Anonymous);
}

TEST(Smb2SessionSetupRequest, BlobOffsetPastTheEndIsMalformed) {
    Buf msg = to_buf(vectors::kSmb2SessionSetupRequestSamba);
    put_u16le(msg, kSetupReqBlobOffsetOffset, static_cast<std::uint16_t>(msg.size() + 1));
    smb2::SessionSetupRequest r;
    EXPECT_EQ(smb2::parse_session_setup_request(span(msg), r), ParseError::Malformed);
}

TEST(Smb2SessionSetupResponse, SessionFlags) {
    smb2::SessionSetupResponse r;
    r.session_flags = 0xFFFF;
    // smb311-client-sec03-requires-signing-samba.pcap frame 14: SessionFlags 0.
    ASSERT_EQ(smb2::parse_session_setup_response(span(vectors::kSmb2SessionSetupResponseSamba), r),
              ParseError::None);
    EXPECT_EQ(r.session_flags, 0);
    // The same response as a guest, a null and an encrypting session would send it.
    for (std::uint16_t want :
         {smb2::kSessionIsGuest, smb2::kSessionIsNull, smb2::kSessionEncryptData}) {
        Buf msg = to_buf(vectors::kSmb2SessionSetupResponseSamba);
        put_u16le(msg, kSetupRespFlagsOffset, want);
        ASSERT_EQ(smb2::parse_session_setup_response(span(msg), r), ParseError::None);
        EXPECT_EQ(r.session_flags, want);
    }
}

TEST(Smb2SessionSetupResponse, Boundaries) {
    const Buf msg = to_buf(vectors::kSmb2SessionSetupResponseSamba);
    smb2::SessionSetupResponse r;
    EXPECT_EQ(smb2::parse_session_setup_response(span(first(msg, kSetupRespFlagsOffset + 1)), r),
              ParseError::Truncated);
    EXPECT_EQ(smb2::parse_session_setup_response(span(first(msg, kSetupRespFlagsOffset + 2)), r),
              ParseError::None);
    EXPECT_EQ(smb2::parse_session_setup_response(span(first(msg, kSetupRespFlagsOffset + 3)), r),
              ParseError::None);
    // A SESSION_SETUP request body is not a response body.
    EXPECT_EQ(smb2::parse_session_setup_response(span(vectors::kSmb2SessionSetupRequestSamba), r),
              ParseError::Malformed);
}

// --- IOCTL --------------------------------------------------------------------------------

// smb-multiproto-win10-win81-negclose-logonfail.pcap frames 864/865.
TEST(Smb2Ioctl, CtlCodeInRequestAndResponse) {
    std::uint32_t code = 0;
    ASSERT_TRUE(smb2::ioctl_code(span(vectors::kSmb2IoctlRequestWin10), false, code));
    EXPECT_EQ(code, smb2::kFsctlQueryNetworkInterfaceInfo);
    code = 0;
    ASSERT_TRUE(smb2::ioctl_code(span(vectors::kSmb2IoctlResponseWin10), true, code));
    EXPECT_EQ(code, smb2::kFsctlQueryNetworkInterfaceInfo);
    // The wrong StructureSize for the direction.
    EXPECT_FALSE(smb2::ioctl_code(span(vectors::kSmb2IoctlRequestWin10), true, code));
    EXPECT_FALSE(smb2::ioctl_code(span(vectors::kSmb2IoctlResponseWin10), false, code));
}

TEST(Smb2Ioctl, Boundaries) {
    const Buf msg = to_buf(vectors::kSmb2IoctlRequestWin10);
    constexpr std::size_t kCtlCodeEnd = kBody + 8;
    std::uint32_t code = 0;
    EXPECT_FALSE(smb2::ioctl_code(span(first(msg, kCtlCodeEnd - 1)), false, code));
    EXPECT_TRUE(smb2::ioctl_code(span(first(msg, kCtlCodeEnd)), false, code));
    EXPECT_EQ(code, smb2::kFsctlQueryNetworkInterfaceInfo);
    EXPECT_TRUE(smb2::ioctl_code(span(first(msg, kCtlCodeEnd + 1)), false, code));
}

// --- Transform header ---------------------------------------------------------------------

// smb311-w2016-sec03-encrypted.pcap frame 7.
TEST(Smb2Transform, RealHeader) {
    smb2::TransformHeader t;
    ASSERT_EQ(smb2::parse_transform_header(span(vectors::kSmb2TransformW2016), t),
              ParseError::None);
    EXPECT_EQ(t.session_id, kW2016SessionId);
    EXPECT_EQ(t.original_size, 104u);
    EXPECT_TRUE(smb2::starts_with(span(vectors::kSmb2TransformW2016), smb2::kTransformProtocolId));
}

TEST(Smb2Transform, Boundaries) {
    const Buf msg = to_buf(vectors::kSmb2TransformW2016);
    smb2::TransformHeader t;
    EXPECT_EQ(smb2::parse_transform_header(span(first(msg, smb2::kTransformHeaderSize - 1)), t),
              ParseError::Truncated);
    EXPECT_EQ(smb2::parse_transform_header(span(first(msg, smb2::kTransformHeaderSize)), t),
              ParseError::None);
    EXPECT_EQ(t.session_id, kW2016SessionId);
    EXPECT_EQ(smb2::parse_transform_header(span(first(msg, smb2::kTransformHeaderSize + 1)), t),
              ParseError::None);
    EXPECT_EQ(smb2::parse_transform_header(span(first(msg, 3)), t), ParseError::Truncated);
    EXPECT_EQ(smb2::parse_transform_header(span(first(msg, kTransformOriginalSizeOffset + 3)), t),
              ParseError::Truncated);
}

TEST(Smb2Transform, WrongProtocolIdIsMalformed) {
    smb2::TransformHeader t;
    EXPECT_EQ(smb2::parse_transform_header(span(vectors::kSmb2TreeConnectRequestSamba), t),
              ParseError::Malformed);
}

TEST(Smb2Status, ErrorSeverity) {
    EXPECT_TRUE(smb2::is_error(smb2::kStatusAccessDenied));
    EXPECT_TRUE(smb2::is_error(smb2::kStatusMoreProcessingRequired));
    EXPECT_FALSE(smb2::is_error(smb2::kStatusSuccess));
    EXPECT_FALSE(smb2::is_error(smb2::kStatusPending));
    EXPECT_FALSE(smb2::is_error(0x80000006)); // STATUS_NO_MORE_FILES is a warning
}

} // namespace

namespace {

using namespace smbsign;
using namespace testutil;

// The security blobs the record parsers hand to verification (MS-SMB2 2.2.5, 2.2.6).
TEST(Smb2SessionSetup, SecurityBlobs) {
    // smb311-client-sec03-requires-signing-samba.pcap frame 8: the blob its offset and
    // length name.
    const Buf req = to_buf(vectors::kSmb2SessionSetupRequestSamba);
    smb2::SessionSetupRequest r;
    ASSERT_EQ(smb2::parse_session_setup_request(span(req), r), ParseError::None);
    EXPECT_EQ(r.security_blob.data(), req.data() + get_u16le(req, kSetupReqBlobOffsetOffset));
    EXPECT_EQ(r.security_blob.size(), get_u16le(req, kSetupReqBlobOffsetOffset + 2));
    // ... frame 14, the final response: SecurityBufferOffset and Length follow SessionFlags.
    const Buf resp = to_buf(vectors::kSmb2SessionSetupResponseSamba);
    const std::uint16_t at = get_u16le(resp, kSetupRespFlagsOffset + 2);
    const std::uint16_t len = get_u16le(resp, kSetupRespFlagsOffset + 4);
    ASSERT_GT(len, 0);
    ASSERT_EQ(std::size_t{at} + len, resp.size());
    smb2::SessionSetupResponse s;
    ASSERT_EQ(smb2::parse_session_setup_response(span(resp), s), ParseError::None);
    EXPECT_EQ(s.security_blob.data(), resp.data() + at);
    EXPECT_EQ(s.security_blob.size(), len);
    // Cut one byte short: the captured part, SessionFlags still read.
    const Buf cut = first(resp, resp.size() - 1);
    s = {};
    ASSERT_EQ(smb2::parse_session_setup_response(span(cut), s), ParseError::None);
    EXPECT_EQ(s.security_blob.size(), len - 1u);
    // Cut before the buffer fields: no blob.
    s = {};
    ASSERT_EQ(smb2::parse_session_setup_response(span(first(resp, kSetupRespFlagsOffset + 2)), s),
              ParseError::None);
    EXPECT_TRUE(s.security_blob.empty());
}

} // namespace

namespace {

// smb311-w2016-sec03-encrypted.pcap frame 7: the fields the tag check takes.
TEST(Smb2Transform, RealHeaderFieldsForTheTagCheck) {
    const Buf msg = to_buf(vectors::kSmb2TransformW2016);
    smb2::TransformHeader t;
    ASSERT_EQ(smb2::parse_transform_header(span(msg), t), ParseError::None);
    EXPECT_EQ(t.flags, smb2::transform::kFlagEncrypted);
    ASSERT_EQ(t.signature.size(), 16u);
    EXPECT_EQ(t.signature[0], 0x68); // bytes 4-19
    ASSERT_EQ(t.nonce.size(), 16u);
    EXPECT_EQ(t.nonce[0], 0x4e); // bytes 20-35
    EXPECT_EQ(t.aad.size(), 32u);
    EXPECT_EQ(t.aad.data(), t.nonce.data()); // from Nonce to the header's end
    EXPECT_EQ(t.ciphertext.size(), msg.size() - smb2::kTransformHeaderSize);
    EXPECT_EQ(t.ciphertext.size(), t.original_size);
}

} // namespace
