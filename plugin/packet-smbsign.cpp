// smbsign: a Wireshark postdissector that gives every SMB session a signing verdict.
//
// Thin glue only: Wireshark's TCP and NetBIOS dissectors frame each SMB message
// (reassembly stays theirs); on the first pass we borrow those bytes and the TCP
// connection's FIN/RST (input.hpp), hand them to the core tracker, and on every
// pass show the per-session result cached under the frame number.

#include "plugin/compat.hpp"
#include "plugin/glue.hpp"
#include "plugin/input.hpp"
#include "plugin/items.hpp"
#include "plugin/kdc.hpp"
#include "plugin/relay.hpp"
#include "plugin/secrets.hpp"
#include "plugin/whatif.hpp"
#include "smbsign/findings.hpp"
#include "smbsign/hints.hpp"
#include "smbsign/tracker.hpp"
#include "smbsign/verify/verifier.hpp"

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tap.h>
#include <epan/to_str.h>
#include <ws_version.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>

namespace smbsign::plugin {
namespace {

int proto_smbsign = -1;
int hf_session = -1;
int hf_session_id = -1;
int hf_dialect = -1;
int hf_server_policy = -1;
int hf_client_policy = -1;
int hf_client_policy_inferred = -1;
int hf_guest = -1;
int hf_anonymous = -1;
int hf_mid_capture = -1;
int hf_verdict = -1;
int hf_verdict_reason = -1;
int hf_signing_algorithm = -1;
int hf_cipher = -1;
int hf_counted = -1;
int hf_counted_signed = -1;
int hf_predicted = -1;
int hf_observed = -1;
int hf_consistent = -1;
int hf_client_error = -1;
int hf_server_hint = -1;
int hf_server_registry = -1;
int hf_client_hint = -1;
int hf_client_registry = -1;
int hf_fix = -1;
int hf_negotiate_frame = -1;
int hf_setup_frame = -1;
int hf_outcome_frame = -1;
int hf_signature_status = -1;
int hf_signature_expected = -1;
int hf_signature_reason = -1;
int hf_integrity = -1;
int hf_signatures_valid = -1;
int hf_signatures_invalid = -1;
int hf_signatures_unverifiable = -1;
int hf_key_source = -1;
int hf_key_status = -1;
int hf_encryption_status = -1;
int hf_encryption_reason = -1;
int hf_encrypted_valid = -1;
int hf_encrypted_invalid = -1;
int hf_encrypted_unverifiable = -1;
int ett_smbsign = -1;

expert_field ei_server_not_required = EI_INIT;
expert_field ei_established_unsigned = EI_INIT;
expert_field ei_mixed_signing = EI_INIT;
expert_field ei_predicted_block = EI_INIT;
expert_field ei_predicted_denied = EI_INIT;
expert_field ei_predicted_signing_failure = EI_INIT;
expert_field ei_outcome_mismatch = EI_INIT;
expert_field ei_signing_active = EI_INIT;
expert_field ei_signature_invalid = EI_INIT;
expert_field ei_key_wrong = EI_INIT;
expert_field ei_all_verified = EI_INIT;
expert_field ei_encryption_invalid = EI_INIT;
expert_field ei_relay_both_legs = EI_INIT;
expert_field ei_relay_one_leg = EI_INIT;
std::array<expert_field, static_cast<std::size_t>(Anomaly::Count)> ei_anomaly{};

// Each core finding's expert-info entry, in Finding order (sized from the enum: a missing
// entry stays null and fails the static_assert, an extra one does not compile).
constexpr std::array<expert_field *, kFindingCount> ei_finding = {
    &ei_server_not_required,
    &ei_established_unsigned,
    &ei_mixed_signing,
    &ei_signing_active,
    &ei_predicted_block,
    &ei_predicted_denied,
    &ei_predicted_signing_failure,
    &ei_outcome_mismatch,
    &ei_signature_invalid, // SignatureAltered and SignatureInvalid: one entry, two texts
    &ei_signature_invalid,
    &ei_key_wrong, // KeyWrong and KeytabWrong: one entry, two texts
    &ei_key_wrong,
    &ei_all_verified,
    &ei_encryption_invalid, // EncryptionAltered and EncryptionInvalid: one entry, two texts
    &ei_encryption_invalid,
    &ei_relay_both_legs,
    &ei_relay_one_leg,
};
static_assert(ei_finding.back() != nullptr, "one expert-info entry per Finding");

constexpr bool is_prediction(Finding f) {
    return f == Finding::PredictedBlock || f == Finding::PredictedDenied ||
           f == Finding::PredictedSigningFailure;
}

constexpr bool is_signature(Finding f) {
    return f == Finding::SignatureAltered || f == Finding::SignatureInvalid;
}

constexpr bool is_relay(Finding f) {
    return f == Finding::RelayBothLegs || f == Finding::RelayOneLeg;
}

constexpr bool is_key_wrong(Finding f) {
    return f == Finding::KeyWrong || f == Finding::KeytabWrong;
}

constexpr bool is_encryption(Finding f) {
    return f == Finding::EncryptionAltered || f == Finding::EncryptionInvalid;
}

constexpr int to_pi(Severity s) {
    return s == Severity::Error ? PI_ERROR : s == Severity::Warn ? PI_WARN : PI_NOTE;
}

dissector_handle_t smbsign_handle;
int smbsign_tap = -1;
int expert_tap = -1;
const header_field_info *expert_info = nullptr;  // the _ws.expert protocol's field
const header_field_info *smbsign_info = nullptr; // smbsign's own

Tracker *tracker = nullptr;           // created in init, freed in cleanup
verify::Verifier *verifier = nullptr; // only when secrets are given

// The last session view derived, kept until the tracker next changes: deriving one costs
// more than the fields a filter asks for, and once the first pass is over (tshark -2, a
// GUI's every redissection) the tracker no longer changes, so consecutive frames of one
// session share it. `generation` counts the tracker's changes (every first-pass frame, a
// new or freed tracker); a view is only reused for the generation it was derived in.
struct ViewCache {
    std::uint64_t generation = 0; // the tracker's current generation
    std::uint64_t derived_in = 0; // the generation `view` was derived in (0: none)
    std::uint32_t session = kNoSession;
    SessionView view;

