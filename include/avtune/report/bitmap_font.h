#pragma once
// avtune's own bitmap font for charts: 5x7 glyphs (caps and digits 7 rows tall, lowercase 5, plus 2
// descender rows) for printable ASCII and the few symbols reports use ('±', '×', '°'). Torch-free.
#include <array>
#include <cstdint>
#include <string>

namespace avtune {

constexpr int kGlyphWidth = 5;     // ink columns
constexpr int kGlyphAdvance = 6;   // ink plus one blank column between glyphs
constexpr int kGlyphRows = 9;      // 7 rows above the baseline, 2 below (g, j, p, q, y)
constexpr int kGlyphBaseline = 7;  // rows above the baseline

// One glyph: a row per entry, top first; bit 4 is the leftmost column.
using GlyphRows = std::array<uint8_t, kGlyphRows>;

// The glyph for a Unicode code point; code points the font lacks draw as '?'.
const GlyphRows& glyph(char32_t code_point);
bool has_glyph(char32_t code_point);

// UTF-8 to code points, so "±" is one glyph wide; malformed bytes become U+FFFD (drawn as '?').
std::u32string decode_utf8(const std::string& text);

}  // namespace avtune
