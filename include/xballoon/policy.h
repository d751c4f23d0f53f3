/*
 * Using policies: the registry and knob parsing.
 */
#ifndef XBALLOON_POLICY_H
#define XBALLOON_POLICY_H

#include "xballoon/sys/policy.h"

/* Registered policies, NULL-terminated, in a fixed order. */
const struct xb_policy_ops *const *xb_policy_list(void);
const struct xb_policy_ops *xb_policy_find(const char *name);

/*
 * Set one knob from its scenario text ("on", "512", "1s"). Returns 0, or
 * -EINVAL with *why set to a static message saying what was expected.
 */
int xb_policy_set_knob(struct xb_policy_knobs *k, const char *key,
		       const char *value, const char **why);

#endif
