/*
 * The scenario validator's view of policies: the policy registry
 * (policy/registry.c) decides which names exist and what each knob takes;
 * this file words the errors for a scenario's author.
 */
#include <string.h>

#include "scenario/ytree.h"
#include "xballoon/policy.h"
#include "xballoon/scenario.h"

static bool policy_exists(const char *name)
{
	return xb_policy_find(name) != NULL;
}

static const struct xb_knob_desc *find_knob(const char *key)
{
	for (const struct xb_knob_desc *k = xb_policy_knob_table(); k->name;
	     k++)
		if (!strcmp(k->name, key))
			return k;
	return NULL;
}

static bool check_knob(const char *policy, const char *key, const char *value,
		       char **why)
{
	char vbuf[XB__CLIP_BYTES], kbuf[XB__CLIP_BYTES];
	const char *shown = xb__clip(vbuf, value), *w = NULL;
	const struct xb_policy_ops *p = xb_policy_find(policy);
	const struct xb_knob_desc *k = find_knob(key);
	struct xb_policy_knobs knobs;
	uint64_t v;
	xb_ns_t ns;
	bool on;

	if (!p || !k) {
		*why = g_strdup_printf("policy '%s' has no knob '%s'", policy,
				       xb__clip(kbuf, key));
		return false;
	}
	switch (k->type) {
	case XB_KNOB_BOOL:
		if (xb_parse_switch(value, &on, &w))
			goto bad;
		break;
	case XB_KNOB_UINT:
		if (xb_parse_uint(value, k->max, &v, &w) || v < k->min) {
			*why = g_strdup_printf(
			    "'%s' must be an integer %llu..%llu", shown,
			    (unsigned long long)k->min,
			    (unsigned long long)k->max);
			return false;
		}
		break;
	case XB_KNOB_TIME:
	case XB_KNOB_SECONDS:
		if (xb_parse_time(value, &ns, &w))
			goto bad;
		break;
	case XB_KNOB_ENUM:
		break; /* xb_policy_set_knob() names what is wrong */
	}
	knobs = p->defaults;
	if (xb_policy_set_knob(&knobs, key, value, &w) == 0)
		return true;
bad:
	*why = g_strdup_printf("'%s' %s", shown, w);
	return false;
}

const struct xb_policy_check xb_scenario_default_policy_check = {
    .policy_exists = policy_exists,
    .check_knob = check_knob,
};