    void changed() { ++generation; }
    const SessionView &of(std::uint32_t index) {
        if (derived_in != generation || session != index) {
            view = tracker->view(index);
            session = index;
            derived_in = generation;
        }
        return view;
    }
};
ViewCache views;

void init_routine() {
    tracker = new Tracker();
    views.changed();
    if (auto s = secrets::collect(); !s.empty()) {
        verifier = new verify::Verifier(std::move(s));
        tracker->set_verifier(verifier);
    }
    expert_tap = find_tap_id("expert"); // registered after the plugins' handoff
    if (const int proto_expert = proto_get_id_by_filter_name("_ws.expert"); proto_expert > 0)
        expert_info = proto_registrar_get_nth(static_cast<guint>(proto_expert));
    whatif::on_init();
    input::reset();
    input::hook_smb_heuristics(proto_smbsign);
    kdc::set_verifier(verifier);
    kdc::hook(proto_smbsign, &ei_anomaly[static_cast<std::size_t>(Anomaly::KdcLimit)]);
}

void cleanup_routine() {
    delete tracker;
    tracker = nullptr;
    views.changed();
    kdc::set_verifier(nullptr);
    delete verifier;
    verifier = nullptr;
    input::reset();
}

// First pass: hand every SMB message NetBIOS framed in this frame to the core, then
// tell it when the frame's TCP connection has seen its first FIN or RST.
void analyse_frame(packet_info *pinfo) {
    const guint32 frame = pinfo->num;
    views.changed();
    for (const input::Pdu &p : input::pdus_of(frame)) {
        const auto captured = static_cast<std::size_t>(tvb_captured_length(p.tvb));
        if (captured == 0)
            continue;
        const Bytes bytes{tvb_get_ptr(p.tvb, 0, static_cast<gint>(captured)), captured};
        tracker->on_pdu(p.conn, p.side, frame, bytes, tvb_reported_length(p.tvb));
        if (tracker->wants_endpoints(p.conn)) { // an NTLM logon: relay linking compares them
            char src[64];
            char dst[64];
            address_to_str_buf(&pinfo->src, src, sizeof src);
            address_to_str_buf(&pinfo->dst, dst, sizeof dst);
            tracker->set_endpoints(p.conn, p.side, src, dst);
        }
    }
    input::check_delivery(pinfo);
    if (const auto conn = input::closed_connection(pinfo)) // only on ports that carried SMB
        tracker->on_tcp_close(*conn, input::side_of(pinfo), frame);
}

// Where the signature findings of a frame attach.
struct SignatureItems {
    proto_item *status = nullptr;
    proto_item *key = nullptr;
    proto_item *integrity = nullptr;
};

// The signature check of this frame's message(s) of the session, and the session's
// integrity. Never a key: only where it came from.
SignatureItems add_signature_items(const Items &add, const FrameEntry &e, const SessionView &v) {
    const auto &sig = v.signatures;
    SignatureItems out;
    const verify::Status status = verify::status_of(e.signature);
    if (status != verify::Status::None) {
        out.status = add.word(hf_signature_status, verify::to_string(status));
        if (status == verify::Status::Invalid) {
            const verify::Expected *x =
                verifier != nullptr ? verifier->expected(e.frame, e.session) : nullptr;
            if (x != nullptr && add.want(hf_signature_expected))
                Items::generated(proto_tree_add_bytes_with_length(
                    add.tree, hf_signature_expected, add.tvb, 0, 0, x->signature.data(), x->size));
        } else if (status == verify::Status::Unverifiable) {
            const auto reason = verify::to_string(verify::reason_of(e.signature));
            if (!reason.empty())
                add.word(hf_signature_reason, reason);
        }
    }
    out.integrity = add.word(hf_integrity, verify::to_string(v.integrity));
    if (sig.valid + sig.invalid + sig.unverifiable > 0) {
        add.number(hf_signatures_valid, sig.valid);
        add.number(hf_signatures_invalid, sig.invalid);
        add.number(hf_signatures_unverifiable, sig.unverifiable);
    }
    if (sig.key_source != verify::KeySource::None)
        add.word(hf_key_source, verify::to_string(sig.key_source));
    if (sig.key_state != verify::KeyState::Unknown)
        out.key = add.word(hf_key_status, verify::to_string(sig.key_state));
    return out;
}

// The tag check of this frame's encrypted message(s) of the session, and the session's
// counts of tag checks (doc/DEFINITIONS.md, "Encrypted messages"); returns the status item
// (where an invalid tag's expert info attaches).
proto_item *add_encryption_items(const Items &add, const FrameEntry &e, const SessionView &v) {
    const auto &sig = v.signatures;
    proto_item *item = nullptr;
    const verify::Status status = verify::status_of(e.encryption);
    if (status != verify::Status::None) {
        item = add.word(hf_encryption_status, verify::to_string(status));
        if (status == verify::Status::Unverifiable) {
            const auto reason = verify::to_string(verify::reason_of(e.encryption));
            if (!reason.empty())
                add.word(hf_encryption_reason, reason);
        }
    }
    if (sig.encrypted_valid + sig.encrypted_invalid + sig.encrypted_unverifiable > 0) {
        add.number(hf_encrypted_valid, sig.encrypted_valid);
        add.number(hf_encrypted_invalid, sig.encrypted_invalid);
        add.number(hf_encrypted_unverifiable, sig.encrypted_unverifiable);
    }
    return item;
}

// One expert info per anomaly the core reported for this frame and session.
void add_anomaly_experts(packet_info *pinfo, proto_item *item, AnomalySet anomalies) {
    for (unsigned a = 0; a < static_cast<unsigned>(Anomaly::Count); ++a)
        if (has(anomalies, static_cast<Anomaly>(a)))
            expert_add_info(pinfo, item, &ei_anomaly[a]);
}

// The items each finding's expert info attaches to.
struct Anchors {
    proto_item *top = nullptr; // the smbsign item
    proto_item *server = nullptr;
    proto_item *verdict = nullptr;
    proto_item *predicted = nullptr;
    proto_item *observed = nullptr;
    proto_item *relay = nullptr;
    proto_item *encryption = nullptr;
    SignatureItems signature;

