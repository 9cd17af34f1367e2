# devenv's hook for fish. Put `devenv hook fish | source` at the end of ~/.config/fish/config.fish.
#
# Before every prompt it decides with builtins alone whether anything could have changed: the same
# directory as before and no watched file (devenv.toml, devenv.lock, the cached environment, the
# allow list) modified since this shell last looked means return at once, without starting a
# process. Otherwise it unloads what it loaded, then loads the project of the current directory:
# from its cached environment when that is fresh (still no process), else through one
# `devenv export fish`; unless what it would load is what is loaded already.
set -g __devenv_hook_version @VERSION@
set -g __devenv_bin @DEVENV@
set -g __devenv_hooks @HOOKS@
set -g __devenv_stamp "$__devenv_hooks/stamps/$fish_pid"
set -g __devenv_dir ''
set -g __devenv_pending ''
set -g __devenv_pending_root ''
set -g __devenv_noticed ''
set -g __devenv_loaded ''

function __devenv_begin
    set -g __devenv_undo
    set -g __devenv_names
    set -g __devenv_loaded $argv[4]
    set -gx DEVENV_ACTIVE $argv[1]
    set -gx DEVENV_ACTIVE_CACHE $argv[2]
    set -gx DEVENV_ACTIVE_ENVIRONMENT $argv[3]
    # No DEVENV_ACTIVE_SINCE: fish has no clock builtin, and loading must start no process;
    # `devenv status` reads the time this shell's stamp was written instead.
end

function __devenv_save
    contains -- $argv[1] $__devenv_names; and return
    set -ga __devenv_names $argv[1]
    if set -q $argv[1]
        set -l separator ' '
        string match -q '*PATH' -- $argv[1]; and set separator :
        # `string collect` keeps a value with newlines in one piece.
        set -l value (string join -- $separator $$argv[1] | string collect)
        set -p __devenv_undo "__devenv_set_raw $argv[1] "(string escape -- $value)
    else
        set -p __devenv_undo "set -e $argv[1]"
    end
end

# PATH-like variables are lists in fish: split them on colons.
function __devenv_set_raw
    if string match -q '*PATH' -- $argv[1]
        set -gx $argv[1] (string split : -- $argv[2])
    else
        set -gx $argv[1] $argv[2]
    end
end

function __devenv_set
    __devenv_save $argv[1]
    __devenv_set_raw $argv[1] $argv[2]
end

function __devenv_unset
    __devenv_save $argv[1]
    set -e $argv[1]
end

function __devenv_prepend_path
    set -p __devenv_undo "__devenv_remove_path "(string escape -- $argv[1])
    set -gx PATH (string split : -- $argv[1]) $PATH
end

function __devenv_remove_path
    for entry in (string split : -- $argv[1])
        set -l index (contains -i -- $entry $PATH)
        and set -e PATH[$index]
    end
end

# An alias is a function made by `alias`, which also makes the name's completions wrap the
# value's; undoing it removes that wrap too.
function __devenv_alias
    set -l unwrap "complete -c $argv[1] -e -w "(string escape -- $argv[2])
    if functions -q $argv[1]
        functions -e __devenv_saved_$argv[1]
        functions -c $argv[1] __devenv_saved_$argv[1]
        set -p __devenv_undo "functions -e $argv[1]; $unwrap; functions -c __devenv_saved_$argv[1] $argv[1]; functions -e __devenv_saved_$argv[1]"
    else
        set -p __devenv_undo "functions -e $argv[1]; $unwrap"
    end
    alias $argv[1] $argv[2]
end

function __devenv_end
    set -gx DEVENV_UNLOAD (string join '; ' -- $__devenv_undo)
    set -e __devenv_undo
    set -e __devenv_names
end

function __devenv_say
    printf '%s\n' $argv[1] >&2
end

# Watch the cache, the failure record and the project's files of a project not (yet) loaded.
function __devenv_pending
    set -g __devenv_pending $argv[1]
    set -g __devenv_pending_root $argv[2]
