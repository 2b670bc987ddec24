#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# -s NAME counts only that service, and exactly.
. "$(dirname "$0")/lib.sh"

serve ut-one
serve ut-two
top_start -j -i 1 -s ut-two
ping_calls ut-one -c 30
ping_calls ut-two -c 40
ping_calls ut-one -c 5
top_stop

S=$(summary)
expect "services reported" "$(jq -c '[.services[].name]' <<<"$S")" '["ut-two"]'
expect "ut-two calls" "$(jq '.services[0].total.calls' <<<"$S")" 40
expect "ut-two replies" "$(jq '.services[0].total.replies' <<<"$S")" 40
expect "intervals never show ut-one" \
	"$(jq -s '[.[].services[].name | select(. != "ut-two")] | length' "$T/top.out")" 0
exit 0
