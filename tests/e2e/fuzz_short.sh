#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A short fuzzing pass for every test run: each harness replays its saved
# crashes, then fuzzes briefly, through tests/fuzz/run.sh, whose TAP
# lines are this script's.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# Seconds per harness: seven harnesses plus their build stay under about
# three minutes, while each still runs some hundred thousand inputs.
seconds=${FUZZ_SHORT_SECONDS:-20}

exec "$top/tests/fuzz/run.sh" "$seconds"
