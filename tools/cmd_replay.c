/*
 * `xballoon replay TRACE`: replay a backend trace (docs/trace.md) on a
 * fresh backend and report the first divergence from the recording.
 * Exit 0: no divergence; 1: a divergence or a backend failure; 2: a bad
 * trace or bad arguments.
 */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "tools/cmd.h"
#include "xballoon/scenario.h"
#include "xballoon/trace.h"

static void print_json(const char *path, const struct xb_replay_result *r)
{
	JsonBuilder *b = json_builder_new();
	JsonGenerator *gen = json_generator_new();
	JsonNode *root;
	char *text;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "trace");
	json_builder_add_string_value(b, path);
	json_builder_set_member_name(b, "backend");
	json_builder_add_string_value(b, r->backend);
	json_builder_set_member_name(b, "scenario");
	json_builder_add_string_value(b, r->header.scenario);
	json_builder_set_member_name(b, "policy");
	json_builder_add_string_value(b, r->header.policy);
	json_builder_set_member_name(b, "guest");
	json_builder_add_string_value(b, xb_guest_type_name(r->header.type));
#define MEMBER(name, v)                                                        \
	json_builder_set_member_name(b, name);                                 \
	json_builder_add_int_value(b, (gint64)(v))
	MEMBER("calls", r->calls);
	MEMBER("extents", r->extents);
	MEMBER("frames", r->frames);
	MEMBER("host_ops", r->host_ops);
	MEMBER("faults", r->faults);
	MEMBER("frames_checked", r->frames_checked);
	json_builder_set_member_name(b, "diverged");
	json_builder_add_boolean_value(b, r->diverged);
	json_builder_set_member_name(b, "divergence");
	if (r->diverged) {
		json_builder_begin_object(b);
		MEMBER("line", r->line);
		MEMBER("call", r->call);
		json_builder_set_member_name(b, "message");
		json_builder_add_string_value(b, r->divergence);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
#undef MEMBER
	json_builder_set_member_name(b, "warnings");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->warnings->len; i++)
		json_builder_add_string_value(b, r->warnings->pdata[i]);
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	g_free(text);
	json_node_unref(root);
	g_object_unref(gen);
	g_object_unref(b);
}

int cmd_replay(int argc, char **argv)
{
	struct xb_replay_options opt = {.domid = -1};
	const char *path = NULL;
	bool json = false, confirmed = false, domid_set = false;
	uint64_t domid = 0;

	const struct xb_cli_opt opts[] = {
	    {"--json", XB_CLI_FLAG, &json, NULL},
	    {"--i-own-this-domain", XB_CLI_FLAG, &confirmed, NULL},
	    {"--backend", XB_CLI_STRING, &opt.backend, NULL},
	    {"--domid", XB_CLI_U64, &domid, &domid_set},
	    {NULL, XB_CLI_FLAG, NULL, NULL},
	};

	if (xb_cli_parse(argc, argv, opts, &path, "trace") < 0)
		return XB_EXIT_USAGE;
	if (!path) {
		xb_cli_error("usage: xballoon replay TRACE [--backend "
			     "mock|xen] [--domid N --i-own-this-domain] "
			     "[--json]");
		return XB_EXIT_USAGE;
	}
	if (opt.backend && xb_cli_check_backend("--backend", opt.backend) < 0)
		return XB_EXIT_USAGE;
	if (domid_set) {
		if (!confirmed) {
			xb_cli_error("--domid %llu acts on an existing domain: "
				     "add --i-own-this-domain to confirm",
				     (unsigned long long)domid);
			return XB_EXIT_USAGE;
		}
		if (domid == 0 || domid >= 0x7ff0) {
			xb_cli_error("--domid %llu: not a guest domain (dom0 "
				     "and the reserved ids are refused)",
				     (unsigned long long)domid);
			return XB_EXIT_USAGE;
		}
		if (!opt.backend || strcmp(opt.backend, "xen")) {
			xb_cli_error("--domid needs --backend xen (the mock "
				     "opens its own domain)");
			return XB_EXIT_USAGE;
		}
		opt.domid = (int)domid;
	} else if (confirmed) {
		xb_cli_error("--i-own-this-domain goes with --domid N");
		return XB_EXIT_USAGE;
	}

	struct xb_replay_result res;
	GError *err = NULL;
	int rc = xb_replay(path, &opt, &res, &err);
	int status;

	for (guint i = 0; i < res.warnings->len; i++)
		fprintf(stderr, "xballoon: warning: %s\n",
			(const char *)res.warnings->pdata[i]);
	if (rc < 0) {
		/* Errors found in the trace already say FILE:LINE:COL. */
		if (strstr(err->message, ": error: "))
			fprintf(stderr, "%s\n", err->message);
		else
			xb_cli_error("%s", err->message);
		status = err->code == XB_ERROR_INVALID ? XB_EXIT_USAGE
						       : XB_EXIT_FAILURE;
		g_error_free(err);
		xb_replay_result_clear(&res);
		return status;
	}
	if (json)
		print_json(path, &res);
	if (rc == 1) {
		fprintf(stderr, "%s\n", res.divergence);
		status = XB_EXIT_FAILURE;
	} else {
		if (!json)
			printf("%s: %llu calls, %llu extents, %llu frames "
			       "replayed on %s: no divergence\n",
			       path, (unsigned long long)res.calls,
			       (unsigned long long)res.extents,
			       (unsigned long long)res.frames, res.backend);
		status = XB_EXIT_OK;
	}
	xb_replay_result_clear(&res);
	return status;
}
