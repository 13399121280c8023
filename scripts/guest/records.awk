# colo test guest: continuity records (see /init, colo_records=). One record is one 512-byte sector:
#   "COLOREC1 <disk> <seq> <boot> <sum>\n<filler>\n"
# filler = "<seq>:<boot>;" repeated, cut so the sector is exactly 512 bytes; sum = Adler-32 of
# "COLOREC1 <disk> <seq> <boot> <filler>", as 8 hex digits (two 16-bit halves). Record <seq> lives in
# slot (seq - 1) % slots of the record area. test/helpers/records.ts implements the same format.
#
# mode=write  -v d=DISK -v s=SEQ -v b=BOOT: prints the sector.
# mode=verify -v d=DISK -v slots=N: reads the record area as lines of 512 characters, one per slot
#   (newlines turned into "~" and NUL bytes into ".", then fold -w 512), checks every record (its sum,
#   its bytes, its slot) and that the sequence has no hole; prints one line:
#   disk=D valid=N bad=K empty=E first=F last=L missing=M boot=B [badslot=S]
function adler(str, i, a, b, n) {
  a = 1
  b = 0
  n = length(str)
  for (i = 1; i <= n; i++) {
    a = (a + ORD[substr(str, i, 1)]) % 65521
    b = (b + a) % 65521
  }
  return sprintf("%04x%04x", b, a)
}
function sector(disk, seq, boot, nl, h, f, unit) {
  h = "COLOREC1 " disk " " seq " " boot
  unit = seq ":" boot ";"
  f = ""
  while (length(f) < 512) f = f unit
  f = substr(f, 1, 512 - length(h) - 11)
  return h " " adler(h " " f) nl f nl
}
BEGIN {
  for (i = 32; i < 127; i++) ORD[sprintf("%c", i)] = i
  if (mode == "write") {
    printf "%s", sector(d, s, b, "\n")
    exit 0
  }
  valid = 0; bad = 0; empty = 0; first = 0; last = 0; badslot = ""; boot = "-"
}
mode == "verify" {
  slot = NR - 1
  if ($0 ~ /^\.*$/) { empty++; next }
  split($0, w, " ")
  seq = w[3] + 0
  ok = w[1] == "COLOREC1" && w[2] == d && seq > 0 && (seq - 1) % slots == slot
  if (ok) ok = $0 == sector(d, seq, w[4], "~")
  if (!ok) { bad++; if (badslot == "") badslot = slot; next }
  valid++
  have[seq] = 1
  if (first == 0 || seq < first) first = seq
  if (seq > last) { last = seq; boot = w[4] }
}
END {
  if (mode != "verify") exit 0
  missing = 0
  lo = last - slots + 1
  if (lo < first) lo = first
  for (q = lo; q <= last && first > 0; q++) if (!(q in have)) missing++
  printf "disk=%s valid=%d bad=%d empty=%d", d, valid, bad, empty
  printf " first=%d last=%d missing=%d boot=%s", first, last, missing, boot
  if (badslot != "") printf " badslot=%s", badslot
  printf "\n"
}
