#!/bin/sh
# Release gate for a CI/CD job: fails the job while the feature is blocked by the andon cord.
#
#   HELPDESK_URL=https://support.example.com HELPDESK_TOKEN=... deploy/ci/release-gate.sh billing.invoices [more.keys]
#
# Exit 0: every feature may ship. Exit 1: at least one is blocked (HTTP 423; the blocking
# escalations are printed). Exit 2: the gate could not be asked (network, token, unknown key):
# a gate that cannot answer does not let a release through.
set -u
: "${HELPDESK_URL:?set HELPDESK_URL, e.g. https://support.example.com}"
: "${HELPDESK_TOKEN:?set HELPDESK_TOKEN to an API token of a desk user}"
[ "$#" -ge 1 ] || { echo "usage: $0 FEATURE_KEY [FEATURE_KEY ...]" >&2; exit 2; }

status=0
for key in "$@"; do
    body=$(mktemp)
    code=$(curl --silent --show-error --max-time 10 --retry 3 --retry-connrefused \
        --output "$body" --write-out '%{http_code}' \
        -H "Authorization: Token $HELPDESK_TOKEN" -H 'Accept: application/json' \
        "$HELPDESK_URL/api/v1/features/$key/gate/") || code=000
    case "$code" in
        200) echo "release gate: $key may ship" ;;
        423) echo "release gate: $key is BLOCKED: $(cat "$body")" >&2; [ "$status" -eq 2 ] || status=1 ;;
        *)   echo "release gate: could not ask about $key (HTTP $code): $(cat "$body")" >&2; status=2 ;;
    esac
    rm -f "$body"
done
exit "$status"
