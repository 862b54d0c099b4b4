# bash completion for keywarden. Commands, subcommands and options are read from keywarden's
# own --help, so they never fall behind the binary. Installed as
# share/bash-completion/completions/keywarden.

_keywarden_commands() {
	keywarden --help 2>/dev/null | awk '/^Commands:/ { f = 1; next } f && /^$/ { exit } f { print $1 }'
}

_keywarden_subcommands() { # $1: a command with subcommands (policy)
	keywarden "$1" --help 2>/dev/null | awk '/^Subcommands:/ { f = 1; next } f && /^$/ { exit } f { print $1 }'
}

_keywarden_options() { # $@: the command (and subcommand)
	keywarden "$@" --help 2>/dev/null | grep -oE -- '(^|[ [,])--?[a-zA-Z][a-zA-Z0-9-]*' |
		sed -E 's/^[ [,]//' | sort -u
}

_keywarden_profiles() {
	sed -nE 's/^\[(profile )?([^]]+)\].*/\2/p' "${AWS_CONFIG_FILE:-$HOME/.aws/config}" \
		"${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" 2>/dev/null | grep -v '^sso-session ' | sort -u
}

_keywarden() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local words=() i w
	COMPREPLY=()
	case $prev in
	-o | --output)
		mapfile -t COMPREPLY < <(compgen -W "text table json sarif github markdown" -- "$cur")
		return ;;
	--profile)
		mapfile -t COMPREPLY < <(compgen -W "$(_keywarden_profiles)" -- "$cur")
		return ;;
	--region | --endpoint-url | --mfa-code) return ;;
	esac
	# the command (and subcommand) typed so far, common options and their values skipped
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--profile | --region | --endpoint-url | --mfa-code | -o | --output) ((i++)) ;;
		-*) ;;
		*) [ ${#words[@]} -lt 2 ] && words+=("$w") ;;
		esac
	done
	if [ ${#words[@]} -eq 0 ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--help --version $(_keywarden_options)" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_keywarden_commands)" -- "$cur")
		fi
		return
	fi
	if [ ${#words[@]} -eq 1 ] && [[ $cur != -* ]]; then
		local subs
		subs=$(_keywarden_subcommands "${words[0]}")
		if [ -n "$subs" ]; then
			mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
			return
		fi
	fi
	if [ ${#words[@]} -eq 2 ] && [ -z "$(_keywarden_subcommands "${words[0]}")" ]; then
		words=("${words[0]}") # the second word is an argument, not a subcommand
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_keywarden_options "${words[@]}")" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur") # manifests, folders, policy files
	fi
}

complete -o filenames -F _keywarden keywarden
