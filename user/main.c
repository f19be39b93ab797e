// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fluxguard: detect fast-flux DNS on a gateway and block it at the edge.
 * This file only dispatches to the subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", cmd_run, "attach to interfaces, score DNS, block flux" },
	{ "replay", cmd_replay, "run a pcap/pcapng capture through the same path" },
	{ "status", cmd_status, "attachments, counters, top suspicious domains" },
	{ "list", cmd_list, "active blocks with expiry and hit counters" },
	{ "block", cmd_block, "block an address or prefix by hand" },
	{ "unblock", cmd_unblock, "remove a block" },
	{ "unload", cmd_unload, "detach and remove the pins" },
	{ "export", cmd_export, "flagged names and blocks as STIX, RPZ or CSV" },
	{ "import", cmd_import, "block what a peer's export lists" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: fluxguard COMMAND [options]\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n`fluxguard COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return FG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return FG_EXIT_OK;
	}
	fg_log_setup_libbpf();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);

	fprintf(stderr, "fluxguard: unknown command '%s'; see `fluxguard "
		"--help`\n", argv[1]);
	return FG_EXIT_USAGE;
}
