/*
 * libFuzzer target: arbitrary bytes as a scenario file. Parse, validate the
 * policy and, when the scenario is tiny, replay it; a load error must be
 * one well-formed XB_ERROR, and a replay must find no invariant violation.
 */
#define _GNU_SOURCE
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xballoon/backend.h"
#include "xballoon/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replay only what runs in milliseconds: a fuzzer wants many inputs/s. */
#define FUZZ_MAX_MAXMEM	  (64ull << 20)
#define FUZZ_MAX_HOST	  (256ull << 20)
#define FUZZ_MAX_DURATION (30ull * XB_NS_PER_S)
#define FUZZ_MAX_SAMPLES  300
#define FUZZ_MAX_EVENTS	  64

static bool tiny(const struct xb_scenario *sc)
{
	return sc->guest.maxmem <= FUZZ_MAX_MAXMEM &&
	       sc->host.memory <= FUZZ_MAX_HOST &&
	       sc->duration <= FUZZ_MAX_DURATION &&
	       sc->duration / sc->sample <= FUZZ_MAX_SAMPLES &&
	       sc->nr_events <= FUZZ_MAX_EVENTS;
}

/* A position field: a decimal number from 1, then ':'. */
static const char *position(const char *s)
{
	if (*s < '1' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == ':' ? s + 1 : NULL;
}

/* "PATH:LINE:COL: error: MESSAGE" on one line, MESSAGE not empty. */
static bool well_formed(const char *path, const char *msg)
{
	const char *s;

	if (!g_str_has_prefix(msg, path) || msg[strlen(path)] != ':')
		return false;
	s = position(msg + strlen(path) + 1);
	s = s ? position(s) : NULL;
	return s && g_str_has_prefix(s, " error: ") && s[strlen(" error: ")] &&
	       !strchr(msg, '\n');
}

/* A load error is exactly one XB_ERROR, in the one format of errors about
 * a file. */
static void check_error(const char *path, GError *err)
{
	if (!err || err->domain != XB_ERROR ||
	    !well_formed(path, err->message)) {
		fprintf(stderr, "malformed error: %s\n",
			err ? err->message : "(none)");
		abort();
	}
	g_error_free(err);
}

/* The input goes to a memfd, read back through /proc/self/fd/N: the
 * parser sees a regular file, as users' files are, without disk I/O. */
static int input_fd = -1;
static char input_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xb_run_options opt = {0};
	struct xb_run_result res;
	struct xb_scenario *sc;
	GError *err = NULL;

	if (input_fd < 0) {
		input_fd = memfd_create("xb-fuzz", MFD_CLOEXEC);
		if (input_fd < 0)
			abort();
		snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d",
			 input_fd);
	}
	if (ftruncate(input_fd, 0) ||
	    (size && pwrite(input_fd, data, size, 0) != (ssize_t)size))
		abort();

	sc = xb_scenario_load(input_path, &err);
	if (!sc) {
		check_error(input_path, err);
		return 0;
	}
	if (err)
		abort(); /* success with an error set */
	if (!xb_scenario_check_policy(sc, &xb_scenario_default_policy_check,
				      NULL, &err)) {
		check_error(input_path, err);
		xb_scenario_free(sc);
		return 0;
	}
	if (tiny(sc)) {
		if (xb_run(sc, &opt, &res, &err)) {
			if (res.violations) {
				fprintf(stderr, "%llu invariant violations\n",
					(unsigned long long)res.violations);
				abort();
			}
			if (res.current_pages != res.guest.populated)
				abort();
		} else {
			g_clear_error(&err);
		}
		xb_run_result_clear(&res);
	}
	xb_scenario_free(sc);
	return 0;
}
