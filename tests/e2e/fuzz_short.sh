#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A short fuzzing pass for every test run: each harness replays its saved
# crashes, then fuzzes briefly, through tests/fuzz/run.sh, whose TAP
# lines are this script's.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# Seconds per harness: a minute each keeps the seven harnesses and their
# build near eight minutes of the test run, while the slowest (the feed
# parser) still runs about a hundred thousand inputs.
seconds=${FUZZ_SHORT_SECONDS:-60}

exec "$top/tests/fuzz/run.sh" "$seconds"
