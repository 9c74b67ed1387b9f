#pragma once
// RFC 4648 base64 (standard alphabet, '=' padding): the study report embeds its figures in
// report.html as data URIs (docs/report.md).
#include <string>

namespace avtune {

std::string base64(const std::string& bytes);

}  // namespace avtune
