/*
 * The built-in policy table for `xballoon check` until the policy registry
 * exists: the policy names of the v1 design and the knobs they take. The
 * registry replaces this file by providing xb_scenario_default_policy_check.
 */
#include <string.h>

#include "scenario/ytree.h"
#include "xballoon/scenario.h"

static const char *const policies[] = {
    "linux", "huge-first", "huge-first-nocompact", "huge-first-noexchange",
    "vmw",
};

static bool policy_exists(const char *name)
{
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (!strcmp(name, policies[i]))
			return true;
	return false;
}

enum knob_kind { KNOB_TIME, KNOB_SWITCH, KNOB_UINT };

static const struct {
	const char *key;
	enum knob_kind kind;
	uint64_t min, max; /* KNOB_UINT only */
} knobs[] = {
    {"exchange_interval", KNOB_TIME, 0, 0},
    {"compaction", KNOB_SWITCH, 0, 0},
    {"exchange", KNOB_SWITCH, 0, 0},
    {"max_retry_count", KNOB_UINT, 0, UINT32_MAX},
    {"max_schedule_delay", KNOB_TIME, 0, 0},
    {"batch", KNOB_UINT, 1, 512},
    {"proactiveness", KNOB_UINT, 0, 100},
};

static bool check_knob(const char *policy, const char *key, const char *value,
		       char **why)
{
	char vbuf[XB__CLIP_BYTES], kbuf[XB__CLIP_BYTES];
	const char *w = NULL, *v_shown = xb__clip(vbuf, value);

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		xb_ns_t ns;
		uint64_t v;
		bool on;

		if (strcmp(key, knobs[i].key))
			continue;
		switch (knobs[i].kind) {
		case KNOB_TIME:
			if (xb_parse_time(value, &ns, &w))
				break;
			return true;
		case KNOB_SWITCH:
			if (xb_parse_switch(value, &on, &w))
				break;
			return true;
		case KNOB_UINT:
			if (xb_parse_uint(value, knobs[i].max, &v, &w) == 0 &&
			    v >= knobs[i].min)
				return true;
			*why = g_strdup_printf(
			    "'%s' must be an integer %llu..%llu", v_shown,
			    (unsigned long long)knobs[i].min,
			    (unsigned long long)knobs[i].max);
			return false;
		}
		*why = g_strdup_printf("'%s' %s", v_shown, w);
		return false;
	}
	*why = g_strdup_printf("policy '%s' has no knob '%s'", policy,
			       xb__clip(kbuf, key));
	return false;
}

const struct xb_policy_check xb_scenario_default_policy_check = {
    .policy_exists = policy_exists,
    .check_knob = check_knob,
};
