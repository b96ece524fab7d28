# checks.sh — sourced by the end-to-end scripts: one way to run a check and count it.
#
# run_check NAME LOG COMMAND... — run COMMAND with output to LOG, count it in PASSED/FAILED (the caller's globals)
# and print one PASS/FAIL line (a failure also shows the log's last lines). The command runs as an asynchronous
# subshell so that `set -e` stays in force inside it (errexit is ignored in `if`/`||` contexts, which would hide
# failing steps).
run_check() {
    local name=$1 logfile=$2
    shift 2
    local rc=0
    ( "$@" ) >"$logfile" 2>&1 &
    wait $! || rc=$?
    if [[ $rc -eq 0 ]]; then
        PASSED=$((PASSED + 1))
        echo "PASS $name"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $name (exit $rc; log $logfile)"
        tail -n 15 "$logfile" | sed 's/^/    | /'
    fi
    return 0
}

# check NAME FUNCTION — run_check with the log at $WORK/NAME.log (the caller's WORK).
check() {
    mkdir -p "$(dirname "$WORK/$1.log")"
    run_check "$1" "$WORK/$1.log" "$2"
}
