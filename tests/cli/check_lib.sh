# Shared by the CLI test scripts (sourced): a temp folder $T removed at exit, pass/fail counters,
# and the checks. Each script ends with `finish NAME`.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0; passes=0
show_out() { sed 's/^/  | /' "$T/out" | tail -20; }
check() {  # check NAME EXPECTED_RC COMMAND... ; stdout+stderr in $T/out
  local name=$1 want=$2; shift 2
  "$@" >"$T/out" 2>&1; local rc=$?
  if [ "$rc" -ne "$want" ]; then echo "FAIL $name: exit $rc, expected $want"; show_out; fails=$((fails+1)); return 1; fi
  passes=$((passes+1)); return 0
}
contains() {  # contains NAME TEXT: the last check's output has TEXT
  if grep -qF -- "$2" "$T/out"; then passes=$((passes+1)); else echo "FAIL $1: output lacks '$2'"; show_out; fails=$((fails+1)); fi
}
ok() {  # ok NAME CONDITION...
  local name=$1; shift
  if "$@"; then passes=$((passes+1)); else echo "FAIL $name"; fails=$((fails+1)); fi
}
# strip_timings [--how-run] [--study DIR] FILE: FILE's JSON without wall-clock and this-process fields,
# keys sorted, for comparing two runs with cmp (tests/cli/lib/strip_timings.py).
CLI_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")/lib" && pwd)
strip_timings() { python3 "$CLI_LIB/strip_timings.py" "$@"; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
finish() {
  echo "$1: $passes passed, $fails failed"
  [ "$fails" -eq 0 ]
}
