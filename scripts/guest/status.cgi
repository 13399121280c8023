#!/bin/sh
# colo test guest: the HTTP answer, `boot=<bootid> counter=<N>`, for GET / (installed as
# /www/cgi-bin/index.cgi) and GET /cgi-bin/status.
printf 'Content-Type: text/plain\r\nCache-Control: no-store\r\n\r\n'
printf 'boot=%s counter=%s\n' "$(cat /run/bootid 2>/dev/null)" "$(cat /run/counter 2>/dev/null)"
