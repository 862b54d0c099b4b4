#!/bin/sh
# manpage.sh KEYWARDEN MD NAME VERSION OUT - the man page (section 1, gzip -9n) of one docs page,
# made at build time with lowdown (Debian's lowdown; $LOWDOWN to choose another binary).
#   KEYWARDEN  the built binary: the NAME line's summary comes from its --help (one source)
#   MD         docs/commands/COMMAND.md, or docs/keywarden.md for keywarden(1)
#   NAME       keywarden-COMMAND, or keywarden
# The page's "# keywarden COMMAND" title becomes NAME and DESCRIPTION; its "##" sections become
# man sections (upper case), "###" subsections; links to another command's page become
# keywarden-COMMAND(1), other links keep their text. Code blocks are left as they are.
set -eu
kw=$1 md=$2 name=$3 version=$4 out=$5
lowdown=${LOWDOWN:-lowdown}
cmd=${name#keywarden-}
if [ "$name" = keywarden ]; then
	summary=$("$kw" --help | sed -n '1s/^keywarden - //p')
else
	summary=$("$kw" --help | awk -v c="$cmd" '/^Commands:/ { f = 1; next } f && /^$/ { exit }
		f && $1 == c { $1 = ""; sub(/^ +/, ""); print }')
fi
[ -n "$summary" ] || { echo "manpage.sh: '$cmd' is not a command in keywarden --help" >&2; exit 1; }
tmp=$out.tmp
{
	printf '# NAME\n\n%s - %s\n\n# DESCRIPTION\n\n' "$name" "$summary"
	awk '
		NR == 1 && /^# / { next }
		/^```/ { fence = !fence; print; next }
		!fence && /^## / { sub(/^## /, ""); print "# " toupper($0); next }
		!fence && /^### / { sub(/^### /, "## "); print; next }
		{ print }
	' "$md" |
		sed -E -e 's/\[([^]]*)\]\(([a-z]+)\.md(#[^)]*)?\)/\1 (keywarden-\2(1))/g' \
			-e 's/\[([^]]*)\]\(commands\/([a-z]+)\.md(#[^)]*)?\)/\1 (keywarden-\2(1))/g' \
			-e 's/\[([^]]*)\]\([^):]*\.(md|json)(#[^)]*)?\)/\1/g'
} | "$lowdown" -s -Tman -M "title=$name" -M section=1 -M "source=keywarden $version" \
	-M "volume=keywarden manual" >"$tmp.man"
# tbl(1) for the tables: man-db runs the preprocessors the first line names
{ printf "'\\\\\" t\n"; cat "$tmp.man"; } | gzip -9n >"$tmp"
rm -f "$tmp.man"
mv "$tmp" "$out"
