/*
 * The xballoon command line: a table of subcommands, one cmd_<name>.c each.
 * Exit status: 0 success, 1 runtime failure, 2 bad usage or bad input.
 */
#ifndef XB_TOOLS_CMD_H
#define XB_TOOLS_CMD_H

struct xb_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage;
};

#define XB_EXIT_OK	0
#define XB_EXIT_FAILURE 1
#define XB_EXIT_USAGE	2

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/run.h"

struct xb_scenario;

int cmd_zone(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_policies(int argc, char **argv);
int cmd_backends(int argc, char **argv);
int cmd_drive(int argc, char **argv);

/* Parse the decimal value of option @opt within [min, max]: digits only
 * (no sign, no space), no overflow. Prints the one error line,
 * "OPT: expected an integer in MIN..MAX, got 'S'", and returns -1. */
int xb_cli_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		     uint64_t *v);

/* One option of a command: a flag, or an option that takes a value. */
enum xb_cli_kind {
	XB_CLI_FLAG,   /* bool *dst = true                          */
	XB_CLI_STRING, /* const char **dst = the value              */
	XB_CLI_U64,    /* uint64_t *dst = the value, decimal, 0..2^64-1 */
};

struct xb_cli_opt {
	const char *name; /* "--seed"                                  */
	enum xb_cli_kind kind;
	void *dst;
	bool *given; /* optional: set when the option appears         */
};

/*
 * xb_cli_parse() - parse argv[1..] against @opts (ended by a NULL name)
 * and at most one operand, stored in *@operand; @what names the operand
 * in the error ("scenario"). Prints the one error line and returns -1 on
 * an unknown option, a missing or bad value, or a second operand.
 */
int xb_cli_parse(int argc, char **argv, const struct xb_cli_opt *opts,
		 const char **operand, const char *what);
/* A policy or backend named on the command line by option @opt: 0 when it
 * is registered, else -1 after the one error line
 * "OPT: unknown policy 'NAME' (known: linux, huge-first, ...)". */
int xb_cli_check_policy(const char *opt, const char *name);
int xb_cli_check_backend(const char *opt, const char *name);
/* --check LEVEL: full, sampled or end; NULL leaves *level (the caller's
 * default). 0, or -1 after one error line. */
int xb_cli_check_level(const char *value, enum xb_check_level *level);
/* Load and validate a scenario (policy override or NULL), refusing one
 * that asks for more work than XB_WORK_LIMIT_S unless @allow_long
 * (--allow-long); prints the one error line and returns NULL on failure. */
struct xb_scenario *xb_cli_load(const char *path, const char *policy,
				bool allow_long);
/* Run @sc with @opt (SIGINT/SIGTERM end it cleanly), write DIR/ when @out,
 * print the summary or the JSON report; returns the exit status. */
struct xb_run_options;
int xb_cli_run_report(const struct xb_scenario *sc, struct xb_run_options *opt,
		      const char *out, bool json);
int cmd_check(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/* Print "xballoon: error: ..." to stderr. */
void xb_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
