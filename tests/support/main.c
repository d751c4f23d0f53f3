/*
 * The main() of every Criterion test program, in place of Criterion's own:
 * it runs the tests the same way, prints each skipped test with its reason,
 * and exits XBT_EXIT_SKIPPED when a test was skipped and none failed, so
 * that ctest reports the program as Skipped (SKIP_RETURN_CODE, set in
 * tests/CMakeLists.txt) instead of a silent pass.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "support/testutil.h"

static size_t skipped;
/* The real stderr: Criterion's -q (as ctest runs the programs) sends
 * the process's stderr to /dev/null. */
static FILE *report;

/* Runs in the runner process, once per finished test (each parameter of a
 * parameterized test). Printed even with -q: a skip must be seen. */
ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
	if (stats->test_status != CR_STATUS_SKIPPED)
		return;
	skipped++;
	fprintf(report, "SKIPPED: %s::%s: %s\n", stats->test->category,
		stats->test->name,
		stats->message ? stats->message : "(no reason given)");
}

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests;
	int status = 0, fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);

	report = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!report)
		report = stderr;
	setvbuf(report, NULL, _IOLBF, 0);

	tests = criterion_initialize();
	if (criterion_handle_args(argc, argv, true))
		status = criterion_run_all_tests(tests) ? 0 : 1;
	criterion_finalize(tests);
	if (status == 0 && skipped)
		return XBT_EXIT_SKIPPED;
	return status;
}
