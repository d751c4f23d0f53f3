/*
 * Steps shared between policies of the huge-page-first family.
 */
#ifndef XB_POLICY_INTERNAL_H
#define XB_POLICY_INTERNAL_H

#include "xballoon/driver.h"

/* Figure 2 of the seed: 2 MiB pages (allocated with alloc_flags) first,
 * then movable 4 KiB pages through the core balloon device. */
enum xb_bp_state xb__huge_first_decrease(struct xb_driver *d, uint64_t nr,
					 unsigned alloc_flags, uint64_t *done);
/* Figure 1 of the seed: 2 MiB queue first, then the 4 KiB queue, splitting
 * a 2 MiB balloon page when the 4 KiB queue is empty. */
enum xb_bp_state xb__huge_first_increase(struct xb_driver *d, uint64_t nr,
					 uint64_t *done);

#endif
