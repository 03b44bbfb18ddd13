#!/usr/bin/env bash
# Generates the voice prompts of the wake-up dialer and the IVR.
#
#   appliance/prompts/generate.sh        (from anywhere; needs espeak-ng and sox:
#                                         apt-get install -y espeak-ng sox)
#
# Reads appliance/prompts/*.tsv (texts.tsv, voicemail.tsv, minibar.tsv, speaking.tsv: lang<TAB>id<TAB>text, '#' lines ignored) and writes, for each
# row, prompts/<lang>/<id>.ul at the repository top: headerless G.711 μ-law, 8 kHz, mono — the
# payload RTP PCMU carries, so the dialer streams the bytes as they are (and transcodes for PCMA).
#
# The outputs are committed and embedded in the binary; the appliance never runs this script.
# Rerun it after editing texts.tsv and commit the changed .ul files. It is idempotent: sox runs
# without dither (-D), so the same texts and tool versions give byte-identical files, and stale
# .ul files of ids no longer in the table are removed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/prompts"

for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "generate.sh: $tool not found (apt-get install -y espeak-ng sox)" >&2; exit 1; }
done

# espeak-ng voice per prompt language.
declare -A voice=([en]=en-gb [de]=de [fr]=fr-fr [es]=es [it]=it)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

declare -A wanted=()
count=0
for table in "$here"/*.tsv; do
# Words that are strung together (numbers, dates: speaking.tsv) lose espeak's ~0.3 s of silence at
# each end and keep 40 ms, so "received today at seven thirty" flows and the files stay small.
trim=()
[[ "$(basename "$table")" == speaking.tsv ]] && trim=(silence 1 0.01 0.3% reverse silence 1 0.01 0.3% reverse pad 0.04 0.04)
while IFS=$'\t' read -r lang id text || [[ -n "${lang:-}" ]]; do
  [[ -z "$lang" || "$lang" == \#* ]] && continue
  v="${voice[$lang]:-}"
  [[ -n "$v" ]] || { echo "generate.sh: no voice for language '$lang'" >&2; exit 1; }
  [[ "$id" =~ ^[a-z0-9-]+$ && -n "$text" ]] || { echo "generate.sh: bad row: $lang $id" >&2; exit 1; }
  mkdir -p "$out/$lang"
  espeak-ng -v "$v" -s 150 -w "$tmp/tmp.wav" "$text"
  sox -D "$tmp/tmp.wav" -r 8000 -c 1 -t raw -e mu-law "$tmp/$lang-$id.ul" "${trim[@]}"
  mv -f "$tmp/$lang-$id.ul" "$out/$lang/$id.ul"
  wanted["$lang/$id.ul"]=1
  count=$((count + 1))
done <"$table"
done

# Drop prompts whose row was removed from the table.
shopt -s nullglob
for f in "$out"/*/*.ul; do
  rel="${f#"$out"/}"
  [[ -n "${wanted[$rel]:-}" ]] || { rm -f "$f"; echo "removed stale $rel"; }
done

echo "generated $count prompts in $out ($(du -sb "$out" | cut -f1) bytes)"
