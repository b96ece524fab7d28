import Foundation
import PackagePlugin

/// Writes `BuildInfo.swift` before every build: the commit the tree was built from (`git rev-parse`, with `-dirty`
/// when tracked files differ from it), or `unknown` outside a git checkout. The file is replaced only when its text
/// changes, so an unchanged tree rebuilds nothing.
@main
struct BuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = #"""
            mkdir -p "$1" || exit 1
            commit=$(git -C "$2" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
            if [ "$commit" != unknown ] && [ -n "$(git -C "$2" status --porcelain --untracked-files=no 2>/dev/null)" ]
            then commit="$commit-dirty"; fi
            printf '// Generated before each build by Plugins/BuildInfo.\nlet buildCommit = "%s"\n' "$commit" \
                > "$1/BuildInfo.swift.new"
            if cmp -s "$1/BuildInfo.swift.new" "$1/BuildInfo.swift"; then rm -f "$1/BuildInfo.swift.new"
            else mv "$1/BuildInfo.swift.new" "$1/BuildInfo.swift"; fi
            """#
        return [
            .prebuildCommand(
                displayName: "Recording the commit ocislim is built from",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "build-info", output.path, context.package.directoryURL.path],
                outputFilesDirectory: output
            )
        ]
    }
}
