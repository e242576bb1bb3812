#!/usr/bin/env bash
# Runs a command against the platform simulator, then stops the simulator.
#
#   scripts/with-sim.sh BIN ENV_FILE [sim serve options...] -- COMMAND...
#
# Starts `BIN sim serve --port 0 --env-file ENV_FILE [options]` in the
# background, waits until ENV_FILE (tokens, accounts, URLs) is written, runs
# COMMAND, and stops the simulator by its PID whatever happens. The exit
# status is COMMAND's. Used by `make demo`, `make train-quick` and
# `make train-full`.
set -u
if [ $# -lt 4 ]; then
  echo "usage: $0 BIN ENV_FILE [sim serve options...] -- COMMAND..." >&2
  exit 2
fi
bin=$1 env_file=$2
shift 2
sim_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sim_args+=("$1"); shift; done
if [ $# -lt 2 ]; then
  echo "$0: no command after --" >&2
  exit 2
fi
shift
rm -f "$env_file"
"$bin" sim serve --port 0 --env-file "$env_file" "${sim_args[@]}" &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null' EXIT
# Generating a big world takes a while in a debug build: wait up to 10 minutes.
for _ in $(seq 6000); do
  [ -s "$env_file" ] && break
  if ! kill -0 "$sim" 2>/dev/null; then
    echo "$0: the simulator stopped before it was ready" >&2
    exit 2
  fi
  sleep 0.1
done
if [ ! -s "$env_file" ]; then
  echo "$0: the simulator did not write $env_file" >&2
  exit 2
fi
"$@"
