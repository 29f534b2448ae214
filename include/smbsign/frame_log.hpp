// The frame log: which sessions (and anomalies, and signature checks) each analysed
// frame carries, kept at a few bytes per frame so that later passes can show them.
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/verify/result.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

namespace smbsign {

inline constexpr std::uint32_t kNoSession = 0xFFFFFFFF;
inline constexpr std::uint32_t kNoFrame = 0;

// One analysed SMB message as the frame that carried it remembers it.
struct FrameEntry {
    std::uint32_t frame = 0;
    std::uint32_t session = kNoSession;
    AnomalySet anomalies = 0;
    verify::Code signature = 0;  // the signature check of its message(s), verify/result.hpp
    verify::Code encryption = 0; // the tag check of its encrypted message(s)
};

// The frame log: 8 bytes per (frame, session) pair; the rare anomalies live apart.
class FrameLog {
public:
    struct Slot {
        std::uint32_t frame;
        std::uint32_t session;
    };

    // The entries of one frame, read as FrameEntry values.
    class Entries {
    public:
        class iterator {
        public:
            using value_type = FrameEntry;
            using difference_type = std::ptrdiff_t;
            iterator(const FrameLog *log, std::size_t i) : log_(log), i_(i) {}
            FrameEntry operator*() const { return log_->entry(i_); }
            iterator &operator++() {
                ++i_;
                return *this;
            }
            bool operator==(const iterator &o) const { return i_ == o.i_; }
            bool operator!=(const iterator &o) const { return i_ != o.i_; }

        private:
            const FrameLog *log_;
            std::size_t i_;
        };
        Entries(const FrameLog *log, std::size_t lo, std::size_t hi)
            : log_(log), lo_(lo), hi_(hi) {}
        [[nodiscard]] std::size_t size() const { return hi_ - lo_; }
        [[nodiscard]] bool empty() const { return hi_ == lo_; }
        FrameEntry operator[](std::size_t i) const { return log_->entry(lo_ + i); }
        [[nodiscard]] FrameEntry front() const { return log_->entry(lo_); }
        [[nodiscard]] iterator begin() const { return {log_, lo_}; }
        [[nodiscard]] iterator end() const { return {log_, hi_}; }

    private:
        const FrameLog *log_;
        std::size_t lo_, hi_;
    };

    // Frames must come in increasing order; a repeated (frame, session) merges.
    void note(std::uint32_t frame, std::uint32_t session, AnomalySet anomalies) noexcept {
        std::size_t index = slots_.size();
        for (std::size_t i = slots_.size(); i > 0 && slots_[i - 1].frame == frame; --i)
            if (slots_[i - 1].session == session)
                index = i - 1;
        try {
            if (index == slots_.size())
                slots_.push_back({frame, session});
            if (anomalies != 0 && index < slots_.size())
                merge(static_cast<std::uint32_t>(index), anomalies);
        } catch (...) { // out of memory: the frame is shown without analysis
        }
    }

    [[nodiscard]] Entries of(std::uint32_t frame) const noexcept {
        const std::size_t n = slots_.size();
        std::size_t lo = std::min(hint_, n);
        // Passes ask in increasing order, also for the frames between two SMB frames: the
        // answer is then at most a few steps on from the last one; otherwise (a user
        // clicking around) a binary search.
        if ((lo == 0 || slots_[lo - 1].frame < frame) &&
            (lo + 4 >= n || slots_[lo + 4].frame >= frame)) {
            while (lo < n && slots_[lo].frame < frame)
                ++lo;
        } else {
            lo = static_cast<std::size_t>(
                std::lower_bound(slots_.begin(), slots_.end(), frame,
                                 [](const Slot &e, std::uint32_t f) { return e.frame < f; }) -
                slots_.begin());
        }
        std::size_t hi = lo;
        while (hi < n && slots_[hi].frame == frame)
            ++hi;
        hint_ = lo;
        return {this, lo, hi};
    }

    [[nodiscard]] FrameEntry entry(std::size_t i) const {
        FrameEntry e{slots_[i].frame, slots_[i].session, 0, 0, 0};
        auto it = std::lower_bound(anomalies_.begin(), anomalies_.end(), i,
                                   [](const auto &a, std::size_t k) { return a.first < k; });
        if (it != anomalies_.end() && it->first == i)
            e.anomalies = it->second;
        auto sig = std::lower_bound(signatures_.begin(), signatures_.end(), i,
                                    [](const auto &a, std::size_t k) { return a.first < k; });
        if (sig != signatures_.end() && sig->first == i)
            e.signature = sig->second;
        auto enc = std::lower_bound(encryptions_.begin(), encryptions_.end(), i,
                                    [](const auto &a, std::size_t k) { return a.first < k; });
        if (enc != encryptions_.end() && enc->first == i)
            e.encryption = enc->second;
        return e;
    }

    // The signature check of a message already noted for (frame, session); a frame's
    // several messages of one session (compound) keep the result that matters most.
    void note_signature(std::uint32_t frame, std::uint32_t session, verify::Code code) noexcept {
        note_check(signatures_, frame, session, code);
    }
    // The tag check of an encrypted message, kept as note_signature keeps signatures.
    void note_encryption(std::uint32_t frame, std::uint32_t session, verify::Code code) noexcept {
        note_check(encryptions_, frame, session, code);
    }

    void clear() noexcept {
        slots_.clear();
        hint_ = 0;
        anomalies_.clear();
        signatures_.clear();
        encryptions_.clear();
    }

private:
    using Checks = std::vector<std::pair<std::uint32_t, verify::Code>>; // by slot index

    void note_check(Checks &table, std::uint32_t frame, std::uint32_t session,
                    verify::Code code) noexcept {
        if (verify::status_of(code) == verify::Status::None)
            return;
        for (std::size_t i = slots_.size(); i > 0 && slots_[i - 1].frame == frame; --i) {
            if (slots_[i - 1].session != session)
                continue;
            const auto key = static_cast<std::uint32_t>(i - 1);
            try {
                upsert(table, key, code,
                       [](verify::Code a, verify::Code b) { return verify::worse(a, b); });
            } catch (...) { // out of memory: the message is shown unchecked
            }
            return;
        }
    }

    void merge(std::uint32_t key, AnomalySet anomalies) {
        upsert(anomalies_, key, anomalies,
               [](AnomalySet a, AnomalySet b) { return static_cast<AnomalySet>(a | b); });
    }

    // Keeps `table` sorted by slot index for entry()'s binary search. A frame carrying
    // sessions A, B, then A again adds to A's slot, which is not the last one: searched
    // from the back (only the current frame's few slots can be there), inserted in place.
    template <class Value, class Combine>
    static void upsert(std::vector<std::pair<std::uint32_t, Value>> &table, std::uint32_t key,
                       Value value, Combine combine) {
        auto it = table.end();
        while (it != table.begin() && std::prev(it)->first >= key)
            --it;
        if (it != table.end() && it->first == key)
            it->second = combine(it->second, value);
        else
            table.insert(it, {key, value});
    }

    // A deque grows block by block: no copy of the whole log, and no unused half of a
    // doubled vector, on a capture of millions of frames.
    std::deque<Slot> slots_;
    mutable std::size_t hint_ = 0; // where the last of() answer started
    std::vector<std::pair<std::uint32_t, AnomalySet>> anomalies_; // by slot index
    Checks signatures_;
    Checks encryptions_;
};

} // namespace smbsign
