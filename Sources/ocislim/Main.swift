import ArgumentParser
import OCISlimCLI

/// The `ocislim` executable: everything it does is in OCISlimCLI.
@main
enum Main {
    static func main() async {
        // A mistyped subcommand gets a did-you-mean; the parser alone would report unexpected arguments.
        if let message = OCISlimCommand.unknownSubcommandError(Array(CommandLine.arguments.dropFirst())) {
            // Through the parser's own path: "Error: …", the usage, exit 64, like every other usage error.
            OCISlimCommand.exit(withError: ValidationError(message))
        }
        await OCISlimCommand.main()
    }
}
