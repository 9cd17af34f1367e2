# devenv's hook for zsh. Put `eval "$(devenv hook zsh)"` at the end of ~/.zshrc.
#
# At every prompt (precmd) it decides with builtins alone whether anything could have changed: the
# same directory as before and no watched file (devenv.toml, devenv.lock, the cached environment,
# the allow list) modified since this shell last looked means return at once, without starting a
# process. Otherwise it unloads what it loaded, then loads the project of the current directory:
# from its cached environment when that is fresh (still no process), else through one
# `devenv export zsh`; unless what it would load is what is loaded already.
zmodload zsh/datetime 2>/dev/null
typeset -g __devenv_hook_version=@VERSION@
typeset -g __devenv_bin=@DEVENV@
typeset -g __devenv_hooks=@HOOKS@
typeset -g __devenv_stamp="$__devenv_hooks/stamps/$$"
typeset -g __devenv_dir=
typeset -g __devenv_pending= __devenv_pending_root= __devenv_noticed=
typeset -g __devenv_loaded=
typeset -g __devenv_undo= __devenv_names= __devenv_q= __devenv_root=

# Sets __devenv_q to $1 in single quotes (zsh's own quoting flag).
__devenv_quote() { __devenv_q=${(qq)1}; }

__devenv_begin() {
    __devenv_undo=
    __devenv_names=' '
    __devenv_loaded=$4
    export DEVENV_ACTIVE="$1" DEVENV_ACTIVE_CACHE="$2" DEVENV_ACTIVE_ENVIRONMENT="$3" DEVENV_ACTIVE_SINCE="${EPOCHSECONDS:-0}"
}

__devenv_save() {
    [[ $__devenv_names == *" $1 "* ]] && return
    __devenv_names+="$1 "
    if (( ${+parameters[$1]} )); then
        __devenv_quote "${(P)1}"
        __devenv_undo="export $1=$__devenv_q;$__devenv_undo"
    else
        __devenv_undo="unset $1;$__devenv_undo"
    fi
}

__devenv_set() { __devenv_save "$1"; export "$1=$2"; }
__devenv_unset() { __devenv_save "$1"; unset "$1"; }

__devenv_prepend_path() {
    __devenv_quote "$1"
    __devenv_undo="__devenv_remove_path $__devenv_q;$__devenv_undo"
    PATH="$1${PATH:+:$PATH}"
}

__devenv_remove_path() {
    local p=":$PATH:" e
    for e in ${(s.:.)1}; do p=${p/:$e:/:}; done
    p=${p#:}
    PATH=${p%:}
}

__devenv_alias() {
    if (( ${+aliases[$1]} )); then
        __devenv_quote "${aliases[$1]}"
        __devenv_undo="alias $1=$__devenv_q;$__devenv_undo"
    else
        # Quietly: a subshell inherits DEVENV_UNLOAD but not the alias.
        __devenv_undo="unalias $1 2>/dev/null;$__devenv_undo"
    fi
    alias "$1=$2"
}

__devenv_end() {
    export DEVENV_UNLOAD="$__devenv_undo"
    __devenv_undo= __devenv_names=
}

__devenv_say() { print -r -- "$1" >&2; }
# Watch the cache, the failure record and the project's files of a project not (yet) loaded.
__devenv_pending() {
    __devenv_pending=$1
    __devenv_pending_root=$2
}
# What export said last: it does not say the same again at the next look.
__devenv_notice() { __devenv_noticed=$1; }

__devenv_unload() {
    (( ${+DEVENV_UNLOAD} )) && eval "$DEVENV_UNLOAD"
    unset DEVENV_UNLOAD DEVENV_ACTIVE DEVENV_ACTIVE_CACHE DEVENV_ACTIVE_ENVIRONMENT DEVENV_ACTIVE_SINCE
    __devenv_loaded=
}

__devenv_find() {
    local d=$PWD
    while :; do
        if [[ -f $d/devenv.toml || -f $d/flake.nix || -f $d/shell.nix || -f $d/default.nix ]]; then
            __devenv_root=$d
            return
        fi
        [[ -z $d || $d == / ]] && break
        d=${d%/*}
    done
    __devenv_root=
}

# True when one of the files exists and was modified at or after the time of the stamp $s (a
# file's time has the kernel's tick as resolution: "at" counts, or a change made in the same tick
# as the stamp would be missed).
__devenv_changed() {
    local f
    for f; do [[ -e $f && ! $s -nt $f ]] && return 0; done
    return 1
}

__devenv_hook() {
    local ret=$? s=$__devenv_stamp.seen
    if [[ $PWD == "$__devenv_dir" ]] && ! __devenv_changed $__devenv_hooks/allow.stamp \
        ${DEVENV_ACTIVE:+$DEVENV_ACTIVE/devenv.toml} ${DEVENV_ACTIVE:+$DEVENV_ACTIVE/devenv.lock} $DEVENV_ACTIVE_CACHE \
        ${DEVENV_ACTIVE:+$DEVENV_ACTIVE/flake.nix} ${DEVENV_ACTIVE:+$DEVENV_ACTIVE/flake.lock} ${DEVENV_ACTIVE:+$DEVENV_ACTIVE/shell.nix} \
        ${DEVENV_ACTIVE:+$DEVENV_ACTIVE/default.nix} \
        $__devenv_pending ${__devenv_pending:+${__devenv_pending%.*}.failed} \
        ${__devenv_pending_root:+$__devenv_pending_root/devenv.toml} \
        ${__devenv_pending_root:+$__devenv_pending_root/devenv.lock} \
        ${__devenv_pending_root:+$__devenv_pending_root/flake.nix} ${__devenv_pending_root:+$__devenv_pending_root/flake.lock} \
        ${__devenv_pending_root:+$__devenv_pending_root/shell.nix} \
        ${__devenv_pending_root:+$__devenv_pending_root/default.nix}; then
        return $ret
    fi
    # Stamped before looking: whatever changes from now on is seen at a later prompt.
    { : >|"$s"; } 2>/dev/null
    __devenv_dir=$PWD
    __devenv_find
    local root=$__devenv_root cache= header=
    if [[ -n $root ]]; then
        cache=${root//\%/%25}
        cache="$__devenv_hooks/env/${cache//\//%2F}.zsh"
        [[ -f $cache && ! $root/devenv.toml -nt $cache && ! $root/devenv.lock -nt $cache && ! $root/flake.nix -nt $cache &&
            ! $root/flake.lock -nt $cache && ! $root/shell.nix -nt $cache && ! $root/default.nix -nt $cache ]] && read -r header <"$cache"
    fi
    if [[ -n $root && $root == "$DEVENV_ACTIVE" && -z $__devenv_pending && -n $header && $header == "$__devenv_loaded" ]]; then
        return $ret
    fi
    [[ -n $DEVENV_ACTIVE ]] && __devenv_unload
    __devenv_pending= __devenv_pending_root=
    local seen=$__devenv_noticed
    __devenv_noticed=
    if [[ -n $root ]]; then
        if [[ $header == "# devenv-cache @CACHE_FORMAT@ $__devenv_hook_version "* && -d ${header##* } ]]; then
            . "$cache"
        else
            eval "$(DEVENV_NOTICE_SEEN=$seen "$__devenv_bin" export zsh)"
        fi
    fi
    # Names the loaded environment: a live shell keeps it from garbage collection.
    { printf '%s' "$DEVENV_ACTIVE_ENVIRONMENT" >|"$__devenv_stamp"; } 2>/dev/null
    return $ret
}

autoload -Uz add-zsh-hook
add-zsh-hook precmd __devenv_hook
