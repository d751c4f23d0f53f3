/*
 * A program whose one test skips, for the ctest test that checks that
 * support/main.c makes a skip loud: its line on stderr and exit 77.
 */
#include <criterion/criterion.h>

Test(demo, passes)
{
	cr_assert_eq(1 + 1, 2);
}

Test(demo, skipped)
{
	cr_skip_test("the %s", "reason");
}
