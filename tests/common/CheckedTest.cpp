// Size and count arithmetic that never wraps (Checked.h): throwing by default, carried out as
// a value inside a CountScope.
#include "common/Checked.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace edgesim {
namespace {

using ::testing::HasSubstr;

TEST(CheckedTest, ProductsAndSumsThatOverflowThrow) {
    EXPECT_EQ(checkedMul(int64_t{1} << 31, int64_t{1} << 31), int64_t{1} << 62);
    EXPECT_THROW(checkedMul(int64_t{1} << 32, int64_t{1} << 31), ArithmeticOverflow);
    EXPECT_THROW(checkedAdd(std::numeric_limits<int64_t>::max(), 1), ArithmeticOverflow);
}

TEST(CheckedTest, CountsOutOfRangeThrowOutsideAScopeAndAreRecordedInside) {
    EXPECT_EQ(toCount(2.5, "cycles"), 3U);
    for (const double bad : {-1.0, std::nan(""), HUGE_VAL, 2 * kMaxCount}) {
        EXPECT_THROW(toCount(bad, "cycles"), ArithmeticOverflow) << bad;
    }
    {
        const CountScope outer;
        EXPECT_EQ(toCount(1e30, "a kernel's cycle count"), 0U);
        EXPECT_EQ(toCount(-5.0, "later"), 0U);
        EXPECT_EQ(toCount(7.0, "fine"), 7U);
        EXPECT_THAT(outer.overflow(), HasSubstr("a kernel's cycle count of 1e+30 is out of range"));
        {
            const CountScope inner; // nested: the innermost records
            EXPECT_EQ(toCount(1e31, "inner"), 0U);
            EXPECT_THAT(inner.overflow(), HasSubstr("inner"));
        }
        EXPECT_THAT(outer.overflow(), HasSubstr("a kernel's cycle count")); // the first kept
    }
    EXPECT_THROW(toCount(1e30, "after the scope"), ArithmeticOverflow);
}

} // namespace
} // namespace edgesim
