#!/usr/bin/env bash
# Run CI the way a new machine does: a fresh clone of this repository's HEAD, placed beside it so
# that ../shared is found, then `CI=true bash .ci/run` (which gives itself an empty HOME).
# The clone is removed after a green run and kept (path printed) after a failure.
set -euo pipefail
repo="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
dest="$(mktemp -d "$(dirname "$repo")/ci-clone.XXXXXX")"
git clone -q "$repo" "$dest"
echo "ci_fresh_clone: $(git -C "$dest" log -1 --format='%h %s') in $dest"
if (cd "$dest" && CI=true bash .ci/run); then
  rm -rf "$dest"
else
  echo "ci_fresh_clone: FAILED; the clone is kept in $dest" >&2
  exit 1
fi
