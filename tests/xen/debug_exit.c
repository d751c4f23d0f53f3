/*
 * debug_exit.c - ends the QEMU run from dom0's /init: writes one byte V to
 * QEMU's isa-debug-exit device at port 0xf4, and QEMU exits at once with
 * status (V << 1) | 1. Usage: debug_exit V (0..255).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>

/* -device isa-debug-exit,iobase=0xf4,iosize=0x04 in tests/xen/run.sh */
#define DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	unsigned long v;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: debug_exit BYTE\n");
		return 2;
	}
	errno = 0;
	v = strtoul(argv[1], &end, 0);
	if (errno || *end || end == argv[1] || v > 255) {
		fprintf(stderr, "debug_exit: bad byte '%s'\n", argv[1]);
		return 2;
	}
	/* A PV dom0 may reach I/O ports once Xen grants them via ioperm. */
	if (ioperm(DEBUG_EXIT_PORT, 1, 1)) {
		fprintf(stderr, "debug_exit: ioperm(0x%x): %s\n",
			DEBUG_EXIT_PORT, strerror(errno));
		return 1;
	}
	outb((unsigned char)v, DEBUG_EXIT_PORT);
	/* Still running: QEMU has no isa-debug-exit device at that port. */
	fprintf(stderr, "debug_exit: QEMU did not exit (no isa-debug-exit?)\n");
	return 1;
}
