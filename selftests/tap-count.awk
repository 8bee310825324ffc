# SPDX-License-Identifier: GPL-2.0
#
# Count TAP results of several programs in one stream.  Each program's
# output starts with "# selftest: NAME" and (except the VM's own checks,
# named vm*) ends with "XS-BIN NAME rc=N".  A program that
# prints fewer results than its plan, no plan, never finishes, or exits
# non-zero without a failed test is counted as failed, so a crash can never
# look like a pass.  Writes "passed failed skipped" to the file countfile.
function close_prog() {
	if (prog == "") return
	if (plan < 0) { printf "not ok - %s printed no plan\n", prog; failed++ }
	else if (seen < plan) {
		printf "not ok - %s: %d of %d results missing\n", prog, plan - seen, plan
		failed += plan - seen
	}
	if (prog !~ /^vm/ && !(prog in rc)) {
		printf "not ok - %s never finished\n", prog; failed++
	} else if ((prog in rc) && rc[prog] != 0 && progfail == 0) {
		printf "not ok - %s exited %d with no failed test\n", prog, rc[prog]; failed++
	}
	prog = ""
}
/^# selftest: / { close_prog(); prog = $3; plan = -1; seen = 0; progfail = 0; next }
/^XS-BIN / { split($3, a, "="); rc[$2] = a[2]; next }
/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }
/^ok / { seen++; if (tolower($0) ~ /# skip/) skipped++; else passed++; next }
/^not ok / { seen++; failed++; progfail++; next }
END {
	close_prog()
	printf "%d %d %d\n", passed, failed, skipped > countfile
}
