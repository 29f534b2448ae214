// What every message handler (smb1_handler.hpp, smb2_handler.hpp) does the same way: parse
// errors as anomalies and malformed facts, and the end of a message: the connection's last
// message and the frame log entry.
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/bytes.hpp"
#include "smbsign/frame_log.hpp"
#include "smbsign/session_table.hpp"

namespace smbsign {

class Recorder {
public:
    Recorder(SessionTable &table, FrameLog &frames) noexcept : table_(table), frames_(frames) {}

    [[nodiscard]] SessionTable &table() const noexcept { return table_; }

    // A header the core cannot parse: the message belongs to no session, and no verdict on
    // this connection can be trusted.
    void header_error(CurrentMessage &m, ParseError e) const noexcept {
        m.anomalies |=
            bit(e == ParseError::Truncated ? Anomaly::TruncatedHeader : Anomaly::MalformedHeader);
        m.conn->facts.malformed = true;
        note(m.frame, kNoSession, m.anomalies);
    }

    void body_error(CurrentMessage &m, ParseError e) const noexcept {
        if (e == ParseError::None)
            return;
        m.anomalies |=
            bit(e == ParseError::Truncated ? Anomaly::TruncatedBody : Anomaly::MalformedBody);
        if (m.session != kNoSession)
            table_.session(m.session).facts.malformed = true;
        else
            m.conn->facts.malformed = true;
    }

    // The message is recorded: it is the connection's last, and its frame shows its session.
    void finish(CurrentMessage &m, bool is_request, bool is_signed) const noexcept {
        LastMessage &last = m.conn->facts.last;
        last.session = m.session;
        last.is_request = is_request;
        last.is_signed = is_signed;
        note(m.frame, m.session, m.anomalies);
    }

    void note(std::uint32_t frame, std::uint32_t session, AnomalySet anomalies) const noexcept {
        if (session == kNoSession && anomalies == 0)
            return;
        frames_.note(frame, session, anomalies);
    }

private:
    SessionTable &table_;
    FrameLog &frames_;
};

} // namespace smbsign
