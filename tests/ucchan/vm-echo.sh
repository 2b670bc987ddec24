#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Echo service: payloads of every interesting size, inline, copied or
# mapped at odd offsets and through a registered buffer; byte-exact both ways, bytes
# around the client's buffers untouched (ucchan-ping checks all that).
. "$(dirname "$0")/vm-lib.sh"

serve echo --regbuf $((256 << 20)) || finish
for s in 0 1 4095 4096; do
	check "inline $s bytes" "$PING" echo -c 20 -s $s --inline
done
for s in 0 1 4095 4096 4097 $((1 << 20)); do
	for o in 0 1 4095; do
		check "mapped $s bytes at offset $o" \
			"$PING" echo -c 3 -s $s --mapped --offset $o
	done
done
check "mapped 64 MiB at offset 3" "$PING" echo -c 2 -s $((64 << 20)) --mapped --offset 3
check "mapped 64 MiB at offset 4093" "$PING" echo -c 1 -s $((64 << 20)) --mapped --offset 4093
check_fails "mapped 64 MiB + 2 pages + 1 byte refused (E2BIG)" "$PING" echo -c 1 -s $(((64 << 20) + 8193)) --mapped
for s in 1 4097 $((1 << 20)); do
	check "registered $s bytes at offset 5" "$PING" echo -c 5 -s $s --registered --offset 5
done
check "registered 64 MiB at offset 7" "$PING" echo -c 1 -s $((64 << 20)) --registered --offset 7
check "bytes were mapped (stats)" test "$(stat_col echo bytes_mapped)" -gt $((64 << 20))
check "small buffers were copied (stats)" test "$(stat_col echo bytes_copied)" -gt 0
check "graceful server stop" unserve "$SRV_PID"
ev=$(sed -n 's/^stopped echo: \([0-9]*\) disconnect events$/\1/p' "$WORK/echo.log")
echo "disconnect events: ${ev:-none}"
# every ucchan-ping client above connected once and closed
check "a disconnect event per closed connection (29)" test "${ev:-0}" -eq 29
check_fails "calls after stop fail" "$PING" echo -c 1 -q

# The same sizes with no copy area: every buffer mapped (the window's
# page handling for the small ones), and a copy area of one page: what
# fits is copied, the rest mapped.
serve echo-map --copy -1 || finish
serve echo-1p --copy 4096 || finish
for svc in echo-map echo-1p; do
	for s in 1 4095 4096 4097 $((1 << 20)); do
		for o in 0 1 4095; do
			check "$svc: $s bytes at offset $o" \
				"$PING" $svc -c 3 -s $s --mapped --offset $o
		done
	done
done
check "echo-map copied nothing (stats)" test "$(stat_col echo-map bytes_copied)" -eq 0
check "echo-1p copied some, mapped the rest (stats)" \
	test "$(stat_col echo-1p bytes_copied)" -gt 0 -a "$(stat_col echo-1p bytes_mapped)" -gt 0
check_fails "a copy area not a page multiple is refused" "$PING" --serve bad-copy --copy 100
finish
