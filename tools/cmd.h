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

#define XB_EXIT_OK      0
#define XB_EXIT_FAILURE 1
#define XB_EXIT_USAGE   2

int cmd_zone(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Print "xballoon: error: ..." to stderr. */
void xb_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
