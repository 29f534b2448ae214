// Prints the vocabulary of every enumerated session field, one "column word" line each, as
// the core's own to_string() functions (include/smbsign/matrix.hpp) spell it. Every value of
// each enum's underlying type is tried, so a word added to the core shows up here without a
// list to keep in step; values outside an enum fall back to the enum's default word.
#include <smbsign/matrix.hpp>

#include <cstdint>
#include <iostream>
#include <limits>
#include <set>
#include <string_view>
#include <type_traits>

namespace {

template <typename Enum> void print_words(std::string_view column) {
    using Raw = std::underlying_type_t<Enum>;
    std::set<std::string_view> words;
    for (unsigned raw = 0; raw <= std::numeric_limits<Raw>::max(); ++raw)
        words.insert(smbsign::to_string(static_cast<Enum>(raw)));
    for (const auto word : words)
        std::cout << column << ' ' << word << '\n';
}

} // namespace

int main() {
    // column names as in the session table (tshark -z smbsign,sessions,csv)
    print_words<smbsign::Policy>("client_policy");
    print_words<smbsign::Policy>("server_policy");
    print_words<smbsign::Verdict>("verdict");
    print_words<smbsign::Predicted>("predicted");
    print_words<smbsign::Observed>("observed");
    return 0;
}
