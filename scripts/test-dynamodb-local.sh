#!/usr/bin/env bash
# The tests that talk to a DynamoDB a second time, on AWS's DynamoDB Local instead of dynalite (docs/dynamodb.md):
# the e2e tier, and the unit test files that use a DynamoDB (test/support/in-memory-dynamodb.ts or
# dynamodb-backend.ts); the other unit files are pure code and would prove nothing new. Of the e2e tier, the files
# in NOT_ON_DYNAMODB_LOCAL are left out: what they check is decided before any DynamoDB call or by the other
# stand-ins (bad input refused at parsing, startup refusing a bad config, the smoke script's wiring, throttles
# injected by the stand-ins, Lambda's timeout kept by the local gateway and the start's refusals of timeouts it
# cannot keep: lambda-timeout, whose one DynamoDB behaviour, a claim taken over once its lease ran out, the dedupe
# store's contract test runs on DynamoDB Local here), so a second backend proves nothing new there and CI keeps
# inside its 20 minutes.
# Inside a private network namespace: DynamoDB Local listens on every interface, and there loopback is the only one.
# `npm test` runs this after the main run; arguments replace the default selection (e.g. one test file).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" = 0 ]; then
  mapfile -t unit_files < <(grep -rlE "support/(in-memory-dynamodb|dynamodb-backend)'" test/unit | sort)
  NOT_ON_DYNAMODB_LOCAL='/(bad-input|startup|smoke|throttles|lambda-timeout)\.test\.ts$'
  mapfile -t e2e_files < <(ls test/e2e/*.test.ts | grep -vE "$NOT_ON_DYNAMODB_LOCAL")
  set -- "${unit_files[@]}" "${e2e_files[@]}"
fi
if [ "$(id -u)" = 0 ]; then
  namespace=(unshare --net)
else
  # Unprivileged: a user namespace of our own lets us own the network namespace (and bring lo up in it).
  namespace=(unshare --user --map-root-user --net)
fi
PATH="$PATH:/usr/sbin:/sbin" exec "${namespace[@]}" -- sh -c \
  'ip link set lo up && HOOKFLOW_DYNAMODB=dynamodb-local exec npx jest "$@" --selectProjects unit e2e' sh "$@"
