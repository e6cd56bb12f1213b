#!/usr/bin/env bash
# Checks the signature of a stay record or trust list with openssl alone.
# Usage: openssl-verify.sh RECORD.bin|trust.list SIGNER.pub.pem
# The signed bytes are the first object inside the outer one (the `71` or `72` body, tag
# and length included); the signature is the last 64 bytes of the file (raw r || s).
set -euo pipefail
file=$1 key=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Offset and total length of the body: the first object at depth 1.
read -r offset length < <(openssl asn1parse -inform DER -in "$file" | awk '
  /d=1/ {
    split($1, at, ":"); hl = 0; l = 0
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^hl=/) { hl = substr($i, 4) }
      if ($i == "l=") { l = $(i + 1) } else if ($i ~ /^l=/) { l = substr($i, 3) }
    }
    print at[1], hl + l; exit
  }')
tail -c +"$((offset + 1))" "$file" | head -c "$length" > "$work/body.bin"

# Raw r || s to the DER SEQUENCE openssl expects.
sig=$(tail -c 64 "$file" | od -An -tx1 -v | tr -d ' \n')
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${sig:0:64}" "${sig:64:64}" > "$work/sig.cnf"
openssl asn1parse -genconf "$work/sig.cnf" -out "$work/sig.der" -noout

openssl dgst -sha256 -verify "$key" -signature "$work/sig.der" "$work/body.bin"
