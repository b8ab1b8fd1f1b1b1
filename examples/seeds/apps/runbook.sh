#!/bin/sh
# Seed 000's runbook in POSIX sh and curl (the seed's is PowerShell's Invoke-RestMethod): an Automation runbook
# calls SomeFunction through its Easy Auth front with the account's managed identity. First the way that fails —
# a token for Azure Resource Manager, what `az account get-access-token` hands out — then the seed's fix: a token
# from $IDENTITY_ENDPOINT for the function's application id.
#
#   FUNCTION_URL=https://somefunction.localhost:<front port>/api/SomeFunction \
#     lanyard run --as runbook-automation -- sh examples/seeds/apps/runbook.sh
#
# `lanyard run` sets IDENTITY_ENDPOINT and IDENTITY_HEADER as Automation does, and NODE_EXTRA_CA_CERTS to the
# CA that signs the front's certificate. Output, one fact a line, for people and for `lanyard demo`:
#   <attempt> token: <resource>           the token request, or "<attempt> token refused: <body>"
#   <attempt> status: <HTTP status>       the function's answer through Easy Auth
#   <attempt> www-authenticate: <value>   on a refusal: why, and what to do
#   <attempt> body: <body>                what the function (or Easy Auth) answered
# where <attempt> is "arm" or "function". Exit code 0 when both calls got an answer.
set -u
: "${IDENTITY_ENDPOINT:?run me with: lanyard run --as runbook-automation -- sh $0}"
: "${IDENTITY_HEADER:?run me with: lanyard run --as runbook-automation -- sh $0}"
: "${FUNCTION_URL:?set FUNCTION_URL, e.g. https://somefunction.localhost:<port>/api/SomeFunction}"
APP_ID="${FUNCTION_APP_ID:-cc334b87-fdbe-4996-aa3f-5bad192a18a6}" # somefunction's application (client) id
ARM=https://management.core.windows.net/

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# $1 attempt, $2 resource: the seed's request to the identity endpoint; the token goes to $tmp/$1.token.
get_token() {
  curl -sS -o "$tmp/$1.json" "$IDENTITY_ENDPOINT?resource=$2&api-version=2019-08-01" \
    -H "X-IDENTITY-HEADER: $IDENTITY_HEADER" || return 1
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$tmp/$1.json" >"$tmp/$1.token"
  if [ -s "$tmp/$1.token" ]; then
    echo "$1 token: $2"
  else
    echo "$1 token refused: $(cat "$tmp/$1.json")"
    return 1
  fi
}

# $1 attempt: POST the seed's body to the function with that token.
call_function() {
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then set -- "$1" --cacert "$NODE_EXTRA_CA_CERTS"; fi
  attempt=$1
  shift
  status=$(curl -sS "$@" -o "$tmp/$attempt.body" -D "$tmp/$attempt.headers" -w '%{http_code}' \
    -X POST "$FUNCTION_URL" -H "Authorization: Bearer $(cat "$tmp/$attempt.token")" \
    -H 'Content-Type: application/json' -d '{"once":"toldme"}') || return 1
  echo "$attempt status: $status"
  www=$(sed -n 's/^[Ww][Ww][Ww]-[Aa][Uu][Tt][Hh][Ee][Nn][Tt][Ii][Cc][Aa][Tt][Ee]: //p' "$tmp/$attempt.headers" | tr -d '\r')
  if [ -n "$www" ]; then echo "$attempt www-authenticate: $www"; fi
  echo "$attempt body: $(cat "$tmp/$attempt.body")"
}

failed=0
get_token arm "$ARM" && call_function arm || failed=1
get_token function "$APP_ID" && call_function function || failed=1
exit $failed
