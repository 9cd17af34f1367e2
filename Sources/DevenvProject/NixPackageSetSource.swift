/// The Nix code of `<nixpkgs>` as devenv provides it: a function of what the host knows (its
/// package names, the markers that stand for a package's store path until the lock says it)
/// returning what `import <nixpkgs>` returns. Every package is a derivation-like set whose
/// `outPath` is its marker; `mkShell` returns a set the host reads back into a manifest shell.
/// Also `flake-utils`, which flakes name beside nixpkgs and which is small enough to carry.
enum NixPackageSetSource {
    static let nixpkgs = #"""
        { names, nested, open, close, hostSystem, script }:
        { system ? hostSystem, config ? { }, overlays ? [ ], ... }:
        let
          package = name:
            let
              self = {
                type = "derivation";
                inherit name system;
                pname = name;
                version = "";
                outPath = open + name + close;
                drvPath = open + name + close;
                outputName = "out";
                outputs = [ "out" ];
                out = self;
                all = [ self ];
                meta = { mainProgram = name; };
                passthru = { };
                __devenvPackage = name;
              };
            in self;
          packages = builtins.listToAttrs (map (name: { inherit name; value = package name; }) names);
          nestedSets = builtins.mapAttrs (set: members:
            builtins.listToAttrs (map (member: { name = member.name; value = package member.package; }) members)) nested;
          platform = {
            inherit system;
            isLinux = lib.hasSuffix "-linux" system;
            isDarwin = lib.hasSuffix "-darwin" system;
            isx86_64 = lib.hasPrefix "x86_64-" system;
            isAarch64 = lib.hasPrefix "aarch64-" system;
            isx86 = lib.hasPrefix "x86_64-" system || lib.hasPrefix "i686-" system;
            isUnix = true;
          };
          lib = import ./lib.nix;
          mkShell = { name ? "nix-shell", ... }@attrs: {
            type = "derivation";
            inherit name system;
            outPath = open + "shell:" + name + close;
            __devenvShell = attrs;
          };
          # A flake's checks made this way become devenv's checks: the script, run in the project.
          runCommand = name: env: script: {
            type = "derivation";
            inherit name system;
            outPath = open + "check:" + name + close;
            __devenvCommand = { inherit name script; };
          };
          stdenv = platform // {
            hostPlatform = platform;
            buildPlatform = platform;
            targetPlatform = platform;
            mkDerivation = attrs: throw "stdenv.mkDerivation: devenv builds no derivations from Nix files; name a package of its set instead";
            cc = packages.gcc or (throw "stdenv.cc: devenv has no C compiler package");
            shell = "/bin/sh";
          };
        in
        packages // nestedSets // {
          inherit lib mkShell stdenv system config;
          mkShellNoCC = mkShell;
          stdenvNoCC = stdenv;
          buildPlatform = platform;
          hostPlatform = platform;
          targetPlatform = platform;
          writeShellScriptBin = name: text: {
            type = "derivation";
            inherit name system;
            outPath = script name text;
            __devenvScript = { inherit name text; };
          };
          writeShellApplication = { name, text, runtimeInputs ? [ ], ... }:
            let
              prelude = "set -o errexit\nset -o nounset\nset -o pipefail\n"
                + (if runtimeInputs == [ ] then "" else "export PATH=\"${lib.makeBinPath runtimeInputs}:$PATH\"\n")
                + "\n";
            in {
              type = "derivation";
              inherit name system;
              outPath = script name (prelude + text);
              __devenvScript = { inherit name text prelude; };
            };
          # Images as devenv builds them (docs/containers.md): what was given, read back by the host.
          dockerTools =
            let
              image = { name, ... }@attrs: {
                type = "derivation";
                inherit name system;
                outPath = open + "image:" + name + close;
                __devenvImage = attrs;
              };
            in {
              buildLayeredImage = image;
              streamLayeredImage = image;
            };
          runCommand = runCommand;
          runCommandNoCC = runCommand;
          runCommandLocal = runCommand;
          runCommandCC = runCommand;
          callPackage = f: args:
            let function = if builtins.isFunction f then f else import f;
            in function (builtins.intersectAttrs (builtins.functionArgs function) (packages // { inherit lib stdenv mkShell; }) // args);
        }
        """#

    /// nixpkgs as a flake input, from the function `import <nixpkgs>` gives.
    static let nixpkgsFlake = #"""
        nixpkgs:
        let systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
        in {
          legacyPackages = builtins.listToAttrs (map (system: { name = system; value = nixpkgs { inherit system; }; }) systems);
          lib = (nixpkgs { }).lib;
          outPath = toString ./.;
        }
        """#

    /// The parts of nixpkgs' `lib` that development shells use.
    static let lib = #"""
        let
          lib = rec {
            id = x: x;
            const = x: _: x;
            flip = f: a: b: f b a;
            optional = cond: elem: if cond then [ elem ] else [ ];
            optionals = cond: elems: if cond then elems else [ ];
            optionalString = cond: string: if cond then string else "";
            optionalAttrs = cond: attrs: if cond then attrs else { };
            attrValues = builtins.attrValues;
            attrNames = builtins.attrNames;
            genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
            mapAttrs = builtins.mapAttrs;
            mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (builtins.attrNames attrs);
            filterAttrs = pred: attrs: builtins.listToAttrs (builtins.concatMap
              (name: if pred name attrs.${name} then [ { inherit name; value = attrs.${name}; } ] else [ ])
              (builtins.attrNames attrs));
            recursiveUpdate = lhs: rhs: lhs // builtins.mapAttrs (name: value:
              if builtins.isAttrs value && builtins.isAttrs (lhs.${name} or null) then recursiveUpdate lhs.${name} value
              else value) rhs;
            concatStringsSep = builtins.concatStringsSep;
            concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
            concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
            concatStrings = builtins.concatStringsSep "";
            makeSearchPath = subDir: paths: builtins.concatStringsSep ":" (map (path: "${path}/${subDir}") paths);
            makeBinPath = makeSearchPath "bin";
            makeLibraryPath = makeSearchPath "lib";
            getExe = package: "${package}/bin/${package.meta.mainProgram or package.pname or package.name}";
            getBin = package: package;
            hasPrefix = prefix: string: builtins.substring 0 (builtins.stringLength prefix) string == prefix;
            hasSuffix = suffix: string:
              let
                length = builtins.stringLength string;
                suffixLength = builtins.stringLength suffix;
              in length >= suffixLength && builtins.substring (length - suffixLength) suffixLength string == suffix;
            flatten = x: if builtins.isList x then builtins.concatMap flatten x else [ x ];
            unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
            elem = builtins.elem;
            head = builtins.head;
            tail = builtins.tail;
            last = list: builtins.elemAt list (builtins.length list - 1);
            foldl' = builtins.foldl';
            foldr = op: nul: list:
              let
                length = builtins.length list;
                fold = n: if n == length then nul else op (builtins.elemAt list n) (fold (n + 1));
              in fold 0;
            filter = builtins.filter;
            toUpper = builtins.replaceStrings
              [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ]
              [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
            toLower = builtins.replaceStrings
              [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ]
              [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
            fileContents = file: removeSuffix "\n" (builtins.readFile file);
            removeSuffix = suffix: string:
              if hasSuffix suffix string
              then builtins.substring 0 (builtins.stringLength string - builtins.stringLength suffix) string
              else string;
            removePrefix = prefix: string:
              if hasPrefix prefix string
              then builtins.substring (builtins.stringLength prefix) (builtins.stringLength string) string
              else string;
            versionAtLeast = a: b: builtins.compareVersions a b >= 0;
            versionOlder = a: b: builtins.compareVersions a b < 0;
            systems = {
              flakeExposed = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
              doubles.all = systems.flakeExposed;
            };
            platforms = {
              linux = [ "x86_64-linux" "aarch64-linux" ];
              darwin = [ "x86_64-darwin" "aarch64-darwin" ];
              all = systems.flakeExposed;
            };
            trivial = { inherit id const flip; };
            strings = { inherit hasPrefix hasSuffix removePrefix removeSuffix concatStringsSep optionalString; };
            lists = { inherit optional optionals flatten unique foldl' foldr last; };
            attrsets = { inherit genAttrs mapAttrsToList filterAttrs recursiveUpdate optionalAttrs; };
          };
        in lib
        """#

    /// numtide's flake-utils, the part flakes use.
    static let flakeUtils = #"""
        let
          defaultSystems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
          eachSystem = systems: f:
            let
              op = attrs: system:
                let
                  result = f system;
                  add = attrs: key: attrs // { ${key} = (attrs.${key} or { }) // { ${system} = result.${key}; }; };
                in builtins.foldl' add attrs (builtins.attrNames result);
            in builtins.foldl' op { } systems;
        in {
          lib = {
            inherit defaultSystems eachSystem;
            eachDefaultSystem = eachSystem defaultSystems;
            allSystems = defaultSystems;
            system = builtins.listToAttrs (map (name: { inherit name; value = name; }) defaultSystems);
          };
        }
        """#
}