end

# What export said last: it does not say the same again at the next look.
function __devenv_notice
    set -g __devenv_noticed $argv[1]
end

function __devenv_unload
    set -q DEVENV_UNLOAD; and eval $DEVENV_UNLOAD
    set -e DEVENV_UNLOAD DEVENV_ACTIVE DEVENV_ACTIVE_CACHE DEVENV_ACTIVE_ENVIRONMENT DEVENV_ACTIVE_SINCE
    set -g __devenv_loaded ''
end

function __devenv_find
    set -l d $PWD
    while true
        if test -f "$d/devenv.toml"; or test -f "$d/flake.nix"; or test -f "$d/shell.nix"; or test -f "$d/default.nix"
            set -g __devenv_root $d
            return
        end
        test -z "$d"; or test "$d" = /; and break
        set d (string replace -r '/[^/]*$' '' -- $d)
    end
    set -g __devenv_root ''
end

# True when one of the files exists and was modified at or after the time of the stamp $s (a
# file's time has the kernel's tick as resolution: "at" counts, or a change made in the same tick
# as the stamp would be missed). fish's -nt is true when the second file does not exist.
function __devenv_changed -a s
    for f in $argv[2..-1]
        not test $s -nt "$f"; and return 0
    end
    return 1
end

# True when one of the files exists and is newer than the file $s.
function __devenv_newer -a s
    for f in $argv[2..-1]
        test "$f" -nt $s; and return 0
    end
    return 1
end

function __devenv_hook --on-event fish_prompt
    set -l ret $status
    set -l s $__devenv_stamp.seen
    set -l watched $__devenv_hooks/allow.stamp
    test -n "$DEVENV_ACTIVE"; and set -a watched $DEVENV_ACTIVE/{devenv.toml,devenv.lock,flake.nix,flake.lock,shell.nix,default.nix} $DEVENV_ACTIVE_CACHE
    test -n "$__devenv_pending"; and set -a watched $__devenv_pending (string replace -r '\.[^.]*$' '' -- $__devenv_pending).failed $__devenv_pending_root/{devenv.toml,devenv.lock,flake.nix,flake.lock,shell.nix,default.nix}
    if test "$PWD" = "$__devenv_dir"; and not __devenv_changed $s $watched
        return $ret
    end
    # Stamped before looking: whatever changes from now on is seen at a later prompt.
    # (Only where the directory is: fish warns about a failed redirection whatever 2> says.)
    test -d $__devenv_hooks/stamps; and true >$s
    set -g __devenv_dir $PWD
    __devenv_find
    set -l root $__devenv_root
    set -l cache ''
    set -l header ''
    if test -n "$root"
        set cache "$__devenv_hooks/env/"(string replace -a / %2F -- (string replace -a % %25 -- $root))".fish"
        if test -f $cache; and not __devenv_newer $cache $root/{devenv.toml,devenv.lock,flake.nix,flake.lock,shell.nix,default.nix}
            read -l line <$cache; and set header $line
        end
    end
    if test -n "$root"; and test "$root" = "$DEVENV_ACTIVE"; and test -z "$__devenv_pending"; and test -n "$header"; and test "$header" = "$__devenv_loaded"
        return $ret
    end
    test -n "$DEVENV_ACTIVE"; and __devenv_unload
    set -g __devenv_pending ''
    set -g __devenv_pending_root ''
    set -l seen $__devenv_noticed
    set -g __devenv_noticed ''
    if test -n "$root"
        if string match -q "# devenv-cache @CACHE_FORMAT@ $__devenv_hook_version *" -- $header; and test -d (string replace -r '.* ' '' -- $header)
            source $cache
        else
            DEVENV_NOTICE_SEEN=$seen $__devenv_bin export fish | source
        end
    end
    # Names the loaded environment: a live shell keeps it from garbage collection.
    test -d $__devenv_hooks/stamps; and printf '%s' "$DEVENV_ACTIVE_ENVIRONMENT" >$__devenv_stamp
    return $ret
end
