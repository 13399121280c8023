#!/bin/sh
# colo test guest: GET /cgi-bin/noise answers something different on the primary and on the
# secondary (on purpose: a service that is not deterministic). The kernel's monotonic clock in
# nanoseconds (/proc/timer_list) and 16 random bytes differ between the two sides, so colo-compare
# sees a mismatch on every answer and forces a checkpoint: the tests' checkpoint storm.
printf 'Content-Type: text/plain\r\nCache-Control: no-store\r\n\r\n'
now=$(sed -n 's/^now at \([0-9]*\) nsecs$/\1/p' /proc/timer_list 2>/dev/null | head -n 1)
printf 'noise now=%s random=%s\n' "${now:-?}" "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
