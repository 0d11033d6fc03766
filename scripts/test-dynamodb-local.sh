#!/usr/bin/env bash
# The unit and e2e tiers a second time, on AWS's DynamoDB Local instead of dynalite (docs/dynamodb.md), inside
# a private network namespace: DynamoDB Local listens on every interface, and there loopback is the only one.
# `npm test` runs this after the main run; extra arguments go to jest (e.g. a test file).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
  namespace=(unshare --net)
else
  # Unprivileged: a user namespace of our own lets us own the network namespace (and bring lo up in it).
  namespace=(unshare --user --map-root-user --net)
fi
PATH="$PATH:/usr/sbin:/sbin" exec "${namespace[@]}" -- sh -c \
  'ip link set lo up && HOOKFLOW_DYNAMODB=dynamodb-local exec npx jest "$@" --selectProjects unit e2e' sh "$@"
