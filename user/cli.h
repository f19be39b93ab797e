/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Entry points of the fluxguard subcommands and the exit codes they
 * share: 0 success, 1 failure, 2 bad usage.
 */
#ifndef FG_CLI_H
#define FG_CLI_H

#define FG_EXIT_OK	0
#define FG_EXIT_FAIL	1
#define FG_EXIT_USAGE	2

int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_unblock(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);

/* Where `run` leaves its view of the scorer for `status`. */
#define FG_STATUS_FILE	"/run/fluxguard/status.json"

#endif /* FG_CLI_H */