    [[nodiscard]] proto_item *of(Finding f) const {
        if (is_relay(f))
            return relay != nullptr ? relay : top;
        return f == Finding::ServerNotRequired ? server
               : f == Finding::OutcomeMismatch ? observed
               : is_prediction(f)              ? predicted
               : is_signature(f)               ? signature.status
               : is_encryption(f)              ? encryption
               : is_key_wrong(f)               ? signature.key
               : f == Finding::AllVerified     ? signature.integrity
                                               : verdict;
    }
};

// The session's identity, dialect and both sides' policies (with their hints).
void add_policy_items(const Items &add, const SessionView &v, Anchors &at) {
    add.number(hf_session, v.number);
    if (v.id_known && add.want(hf_session_id))
        Items::generated(v.family == Family::Smb1 // a 16-bit UID: shown as SMB1 tools show it
                             ? proto_tree_add_uint64_format_value(add.tree, hf_session_id, add.tvb,
                                                                  0, 0, v.id, "0x%04x (UID)",
                                                                  static_cast<unsigned>(v.id))
                             : proto_tree_add_uint64(add.tree, hf_session_id, add.tvb, 0, 0, v.id));
    add.word(hf_dialect, to_string(v.dialect));
    at.server = add.word(hf_server_policy, to_string(v.server));
    auto add_hint = [&](Policy p, auto hint_of, int hf_gpo, int hf_registry) {
        if (!add.want(hf_gpo) && !add.want(hf_registry))
            return;
        const Hint h = hint_of(p, v.family);
        if (h.group_policy.empty())
            return;
        add.word(hf_gpo, h.group_policy);
        add.word(hf_registry, h.registry);
    };
    add_hint(v.server, server_hint, hf_server_hint, hf_server_registry);
    add.word(hf_client_policy, to_string(v.client));
    add_hint(v.client, client_hint, hf_client_hint, hf_client_registry);
    if (v.client_inferred)
        add.boolean(hf_client_policy_inferred, true);
    if (v.guest)
        add.boolean(hf_guest, true);
    if (v.anonymous)
        add.boolean(hf_anonymous, true);
    if (v.mid_capture)
        add.boolean(hf_mid_capture, true);
}

// The verdict, what was signed, the prediction, the observed outcome and the frames that
// prove them.
void add_outcome_items(const Items &add, const SessionView &v, Anchors &at) {
    at.verdict = add.word(hf_verdict, to_string(v.verdict));
    if (!v.verdict_reason.empty())
        add.word(hf_verdict_reason, v.verdict_reason);
    // SMB2/3 negotiates its algorithm; SMB1's MD5 MAC is only worth naming when in use.
    if (v.signing_algorithm != smb2::SigningAlgorithm::Unknown &&
        (v.family == Family::Smb2 || v.verdict == Verdict::Signed))
        add.word(hf_signing_algorithm, to_string(v.signing_algorithm));
    if (v.cipher != smb2::Cipher::None)
        add.word(hf_cipher, to_string(v.cipher));
    add.number(hf_counted, v.counted);
    add.number(hf_counted_signed, v.counted_signed);
    at.predicted = add.word(hf_predicted, to_string(v.predicted));
    if (const auto error_text = client_error_text(v.predicted); !error_text.empty())
        add.word(hf_client_error, error_text);
    at.observed = add.word(hf_observed, to_string(v.observed));
    if (v.consistent)
        add.boolean(hf_consistent, *v.consistent);
    if (add.want(hf_fix))
        if (const auto fix = fix_hint(v.predicted, v.observed, v.guest || v.anonymous, v.family);
            !fix.empty())
            add.word(hf_fix, fix);
}

void add_frame_links(const Items &add, const SessionView &v) {
    if (v.negotiate_frame != kNoFrame)
        add.number(hf_negotiate_frame, v.negotiate_frame);
    if (v.setup_frame != kNoFrame)
        add.number(hf_setup_frame, v.setup_frame);
    if (v.outcome_frame != kNoFrame)
        add.number(hf_outcome_frame, v.outcome_frame);
}

// Expert info, each on the frame that proves it (the core decides which, findings.hpp).
void add_finding_experts(packet_info *pinfo, const SessionView &v, const Findings &findings,
                         const Anchors &at) {
    for (const Finding f : findings) {
        proto_item *item = at.of(f);
        expert_field *ei = ei_finding[static_cast<std::size_t>(f)];
        if (is_relay(f)) {
            relay_items::add_expert(pinfo, item, v, ei);
            continue;
        }
        if (const std::string_view text = detail(f); !text.empty()) {
            expert_add_info_format(pinfo, item, ei, "%.*s", static_cast<int>(text.size()),
                                   text.data());
            continue;
        }
        if (f != Finding::OutcomeMismatch) {
            expert_add_info(pinfo, item, ei);
            continue;
        }
        expert_add_info_format(pinfo, item, &ei_outcome_mismatch,
                               "Observed outcome %s (verdict %s) differs from the predicted %s: "
                               "possible downgrade, tampering, or a peer that does not behave "
                               "like Windows",
                               to_string(v.observed).data(), to_string(v.verdict).data(),
                               to_string(v.predicted).data());
    }
}

// Every item of the session, and the items its findings' expert infos attach to.
Anchors add_items(const Items &add, const FrameEntry &e, const SessionView &v) {
    Anchors at;
    at.top = add.top;
    add_policy_items(add, v, at);
    add_outcome_items(add, v, at);
    add_frame_links(add, v); // with the outcome they prove, before the longer NTLM items
    whatif::add_items(add, v);
    at.relay = relay_items::add_items(add, v);
    at.signature = add_signature_items(add, e, v);
    at.encryption = add_encryption_items(add, e, v);
    return at;
}

// Which of this frame's expert infos have a reader: all of them for a tree someone looks
// at, a packet list (its Expert column), the expert tap (an Expert Information dialog,
// -z expert) or a filter, column or -T fields naming _ws.expert.*; otherwise those a
// filter names (smbsign.malformed.security_token).
struct ExpertReaders {
    bool all;
    [[nodiscard]] bool of(const expert_field &ei) const {
        return all || (ei.hf > 0 &&
                       internals::referenced(*proto_registrar_get_nth(static_cast<guint>(ei.hf))));
    }
};

ExpertReaders expert_readers(packet_info *pinfo, bool visible) {
    return {visible || pinfo->cinfo != nullptr || have_tap_listener(expert_tap) ||
            (expert_info != nullptr && internals::referenced(*expert_info))};
}

void add_session_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const FrameEntry &e) {
    const SessionView &v = views.of(e.session);
    const bool visible = tree != nullptr && PTREE_DATA(tree)->visible;
    const ExpertReaders read = expert_readers(pinfo, visible);
    Findings findings;
    for (const Finding f : frame_findings(v, e))
        if (read.of(*ei_finding[static_cast<std::size_t>(f)]))
            findings.add(f);
    AnomalySet anomalies = 0;
    for (unsigned a = 0; e.anomalies != 0 && a < static_cast<unsigned>(Anomaly::Count); ++a)
        if (has(e.anomalies, static_cast<Anomaly>(a)) && read.of(ei_anomaly[a]))
            anomalies |= bit(static_cast<Anomaly>(a));
    // In a tree nobody looks at, the smbsign item is only made for someone who names it
    // (a filter "smbsign") and for the expert infos that attach to it; otherwise the fields
    // a filter, column or -T fields names go straight into the frame's tree.
    proto_item *ti = nullptr;
    proto_tree *subtree = tree;
    if (visible || findings.size > 0 || anomalies != 0 ||
        internals::referenced_itself(*smbsign_info)) {
        // The summary line is only formatted for a tree someone will look at (a filter or
        // a tap does not read it, and formatting it costs more than the fields themselves).
        ti = visible ? proto_tree_add_protocol_format(
                           tree, proto_smbsign, tvb, 0, 0,
                           "SMB Signing Analysis: session %u, %s, predicted %s, %s", v.number,
                           to_string(v.verdict).data(), to_string(v.predicted).data(),
                           to_string(v.observed).data())
                     : proto_tree_add_item(tree, proto_smbsign, tvb, 0, 0, ENC_NA);
        proto_item_set_generated(ti);
        subtree = proto_item_add_subtree(ti, ett_smbsign);
    }
    const Anchors at = add_items(Items{subtree, tvb, ti, visible}, e, v);
    add_finding_experts(pinfo, v, findings, at);
    add_anomaly_experts(pinfo, ti, anomalies);

    if (have_tap_listener(smbsign_tap)) {
        auto *rec = new (wmem_alloc(pinfo->pool, sizeof(glue::TapRecord))) glue::TapRecord{};
        const auto server = tracker->server_side(e.session);
        glue::fill_tap_record(*rec, v, pinfo, server && *server == input::side_of(pinfo));
        tap_queue_packet(smbsign_tap, pinfo, rec);
    }
}

int dissect_smbsign(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *) {
    if (tracker == nullptr)
        return 0;
    if (!PINFO_FD_VISITED(pinfo))
        analyse_frame(pinfo);
    // Build the subtree only for someone: a visible tree, a filter, column or colouring
    // rule naming smbsign, or a listening tap (ours, or expert infos).
    if (!proto_field_is_referenced(tree, proto_smbsign) && !have_tap_listener(smbsign_tap) &&
        !have_tap_listener(expert_tap))
        return 0;
    const auto entries = tracker->frame_entries(pinfo->num);
    if (entries.empty())
        return 0;
    for (const FrameEntry &e : entries) {
        if (e.session != kNoSession) {
            add_session_tree(tvb, pinfo, tree, e);
            continue;
        }
        proto_item *ti = proto_tree_add_protocol_format(tree, proto_smbsign, tvb, 0, 0,
                                                        "SMB Signing Analysis: no session");
        proto_item_set_generated(ti);
        add_anomaly_experts(pinfo, ti, e.anomalies);
    }
    return static_cast<int>(tvb_captured_length(tvb));
}

// NOLINTNEXTLINE(readability-function-size): the field and expert-info tables
void register_protocol() {
    static hf_register_info hf[] = {
        {&hf_session,
         {"Session", "smbsign.session", FT_UINT32, BASE_DEC, nullptr, 0,
          "Session number in this capture (1-based, in order of appearance)", HFILL}},
        {&hf_session_id,
         {"Session id", "smbsign.session_id", FT_UINT64, BASE_HEX, nullptr, 0,
          "SMB1 UID or SMB2 SessionId", HFILL}},
        {&hf_dialect,
         {"Dialect", "smbsign.dialect", FT_STRING, BASE_NONE, nullptr, 0, "Negotiated SMB dialect",
          HFILL}},
        {&hf_server_policy,
         {"Server signing policy", "smbsign.server.policy", FT_STRING, BASE_NONE, nullptr, 0,
          "From the NEGOTIATE response SecurityMode", HFILL}},
        {&hf_client_policy,
         {"Client signing policy", "smbsign.client.policy", FT_STRING, BASE_NONE, nullptr, 0,
          "SMB1: SESSION_SETUP_ANDX request Flags2; SMB2: NEGOTIATE request SecurityMode", HFILL}},
        {&hf_server_hint,
         {"Server Group Policy", "smbsign.server.hint", FT_STRING, BASE_NONE, nullptr, 0,
          "Group Policy setting that produces the server's policy (KB887429)", HFILL}},
        {&hf_server_registry,
         {"Server registry", "smbsign.server.registry", FT_STRING, BASE_NONE, nullptr, 0,
          "Registry values that produce the server's policy (KB887429)", HFILL}},
        {&hf_client_hint,
         {"Client Group Policy", "smbsign.client.hint", FT_STRING, BASE_NONE, nullptr, 0,
          "Group Policy setting that produces the client's policy (KB887429)", HFILL}},
        {&hf_client_registry,
         {"Client registry", "smbsign.client.registry", FT_STRING, BASE_NONE, nullptr, 0,
          "Registry values that produce the client's policy (KB887429)", HFILL}},
        {&hf_fix,
         {"How to fix", "smbsign.fix", FT_STRING, BASE_NONE, nullptr, 0,
          "Which setting to change, on which side, to make the connection succeed securely",
          HFILL}},
        {&hf_client_policy_inferred,
         {"Client policy inferred", "smbsign.client.policy_inferred", FT_BOOLEAN, BASE_NONE,
          nullptr, 0,
          "Client required signing: it closed the connection after a NEGOTIATE response "
          "with signing disabled (KB887429)",
          HFILL}},
        {&hf_guest,
         {"Guest session", "smbsign.guest", FT_BOOLEAN, BASE_NONE, nullptr, 0, nullptr, HFILL}},
        {&hf_anonymous,
         {"Anonymous session", "smbsign.anonymous", FT_BOOLEAN, BASE_NONE, nullptr, 0, nullptr,
          HFILL}},
        {&hf_mid_capture,
         {"Started before the capture", "smbsign.mid_capture", FT_BOOLEAN, BASE_NONE, nullptr, 0,
          "No SESSION_SETUP of this session was captured", HFILL}},
        {&hf_verdict,
         {"Verdict", "smbsign.verdict", FT_STRING, BASE_NONE, nullptr, 0,
          "What the session's own messages show", HFILL}},
        {&hf_verdict_reason,
         {"Reason", "smbsign.verdict.reason", FT_STRING, BASE_NONE, nullptr, 0, nullptr, HFILL}},
        {&hf_signing_algorithm,
         {"Signing algorithm", "smbsign.signing_algorithm", FT_STRING, BASE_NONE, nullptr, 0,
          nullptr, HFILL}},
        {&hf_cipher,
         {"Cipher", "smbsign.cipher", FT_STRING, BASE_NONE, nullptr, 0, nullptr, HFILL}},
        {&hf_counted,
         {"Counted messages", "smbsign.counted", FT_UINT32, BASE_DEC, nullptr, 0,
          "Messages after the final SESSION_SETUP that decide the verdict", HFILL}},
        {&hf_counted_signed,
         {"Signed counted messages", "smbsign.counted_signed", FT_UINT32, BASE_DEC, nullptr, 0,
          nullptr, HFILL}},
        {&hf_predicted,
         {"Predicted outcome", "smbsign.outcome.predicted", FT_STRING, BASE_NONE, nullptr, 0,
          "KB887429 / MS-SMB 3.2.4.2.4 for SMB1; the SMB2/3 'required on either side' rule",
          HFILL}},
        {&hf_client_error,
         {"Windows client error", "smbsign.outcome.client_error", FT_STRING, BASE_NONE, nullptr, 0,
          "What a Windows client reports for the predicted failure", HFILL}},
        {&hf_observed,
         {"Observed outcome", "smbsign.outcome.observed", FT_STRING, BASE_NONE, nullptr, 0, nullptr,
          HFILL}},
        {&hf_consistent,
         {"Consistent with prediction", "smbsign.outcome.consistent", FT_BOOLEAN, BASE_NONE,
          nullptr, 0, "Absent when it cannot be judged", HFILL}},
        {&hf_negotiate_frame,
         {"NEGOTIATE response in frame", "smbsign.negotiate_frame", FT_FRAMENUM, BASE_NONE, nullptr,
          0, nullptr, HFILL}},
        {&hf_setup_frame,
         {"Final SESSION_SETUP response in frame", "smbsign.setup_frame", FT_FRAMENUM, BASE_NONE,
          nullptr, 0, nullptr, HFILL}},
        {&hf_outcome_frame,
         {"Outcome proven in frame", "smbsign.outcome_frame", FT_FRAMENUM, BASE_NONE, nullptr, 0,
          nullptr, HFILL}},
        {&hf_signature_status,
         {"Signature", "smbsign.signature.status", FT_STRING, BASE_NONE, nullptr, 0,
          "valid, invalid or unverifiable: the signature checked with the session's key", HFILL}},
        {&hf_signature_expected,
         {"Expected signature", "smbsign.signature.expected", FT_BYTES, BASE_NONE, nullptr, 0,
          "The signature the session's key gives for this message", HFILL}},
        {&hf_signature_reason,
         {"Why unverifiable", "smbsign.signature.reason", FT_STRING, BASE_NONE, nullptr, 0, nullptr,
          HFILL}},
        {&hf_integrity,
         {"Integrity", "smbsign.integrity", FT_STRING, BASE_NONE, nullptr, 0,
          "verified, invalid, unverified or not-signed", HFILL}},
        {&hf_signatures_valid,
         {"Valid signatures", "smbsign.signatures.valid", FT_UINT32, BASE_DEC, nullptr, 0, nullptr,
          HFILL}},
        {&hf_signatures_invalid,
         {"Invalid signatures", "smbsign.signatures.invalid", FT_UINT32, BASE_DEC, nullptr, 0,
          nullptr, HFILL}},
        {&hf_signatures_unverifiable,
         {"Unverifiable signatures", "smbsign.signatures.unverifiable", FT_UINT32, BASE_DEC,
          nullptr, 0, nullptr, HFILL}},
        {&hf_key_source,
         {"Key source", "smbsign.key.source", FT_STRING, BASE_NONE, nullptr, 0,
          "password, NT hash, session key or keytab (never the key itself)", HFILL}},
        {&hf_key_status,
         {"Key status", "smbsign.key.status", FT_STRING, BASE_NONE, nullptr, 0,
          "proven (NTLMv2 proof or a valid signature) or wrong", HFILL}},
        {&hf_encryption_status,
         {"Encryption tag", "smbsign.encryption.status", FT_STRING, BASE_NONE, nullptr, 0,
          "valid, invalid or unverifiable: the SMB3 TRANSFORM's AES-CCM/GCM tag checked with the "
          "session's cipher key",
          HFILL}},
        {&hf_encryption_reason,
         {"Why unverifiable", "smbsign.encryption.reason", FT_STRING, BASE_NONE, nullptr, 0,
          nullptr, HFILL}},
        {&hf_encrypted_valid,
         {"Valid encrypted messages", "smbsign.encrypted.valid", FT_UINT32, BASE_DEC, nullptr, 0,
          nullptr, HFILL}},
        {&hf_encrypted_invalid,
         {"Invalid encrypted messages", "smbsign.encrypted.invalid", FT_UINT32, BASE_DEC, nullptr,
          0, nullptr, HFILL}},
        {&hf_encrypted_unverifiable,
         {"Unverifiable encrypted messages", "smbsign.encrypted.unverifiable", FT_UINT32, BASE_DEC,
          nullptr, 0, nullptr, HFILL}},
    };
    static gint *ett[] = {&ett_smbsign};

    static const ei_register_info fixed[] = {
        {&ei_server_not_required,
         {"smbsign.server_not_required", PI_SECURITY, to_pi(severity(Finding::ServerNotRequired)),
          "Server does not require SMB signing: sessions can be relayed (NTLM relay risk)",
          EXPFILL}},
        {&ei_established_unsigned,
         {"smbsign.established_unsigned", PI_SECURITY,
          to_pi(severity(Finding::EstablishedUnsigned)),
          "Session established unsigned: messages can be tampered with", EXPFILL}},
        {&ei_mixed_signing,
         {"smbsign.mixed_signing", PI_SECURITY, to_pi(severity(Finding::MixedSigning)),
          "Session mixes signed and unsigned messages", EXPFILL}},
        {&ei_predicted_block,
         {"smbsign.predicted.blocked", PI_SECURITY, to_pi(severity(Finding::PredictedBlock)),
          "Predicted: client closes after NEGOTIATE (client requires signing, server has it "
          "disabled; system error 1240)",
          EXPFILL}},
        {&ei_predicted_denied,
         {"smbsign.predicted.denied", PI_SECURITY, to_pi(severity(Finding::PredictedDenied)),
          "Predicted: STATUS_ACCESS_DENIED at TREE_CONNECT (server requires signing, client has "
          "it disabled)",
          EXPFILL}},
        {&ei_predicted_signing_failure,
         {"smbsign.predicted.signing_failure", PI_SECURITY,
          to_pi(severity(Finding::PredictedSigningFailure)),
          "Predicted: signing failure (client requires signing, the server or this "
          "guest/anonymous session cannot sign)",
          EXPFILL}},
        {&ei_outcome_mismatch,
         {"smbsign.outcome_mismatch", PI_SECURITY, to_pi(severity(Finding::OutcomeMismatch)),
          "Observed outcome differs from the prediction", EXPFILL}},
        {&ei_signing_active,
         {"smbsign.signing_active", PI_SECURITY, to_pi(severity(Finding::SigningActive)),
          "SMB signing active in this session", EXPFILL}},
        {&ei_signature_invalid,
         {"smbsign.signature.invalid", PI_SECURITY, to_pi(severity(Finding::SignatureInvalid)),
          "Invalid SMB signature", EXPFILL}},
        {&ei_key_wrong,
         {"smbsign.key.wrong", PI_SECURITY, to_pi(severity(Finding::KeyWrong)),
          "The password or NT hash given for this user is wrong: its signatures cannot be "
          "checked",
          EXPFILL}},
        {&ei_all_verified,
         {"smbsign.integrity.verified", PI_SECURITY, to_pi(severity(Finding::AllVerified)),
          "Every signature of this session verified", EXPFILL}},
        {&ei_encryption_invalid,
         {"smbsign.encryption.invalid", PI_SECURITY, to_pi(severity(Finding::EncryptionInvalid)),
          "Invalid SMB3 encryption tag", EXPFILL}},
        {&ei_relay_both_legs,
         {"smbsign.relay.linked", PI_SECURITY, to_pi(severity(Finding::RelayBothLegs)),
          "NTLM relay: this authentication is linked to another leg of a relay", EXPFILL}},
        {&ei_relay_one_leg,
         {"smbsign.relay.suspected", PI_SECURITY, to_pi(severity(Finding::RelayOneLeg)),
          "Possible NTLM relay: signals on this leg only", EXPFILL}},
    };
    constexpr std::size_t kFixed = std::extent_v<decltype(fixed)>; // before the anomalies
    static std::array<ei_register_info, kFixed + static_cast<std::size_t>(Anomaly::Count)> ei;
    std::copy(std::begin(fixed), std::end(fixed), ei.begin());
    static std::array<std::string, static_cast<std::size_t>(Anomaly::Count)> anomaly_names;
    for (unsigned a = 0; a < static_cast<unsigned>(Anomaly::Count); ++a) {
        const auto an = static_cast<Anomaly>(a);
        const bool malformed = is_malformed(an);
        anomaly_names[a] = std::string(malformed ? "smbsign.malformed." : "smbsign.anomaly.") +
                           std::string(short_name(an));
        ei_register_info entry = {&ei_anomaly[a], {"", PI_SECURITY, PI_WARN, "", EXPFILL}};
        entry.eiinfo.name = anomaly_names[a].c_str();
        entry.eiinfo.group = malformed ? PI_MALFORMED : PI_SECURITY;
        entry.eiinfo.severity = to_pi(severity(an));
        entry.eiinfo.summary = describe(an).data();
        ei.at(kFixed + a) = entry;
    }

    proto_smbsign = proto_register_protocol("SMB Signing Analysis", "SMBSIGN", "smbsign");
    fields.add(proto_smbsign, hf, G_N_ELEMENTS(hf));
    proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
    expert_module_t *expert = expert_register_protocol(proto_smbsign);
    expert_register_field_array(expert, ei.data(), static_cast<int>(ei.size()));
    secrets::register_prefs(proto_smbsign);
    whatif::register_fields(proto_smbsign);
    relay_items::register_fields(proto_smbsign);
    register_init_routine(init_routine);
    register_cleanup_routine(cleanup_routine);
    smbsign_tap = register_tap("smbsign");
}

void register_handoff() {
    smbsign_handle = create_dissector_handle(dissect_smbsign, proto_smbsign);
    smbsign_info = proto_registrar_get_nth(static_cast<guint>(proto_smbsign));
    register_postdissector(smbsign_handle);
}

} // namespace
} // namespace smbsign::plugin

extern "C" WS_DLL_PUBLIC_DEF const gchar plugin_version[] = SMBSIGN_VERSION;
extern "C" WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
extern "C" WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

extern "C" WS_DLL_PUBLIC_DEF void plugin_register(void) {
    static proto_plugin plug;
    plug.register_protoinfo = smbsign::plugin::register_protocol;
    plug.register_handoff = smbsign::plugin::register_handoff;
    proto_register_plugin(&plug);
    static tap_plugin tap;
    tap.register_tap_listener = [] {
        smbsign::plugin::glue::register_stats();
        smbsign::plugin::whatif::register_stats();
    };
    tap_register_plugin(&tap);
}

#ifdef SMBSIGN_HAVE_PLUGIN_DESCRIBE
extern "C" WS_DLL_PUBLIC_DEF std::uint32_t plugin_describe(void) {
    return smbsign::plugin::compat::kPluginDescription;
}
#endif
