# fish completion for keywarden: commands, subcommands and options read from keywarden's own
# --help. Installed as share/fish/vendor_completions.d/keywarden.fish.

function __keywarden_commands
    keywarden --help 2>/dev/null | awk '/^Commands:/ { f = 1; next } f && /^$/ { exit } f { c = $1; $1 = ""; sub(/^ +/, ""); print c "\t" $0 }'
end

function __keywarden_typed
    # the command (and subcommand) on the line so far, common options and their values skipped
    set -l tokens (commandline -opc)
    set -l typed
    set -l skip 0
    for t in $tokens[2..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --profile --region --endpoint-url --mfa-code -o --output
                set skip 1
            case '-*'
            case '*'
                if test (count $typed) -lt 2
                    set -a typed $t
                end
        end
    end
    printf '%s\n' $typed
end

function __keywarden_subcommands
    set -l typed (__keywarden_typed)
    test (count $typed) -eq 1; or return
    keywarden $typed[1] --help 2>/dev/null | awk '/^Subcommands:/ { f = 1; next } f && /^$/ { exit } f { c = $1; $1 = ""; sub(/^ +/, ""); print c "\t" $0 }'
end

function __keywarden_options
    keywarden (__keywarden_typed) --help 2>/dev/null | grep -oE -- '(^|[ [,])--[a-zA-Z][a-zA-Z0-9-]*' | sed -E 's/^[ [,]--//' | sort -u
end

function __keywarden_no_command
    test (count (__keywarden_typed)) -eq 0
end

complete -c keywarden -n __keywarden_no_command -f -a '(__keywarden_commands)'
complete -c keywarden -n 'not __keywarden_no_command' -a '(__keywarden_subcommands)'
complete -c keywarden -n 'not __keywarden_no_command' -l '(__keywarden_options)'
complete -c keywarden -s o -l output -x -a 'text table json sarif github markdown'
complete -c keywarden -l profile -x
complete -c keywarden -l region -x
complete -c keywarden -l endpoint-url -x
complete -c keywarden -l mfa-code -x
complete -c keywarden -l no-color -d 'no colour'
complete -c keywarden -s v -l verbose -d 'more detail on stderr'
complete -c keywarden -s h -l help -d 'show help'
complete -c keywarden -l version -d 'print the version'
