#!/bin/sh
# colo test guest: GET /cgi-bin/records verifies every disk's continuity records in the guest (the
# record area read back with its buffers flushed; format and checks in /lib/colo/records.awk): one line
# per disk, `disk=vda valid=N bad=K empty=E first=F last=L missing=M boot=B acked=A`.
printf 'Content-Type: text/plain\r\nCache-Control: no-store\r\n\r\n'
for f in /run/rec/*; do
  case ${f##*/} in *.*) continue ;; esac
  [ -f "$f" ] || continue
  d=${f##*/}
  acked=$(cat "$f")
  blockdev --flushbufs "/dev/$d" 2>/dev/null
  line=$(dd if="/dev/$d" bs=512 skip=2048 count=6144 2>/dev/null | tr '\n\000' '~.' | fold -w 512 |
    awk -v mode=verify -v d="$d" -v slots=6144 -f /lib/colo/records.awk)
  printf '%s acked=%s\n' "$line" "$acked"
done
