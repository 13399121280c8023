#!/bin/sh
# colo test guest: the HTTP answer, `boot=<bootid> counter=<N>`, for GET / (installed as
# /www/cgi-bin/index.cgi) and GET /cgi-bin/status; with continuity records (colo_records=) it goes on
# with ` records=vda:<seq>,vdb:<seq>`: per disk, the last record whose write has returned.
printf 'Content-Type: text/plain\r\nCache-Control: no-store\r\n\r\n'
recs=
for f in /run/rec/*; do
  case ${f##*/} in *.*) continue ;; esac # a writer's acknowledgement being renamed into place
  [ -f "$f" ] || continue
  recs="$recs${recs:+,}${f##*/}:$(cat "$f")"
done
printf 'boot=%s counter=%s%s\n' "$(cat /run/bootid 2>/dev/null)" "$(cat /run/counter 2>/dev/null)" \
  "${recs:+ records=$recs}"
