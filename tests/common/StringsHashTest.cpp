// Text helpers (join) and the exact double text used in hashes and cache keys (doubleBits).
#include "common/Hash.h"
#include "common/Strings.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace edgesim {
namespace {

TEST(JoinTest, PutsTheSeparatorBetweenEveryTwoItemsEvenEmptyOnes) {
    EXPECT_EQ(join({}), "");
    EXPECT_EQ(join({"a"}), "a");
    EXPECT_EQ(join({"a", "b", "c"}), "a, b, c");
    EXPECT_EQ(join({"", "b"}), ", b");
    EXPECT_EQ(join({"a", ""}, "|"), "a|");
}

TEST(DoubleBitsTest, SixteenHexDigitsThatTellEveryDoubleApart) {
    for (const double v : {0.0, -0.0, 1.0, 1e-300, 120e6, std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity()}) {
        EXPECT_EQ(doubleBits(v).size(), 16U) << v;
    }
    EXPECT_EQ(doubleBits(0.0), "0000000000000000");
    EXPECT_EQ(doubleBits(1.0), "3ff0000000000000");
    EXPECT_NE(doubleBits(0.0), doubleBits(-0.0));
    EXPECT_NE(doubleBits(1.0), doubleBits(std::nextafter(1.0, 2.0)));
}

} // namespace
} // namespace edgesim
