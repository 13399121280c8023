#!/usr/bin/env bash
# A CI smoke deployment with colo, on one machine: bring up the local lab, apply, verify, run a
# failover drill (there and back), destroy, and take the lab down. Every colo command runs without
# a terminal and with --json where it reports; any failure fails the script.
#   bash scripts/ci-smoke.sh [LAB_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
lab_dir="${1:-$(mktemp -d)/lab}"
colo() { node bin/colo.js "$@"; }
cleanup() { colo lab down --dir "$lab_dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
step "lab up ($lab_dir)"
colo lab up --dir "$lab_dir"
spec="$lab_dir/colo.yaml"
step "plan (expect changes: exit 2)"
set +e; colo plan -f "$spec" --detailed-exitcode >/dev/null; rc=$?; set -e
[ "$rc" -eq 2 ] || { echo "plan --detailed-exitcode gave $rc, expected 2"; exit 1; }
step "apply"
colo apply -f "$spec" --auto-approve --json > "$lab_dir/apply.jsonl"
tail -n 1 "$lab_dir/apply.jsonl"
step "plan (expect no changes: exit 0)"
colo plan -f "$spec" --detailed-exitcode
step "verify"
colo verify -f "$spec" --json > "$lab_dir/verify.json"
node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); for (const v of d.vms) console.log(v.vm, v.ok ? "OK" : "FAILED", v.checks.map(c=>c.name+"="+(c.ok?"ok":"FAIL")).join(" ")); if(!d.ok) process.exit(1)' "$lab_dir/verify.json"
step "drill web (fail over to the secondary and back, re-protecting each time)"
colo drill web --back -f "$spec" --json > "$lab_dir/drill.json"
node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); for (const p of d.phases) console.log(p.ok?"ok  ":"FAIL", String(p.ms).padStart(6), "ms", p.phase); if(!d.ok) process.exit(1)' "$lab_dir/drill.json"
step "status"
colo status -f "$spec"
step "destroy"
colo destroy -f "$spec" --auto-approve
step "lab down"
colo lab down --dir "$lab_dir"
trap - EXIT
echo "smoke deployment passed"
