/*
 * The scenario validator's view of policies: the policy registry
 * (policy/registry.c) decides which names exist and what each knob takes.
 */
#include <glib.h>

#include "xballoon/policy.h"
#include "xballoon/scenario.h"

static bool policy_exists(const char *name)
{
	return xb_policy_find(name) != NULL;
}

static bool check_knob(const char *policy, const char *key, const char *value,
		       char **why)
{
	const struct xb_policy_ops *p = xb_policy_find(policy);
	struct xb_policy_knobs k;
	const char *reason = NULL;

	if (!p) {
		*why = g_strdup("unknown policy");
		return false;
	}
	k = p->defaults;
	if (xb_policy_set_knob(&k, key, value, &reason) < 0) {
		*why = g_strdup(reason);
		return false;
	}
	return true;
}

const struct xb_policy_check xb_scenario_default_policy_check = {
	.policy_exists = policy_exists,
	.check_knob = check_knob,
};
